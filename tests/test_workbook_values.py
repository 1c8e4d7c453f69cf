"""Extracted values as cells: numbers in the document's own convention, dates as dates, text as text."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.workbook.layout import MAX_CELL_TEXT
from core.workbook.values import (
    decimal_mark,
    excel_serial,
    infer_type,
    number_from,
    parse_number,
    text_cell,
    typed_cell,
)


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1.234,56", None, 1234.56),
        ("1,234.56", None, 1234.56),
        ("27,80", None, 27.8),
        ("27.80", None, 27.8),
        ("1 234,56 €", None, 1234.56),
        ("1\u202f234,56", None, 1234.56),
        ("EUR 1.234.567,89", None, 1234567.89),
        ("$1,234,567", None, 1234567.0),
        ("1'234.50", None, 1234.5),
        ("-12,50", None, -12.5),
        ("(12.50)", None, -12.5),
        ("12.50-", None, -12.5),
        ("1,234", None, 1234.0),  # no convention known: a lone mark before three digits groups
        ("1,234", ",", 1.234),  # ... unless the document writes decimals with a comma
        ("1.234", ",", 1234.0),
        ("1.234", ".", 1.234),
        ("0,5", None, 0.5),
        ("42", None, 42.0),
        ("", None, None),
        ("n/a", None, None),
        ("12-34", None, None),
        ("1.2.3,4,5", None, None),
    ],
)
def test_numbers_are_read_in_the_documents_own_convention(
    text: str, mark: str | None, expected: float | None
) -> None:
    assert parse_number(text, mark) == expected


def test_the_decimal_mark_is_judged_from_the_documents_numbers() -> None:
    assert decimal_mark(["859,06 €", "137,16 €", "INV-7"]) == ","
    assert decimal_mark(["1,234.56", "12.00"]) == "."
    assert decimal_mark(["1.234.567"]) == ","
    assert decimal_mark(["INV-7", None, "2026"]) is None


def test_a_normalized_value_is_trusted_and_a_raw_one_read_in_the_documents_convention() -> None:
    assert number_from("859.06", "859,06 €", ",") == 859.06
    assert number_from("1.234", None, ",") == 1234.0  # not normalized: the document writes 1.234 for 1234
    assert number_from("27,80", "27,80", ",") == 27.8  # never 2780


def test_cells_get_the_type_of_their_column() -> None:
    assert typed_cell("1836.60", "£1,836.60", "amount", ".") == (1836.6, False)
    assert typed_cell("1.234,56", None, "amount", None) == (1234.56, False)
    assert typed_cell("about 12", None, "amount", None) == ("about 12", False)  # raw text kept
    assert typed_cell("4", "4", "number", None) == (4, False)
    assert typed_cell("2026-03-14", "14.03.2026", "date", ",") == (excel_serial(date(2026, 3, 14)), False)
    assert typed_cell("14/03/2026", None, "date", None) == ("14/03/2026", False)
    assert typed_cell("0042", None, "text", None) == ("0042", False)
    assert typed_cell(None, None, "amount", None) == (None, False)


def test_excel_serials_match_excels_calendar() -> None:
    assert excel_serial(date(1900, 3, 1)) == 61.0
    assert excel_serial(date(2026, 3, 14)) == 46095.0
    assert excel_serial(datetime(2026, 3, 14, 12, 0)) == 46095.5


def test_types_are_inferred_only_from_unmistakable_values() -> None:
    assert infer_type("2026-03-14") == "date"
    assert infer_type("1836.60") == "amount"
    assert infer_type("0042") == "text"
    assert infer_type("10458") == "text"  # an id, not a number
    assert infer_type(None) == ""


def test_text_longer_than_excel_allows_is_cut_and_flagged() -> None:
    value, cut = text_cell("x" * (MAX_CELL_TEXT + 10))
    assert cut and len(value) == MAX_CELL_TEXT and value.endswith("…")
    assert text_cell("short") == ("short", False)


def test_source_cells_name_files_relative_to_the_workbook_absolute_or_on_a_share() -> None:
    from pathlib import Path, PureWindowsPath

    from core.workbook.run import resolve_source

    base = Path("/books")
    assert resolve_source("invoices/a.pdf", base, windows=False) == Path("/books/invoices/a.pdf")
    assert resolve_source("invoices\\a.pdf", base, windows=False) == Path("/books/invoices/a.pdf")
    assert resolve_source(' "/scans/a.pdf" ', base, windows=False) == Path("/scans/a.pdf")
    assert resolve_source("file:///scans/a%20b.pdf", base, windows=False) == Path("/scans/a b.pdf")
    unc = resolve_source(r"\\server\share\a.pdf", base, windows=True)
    assert str(unc).replace("/", "\\").startswith("\\\\server\\share")
    assert PureWindowsPath(str(resolve_source("C:\\Scans\\a.pdf", base, windows=True))).drive == "C:"
