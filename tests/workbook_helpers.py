"""Results and workbooks for the Excel bridge tests: synthetic results, reading sheets back with
openpyxl, doing to a workbook what a user does in Excel (move columns, add their own), and LibreOffice."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet.table import TableColumn

from core.models import Cell, DocumentInfo, FieldValue, Result, ResultError

FieldSpec = tuple[str | None, float | None] | tuple[str | None, float | None, str | None]


def make_result(
    source: str,
    fields: dict[str, FieldSpec] | None = None,
    lines: Sequence[dict[str, FieldSpec]] = (),
    *,
    status: str = "succeeded",
    error: str | None = None,
    content: str | None = None,
    pages: int = 1,
) -> Result:
    """A normalized result as a provider gives it; the content hash comes from `content` (default:
    the source), so two sources can share content."""
    sha = hashlib.sha256((content or source).encode()).hexdigest()
    return Result(
        provider="local",
        model="invoice",
        status=status,  # type: ignore[arg-type]
        error=ResultError(type="input_error", message=error) if error else None,
        document=DocumentInfo(source=source, name=Path(source).name, sha256=sha, pages=pages),
        fields={name: _field(spec) for name, spec in (fields or {}).items()},
        tables={
            "line_items": [
                {k: Cell(**_field(v).model_dump(exclude={"candidates"})) for k, v in line.items()}
                for line in lines
            ]
        }
        if lines
        else {},
    )


def _field(spec: FieldSpec) -> FieldValue:
    value, confidence = spec[0], spec[1]
    raw = spec[2] if len(spec) > 2 else value  # type: ignore[misc]
    return FieldValue(value=value, confidence=confidence, raw_value=raw)


INVOICE_FIELDS = ("invoice_number", "invoice_date", "total_amount", "supplier_name")


def invoice(source: str, number: str, total: str, *, confidence: float = 0.95, **kwargs: Any) -> Result:
    return make_result(
        source,
        {
            "invoice_number": (number, confidence),
            "invoice_date": ("2026-03-14", 0.9, "14.03.2026"),
            "total_amount": (total, 0.97, total.replace(".", ",") + " €"),
            "supplier_name": ("Müller GmbH", 0.88),
        },
        kwargs.pop("lines", ()),
        **kwargs,
    )


def line(text: str, amount: str) -> dict[str, FieldSpec]:
    return {"description": (text, 0.9), "amount": (amount, 0.95)}


# -- reading back --------------------------------------------------------------------------------
def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    """A table sheet as one dict per data row, by header (empty rows left out)."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[0]
    out = []
    for row in rows[1:]:
        if any(v is not None for v in row):
            out.append({h: v for h, v in zip(headers, row, strict=False) if h is not None})
    return out


def headers(path: Path, sheet: str) -> list[Any]:
    book = openpyxl.load_workbook(path)
    return [c.value for c in book[sheet][1]]


# -- what a user does in Excel ---------------------------------------------------------------------
def rearrange_documents(
    path: Path, order: Sequence[str], *, extra: dict[str, list[Any]] | None = None
) -> None:
    """Rewrite the Documents table with its columns in `order` (headers; unknown ones are new user
    columns filled from `extra`, formulas allowed), as Excel does when a user drags or inserts columns:
    the table's columns follow the cells."""
    book = openpyxl.load_workbook(path)
    ws = book["Documents"]
    table = ws.tables["Documents"]
    left, top, right, bottom = range_boundaries(table.ref)
    assert left and top and right and bottom
    old = {
        ws.cell(top, c).value: [ws.cell(r, c) for r in range(top + 1, bottom + 1)]
        for c in range(left, right + 1)
    }
    old = {h: [(c.value, c.data_type) for c in cells] for h, cells in old.items()}
    links = {
        r: ws.cell(r, c).hyperlink
        for c in range(left, right + 1)
        for r in range(top + 1, bottom + 1)
        if ws.cell(top, c).value == "source"
    }
    formats = {
        ws.cell(top, c).value: [ws.cell(r, c).number_format for r in range(top + 1, bottom + 1)]
        for c in range(left, right + 1)
    }
    for c in range(left, max(right, left + len(order)) + 1):
        for r in range(top, bottom + 1):
            ws.cell(r, c).value = None
            ws.cell(r, c).hyperlink = None
    for index, header in enumerate(order):
        column = left + index
        ws.cell(top, column).value = header
        values = old.get(header) or [(v, None) for v in (extra or {}).get(header) or []]
        for offset, (value, data_type) in enumerate(values):
            cell = ws.cell(top + 1 + offset, column)
            cell.value = value
            if data_type == "s":  # text stays text when moved, as in Excel
                cell.data_type = "s"
            if header in formats:
                cell.number_format = formats[header][offset]
            if header == "source" and links.get(top + 1 + offset):
                cell.hyperlink = links[top + 1 + offset]
    new_right = left + len(order) - 1
    ref = f"{get_column_letter(left)}{top}:{get_column_letter(new_right)}{bottom}"
    table.ref = ref
    if table.autoFilter is not None:
        table.autoFilter.ref = ref
    ids = {c.name: c.id for c in table.tableColumns}
    next_id = max(ids.values()) + 1
    columns = []
    for header in order:
        if header not in ids:
            ids[header] = next_id
            next_id += 1
        columns.append(TableColumn(id=ids[header], name=header))
    table.tableColumns = columns
    book.save(path)


# -- LibreOffice -------------------------------------------------------------------------------------
def soffice() -> str:
    """The LibreOffice program: scripts/test.sh installs it; a missing one is a failure, not a skip."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise AssertionError(
            "LibreOffice (soffice) is not installed: scripts/test.sh installs libreoffice-calc-nogui"
        )
    return found


def libreoffice_convert(
    book: Path, target_format: str, outdir: Path, profile: Path
) -> subprocess.CompletedProcess[str]:
    outdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(
        [
            soffice(),
            "--headless",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            target_format,
            "--outdir",
            str(outdir),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )


CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def libreoffice_sheets(book: Path, outdir: Path, profile: Path) -> dict[str, list[list[str]]]:
    """Every sheet as LibreOffice reads it (raw values, not as shown), by sheet name."""
    done = libreoffice_convert(book, CSV_ALL_SHEETS, outdir, profile)
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in outdir.glob(f"{book.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem[len(book.stem) + 1 :]] = list(csv.reader(handle))
    assert sheets, f"LibreOffice wrote no sheets for {book.name}: {done.stdout} {done.stderr}"
    return sheets


def render_documents_png(
    book: Path, png: Path, work: Path, profile: Path, *, print_area: str | None = None, dpi: int = 110
) -> Path:
    """The Documents sheet as a PNG, as LibreOffice prints it: landscape, fit to one page wide."""
    copy = work / "render.xlsx"
    loaded = openpyxl.load_workbook(book)
    for sheet in loaded.worksheets:
        if sheet.title != "Documents":
            sheet.sheet_state = "hidden"
    documents = loaded["Documents"]
    documents.page_setup.orientation = "landscape"
    documents.sheet_properties.pageSetUpPr.fitToPage = True
    documents.page_setup.fitToWidth = 1
    documents.page_setup.fitToHeight = 0
    if print_area:
        documents.print_area = print_area
    loaded.save(copy)
    done = libreoffice_convert(copy, "pdf", work / "render", profile)
    assert done.returncode == 0, done.stderr
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is not installed: scripts/test.sh installs poppler-utils"
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(work / "render" / "render.pdf"),
            str(png.with_suffix("")),
        ],
        check=True,
        timeout=120,
    )
    return png
