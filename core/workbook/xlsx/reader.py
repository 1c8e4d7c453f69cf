"""Read what the planner needs from an openpyxl workbook: tables, headers, keys, statuses, sources,
the column map and the thresholds. The user's own cells are never read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import InputError
from core.workbook.layout import (
    BASE_COLUMNS,
    DEFAULT_THRESHOLD,
    DOCUMENTS,
    FIELD_THRESHOLDS_FIRST_ROW,
    FIELD_THRESHOLDS_HEADER_ROW,
    FIELD_THRESHOLDS_LAST_ROW,
    HIDDEN,
    LINE_ITEMS,
    OPTIONAL_SETTINGS,
    RUNS,
    SCHEMA_VERSION,
    SETTINGS,
    SETTINGS_ROWS,
    TABLES,
    THRESHOLD_NAME,
    Column,
)
from core.workbook.state import TableState, WorkbookState


def read_state(book: Workbook, *, source_path: str = "the workbook") -> WorkbookState:
    """The workbook's state; an InputError when it has no Documents sheet (or a newer schema)."""
    if DOCUMENTS not in book.sheetnames:
        listed = ", ".join(book.sheetnames)
        raise InputError(
            f"{source_path} has no sheet named {DOCUMENTS!r} (its sheets: {listed})",
            hint=f"docrelay expects a sheet called {DOCUMENTS} with one row per document and a `source` "
            "column of file paths. Rename the sheet back to Documents, or create a workbook with "
            "`docrelay-excel new BOOK.xlsx`.",
        )
    columns = _column_map(book, source_path)
    state = WorkbookState(columns=columns)
    state.documents = _table(book, DOCUMENTS, columns, with_sources=True)
    state.line_items = _table(book, LINE_ITEMS, columns, with_sources=False)
    state.runs = _table(book, RUNS, columns, with_sources=False, key="started")
    _read_settings(book, state)
    state.sheets = list(book.sheetnames)
    return state


def _column_map(book: Workbook, source_path: str) -> dict[str, list[Column]]:
    if HIDDEN not in book.sheetnames:
        return {}
    return column_map_from_rows(book[HIDDEN].iter_rows(values_only=True), source_path)


def column_map_from_rows(rows: Iterable[Sequence[Any]], source_path: str) -> dict[str, list[Column]]:
    """The column map the hidden sheet's rows hold (the openpyxl reader and the add-in's snapshot)."""
    rows = iter(rows)
    first = next(rows, None)
    if (
        first
        and len(first) > 1
        and first[0] == "schema_version"
        and isinstance(first[1], int)
        and first[1] > SCHEMA_VERSION
    ):
        raise InputError(
            f"{source_path} was laid out by a newer docrelay (workbook schema {first[1]})",
            hint="Update docrelay, or create a new workbook with this version.",
        )
    out: dict[str, list[Column]] = {}
    for row in rows:
        if len(row) >= 4 and row[0] in TABLES and row[1] and row[2]:
            out.setdefault(str(row[0]), []).append(Column(str(row[1]), str(row[2]), str(row[3] or "text")))
    return out


