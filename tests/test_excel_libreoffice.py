"""A real spreadsheet application opens every kind of workbook docrelay writes: LibreOffice headless
(installed by scripts/test.sh; missing, it is a failure, not a skip) reads each one back, the values are
the ones written, and it converts them to xlsx and PDF. The Documents sheet is rendered to PNG once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from core.workbook.planner import FieldDef
from core.workbook.xlsx import create_workbook, write_results
from core.workbook.xlsx.files import owner_files
from tests.workbook_helpers import (
    headers,
    invoice,
    libreoffice_convert,
    libreoffice_sheets,
    line,
    rearrange_documents,
    render_documents_png,
    sheet_rows,
)

NOW = datetime(2026, 12, 2, 9, 0)


def _new(path: Path) -> Path:
    create_workbook(path, fields=[FieldDef("invoice_number", "string"), FieldDef("total_amount", "amount")])
    return path


def _filled(path: Path) -> Path:
    results = [
        invoice("in/a.pdf", "A-1", "1234.56", lines=[line("Chair", "1000.00"), line("Desk", "234.56")]),
        invoice("in/b.pdf", "=1+1", "27.80", confidence=0.4),
        invoice("in/c.pdf", "C-1", "5.00", status="failed", error="The file in/c.pdf is damaged"),
    ]
    write_results(path, results, now=NOW)
    return path


def _rearranged(path: Path) -> Path:
    _filled(path)
    order = headers(path, "Documents")
    order.insert(3, "approver")
    order.append("net")
    rearrange_documents(path, order, extra={"approver": ["Ann"], "net": ["=1+2"]})
    write_results(path, [invoice("in/d.pdf", "D-1", "9.99", lines=[line("Pen", "9.99")])], now=NOW)
    return path


def _results_file(path: Path) -> Path:
    _filled(path)
    owner_files(path)[0].write_bytes(b"owner")
    outcome = write_results(path, [invoice("in/e.pdf", "E-1", "1.00")], now=NOW)
    return outcome.written_to


KINDS: dict[str, Callable[[Path], Path]] = {
    "new": _new,
    "filled": _filled,
    "user columns and reordered": _rearranged,
    "results file of an open workbook": _results_file,
}


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S")
            if value.time() != datetime.min.time()
            else value.strftime("%Y-%m-%d")
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.parametrize("kind", list(KINDS))
def test_libreoffice_reads_back_the_values_written(tmp_path: Path, profile: Path, kind: str) -> None:
    book = KINDS[kind](tmp_path / "book.xlsx")
    sheets = libreoffice_sheets(book, tmp_path / "csv", profile)
    assert {"Documents", "LineItems", "Runs", "Settings"} <= set(sheets)
    for sheet in ("Documents", "LineItems"):
        written = sheet_rows(book, sheet)
        read = sheets[sheet]
        header = read[0]
        assert header[: len(headers(book, sheet))] == [h or "" for h in headers(book, sheet)]
        rows = [dict(zip(header, values, strict=False)) for values in read[1:] if any(values)]
        assert len(rows) == len(written)
        for mine, theirs in zip(written, rows, strict=True):
            for name, value in mine.items():
                if isinstance(value, str) and value.startswith("=") and name == "net":
                    continue  # the user's formula: LibreOffice shows its result
                expected = _as_text(value)
                if isinstance(value, float):
                    assert float(theirs[name]) == pytest.approx(value), name
                else:
                    assert theirs[name] == expected, (name, theirs[name], expected)


@pytest.mark.parametrize("kind", list(KINDS))
def test_libreoffice_converts_it_to_xlsx_and_pdf(tmp_path: Path, profile: Path, kind: str) -> None:
    book = KINDS[kind](tmp_path / "book.xlsx")
    converted = libreoffice_convert(book, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out", profile)
    assert converted.returncode == 0, converted.stderr
    again = openpyxl.load_workbook(tmp_path / "out" / f"{book.stem}.xlsx")
    assert "Documents" in again.sheetnames
    pdf = libreoffice_convert(book, "pdf", tmp_path / "pdf", profile)
    assert pdf.returncode == 0 and (tmp_path / "pdf" / f"{book.stem}.pdf").stat().st_size > 1000


def test_the_documents_sheet_renders_to_png(tmp_path: Path, profile: Path) -> None:
    book = _filled(tmp_path / "book.xlsx")
    png = render_documents_png(book, tmp_path / "documents.png", tmp_path, profile)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
