"""Workbooks written, then read back with openpyxl: upserts, the user's columns, line items, text that
must stay text, thresholds, hyperlinks, the open workbook and the ones docrelay must not rewrite."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from core.errors import InputError
from core.tabular import doc_key
from core.workbook.layout import MAX_CELL_TEXT
from core.workbook.xlsx import create_workbook, write_results
from core.workbook.xlsx.files import owner_files
from tests.workbook_helpers import headers, invoice, line, rearrange_documents, sheet_rows

NOW = datetime(2026, 12, 2, 9, 0)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "invoices.xlsx"
    write_results(path, [invoice("in/a.pdf", "A-1", "10.00"), invoice("in/b.pdf", "B-1", "20.00")], now=NOW)
    return path


def test_a_rerun_upserts_by_doc_key_without_duplicates(book: Path) -> None:
    write_results(book, [invoice("in/b.pdf", "B-2", "21.00"), invoice("in/c.pdf", "C-1", "30.00")], now=NOW)
    write_results(book, [invoice("elsewhere/b-copy.pdf", "B-3", "22.00", content="in/b.pdf")], now=NOW)
    rows = sheet_rows(book, "Documents")
    assert [r["source"] for r in rows] == ["in/a.pdf", "in/b.pdf", "in/c.pdf"]
    assert [r["invoice_number"] for r in rows] == ["A-1", "B-3", "C-1"]
    assert len({r["doc_key"] for r in rows}) == 3


def test_the_users_formula_and_inserted_columns_are_kept(book: Path) -> None:
    order = headers(book, "Documents")
    order.insert(order.index("total_amount"), "approver")  # between docrelay's columns
    order.append("net")
    rearrange_documents(book, order, extra={"approver": ["Ann", "Bob"], "net": ["=M2/1.25", "=M3/1.25"]})
    before = openpyxl.load_workbook(book)["Documents"]
    net_column = order.index("net") + 1
    write_results(book, [invoice("in/a.pdf", "A-9", "99.00"), invoice("in/d.pdf", "D-1", "5.00")], now=NOW)
    after = openpyxl.load_workbook(book)["Documents"]
    assert [c.value for c in after[1]][: len(order)] == order
    assert [after.cell(r, order.index("approver") + 1).value for r in (2, 3)] == ["Ann", "Bob"]
    assert (
        [after.cell(r, net_column).value for r in (2, 3)]
        == [
            before.cell(2, net_column).value,
            before.cell(3, net_column).value,
        ]
        == ["=M2/1.25", "=M3/1.25"]
    )
    rows = sheet_rows(book, "Documents")
    assert rows[0]["invoice_number"] == "A-9" and rows[0]["total_amount"] == 99.0
    assert rows[2]["source"] == "in/d.pdf" and rows[2]["approver"] is None
    table = after.tables["Documents"]
    assert [c.name for c in table.tableColumns] == order  # the table's columns match its header cells


def test_docrelays_columns_are_found_after_the_user_reordered_them(book: Path) -> None:
    order = headers(book, "Documents")
    order.reverse()
    rearrange_documents(book, order)
    write_results(book, [invoice("in/b.pdf", "B-7", "70.00")], now=NOW)
    assert headers(book, "Documents") == order
    rows = sheet_rows(book, "Documents")
    assert [r["invoice_number"] for r in rows] == ["A-1", "B-7"]
    assert rows[1]["total_amount"] == 70.0 and rows[1]["status"] == "done"


def test_a_documents_line_items_are_replaced_as_a_block(tmp_path: Path) -> None:
    path = tmp_path / "lines.xlsx"
    a = invoice("a.pdf", "A", "3.00", lines=[line("a1", "1.00"), line("a2", "2.00")])
    b = invoice("b.pdf", "B", "1.00", lines=[line("b1", "1.00")])
    write_results(path, [a, b], now=NOW)
    a2 = invoice("a.pdf", "A", "6.00", lines=[line("A1", "1.00"), line("A2", "2.00"), line("A3", "3.00")])
    write_results(path, [a2], now=NOW)
    rows = sheet_rows(path, "LineItems")
    assert [(r["doc_key"], r["line"], r["description"]) for r in rows] == [
        (doc_key(b), 1, "b1"),
        (doc_key(a2), 1, "A1"),
        (doc_key(a2), 2, "A2"),
        (doc_key(a2), 3, "A3"),
    ]
    assert openpyxl.load_workbook(path)["LineItems"].tables["LineItems"].ref == "A1:F5"
    write_results(path, [invoice("b.pdf", "B", "1.00", lines=[line("B1", "9.50")])], now=NOW)
    rows = sheet_rows(path, "LineItems")
    assert [r["description"] for r in rows] == ["B1", "A1", "A2", "A3"]  # same count: in place
    assert rows[0]["amount"] == 9.5


def test_extracted_text_stays_text_never_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "inject.xlsx"
    attacks = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]
    results = [invoice(f"{n}.pdf", attack, "1.00") for n, attack in enumerate(attacks)]
    write_results(path, results, now=NOW)
    sheet = openpyxl.load_workbook(path)["Documents"]
    column = headers(path, "Documents").index("invoice_number") + 1
    cells = [sheet.cell(row, column) for row in range(2, 2 + len(attacks))]
    assert [c.value for c in cells] == attacks
    assert all(c.data_type == "s" for c in cells)
    with zipfile.ZipFile(path) as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()


def test_text_longer_than_a_cell_holds_is_cut_and_the_row_says_so(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    write_results(path, [invoice("long.pdf", "L" * 40_000, "1.00")], now=NOW)
    (row,) = sheet_rows(path, "Documents")
    assert len(row["invoice_number"]) == MAX_CELL_TEXT
    assert "32,767" in row["error"]


def test_low_confidence_is_highlighted_by_a_rule_on_the_named_threshold(book: Path) -> None:
    loaded = openpyxl.load_workbook(book)
    sheet = loaded["Documents"]
    formulas = [rule.formula[0] for rules in sheet.conditional_formatting for rule in rules.rules]
    assert any("confidence_threshold" in f and "field_thresholds" in f for f in formulas)
    threshold = loaded.defined_names["confidence_threshold"]
    assert threshold.attr_text == "Settings!$B$3"
    assert loaded["Settings"]["B3"].value == 0.8
    listed = [loaded["Settings"].cell(r, 1).value for r in range(9, 13)]
    assert listed == ["invoice_number", "invoice_date", "total_amount", "supplier_name"]


def test_the_status_follows_the_thresholds_in_settings(book: Path) -> None:
    loaded = openpyxl.load_workbook(book)
    loaded["Settings"]["B3"] = 0.99  # the default threshold
    loaded["Settings"]["B9"] = 0.5  # invoice_number's own threshold
    loaded.save(book)
    write_results(book, [invoice("in/a.pdf", "A-1", "10.00")], now=NOW)
    assert sheet_rows(book, "Documents")[0]["status"] == "needs_review"  # 0.97 < 0.99 for total_amount


def test_sources_are_real_hyperlinks_and_statuses_a_drop_down(book: Path) -> None:
    sheet = openpyxl.load_workbook(book)["Documents"]
    assert sheet["A2"].hyperlink.target == "in/a.pdf"
    assert sheet["A2"].value == "in/a.pdf"
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list" and "needs_review" in validation.formula1
    assert str(validation.sqref).startswith("C2:C")


def test_amounts_and_dates_are_numbers_with_formats(book: Path) -> None:
    sheet = openpyxl.load_workbook(book)["Documents"]
    names = headers(book, "Documents")
    total = sheet.cell(2, names.index("total_amount") + 1)
    date = sheet.cell(2, names.index("invoice_date") + 1)
    assert total.value == 10.0 and total.number_format == "#,##0.00"
    assert date.value == datetime(2026, 3, 14) and date.number_format == "yyyy-mm-dd"


def test_an_open_workbook_gets_a_results_file_beside_it_and_stays_untouched(book: Path) -> None:
    owner = owner_files(book)[0]
    owner.write_bytes(b"Excel")
    before = book.read_bytes()
    outcome = write_results(book, [invoice("in/e.pdf", "E-1", "50.00")], now=NOW)
    assert book.read_bytes() == before
    assert not outcome.updated and "open in Excel" in (outcome.reason or "")
    assert outcome.written_to.name == "invoices.results-20261202-090000.xlsx"
    rows = sheet_rows(outcome.written_to, "Documents")
    assert [r["invoice_number"] for r in rows] == ["E-1"]
    assert "total_amount confidence" in rows[0]
    owner.unlink()
    write_results(book, [invoice("in/e.pdf", "E-1", "50.00")], now=NOW)
    assert [r["source"] for r in sheet_rows(book, "Documents")] == ["in/a.pdf", "in/b.pdf", "in/e.pdf"]


def test_excels_owner_file_for_a_long_name_replaces_its_first_two_characters(tmp_path: Path) -> None:
    assert {p.name for p in owner_files(tmp_path / "Invoices.xlsx")} == {"~$Invoices.xlsx", "~$voices.xlsx"}


def test_a_save_keeps_one_backup_and_leaves_no_temporary_file(book: Path) -> None:
    before = book.read_bytes()
    write_results(book, [invoice("in/f.pdf", "F-1", "1.00")], now=NOW)
    assert book.with_name(book.name + ".bak").read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == ["invoices.xlsx", "invoices.xlsx.bak"]


def _add_part(book: Path, name: str, data: bytes, *, replace: str | None = None) -> None:
    """Add (or rewrite) a part of the package, as Excel does when the user adds shapes and the like."""
    with zipfile.ZipFile(book) as package:
        parts = {n: package.read(n) for n in package.namelist()}
    if replace:
        parts[replace] = parts[replace].replace(b"</worksheet>", data + b"</worksheet>")
    else:
        parts[name] = data
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as package:
        for part, content in parts.items():
            package.writestr(part, content)


def x14(inner: bytes) -> bytes:
    """A worksheet extension as Excel 2010+ writes it."""
    return (
        b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
        b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        + inner
        + b"</ext></extLst>"
    )


@pytest.mark.parametrize(
    ("part", "data", "replace", "named"),
    [
        (
            "xl/drawings/drawing9.xml",
            b'<xdr:wsDr xmlns:xdr="x"><xdr:sp><x/></xdr:sp></xdr:wsDr>',
            None,
            "shapes",
        ),
        ("", x14(b'<x14:dataBar minLength="0"/>'), "xl/worksheets/sheet1.xml", "data bars"),
        ("", x14(b"<x14:sparklineGroups/>"), "xl/worksheets/sheet1.xml", "sparklines"),
        ("xl/slicers/slicer1.xml", b"<slicers/>", None, "slicers"),
        ("xl/webextensions/webextension1.xml", b"<we:webextension/>", None, "task pane"),
        ("xl/vbaProject.bin", b"\x00macro", None, "macros"),
        ("customXml/item1.xml", "<DataMashup/>".encode("utf-16-le"), None, "Power Query"),
    ],
)
def test_a_workbook_with_parts_openpyxl_would_drop_is_never_rewritten(
    book: Path, part: str, data: bytes, replace: str | None, named: str
) -> None:
    if part.startswith("customXml"):
        data = b"<DataMashup/>"
    _add_part(book, part, data, replace=replace)
    before = book.read_bytes()
    outcome = write_results(book, [invoice("in/g.pdf", "G-1", "1.00")], now=NOW)
    assert book.read_bytes() == before
    assert not outcome.updated and named in (outcome.reason or "")
    assert [r["invoice_number"] for r in sheet_rows(outcome.written_to, "Documents")] == ["G-1"]


def test_a_missing_or_renamed_documents_sheet_says_what_is_expected(book: Path) -> None:
    loaded = openpyxl.load_workbook(book)
    loaded["Documents"].title = "Invoices"
    loaded.save(book)
    with pytest.raises(InputError) as caught:
        write_results(book, [invoice("in/a.pdf", "A", "1.00")], now=NOW)
    message = caught.value.full_message
    assert "no sheet named 'Documents'" in message and "Invoices" in message
    assert "source" in message and "docrelay-excel new" in message


def test_a_new_workbook_has_the_models_columns_in_its_order(tmp_path: Path) -> None:
    from core.workbook.planner import FieldDef

    path = tmp_path / "new.xlsx"
    create_workbook(
        path,
        fields=[FieldDef("total", "amount"), FieldDef("date", "date")],
        settings={"provider": "local", "model": "invoice", "folder": "in"},
    )
    loaded = openpyxl.load_workbook(path)
    assert loaded.sheetnames == ["Documents", "LineItems", "Runs", "Settings", "_docrelay"]
    assert loaded["_docrelay"].sheet_state == "hidden"
    assert headers(path, "Documents")[8:] == ["total", "total confidence", "date", "date confidence"]
    assert [loaded["Settings"].cell(r, 2).value for r in (4, 5, 6)] == ["local", "invoice", "in"]
    with pytest.raises(Exception, match="already exists"):
        create_workbook(path)
