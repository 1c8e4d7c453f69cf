"""core.tabular: results as document rows and line-item rows, and safe CSV files of them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.errors import UsageError
from core.models import Cell, DocumentInfo, FieldValue, Result, ResultError
from core.tabular import (
    csv_cell,
    doc_key,
    document_table,
    line_item_table,
    line_items_path,
    write_csv,
    write_results_csv,
)

SHA = "ab" * 32


def result(name: str, sha256: str | None = SHA, **fields: tuple[str | None, float | None]) -> Result:
    return Result(
        provider="local",
        model="invoice",
        status="succeeded",
        document=DocumentInfo(source=f"C:/in/{name}", name=name, sha256=sha256),
        fields={k: FieldValue(value=v, confidence=c) for k, (v, c) in fields.items()},
    )


def test_document_rows_have_fixed_columns_then_each_field_and_its_confidence() -> None:
    first = result("a.pdf", invoice_number=("INV-1", 0.9), total_amount=("150.00", 0.95))
    second = result("b.pdf", "cd" * 32, total_amount=("12.00", None), currency=("EUR", 0.5))
    failed = Result(
        provider="local",
        model="invoice",
        status="failed",
        error=ResultError(type="input_error", message="File not found: x.pdf"),
        document=DocumentInfo(source="x.pdf", name="x.pdf"),
    )
    columns, rows = document_table([first, second, failed])
    assert columns == [
        "doc_key",
        "source",
        "status",
        "error",
        "invoice_number",
        "invoice_number confidence",
        "total_amount",
        "total_amount confidence",
        "currency",
        "currency confidence",
    ]
    assert rows[0]["doc_key"] == SHA[:16] and rows[0]["source"] == "C:/in/a.pdf"
    assert rows[1]["total_amount confidence"] is None and "invoice_number" not in rows[1]
    assert rows[2]["status"] == "failed" and rows[2]["error"] == "File not found: x.pdf"
    assert rows[2]["doc_key"].startswith("src-")  # never read: keyed by its path
    assert doc_key(failed) == doc_key(failed.model_copy())


def test_a_field_named_like_a_fixed_column_keeps_both() -> None:
    columns, rows = document_table([result("a.pdf", status=("paid", 0.7))])
    assert rows[0]["status"] == "succeeded" and rows[0]["status (field)"] == "paid"
    assert "status (field) confidence" in columns


def test_line_items_carry_the_doc_key_and_a_line_number() -> None:
    doc = result("a.pdf")
    doc.tables["line_items"] = [
        {"description": Cell(value="Chair", confidence=0.8), "amount": Cell(value="10.00", confidence=0.9)},
        {"description": Cell(value="Desk", confidence=None), "line": Cell(value="7", confidence=0.4)},
    ]
    columns, rows = line_item_table([doc, result("b.pdf", "ef" * 32)])
    assert columns[:2] == ["doc_key", "line"] and "line (field)" in columns
    assert [r["line"] for r in rows] == [1, 2] and {r["doc_key"] for r in rows} == {SHA[:16]}
    assert rows[1]["description confidence"] is None and rows[1]["line (field)"] == "7"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tnote", "'\tnote"),
        ("-150.00", "-150.00"),  # a plain number cannot be a formula
        ("+49", "+49"),
        ("INV-1", "INV-1"),
        (None, ""),
        (0.95, 0.95),
    ],
)
def test_csv_cells_never_become_formulas(value: object, written: object) -> None:
    assert csv_cell(value) == written


def test_results_csv_and_line_items_csv(tmp_path: Path) -> None:
    doc = result("façade.pdf", invoice_number=("=1+1", 0.9), total_amount=("-5.00", 0.8))
    doc.tables["line_items"] = [{"description": Cell(value="Stühle", confidence=0.7)}]
    target = tmp_path / "out.csv"
    documents, lines = write_results_csv([doc], target)
    assert documents == target and lines == tmp_path / "out.line_items.csv" == line_items_path(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["invoice_number"] == "'=1+1" and rows[0]["total_amount"] == "-5.00"
    assert rows[0]["source"] == "C:/in/façade.pdf" and rows[0]["invoice_number confidence"] == "0.9"
    with lines.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.DictReader(handle)) == [
            {"doc_key": SHA[:16], "line": "1", "description": "Stühle", "description confidence": "0.7"}
        ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.line_items.csv"]  # no temp files


def test_csv_to_a_missing_folder_or_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist") as missing:
        write_csv(tmp_path / "nope" / "out.csv", ["a"], [])
    assert missing.value.exit_code == 2 and "Create the folder" in missing.value.full_message
    with pytest.raises(UsageError, match="is a folder"):
        write_csv(tmp_path, ["a"], [])


def test_a_file_the_system_cannot_write_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / ("x" * 300 + ".csv")  # longer than any file system allows (also for root)
    with pytest.raises(UsageError, match="Cannot write") as refused:
        write_csv(target, ["a"], [{"a": 1}])
    assert refused.value.exit_code == 2 and "spreadsheet" in refused.value.full_message
    assert list(tmp_path.iterdir()) == []
