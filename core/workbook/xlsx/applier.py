"""Carry the planner's actions out on an openpyxl workbook (the reference applier: the Office add-in's
applier must give the same sheet).

Text always stays text: openpyxl turns a string starting with `=` into a formula, so every string
cell is marked as a string after it is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from core.workbook.actions import Action
from core.workbook.layout import HEADER_FILL

TABLE_STYLE = "TableStyleMedium2"
HEADER_HEIGHT = 30.0  # points: two lines of wrapped header text
_BOLD = Font(bold=True)
_WRAPPED = Alignment(wrap_text=True, vertical="top")  # long headers over narrow confidence columns
_HEADER_FILL = PatternFill(start_color=HEADER_FILL, end_color=HEADER_FILL, fill_type="solid")


class UnknownAction(ValueError):
    pass


def apply_actions(book: Workbook, actions: Iterable[Action]) -> None:
    """Carry out every action in order."""
    for action in actions:
        handler = _HANDLERS.get(action["op"])
        if handler is None:
            raise UnknownAction(f"unknown workbook action {action['op']!r}")
        handler(book, action)


def _sheet(book: Workbook, action: Action) -> Worksheet:
    name = action["sheet"]
    sheet = book[name] if name in book.sheetnames else book.create_sheet(name)
    assert isinstance(sheet, Worksheet)
    return sheet


def _add_sheet(book: Workbook, action: Action) -> None:
    sheet = (
        book.create_sheet(action["sheet"])
        if action["sheet"] not in book.sheetnames
        else book[action["sheet"]]
    )
    if action.get("hidden"):
        sheet.sheet_state = "hidden"


def _set_values(book: Workbook, action: Action) -> None:
    sheet = _sheet(book, action)
    top, left = action["row"], action["column"]
    formats: list[str | None] = action.get("formats") or []
    cells = sheet._cells  # direct: Worksheet.cell() costs twice as much per cell, and a sheet has 10^6
    format_ids: dict[str, int] = {}  # number format -> its id in the workbook, set once through openpyxl
    for r, line in enumerate(action["values"], start=top):
        for c, value in enumerate(line):
            cell = cells.get((r, left + c))
            if cell is None:
                if value is None:
                    continue  # nothing to clear, and an empty cell needs no format
                cell = cells[(r, left + c)] = Cell(sheet, row=r, column=left + c)
            elif not isinstance(cell, Cell):
                continue  # inside cells the user merged: Excel keeps only the top-left one
            # The value directly: the planner gives only clean JSON scalars (text without the control
            # characters XML forbids), and a string is always text, never a formula.
            cell._value = value  # type: ignore[attr-defined]
            cell.data_type = "s" if isinstance(value, str) else "b" if isinstance(value, bool) else "n"
            number_format = formats[c] if c < len(formats) else None
            if number_format:
                known = format_ids.get(number_format)
                if known is None:
                    cell.number_format = number_format
                    format_ids[number_format] = cell._style.numFmtId  # type: ignore[attr-defined]
                elif cell._style is None:  # type: ignore[attr-defined]
                    cell._style = StyleArray([0, 0, 0, known, 0, 0, 0, 0, 0])  # type: ignore[attr-defined]
                else:
                    cell._style.numFmtId = known  # type: ignore[attr-defined]


def _set_hyperlink(book: Workbook, action: Action) -> None:
    cell = _sheet(book, action).cell(row=action["row"], column=action["column"])
    value = cell.value
    cell.hyperlink = action["target"]
    cell.value = value if value is not None else action["target"]
    if isinstance(cell.value, str):
        cell.data_type = "s"
    cell.style = "Hyperlink"


def _clear_hyperlink(book: Workbook, action: Action) -> None:
    cell = _sheet(book, action).cell(row=action["row"], column=action["column"])
    cell.hyperlink = None


def _add_table(book: Workbook, action: Action) -> None:
    sheet = _sheet(book, action)
    table = Table(displayName=action["table"], ref=action["ref"])
    table.autoFilter = AutoFilter(ref=action["ref"])  # the filter buttons in the header
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    sheet.add_table(table)
    _sync_columns(sheet, table)


def _resize_table(book: Workbook, action: Action) -> None:
    sheet = _sheet(book, action)
    table = sheet.tables[action["table"]] if action["table"] in sheet.tables else None  # noqa: SIM401
    if table is None:
        return _add_table(book, action)
    table.ref = action["ref"]
    if table.autoFilter is not None:
        table.autoFilter.ref = action["ref"]
    _sync_columns(sheet, table)


def _sync_columns(sheet: Worksheet, table: Table) -> None:
    """Table columns named as their header cells (Excel repairs a file where they differ), keeping the
    ids of the columns that stay."""
    left, top, right, _ = range_boundaries(table.ref)
    assert left is not None and top is not None and right is not None
    old = {column.name: column for column in table.tableColumns}
    next_id = max((column.id for column in table.tableColumns), default=0) + 1
    columns: list[TableColumn] = []
    seen: set[str] = set()
    for index in range(left, right + 1):
        cell = sheet.cell(row=top, column=index)
        name = str(cell.value) if cell.value is not None else f"Column{index - left + 1}"
        while name in seen:  # Excel needs unique column names
            name += "_"
        seen.add(name)
        if cell.value is None or str(cell.value) != name:
            cell.value = name
        cell.data_type = "s"
        column = old.get(name)
        if column is None:
            column = TableColumn(id=next_id, name=name)
            next_id += 1
        columns.append(column)
    table.tableColumns = columns


def _delete_rows(book: Workbook, action: Action) -> None:
    _sheet(book, action).delete_rows(action["row"], action["count"])


def _define_name(book: Workbook, action: Action) -> None:
    name = action["name"]
    if name in book.defined_names:
        del book.defined_names[name]
    book.defined_names[name] = DefinedName(name, attr_text=action["ref"])


def _add_list_validation(book: Workbook, action: Action) -> None:
    sheet = _sheet(book, action)
    listed = ",".join(action["values"])
    validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
    validation.error = f"Choose one of: {', '.join(action['values'])}"
    validation.errorTitle = "docrelay status"
    validation.add(action["ref"])
    sheet.add_data_validation(validation)


def _add_highlight_rule(book: Workbook, action: Action) -> None:
    fill = PatternFill(start_color=action["fill"], end_color=action["fill"], fill_type="solid")
    rule = FormulaRule(formula=[action["formula"]], fill=fill)  # type: ignore[no-untyped-call]
    _sheet(book, action).conditional_formatting.add(action["ref"], rule)


def _set_column_width(book: Workbook, action: Action) -> None:
    sheet = _sheet(book, action)
    sheet.column_dimensions[get_column_letter(action["column"])].width = action["width"]


def _freeze_panes(book: Workbook, action: Action) -> None:
    _sheet(book, action).freeze_panes = action["cell"]


def _style_header(book: Workbook, action: Action) -> None:
    sheet = _sheet(book, action)
    sheet.row_dimensions[action["row"]].height = HEADER_HEIGHT
    for column in range(action["column"], action["column"] + action["count"]):
        cell = sheet.cell(row=action["row"], column=column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAPPED


_HANDLERS: dict[str, Callable[[Workbook, Any], None]] = {
    "addSheet": _add_sheet,
    "setValues": _set_values,
    "setHyperlink": _set_hyperlink,
    "clearHyperlink": _clear_hyperlink,
    "addTable": _add_table,
    "resizeTable": _resize_table,
    "deleteRows": _delete_rows,
    "defineName": _define_name,
    "addListValidation": _add_list_validation,
    "addHighlightRule": _add_highlight_rule,
    "setColumnWidth": _set_column_width,
    "freezePanes": _freeze_panes,
    "styleHeader": _style_header,
}
