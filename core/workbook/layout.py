"""The workbook docrelay fills: its sheets, tables, columns, statuses and formats (CONTRACT section 7).

Every front end that writes a workbook (`docrelay-excel`, `docrelay batch --xlsx`, the Robot keyword and
the Office add-in) uses this one layout, so a workbook started by one can be carried on by another.
A column is known by its `key` (`doc_key`, `field:total_amount`, `conf:total_amount`); its header is what
the user sees. The hidden sheet keeps key -> header and type, so a run finds its columns wherever the
user moved them, and tells docrelay's columns from the user's own.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1

DOCUMENTS = "Documents"
LINE_ITEMS = "LineItems"
RUNS = "Runs"
SETTINGS = "Settings"
HIDDEN = "_docrelay"
SHEETS = (DOCUMENTS, LINE_ITEMS, RUNS, SETTINGS, HIDDEN)
# Excel table names (no spaces; unique in the workbook).
TABLES = {DOCUMENTS: "Documents", LINE_ITEMS: "LineItems", RUNS: "Runs"}

STATUSES = ("pending", "done", "needs_review", "failed", "rerun")
# Rows a default run sends: no result yet, or the user asked for it.
STATUSES_TO_RUN = ("", "pending", "failed", "rerun")

THRESHOLD_NAME = "confidence_threshold"
FIELD_THRESHOLDS_NAME = "field_thresholds"
DEFAULT_THRESHOLD = 0.8
CONFIDENCE_SUFFIX = " confidence"
LINE_TABLE = "line_items"

# Excel's limits.
MAX_CELL_TEXT = 32_767
MAX_ROW = 1_048_576

# Cell number formats by column type.
FORMATS = {
    "amount": "#,##0.00",
    "number": "General",
    "integer": "0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "confidence": "0.00",
}
LOW_CONFIDENCE_FILL = "FFC7CE"  # Excel's "light red fill" preset
HEADER_FILL = "DDEBF7"

# Types a field may have (from the model) and the column type it gets in the sheet.
FIELD_TYPE_COLUMNS = {
    "amount": "amount",
    "numeric": "number",
    "number": "number",
    "integer": "integer",
    "date": "date",
    "string": "text",
    "digits": "text",  # account numbers and the like keep their leading zeros
    "enum": "text",
    "numeric-string": "text",
}


@dataclass(frozen=True)
class Column:
    """One docrelay-owned column."""

    key: str
    header: str
    type: str  # text, amount, number, integer, date, datetime, confidence, status, link

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "header": self.header, "type": self.type}


DOCUMENT_COLUMNS = (
    Column("source", "source", "link"),
    Column("doc_key", "doc_key", "text"),
    Column("status", "status", "status"),
    Column("error", "error", "text"),
    Column("provider", "provider", "text"),
    Column("model", "model", "text"),
    Column("pages", "pages", "integer"),
    Column("last_run", "last_run", "datetime"),
)
LINE_COLUMNS = (Column("doc_key", "doc_key", "text"), Column("line", "line", "integer"))
RUN_COLUMNS = (
    Column("started", "started", "datetime"),
    Column("finished", "finished", "datetime"),
    Column("provider", "provider", "text"),
    Column("model", "model", "text"),
    Column("documents", "documents", "integer"),
    Column("done", "done", "integer"),
    Column("needs_review", "needs_review", "integer"),
    Column("failed", "failed", "integer"),
    Column("pending", "pending", "integer"),
    Column("from_journal", "from_journal", "integer"),
    Column("docrelay", "docrelay", "text"),
)
BASE_COLUMNS = {DOCUMENTS: DOCUMENT_COLUMNS, LINE_ITEMS: LINE_COLUMNS, RUNS: RUN_COLUMNS}

# Settings sheet: labels in column A, values in column B.
SETTINGS_TITLE_ROW = 1
SETTINGS_ROWS = {THRESHOLD_NAME: 3, "provider": 4, "model": 5, "folder": 6}
# Rows a user may add to the Settings sheet (label in column A, above the field thresholds: rows 2 and 7
# are free in a new workbook), read by label: human review and deletion after use (core.review).
OPTIONAL_SETTINGS = ("review_below", "delete_after")
FIELD_THRESHOLDS_HEADER_ROW = 8
FIELD_THRESHOLDS_FIRST_ROW = 9
FIELD_THRESHOLDS_LAST_ROW = 1000


def value_column(field: str, type_: str, reserved: tuple[str, ...]) -> Column:
    return Column(f"field:{field}", own_header(field, reserved), type_)


def confidence_column(field: str, reserved: tuple[str, ...]) -> Column:
    return Column(f"conf:{field}", own_header(field, reserved) + CONFIDENCE_SUFFIX, "confidence")


def own_header(name: str, reserved: tuple[str, ...]) -> str:
    """A field called like one of docrelay's columns (`status`, `line`...) gets a header of its own."""
    return f"{name} (field)" if name in reserved else name


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(row: int, column: int, *, absolute: bool = False) -> str:
    mark = "$" if absolute else ""
    return f"{mark}{column_letter(column)}{mark}{row}"


def area_ref(top: int, left: int, bottom: int, right: int) -> str:
    return f"{cell_ref(top, left)}:{cell_ref(bottom, right)}"
