"""Reading workbooks back in the acceptance suites (openpyxl), as a robot author would check them."""

from __future__ import annotations

from typing import Any

import openpyxl


def read_sheet_rows(path: str, sheet: str) -> list[dict[str, Any]]:
    """The rows of a table sheet as dictionaries by header (empty rows left out)."""
    book = openpyxl.load_workbook(path)
    rows = list(book[sheet].iter_rows(values_only=True))
    headers = rows[0]
    return [
        {h: v for h, v in zip(headers, row, strict=False) if h is not None}
        for row in rows[1:]
        if any(v is not None for v in row)
    ]