def _table(
    book: Workbook,
    sheet_name: str,
    columns: dict[str, list[Column]],
    *,
    with_sources: bool,
    key: str = "doc_key",
) -> TableState:
    """A table's place and headers, and per row its `key` column (a row counts as used when it is set)."""
    if sheet_name not in book.sheetnames:
        return TableState(sheet_name, TABLES[sheet_name], exists=False)
    sheet = book[sheet_name]
    tables: dict[str, Table] = {name: sheet.tables[name] for name in sheet.tables}
    table = tables.get(TABLES[sheet_name]) or next(iter(tables.values()), None)
    if table is not None:
        left, top, right, bottom = range_boundaries(table.ref)
        name = str(table.displayName or table.name or TABLES[sheet_name])
    else:  # the user turned the table into a plain range: its header is in row 1
        left, top, right, bottom = 1, 1, max(sheet.max_column, 1), max(sheet.max_row, 1)
        name = TABLES[sheet_name]
    assert left is not None and top is not None and right is not None and bottom is not None
    headers = [text_of(sheet.cell(top, column).value) for column in range(left, right + 1)]
    state = TableState(sheet_name, name, header_row=top, first_column=left, headers=headers)
    known = {c.key: c.header for c in columns.get(sheet_name) or BASE_COLUMNS[sheet_name]}
    count = bottom - top
    if with_sources:  # paths typed just below the table (Excel grows the table; other tools may not)
        source_column = state.position(known.get("source") or "source")
        below = _last_filled(sheet, source_column, bottom) if source_column else bottom
        if below > bottom:
            state.table_bottom = bottom
            count = below - top
    state.keys = _column_values(sheet, state, known.get(key), top, count)
    if with_sources:
        state.sources = _column_values(sheet, state, known.get("source"), top, count)
        state.statuses = _column_values(sheet, state, known.get("status"), top, count)
        if "review" in known:  # the review links of documents sent to human review
            state.reviews = _column_values(sheet, state, known["review"], top, count)
    return state


def _column_values(
    sheet: Worksheet, state: TableState, header: str | None, top: int, count: int
) -> list[str | None]:
    column = state.position(header) if header else None
    if column is None or count <= 0:
        return [None] * max(count, 0)
    cells = sheet.iter_rows(
        min_row=top + 1, max_row=top + count, min_col=column, max_col=column, values_only=True
    )
    return [text_of(row[0]) for row in cells]


def _last_filled(sheet: Worksheet, column: int, bottom: int) -> int:
    last = bottom
    cells = sheet.iter_rows(min_row=bottom + 1, min_col=column, max_col=column, values_only=True)
    for row, values in enumerate(cells, start=bottom + 1):
        if text_of(values[0]):
            last = row
    return last


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _read_settings(book: Workbook, state: WorkbookState) -> None:
    if SETTINGS not in book.sheetnames:
        state.threshold_fields = []
        return
    sheet = book[SETTINGS]
    state.threshold = _threshold(book, sheet)
    settings_from_cells(state, lambda row, column: sheet.cell(row, column).value, sheet.max_row)


def settings_from_cells(state: WorkbookState, cell: Callable[[int, int], Any], max_row: int) -> None:
    """Provider, model, folder and the per-field thresholds of the Settings sheet, given its cells."""
    for name, row in SETTINGS_ROWS.items():
        if name != THRESHOLD_NAME and cell(row, 1) == name:
            value = text_of(cell(row, 2))
            if value:
                state.settings[name] = value
    for row in range(1, FIELD_THRESHOLDS_HEADER_ROW):  # optional rows a user adds where there is room
        label = cell(row, 1)
        if label in OPTIONAL_SETTINGS:
            value = text_of(cell(row, 2))
            if value:
                state.settings[str(label)] = value
    next_row = FIELD_THRESHOLDS_FIRST_ROW
    for row in range(FIELD_THRESHOLDS_FIRST_ROW, min(max_row, FIELD_THRESHOLDS_LAST_ROW) + 1):
        field_name = text_of(cell(row, 1))
        if not field_name:
            continue
        next_row = row + 1
        state.threshold_fields.append(field_name)
        number = cell(row, 2)
        if isinstance(number, (int, float)) and not isinstance(number, bool) and 0 < number <= 1:
            state.field_thresholds[field_name] = float(number)
    state.threshold_next_row = next_row
    if cell(FIELD_THRESHOLDS_HEADER_ROW, 1) is None:
        state.threshold_next_row = max(next_row, FIELD_THRESHOLDS_FIRST_ROW)


def _threshold(book: Workbook, sheet: Worksheet) -> float:
    """The value of the named cell `confidence_threshold` (wherever the user moved it)."""
    defined = book.defined_names.get(THRESHOLD_NAME)
    if defined is not None:
        for title, ref in defined.destinations:
            if title in book.sheetnames:
                value = book[title][ref.replace("$", "")].value
                if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
                    return float(value)
    return DEFAULT_THRESHOLD
