"""Office add-in Pull benchmark: 1,000 documents x 20 fields (and 3 line items each) planned by the
bridge's planner for a new workbook, then applied by the pane's Office.js applier on office-addin-mock.

    .venv/bin/python bench/excel_addin_pull.py [--documents 1000] [--fields 20] [--runs 5]

Target (issue 12): at most 10 context.sync() calls and at most 2 s. The applier's time is measured in
Node (bench/excel_addin_pull.js, median of --runs); the planning time is printed apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.models import Cell, DocumentInfo, FieldValue, Result  # noqa: E402
from core.workbook.planner import plan_workbook  # noqa: E402
from core.workbook.state import WorkbookState  # noqa: E402


def results(documents: int, fields: int) -> list[Result]:
    out = []
    for i in range(documents):
        values = {
            f"field_{f:02d}": FieldValue(value=f"{i * 7 + f}.50", confidence=0.9) for f in range(fields)
        }
        values["invoice_date"] = FieldValue(value="2026-03-14", confidence=0.95)
        lines = [
            {
                "description": Cell(value=f"item {n}", confidence=0.9),
                "amount": Cell(value=f"{n}.00", confidence=0.9),
            }
            for n in range(3)
        ]
        out.append(
            Result(
                provider="local",
                model="invoice",
                status="succeeded",
                document=DocumentInfo(
                    source=f"invoices/doc-{i:04d}.pdf", name=f"doc-{i:04d}.pdf", sha256=f"{i:064x}"
                ),
                fields=dict(list(values.items())[:fields]),
                tables={"line_items": lines},
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    plan = plan_workbook(
        WorkbookState.empty(), results(args.documents, args.fields), now=datetime(2026, 3, 20)
    )
    planned = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "actions.json"
        path.write_text(json.dumps(plan.actions), encoding="utf-8")
        done = subprocess.run(
            ["node", str(REPO / "bench" / "excel_addin_pull.js"), str(path), str(args.runs)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(done.stdout)
    print(
        f"documents {args.documents} x fields {args.fields} (+3 line items each): "
        f"{figures['actions']} actions"
    )
    print(f"planning (Python): {planned:.2f} s")
    print(f"Office.js applier on office-addin-mock: {figures['syncs']} context.sync() calls (target <= 10)")
    print(
        f"applier time: median {figures['median_ms'] / 1000:.2f} s, max {figures['max_ms'] / 1000:.2f} s "
        f"over {figures['runs']} runs (target <= 2 s)"
    )
    ok = figures["syncs"] <= 10 and figures["median_ms"] <= 2000
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
