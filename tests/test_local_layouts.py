"""Invoice layouts beyond the committed samples, drawn at test time: the engine must not depend on
the samples' exact wording or positions."""

from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas

from core.models import Result
from core.providers.local import extract_bytes
from tests.local_fixtures import make_pdf, text


def values(result: Result) -> dict[str, str | None]:
    return {key: field.value for key, field in result.fields.items()}


def rows(result: Result) -> list[dict[str, str | None]]:
    return [{key: cell.value for key, cell in row.items()} for row in result.tables["line_items"]]


def one_line_meta(canvas: Canvas) -> None:
    text(canvas, 50, 800, "Blue Ocean Consulting LLC", 14, bold=True)
    text(canvas, 50, 770, "Invoice No: 2026-77       Date: 2026-03-14       Due: 2026-04-13")
    for x, title in ((50, "Item"), (300, "Qty"), (400, "Price"), (500, "Total")):
        text(canvas, x, 700, title, bold=True, right=x > 50)
    for i, (item, qty, price, amount) in enumerate(
        [("Strategy workshop", "1", "1,500.00", "1,500.00"), ("Follow-up calls", "3", "200.00", "600.00")]
    ):
        y = 685 - 14 * i
        text(canvas, 50, y, item)
        for x, cell in ((300, qty), (400, price), (500, amount)):
            text(canvas, x, y, cell, right=True)
    text(canvas, 350, 640, "Tax (10%)")
    text(canvas, 500, 640, "210.00", right=True)
    text(canvas, 350, 626, "Total:", bold=True)
    text(canvas, 500, 626, "EUR 2,310.00", right=True)
    text(canvas, 50, 100, "Bank account: DE89 3704 0044 0532 0130 00")


def test_labels_and_values_sharing_one_line() -> None:
    result = extract_bytes(make_pdf(one_line_meta), "one-line.pdf")
    assert values(result) == {
        "invoice_number": "2026-77",
        "invoice_date": "2026-03-14",
        "due_date": "2026-04-13",
        "total_amount": "2310.00",
        "vat_amount": "210.00",
        "currency": "EUR",
        "supplier_name": "Blue Ocean Consulting LLC",
        "iban": "DE89370400440532013000",
    }
    assert rows(result) == [
        {"description": "Strategy workshop", "quantity": "1", "unit_price": "1500.00", "amount": "1500.00"},
        {"description": "Follow-up calls", "quantity": "3", "unit_price": "200.00", "amount": "600.00"},
    ]
    # "Due:" is a weak label: less sure than a full "Due date:" would be.
    due = result.fields["due_date"].confidence
    assert due is not None and due < 0.8


def german_short(canvas: Canvas) -> None:
    text(canvas, 400, 800, "Rechnung", 18, bold=True)
    text(canvas, 50, 800, "Schmidt & Partner KG", 12, bold=True)
    for i, (label, value) in enumerate(
        [("Rechnungsnr.:", "4711"), ("Datum:", "3. März 2026"), ("Zahlbar bis:", "02.04.2026")]
    ):
        text(canvas, 50, 760 - 14 * i, label)
        text(canvas, 150, 760 - 14 * i, value)
    for x, title in ((50, "Artikel"), (330, "Anzahl"), (430, "Preis"), (540, "Betrag")):
        text(canvas, x, 680, title, bold=True, right=x > 50)
    for i, cells in enumerate(
        [("Beratung", "2", "1.000,00", "2.000,00"), ("Reisekosten", "1", "250,00", "250,00")]
    ):
        text(canvas, 50, 665 - 14 * i, cells[0])
        for x, cell in zip((330, 430, 540), cells[1:], strict=True):
            text(canvas, x, 665 - 14 * i, cell, right=True)
    for i, (label, value) in enumerate(
        [("Summe netto", "2.250,00 EUR"), ("USt. 19%", "427,50 EUR"), ("Rechnungsbetrag", "2.677,50 EUR")]
    ):
        text(canvas, 380, 630 - 14 * i, label)
        text(canvas, 540, 630 - 14 * i, value, right=True)


def test_other_german_wording() -> None:
    result = extract_bytes(make_pdf(german_short), "rechnung.pdf")
    assert values(result) == {
        "invoice_number": "4711",
        "invoice_date": "2026-03-03",
        "due_date": "2026-04-02",
        "total_amount": "2677.50",
        "vat_amount": "427.50",
        "currency": "EUR",
        "supplier_name": "Schmidt & Partner KG",
        "iban": None,
    }
    assert [row["amount"] for row in rows(result)] == ["2000.00", "250.00"]


def glued(canvas: Canvas) -> None:
    text(canvas, 50, 800, "Nordwind Handel AB", 14, bold=True)
    text(canvas, 50, 770, "Invoice No.:SE-88")
    text(canvas, 50, 756, "Invoice date:14/03/2026")
    text(canvas, 50, 742, "Amount due ............ 1 234,50 kr")
    text(canvas, 50, 728, "Visit https://example.com/pay for details")


def test_values_glued_to_labels_and_dotted_leaders() -> None:
    result = extract_bytes(make_pdf(glued), "glued.pdf")
    assert result.fields["invoice_number"].value == "SE-88"
    assert result.fields["invoice_date"].value == "2026-03-14"
    assert result.fields["total_amount"].value == "1234.50"
    assert result.fields["total_amount"].raw_value == "1 234,50 kr"
    assert result.fields["supplier_name"].value == "Nordwind Handel AB"
    assert result.tables["line_items"] == []


def test_no_labels_at_all_gives_low_confidence_guesses() -> None:
    def bare(canvas: Canvas) -> None:
        text(canvas, 50, 800, "Some Shop Ltd", 14, bold=True)
        text(canvas, 50, 770, "14.03.2026")
        text(canvas, 50, 756, "Thank you for shopping with us: 42.50 paid in cash.")

    result = extract_bytes(make_pdf(bare), "bare.pdf")
    date, total = result.fields["invoice_date"], result.fields["total_amount"]
    assert date.value == "2026-03-14" and date.confidence is not None and date.confidence <= 0.35
    assert total.value == "42.50" and total.confidence is not None and total.confidence <= 0.3
    assert result.fields["due_date"].value is None and result.fields["due_date"].confidence is None
