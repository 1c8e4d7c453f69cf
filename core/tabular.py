"""Results as tables: one row per document, one row per line item; and CSV files of them.

Shared by `docrelay batch --csv` and the Excel bridge. Rows hold plain values (text, numbers, None);
only `write_csv` escapes text for spreadsheets, so the bridge can type its cells itself.

Document rows: `doc_key`, `source`, `status`, `error`, then per field `<field>` and
`<field> confidence`. Line-item rows: `doc_key`, `line` (1-based), then per column `<column>` and
`<column> confidence`. Columns appear in the order fields are first met across the results.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import UsageError
from core.files import regular_file_target, write_text_atomic
from core.models import Result

DOCUMENT_COLUMNS = ("doc_key", "source", "status", "error")
LINE_COLUMNS = ("doc_key", "line")
CONFIDENCE_SUFFIX = " confidence"
DEFAULT_TABLE = "line_items"

Row = dict[str, Any]

# Spreadsheets run text starting with these as a formula (CSV injection); a plain number is safe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def doc_key(result: Result) -> str:
    """A short, stable key for a document: from its content (SHA-256), else from its source path."""
    if result.document.sha256:
        return result.document.sha256[:16]
    where = result.document.source or result.document.name
    return "src-" + hashlib.sha256(where.encode("utf-8")).hexdigest()[:12]


def document_row(result: Result) -> Row:
    row: Row = {
        "doc_key": doc_key(result),
        "source": result.document.source or result.document.name,
        "status": result.status,
        "error": result.error.message if result.error else None,
    }
    for name, found in result.fields.items():
        column = _own_name(name, DOCUMENT_COLUMNS)
        row[column] = found.value
        row[column + CONFIDENCE_SUFFIX] = found.confidence
    return row


def line_item_rows(result: Result, table: str = DEFAULT_TABLE) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(result.tables.get(table) or [], start=1):
        row: Row = {"doc_key": doc_key(result), "line": number}
        for name, cell in line.items():
            column = _own_name(name, LINE_COLUMNS)
            row[column] = cell.value
            row[column + CONFIDENCE_SUFFIX] = cell.confidence
        rows.append(row)
    return rows


def _own_name(name: str, reserved: Sequence[str]) -> str:
    """A field called like one of our columns (`status`, `line`...) gets a column of its own."""
    return f"{name} (field)" if name in reserved else name


def document_table(results: Iterable[Result]) -> tuple[list[str], list[Row]]:
    """Columns and rows for the documents sheet or CSV."""
    rows = [document_row(r) for r in results]
    return _columns(DOCUMENT_COLUMNS, rows), rows


def line_item_table(results: Iterable[Result], table: str = DEFAULT_TABLE) -> tuple[list[str], list[Row]]:
    """Columns and rows for the line-items sheet or CSV (every document's lines, in order)."""
    rows = [row for r in results for row in line_item_rows(r, table)]
    return _columns(LINE_COLUMNS, rows), rows


def _columns(fixed: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    columns = list(fixed)
    seen = set(columns)
    for row in rows:
        for name in row:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    return columns


# -- CSV ---------------------------------------------------------------------------------------
def csv_cell(value: Any) -> Any:
    """A value as written to CSV: None as empty; text that a spreadsheet would run as a formula gets a
    leading apostrophe (a number such as -12.50 is left alone: it cannot be a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(
    path: str | os.PathLike[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> Path:
    """Write rows atomically as UTF-8 CSV with a byte-order mark (so Excel reads the accents right)."""
    target = check_csv_target(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    try:
        write_text_atomic(target, buffer.getvalue(), newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    return target


def check_csv_target(path: str | os.PathLike[str]) -> Path:
    """The CSV path, or a UsageError when it is a folder or its folder does not exist."""
    target = Path(path).expanduser()
    try:
        is_folder, folder_exists = target.is_dir(), target.parent.is_dir()
        if not is_folder:
            regular_file_target(target)  # a pipe or device must not be replaced by a CSV file
            regular_file_target(line_items_path(target))
    except OSError as exc:  # e.g. a name longer than the file system allows, or a device
        raise _cannot_write(target, exc) from None
    if is_folder:
        raise UsageError(f"The CSV path {target} is a folder", hint="Give a file name, e.g. results.csv.")
    if not folder_exists:
        raise UsageError(
            f"Cannot write {target}: the folder {target.parent} does not exist",
            hint="Create the folder first or choose another path.",
        )
    return target


def _cannot_write(target: Path, exc: OSError) -> UsageError:
    return UsageError(
        f"Cannot write {target}: {exc.strerror or exc}",
        hint="Choose a path in a folder you can write to, and close the file if a spreadsheet has it open.",
    )


def line_items_path(path: str | os.PathLike[str]) -> Path:
    """Where the line items go beside a documents CSV: `out.csv` -> `out.line_items.csv`."""
    target = Path(path).expanduser()
    suffix = target.suffix or ".csv"
    return target.with_name(f"{target.stem}.line_items{suffix}")


def write_results_csv(
    results: Sequence[Result], path: str | os.PathLike[str], *, table: str = DEFAULT_TABLE
) -> tuple[Path, Path]:
    """The documents CSV at `path` and the line-items CSV beside it; returns both paths."""
    columns, rows = document_table(results)
    documents = write_csv(path, columns, rows)
    line_columns, line_rows = line_item_table(results, table)
    lines = write_csv(line_items_path(path), line_columns, line_rows)
    return documents, lines
