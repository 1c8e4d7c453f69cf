"""The workbook state from the Office add-in's snapshot: what the task pane read with Office.js, as
plain JSON, turned into the planner's WorkbookState with the same rules as the openpyxl reader.

The pane reads only docrelay's own cells: each table's place and header row, the key, source and
status columns (found through the hidden sheet's column map), the hidden sheet, Settings!A1:B1000 and
the value of the `confidence_threshold` name:

    {"sheets": ["Documents", ...],
     "tables": {"Documents": {"name": "Documents", "header_row": 1, "first_column": 1,
                              "headers": [...], "rows": 12,
                              "columns": {"doc_key": [...], "source": [...], "status": [...]}}, ...},
     "hidden": [[...], ...], "settings": [[...], ...], "threshold": 0.8}
"""

from __future__ import annotations

from typing import Any

from core.errors import InputError
from core.workbook.layout import (
    DEFAULT_THRESHOLD,
    DOCUMENTS,
    LINE_ITEMS,
    RUNS,
    SETTINGS,
    TABLES,
)
from core.workbook.state import TableState, WorkbookState
from core.workbook.xlsx.reader import column_map_from_rows, settings_from_cells, text_of

MAX_TABLE_ROWS = 1_048_575


def state_from_snapshot(snapshot: dict[str, Any]) -> WorkbookState:
    """The planner's view of the open workbook; InputError for a snapshot that is not one."""
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("sheets"), list):
        raise InputError(
            "The workbook snapshot has no list of sheets", hint="Reload the task pane and try again."
        )
    sheets = [str(name) for name in snapshot["sheets"]]
    tables = snapshot.get("tables") or {}
    if DOCUMENTS not in sheets or not isinstance(tables, dict):
        state = WorkbookState.empty()
        state.sheets = sheets
        return state
    hidden = snapshot.get("hidden") or []
    columns = column_map_from_rows(_rows(hidden, "hidden"), "the open workbook")
    state = WorkbookState(columns=columns, sheets=sheets)
    state.documents = _table(tables.get(DOCUMENTS), DOCUMENTS, "doc_key", with_sources=True)
    state.line_items = _table(tables.get(LINE_ITEMS), LINE_ITEMS, "doc_key", with_sources=False)
    state.runs = _table(tables.get(RUNS), RUNS, "started", with_sources=False)
    if SETTINGS in sheets:
        rows = _rows(snapshot.get("settings") or [], "settings")
        threshold = snapshot.get("threshold")
        if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) and 0 <= threshold <= 1:
            state.threshold = float(threshold)
        else:
            state.threshold = DEFAULT_THRESHOLD

        def cell(row: int, column: int) -> Any:
            if row - 1 < len(rows) and column - 1 < len(rows[row - 1]):
                value = rows[row - 1][column - 1]
                return None if value == "" else value
            return None

        settings_from_cells(state, cell, len(rows))
    return state


def _rows(value: Any, what: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise InputError(f"The workbook snapshot's {what} is not a list of rows", hint="Reload the pane.")
    return value


def _table(data: Any, sheet: str, key: str, *, with_sources: bool) -> TableState:
    if not isinstance(data, dict):
        return TableState(sheet, TABLES[sheet], exists=False)
    rows = int(data.get("rows") or 0)
    if not 0 <= rows <= MAX_TABLE_ROWS:
        raise InputError(f"The snapshot's {sheet} table has {rows} rows", hint="Reload the pane.")
    headers = [text_of(h) for h in data.get("headers") or []]
    state = TableState(
        sheet,
        str(data.get("name") or TABLES[sheet]),
        header_row=int(data.get("header_row") or 1),
        first_column=int(data.get("first_column") or 1),
        headers=headers,
    )
    columns = data.get("columns") or {}

    def column(name: str) -> list[str | None]:
        values = columns.get(name) if isinstance(columns, dict) else None
        listed = [text_of(v) for v in values] if isinstance(values, list) else []
        return (listed + [None] * rows)[:rows]

    state.keys = column(key)
    if with_sources:
        state.sources = column("source")
        state.statuses = column("status")
        state.reviews = column("review")  # review links of documents sent to human review, if any
    return state
