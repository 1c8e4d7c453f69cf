"""The local engine on the committed sample invoices: accuracy, confidences, boxes, pages, speed."""

from __future__ import annotations

import datetime as dt
import filecmp
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.models import Result
from core.providers.local import extract_source
from core.sources import DocumentSource
from tests.cli_helpers import REPO
from tests.local_fixtures import SAMPLES, expected_of, sample_paths

MIN_ACCURACY = 0.95


def extract(path: Path) -> Result:
    return extract_source(DocumentSource.from_path(path))


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[Result, dict[str, Any]]]:
    return {p.name: (extract(p), expected_of(p)) for p in sample_paths()}


def compare(result: Result, expected: dict[str, Any]) -> tuple[int, int, list[str]]:
    right = total = 0
    misses: list[str] = []
    for key, value in expected["fields"].items():
        got = result.fields[key].value
        total += 1
        right += got == value
        if got != value:
            misses.append(f"{key}: expected {value!r}, got {got!r}")
    rows = result.tables.get("line_items", [])
    for index, expected_row in enumerate(expected["tables"]["line_items"]):
        for key, value in expected_row.items():
            cell = rows[index].get(key) if index < len(rows) else None
            got = cell.value if cell else None
            total += 1
            right += got == value
            if got != value:
                misses.append(f"line {index} {key}: expected {value!r}, got {got!r}")
    extra_rows = max(0, len(rows) - len(expected["tables"]["line_items"]))
    total += extra_rows  # rows that should not be there count as errors
    misses.extend(f"unexpected line {i}" for i in range(len(rows) - extra_rows, len(rows)))
    return right, total, misses


def test_there_are_enough_varied_samples() -> None:
    paths = sample_paths()
    assert len(paths) >= 5
    assert (SAMPLES / "invoice.pdf") in paths
    assert any(expected_of(p)["tables"]["line_items"] for p in paths)


