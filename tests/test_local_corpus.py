"""The real-invoice corpus (tests/corpus/invoices): its records are complete, and the `local` engine
keeps its measured accuracy and calibration on it (bench/local_accuracy.py prints the full tables)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "invoices"
sys.path.insert(0, str(ROOT / "bench"))

from local_accuracy import row_counts, run_engine, same  # noqa: E402

TRUTH: dict[str, Any] = json.loads((CORPUS / "truth.json").read_text(encoding="utf-8"))
DOCS: list[dict[str, Any]] = TRUTH["documents"]


def test_corpus_is_big_and_varied_enough() -> None:
    assert len(DOCS) >= 40
    assert len({d["program"] for d in DOCS}) >= 15
    assert len({d["lang"] for d in DOCS}) >= 4
    assert {d["split"] for d in DOCS} == {"tune", "holdout"}


@pytest.mark.parametrize("doc", DOCS, ids=[d["name"] for d in DOCS])
def test_every_file_has_origin_licence_and_truth(doc: dict[str, Any]) -> None:
    data = (CORPUS / doc["name"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == doc["sha256"]
    assert doc["origin"].startswith("https://github.com/") and "/blob/" in doc["origin"]
    assert doc["licence"] in ("MIT", "Apache-2.0")
    assert set(doc["fields"]) == set(TRUTH["fields"])
    licences = {p.name for p in (CORPUS / "LICENSES").iterdir()}
    assert any(doc["licence"] in name for name in licences)


@pytest.fixture(scope="module")
def scored() -> dict[str, Any]:
    right: dict[str, list[bool]] = {"tune": [], "holdout": []}
    calibration: list[bool] = []
    rows = [0, 0, 0]
    for doc in DOCS:
        result = run_engine(CORPUS / doc["name"])
        for field in TRUTH["fields"]:
            value = result.fields.get(field)
            predicted = value.value if value else None
            ok = same(field, predicted, doc["fields"][field], doc["alternatives"].get(field, []))
            right[doc["split"]].append(ok)
            if value is not None and predicted is not None and (value.confidence or 0) >= 0.9:
                calibration.append(ok)
        for i, n in enumerate(row_counts(result, doc["line_amounts"])):
            rows[i] += n
    return {"right": right, "calibration": calibration, "rows": rows}


def test_accuracy_on_documents_never_tuned_on(scored: dict[str, Any]) -> None:
    holdout = scored["right"]["holdout"]
    assert sum(holdout) / len(holdout) >= 0.93


def test_accuracy_on_the_tuning_documents(scored: dict[str, Any]) -> None:
    tune = scored["right"]["tune"]
    assert sum(tune) / len(tune) >= 0.90


def test_high_confidence_means_right(scored: dict[str, Any]) -> None:
    sure = scored["calibration"]
    assert len(sure) >= 80
    assert sum(sure) / len(sure) >= 0.97


def test_line_items_are_found(scored: dict[str, Any]) -> None:
    hits, predicted, expected = scored["rows"]
    assert hits / predicted >= 0.95 and hits / expected >= 0.9  # row F1 >= 0.95 needs both
