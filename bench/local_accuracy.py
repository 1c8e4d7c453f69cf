"""Accuracy of the offline `local` engine on the real-invoice corpus (issue 14).

    python bench/local_accuracy.py [--split tune|holdout|all] [--errors]

Reads tests/corpus/invoices/truth.json, runs the text-layer engine on every PDF and prints per-field
accuracy for each split, the calibration table (how often values at each confidence are right), the
arithmetic checks, and the line-item row F1. `--errors` lists every wrong value.

A field counts as right when the value equals the ground truth (amounts as numbers, names without case
and punctuation); a field the document does not print is right only when the engine returns nothing.
The e-invoice XML some of these PDFs carry is deliberately not used: this measures the page text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.checks import with_arithmetic_checks  # noqa: E402
from core.models import DocumentInfo, Result  # noqa: E402
from core.providers.local.engine import build_result  # noqa: E402
from core.providers.local.modelspec import load_model  # noqa: E402
from core.providers.local.textlayer import read_text_layer  # noqa: E402

CORPUS = REPO / "tests" / "corpus" / "invoices"
BUCKETS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def same(field: str, predicted: str | None, truth: str | None, alternatives: list[str]) -> bool:
    if truth is None:
        return predicted is None
    if predicted is None:
        return False
    if field in ("total_amount", "vat_amount"):
        return _number(predicted) == _number(truth)
    if field in ("supplier_name", "invoice_number", "iban"):
        return any(_letters(predicted) == _letters(t) for t in [truth, *alternatives])
    return predicted == truth


def run_engine(path: Path) -> Result:
    data = path.read_bytes()
    layer = read_text_layer(data, path.name)
    document = DocumentInfo(name=path.name, pages=layer.page_count, sha256="0" * 64)
    return with_arithmetic_checks(build_result(layer, load_model("invoice"), document, None))


def row_counts(result: Result, truth: list[str]) -> tuple[int, int, int]:
    """True positives, predicted rows, true rows: rows matched on their amount."""
    predicted = Counter(
        _number(row["amount"].value) for row in result.tables.get("line_items", []) if "amount" in row
    )
    expected = Counter(_number(a) for a in truth)
    hits = sum((predicted & expected).values())
    return hits, sum(predicted.values()), sum(expected.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "holdout", "all"], default="all")
    parser.add_argument("--errors", action="store_true", help="list every wrong value")
    args = parser.parse_args(argv)
    corpus = json.loads((CORPUS / "truth.json").read_text(encoding="utf-8"))
    fields: list[str] = corpus["fields"]
    docs = [d for d in corpus["documents"] if args.split in ("all", d["split"])]
    per_split: dict[str, dict[str, list[bool]]] = {}
    calibration: list[tuple[float, bool]] = []
    checks: Counter[str] = Counter()
    rows = {"tune": [0, 0, 0], "holdout": [0, 0, 0]}
    started = time.perf_counter()
    for doc in docs:
        result = run_engine(CORPUS / doc["name"])
        split = per_split.setdefault(doc["split"], {f: [] for f in fields})
        for field in fields:
            value = result.fields.get(field)
            predicted = value.value if value else None
            ok = same(field, predicted, doc["fields"][field], doc["alternatives"].get(field, []))
            split[field].append(ok)
            if value is not None and value.confidence is not None and predicted is not None:
                calibration.append((value.confidence, ok))
            if not ok and args.errors:
                conf = value.confidence if value else None
                want = doc["fields"][field]
                print(
                    f"  {doc['split']:7} {doc['name']:44} {field:15} got {predicted!r} ({conf}) want {want!r}"
                )
        for check in result.extras.get("checks", []):
            state = {True: "passed", False: "failed", None: "not checkable"}[check["ok"]]
            checks[f"{check['check']} {state}"] += 1
        hits, predicted_rows, true_rows = row_counts(result, doc["line_amounts"])
        for i, n in enumerate((hits, predicted_rows, true_rows)):
            rows[doc["split"]][i] += n
    elapsed = time.perf_counter() - started
    print(f"{len(docs)} documents in {elapsed:.1f} s\n")
    header = f"{'field':16}" + "".join(f"{s:>10}" for s in per_split)
    print(header)
    for field in fields:
        cells = "".join(f"{sum(v[field]) / len(v[field]):>10.2f}" for v in per_split.values())
        print(f"{field:16}{cells}")
    overall = "".join(
        f"{sum(sum(x) for x in v.values()) / sum(len(x) for x in v.values()):>10.2f}"
        for v in per_split.values()
    )
    print(f"{'ALL FIELDS':16}{overall}")
    counts = "".join(f"{len(next(iter(v.values()))):>10}" for v in per_split.values())
    print(f"{'documents':16}{counts}\n")
    print("line items (rows matched by amount):")
    for split, (hits, predicted_rows, true_rows) in rows.items():
        if true_rows:
            precision = hits / predicted_rows if predicted_rows else 0.0
            recall = hits / true_rows
            f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
            print(f"  {split:8} P {precision:.2f}  R {recall:.2f}  F1 {f1:.2f}  ({hits}/{true_rows} rows)")
    print("\ncalibration (every returned value, all splits):")
    print(f"  {'confidence':12}{'values':>8}{'right':>8}{'share':>8}")
    for low, high in BUCKETS:
        inside = [ok for conf, ok in calibration if low <= conf < high]
        if inside:
            label = f"{low:.1f}-{min(high, 1.0):.1f}"
            print(f"  {label:12}{len(inside):>8}{sum(inside):>8}{sum(inside) / len(inside):>8.3f}")
    if checks:
        print("\narithmetic checks (all documents):")
        for name, count in sorted(checks.items()):
            print(f"  {name:40} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