def test_accuracy_over_all_samples(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    right = total = 0
    report: list[str] = []
    for name, (result, expected) in results.items():
        ok, count, misses = compare(result, expected)
        right, total = right + ok, total + count
        report.extend(f"{name}: {miss}" for miss in misses)
    accuracy = right / total
    print(f"local engine accuracy: {right}/{total} = {accuracy:.3f}")
    assert accuracy >= MIN_ACCURACY, "\n".join(report)


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_each_sample_is_mostly_right(path: Path) -> None:
    right, total, misses = compare(extract(path), expected_of(path))
    assert right / total >= 0.9, misses


def test_confidence_is_a_real_score(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    scores = []
    for result, _ in results.values():
        for field in result.fields.values():
            if field.value is None:
                assert field.confidence is None
                continue
            assert field.confidence is not None and 0.0 <= field.confidence <= 1.0
            scores.append(field.confidence)
            for candidate in field.candidates:
                assert candidate.confidence is not None and 0.0 <= candidate.confidence <= 1.0
        for row in result.tables["line_items"]:
            for cell in row.values():
                assert cell.confidence is None or 0.0 <= cell.confidence <= 1.0
    assert len(set(scores)) >= 8, "confidence must vary with how a value was found"
    assert min(scores) < 0.7 < max(scores)


def test_value_below_label_scores_lower_than_same_line(
    results: dict[str, tuple[Result, dict[str, Any]]],
) -> None:
    grid, _ = results["facture-dupont-fr.pdf"]  # labels above values
    inline, _ = results["rechnung-mueller-de.pdf"]  # label and value on one line
    grid_score, inline_score = (
        grid.fields["invoice_number"].confidence,
        inline.fields["invoice_number"].confidence,
    )
    assert grid_score is not None and inline_score is not None
    assert grid_score < inline_score


def test_consistency_checks_raise_confidence(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    result, _ = results["invoice.pdf"]
    total = result.fields["total_amount"]
    assert total.confidence is not None and total.confidence >= 0.9  # total = lines + VAT
    assert "total = sum of lines + VAT" in result.raw["notes"]["total_amount"]
    iban = result.fields["iban"]
    assert iban.confidence is not None and iban.confidence >= 0.9  # label + mod-97 checksum


def test_boxes_and_pages(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    for name, (result, _) in results.items():
        pages = result.document.pages or 0
        for key, field in result.fields.items():
            if field.value is None:
                continue
            assert field.page is not None and 0 <= field.page < pages, (name, key)
            assert field.box is not None, (name, key)
            x1, y1, x2, y2 = field.box
            assert 0.0 <= x1 < x2 <= 1.0 and 0.0 <= y1 < y2 <= 1.0, (name, key, field.box)
        for row in result.tables["line_items"]:
            for cell in row.values():
                if cell.value is not None:
                    assert cell.box is not None and all(0.0 <= c <= 1.0 for c in cell.box)
                    assert cell.page is not None and 0 <= cell.page < pages


def test_boxes_point_at_the_value(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    result, _ = results["invoice.pdf"]
    number = result.fields["invoice_number"]
    assert number.box is not None
    # Drawn at x=445pt, y=740pt (baseline, from the bottom) on A4: 595 x 842 pt.
    assert abs(number.box[0] - 445 / 595.28) < 0.01
    assert number.box[1] < 1 - 740 / 841.89 < number.box[3]
    total = result.fields["total_amount"]
    assert total.box is not None and abs(total.box[2] - 545 / 595.28) < 0.01


def test_multi_page_lines_continue_on_page_two(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    for name in ("faktura-nordlys-no.pdf", "factuur-devries-nl.pdf"):
        result, expected = results[name]
        rows = result.tables["line_items"]
        assert result.document.pages == 2
        assert len(rows) == len(expected["tables"]["line_items"])
        pages = {row["description"].page for row in rows}
        assert pages == {0, 1}, name
        total = result.fields["total_amount"]
        assert total.page == 1


def test_dates_are_iso(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    for result, _ in results.values():
        for key in ("invoice_date", "due_date"):
            value = result.fields[key].value
            assert value is not None
            dt.date.fromisoformat(value)
    globex, _ = results["invoice-globex-us.pdf"]  # 03/04/2026 in a US ($) invoice: month first
    assert globex.fields["invoice_date"].value == "2026-03-04"
    assert globex.fields["invoice_date"].raw_value == "03/04/2026"


def test_raw_values_are_as_printed(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    german, _ = results["rechnung-mueller-de.pdf"]
    assert german.fields["total_amount"].raw_value == "859,06 €"
    assert german.fields["total_amount"].value == "859.06"
    assert german.fields["iban"].raw_value == "DE89 3704 0044 0532 0130 00"
    french, _ = results["facture-dupont-fr.pdf"]
    assert french.fields["due_date"].raw_value == "15 avril 2026"


def test_result_shape(results: dict[str, tuple[Result, dict[str, Any]]]) -> None:
    result, _ = results["invoice.pdf"]
    data = result.to_dict()
    assert data["schema"] == "docrelay.result/1"
    assert data["provider"] == "local" and data["model"] == "invoice" and data["status"] == "succeeded"
    assert data["document"]["id"] == "local:document:" + data["document"]["sha256"][:32]
    assert data["prediction_id"].startswith("local:prediction:") and len(data["prediction_id"]) == 17 + 32
    assert Result.model_validate(data) == result


def test_extraction_is_deterministic() -> None:
    path = SAMPLES / "invoice.pdf"
    assert extract(path).to_dict() == extract(path).to_dict()


def test_one_page_extraction_is_fast() -> None:
    path = SAMPLES / "invoice.pdf"
    extract(path)  # warm: imports and the model file
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        extract(path)
        timings.append(time.perf_counter() - start)
    print(f"one-page extraction: best {min(timings) * 1000:.1f} ms")
    assert min(timings) < 0.3


def test_page_selection() -> None:
    path = SAMPLES / "faktura-nordlys-no.pdf"
    last_only = extract_source(DocumentSource.from_path(path), pages=[-1])
    assert last_only.raw["pages_read"] == [1]
    assert last_only.document.pages == 2
    assert last_only.fields["total_amount"].value == expected_of(path)["fields"]["total_amount"]
    assert all(field.page in (None, 1) for field in last_only.fields.values())
    # Only the running header of page 2 names the invoice ("Faktura 2026-0342"): a weak label.
    whole = extract(path).fields["invoice_number"]
    number = last_only.fields["invoice_number"]
    assert number.value == whole.value
    assert number.confidence is not None and whole.confidence is not None
    assert number.confidence < whole.confidence


def test_sample_generator_is_reproducible(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SAMPLES / "make_samples.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    for path in sample_paths():
        for made in (path, path.with_name(path.stem + ".expected.json")):
            assert filecmp.cmp(made, tmp_path / made.name, shallow=False), (
                f"{made.name} differs when regenerated"
            )
        assert path.stat().st_size < 20_000
