"""The planner: workbook state + results -> plain JSON actions, tested from tables, without files.

The golden action file is the contract with the Office add-in's applier (the next issue): both appliers
must understand exactly these actions. Regenerate it with UPDATE_GOLDEN=1 after a deliberate change.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from core.models import ModelInfo
from core.workbook.actions import OPS
from core.workbook.layout import DOCUMENTS, LINE_ITEMS, Column
from core.workbook.planner import FieldDef, RunInfo, field_defs_of, plan_workbook
from core.workbook.state import TableState, WorkbookState
from tests.workbook_helpers import INVOICE_FIELDS, invoice, line

GOLDEN = Path(__file__).parent / "golden" / "workbook_new_two_invoices.json"
NOW = datetime(2026, 12, 2, 8, 30)
RUN = RunInfo(datetime(2026, 12, 2, 8, 29), NOW, "local", "invoice", 0, "0.0.0-test")


def new_plan() -> list[dict[str, object]]:
    results = [
        invoice("in/a.pdf", "A-1", "1234.56", lines=[line("Chair", "100.00"), line("Desk", "1134.56")]),
        invoice("in/b.pdf", '=HYPERLINK("http://evil")', "27.80", confidence=0.5),
    ]
    fields = [
        FieldDef(name, "date" if "date" in name else "amount" if "amount" in name else "string")
        for name in INVOICE_FIELDS
    ]
    return plan_workbook(WorkbookState.empty(), results, now=NOW, fields=fields, run=RUN).actions


def test_a_new_workbook_is_planned_as_the_golden_action_file() -> None:
    actions = new_plan()
    text = json.dumps(actions, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert json.loads(text) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_actions_are_plain_json_of_the_known_operations() -> None:
    actions = new_plan()
    assert json.loads(json.dumps(actions)) == actions
    assert {a["op"] for a in actions} <= set(OPS)


def test_planning_twice_gives_the_same_actions() -> None:
    assert new_plan() == new_plan()


def state_with(sources: list[str], keys: list[str | None], statuses: list[str | None]) -> WorkbookState:
    """A workbook after one run: Documents with the base and invoice columns, no line items."""
    base = ["source", "doc_key", "status", "error", "provider", "model", "pages", "last_run"]
    columns = [Column(h, h, "text") for h in base]
    for name in INVOICE_FIELDS:
        columns += [
            Column(f"field:{name}", name, "text"),
            Column(f"conf:{name}", f"{name} confidence", "confidence"),
        ]
    headers: list[str | None] = [c.header for c in columns]
    state = WorkbookState(
        columns={DOCUMENTS: columns}, sheets=["Documents", "LineItems", "Runs", "Settings", "_docrelay"]
    )
    state.documents = TableState(
        DOCUMENTS, "Documents", headers=headers, keys=keys, sources=sources, statuses=statuses
    )
    state.line_items = TableState(LINE_ITEMS, "LineItems", headers=["doc_key", "line"], keys=[None])
    return state


def rows_written(actions: list[dict[str, object]], sheet: str = DOCUMENTS) -> dict[int, list[object]]:
    out: dict[int, list[object]] = {}
    for action in actions:
        if action["op"] == "setValues" and action["sheet"] == sheet:
            for offset, values in enumerate(action["values"]):  # type: ignore[arg-type]
                out.setdefault(int(action["row"]) + offset, []).extend(values)  # type: ignore[call-overload]
    return out


def test_a_result_goes_to_its_source_row_then_its_key_and_never_to_a_duplicate_row() -> None:
    a, b = invoice("in/a.pdf", "A-1", "10.00"), invoice("in/b.pdf", "B-1", "20.00")
    from core.tabular import doc_key

    state = state_with(["in/a.pdf", "moved/b.pdf"], [None, doc_key(b)], ["", "failed"])
    plan = plan_workbook(state, [a, b, b], now=NOW)
    assert plan.rows_added == 0 and plan.rows_updated == 2
    assert sorted(rows_written(plan.actions)) == [2, 3]
    again = plan_workbook(state, [invoice("in/c.pdf", "C-1", "30.00")], now=NOW)
    assert again.rows_added == 1 and sorted(rows_written(again.actions)) == [4]


def test_new_documents_fill_the_tables_empty_rows_first() -> None:
    state = state_with(["in/a.pdf", None, None], ["k", None, None], ["done", None, None])
    plan = plan_workbook(state, [invoice("in/b.pdf", "B", "1.00")], now=NOW)
    assert sorted(rows_written(plan.actions)) == [3]
    assert not [a for a in plan.actions if a["op"] == "resizeTable" and a["sheet"] == DOCUMENTS]


def test_only_docrelays_columns_are_written_wherever_the_user_moved_them() -> None:
    state = state_with(["in/a.pdf"], [None], [""])
    state.documents.headers = [
        "approver",
        "total_amount",
        "source",
        "my formula",
        *[h for h in state.documents.headers if h not in ("total_amount", "source")],
    ]
    plan = plan_workbook(state, [invoice("in/a.pdf", "A", "10.00")], now=NOW)
    written_columns = set()
    for action in plan.actions:
        if action["op"] == "setValues" and action["sheet"] == DOCUMENTS:
            width = len(action["values"][0])  # type: ignore[index]
            written_columns.update(range(int(action["column"]), int(action["column"]) + width))  # type: ignore[call-overload]
    assert 1 not in written_columns and 4 not in written_columns  # approver, my formula
    assert 2 in written_columns  # total_amount, moved to B
    assert not [a for a in plan.actions if a["op"] == "addHighlightRule"]  # no new columns


def test_a_failed_document_keeps_its_values_and_gets_a_short_error() -> None:
    state = state_with(["in/a.pdf"], ["k"], ["done"])
    failed = invoice("in/a.pdf", "A", "1.00", status="failed", error="The file is damaged. " * 40)
    plan = plan_workbook(state, [failed], now=NOW)
    (row,) = rows_written(plan.actions).values()
    assert "failed" in row and "A" not in row
    error = next(v for v in row if isinstance(v, str) and v.startswith("The file"))
    assert len(error) <= 250


def test_line_items_are_replaced_in_place_or_deleted_and_appended() -> None:
    from core.tabular import doc_key

    a = invoice("in/a.pdf", "A", "1.00", lines=[line("x", "1.00"), line("y", "2.00")])
    b = invoice("in/b.pdf", "B", "1.00", lines=[line("z", "3.00")])
    state = state_with(["in/a.pdf", "in/b.pdf"], [doc_key(a), doc_key(b)], ["rerun", "rerun"])
    state.line_items = TableState(
        LINE_ITEMS,
        "LineItems",
        headers=["doc_key", "line"],
        keys=[doc_key(a), doc_key(a), doc_key(b), doc_key(b), doc_key(b)],
    )
    plan = plan_workbook(state, [a, b], now=NOW)
    deletes = [a for a in plan.actions if a["op"] == "deleteRows"]
    assert deletes == [{"op": "deleteRows", "sheet": LINE_ITEMS, "row": 4, "count": 3}]
    lines = rows_written(plan.actions, LINE_ITEMS)
    assert sorted(r for r in lines if r > 1) == [2, 3, 4]  # a's two lines in place, b's one appended
    resize = [a for a in plan.actions if a["op"] == "resizeTable" and a["sheet"] == LINE_ITEMS]
    assert resize and resize[-1]["ref"].endswith("4")  # type: ignore[union-attr]


def test_the_models_types_and_line_columns_come_from_the_model_listing() -> None:
    info = ModelInfo(
        id="invoice",
        provider="local",
        fields=["total", "items"],
        field_types={"total": "amount", "items": "lines", "items.qty": "numeric"},
    )
    fields, lines = field_defs_of(info)
    assert fields == [FieldDef("total", "amount"), FieldDef("items", "lines")]
    assert lines == [FieldDef("qty", "numeric")]


def test_a_document_under_review_gets_its_status_values_and_a_review_link() -> None:
    from core.models import ReviewInfo

    routed = invoice("in/a.pdf", "A", "10.00")
    routed.status = "needs_review"
    routed.review = ReviewInfo(id="drrev1.x", link="https://review.example/1", status="waiting")
    plain = invoice("in/b.pdf", "B", "2.00")
    plan = plan_workbook(WorkbookState.empty(), [routed, plain], now=NOW, run=RUN)
    assert plan.statuses["needs_review"] >= 1
    header = [a for a in plan.actions if a["op"] == "setValues" and a["values"] == [["review_link"]]]
    assert len(header) == 1, "the review_link column is added once"
    column = header[0]["column"]
    links = [a for a in plan.actions if a["op"] == "setHyperlink" and a["column"] == column]
    assert [a["target"] for a in links] == ["https://review.example/1"]
    cleared = [a for a in plan.actions if a["op"] == "clearHyperlink" and a["column"] == column]
    assert len(cleared) == 1, "a row without a review has no link"
    written = json.dumps(plan.actions)
    assert "10.00" in written or "10.0" in written, "its values are written while a person looks"


def test_a_source_links_to_its_text_unless_a_target_is_given_for_it() -> None:
    picked = invoice("facture é.pdf", "A", "10.00")  # a file the pane uploaded: shown by its name
    typed = invoice("in/b.pdf", "B", "2.00")  # a path typed into a row: relative to the workbook
    stored = "file:///home/u/.local/share/docrelay/bridge/uploads/ab/facture%20%C3%A9.pdf"
    plan = plan_workbook(WorkbookState.empty(), [picked, typed], now=NOW, links={"facture é.pdf": stored})
    written = rows_written(plan.actions)
    assert [written[2][0], written[3][0]] == ["facture é.pdf", "in/b.pdf"]  # the row shows the name
    links = {a["row"]: a["target"] for a in plan.actions if a["op"] == "setHyperlink"}
    assert links == {2: stored, 3: "in/b.pdf"}
    assert {a["column"] for a in plan.actions if a["op"] == "setHyperlink"} == {1}  # `source` is first
