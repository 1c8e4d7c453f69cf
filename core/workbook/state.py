"""What the planner needs to know of a workbook: a snapshot, read by an applier's reader.

Only headers, keys, statuses and sources are read, never the user's own cells: the openpyxl reader
and the Office add-in fill the same plain structure (`from_dict` takes the add-in's JSON).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.workbook.layout import (
    BASE_COLUMNS,
    DEFAULT_THRESHOLD,
    DOCUMENTS,
    FIELD_THRESHOLDS_FIRST_ROW,
    LINE_ITEMS,
    RUNS,
    TABLES,
    Column,
)


@dataclass
class TableState:
    """One table: where it stands, its headers left to right (the user's too) and, per data row, the
    values of docrelay's key columns (None where a cell is empty)."""

    sheet: str
    table: str
    header_row: int = 1
    first_column: int = 1
    headers: list[str | None] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)  # doc_key per data row
    statuses: list[str | None] = field(default_factory=list)  # Documents only
    sources: list[str | None] = field(default_factory=list)  # Documents only
    reviews: list[str | None] = field(default_factory=list)  # Documents only: review links, if any
    exists: bool = True
    table_bottom: int | None = None  # the table's last row, when rows typed below it were read too

    @property
    def last_row(self) -> int:
        return self.header_row + len(self.keys)

    @property
    def last_column(self) -> int:
        return self.first_column + max(len(self.headers), 1) - 1

    def position(self, header: str) -> int | None:
        """The sheet column of a header, or None."""
        for index, name in enumerate(self.headers):
            if name == header:
                return self.first_column + index
        return None


@dataclass
class WorkbookState:
    """A workbook as the planner sees it. `columns` is the column map of the hidden sheet: per sheet,
    docrelay's columns (key, header, type) in the order they were created."""

    documents: TableState = field(default_factory=lambda: TableState(DOCUMENTS, TABLES[DOCUMENTS]))
    line_items: TableState = field(default_factory=lambda: TableState(LINE_ITEMS, TABLES[LINE_ITEMS]))
    runs: TableState = field(default_factory=lambda: TableState(RUNS, TABLES[RUNS]))
    columns: dict[str, list[Column]] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD
    field_thresholds: dict[str, float] = field(default_factory=dict)
    threshold_fields: list[str] = field(default_factory=list)  # fields listed in Settings
    threshold_next_row: int = FIELD_THRESHOLDS_FIRST_ROW
    settings: dict[str, str] = field(default_factory=dict)  # provider, model, folder as the user left them
    sheets: list[str] = field(default_factory=list)  # the workbook's sheet names
    is_new: bool = False  # nothing there yet: the planner lays the workbook out

    @classmethod
    def empty(cls) -> WorkbookState:
        state = cls(is_new=True)
        for table in (state.documents, state.line_items, state.runs):
            table.exists = False
        return state

    def column_map(self, sheet: str) -> list[Column]:
        return self.columns.get(sheet) or list(BASE_COLUMNS[sheet])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkbookState:
        def table(value: dict[str, Any]) -> TableState:
            return TableState(**value)

        columns = {
            sheet: [Column(**c) for c in listed] for sheet, listed in (data.get("columns") or {}).items()
        }
        rest = {k: v for k, v in data.items() if k not in ("documents", "line_items", "runs", "columns")}
        return cls(
            documents=table(data["documents"]),
            line_items=table(data["line_items"]),
            runs=table(data["runs"]),
            columns=columns,
            **rest,
        )
