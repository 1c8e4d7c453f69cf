"""The actions the planner hands to an applier: plain JSON objects, carried out in order.

Every applier (openpyxl for files, Office.js in the add-in) understands exactly these operations.
Rows and columns are 1-based sheet positions, ranges are A1 references without a sheet name.

- addSheet {sheet, hidden}: a new, empty worksheet at the end.
- setValues {sheet, row, column, values, formats?}: cells from (row, column) on, `values` a list of rows;
  `formats` is one number format per column (null: leave the cell's format).
- setHyperlink {sheet, row, column, target}: a real cell hyperlink (a path, relative to the workbook
  or absolute); clearHyperlink {sheet, row, column} removes one.
- addTable {sheet, table, ref}: an Excel table over ref, whose header row is already written;
  resizeTable {sheet, table, ref}: the table grows or shrinks to ref (headers come from the cells).
- deleteRows {sheet, row, count}: delete whole rows, moving the rows below up.
- defineName {name, ref}: a workbook-level name, e.g. Settings!$B$3.
- addListValidation {sheet, ref, values}: a drop-down list.
- addHighlightRule {sheet, ref, formula, fill}: fill cells (RGB hex) where the formula, written for
  ref's top-left cell, is true.
- setColumnWidth {sheet, column, width}, freezePanes {sheet, cell}, styleHeader {sheet, row, column,
  count} (bold, filled, wrapped, a row two lines high): looks only.

Values are JSON scalars: a string is always stored as text, even when it starts with `=`, `+`, `-` or `@`
(an applier must never let a cell value become a formula); numbers are numbers; dates are Excel serial
numbers with a date format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.workbook.values import Scalar

Action = dict[str, Any]

OPS = (
    "addSheet",
    "setValues",
    "setHyperlink",
    "clearHyperlink",
    "addTable",
    "resizeTable",
    "deleteRows",
    "defineName",
    "addListValidation",
    "addHighlightRule",
    "setColumnWidth",
    "freezePanes",
    "styleHeader",
)


def add_sheet(sheet: str, *, hidden: bool = False) -> Action:
    return {"op": "addSheet", "sheet": sheet, "hidden": hidden}


def set_values(
    sheet: str,
    row: int,
    column: int,
    values: Sequence[Sequence[Scalar]],
    formats: Sequence[str | None] | None = None,
) -> Action:
    action: Action = {"op": "setValues", "sheet": sheet, "row": row, "column": column}
    action["values"] = [list(line) for line in values]
    if formats is not None and any(formats):
        action["formats"] = list(formats)
    return action


def set_hyperlink(sheet: str, row: int, column: int, target: str) -> Action:
    return {"op": "setHyperlink", "sheet": sheet, "row": row, "column": column, "target": target}


def clear_hyperlink(sheet: str, row: int, column: int) -> Action:
    return {"op": "clearHyperlink", "sheet": sheet, "row": row, "column": column}


def add_table(sheet: str, table: str, ref: str) -> Action:
    return {"op": "addTable", "sheet": sheet, "table": table, "ref": ref}


def resize_table(sheet: str, table: str, ref: str) -> Action:
    return {"op": "resizeTable", "sheet": sheet, "table": table, "ref": ref}


def delete_rows(sheet: str, row: int, count: int) -> Action:
    return {"op": "deleteRows", "sheet": sheet, "row": row, "count": count}


def define_name(name: str, ref: str) -> Action:
    return {"op": "defineName", "name": name, "ref": ref}


def add_list_validation(sheet: str, ref: str, values: Sequence[str]) -> Action:
    return {"op": "addListValidation", "sheet": sheet, "ref": ref, "values": list(values)}


def add_highlight_rule(sheet: str, ref: str, formula: str, fill: str) -> Action:
    return {"op": "addHighlightRule", "sheet": sheet, "ref": ref, "formula": formula, "fill": fill}


def set_column_width(sheet: str, column: int, width: float) -> Action:
    return {"op": "setColumnWidth", "sheet": sheet, "column": column, "width": width}


def freeze_panes(sheet: str, cell: str) -> Action:
    return {"op": "freezePanes", "sheet": sheet, "cell": cell}


def style_header(sheet: str, row: int, column: int, count: int) -> Action:
    return {"op": "styleHeader", "sheet": sheet, "row": row, "column": column, "count": count}
