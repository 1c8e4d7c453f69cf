"""The kinds of error the held-back set of real invoices showed (issue 14), each on a small invoice
made for the purpose: the rule must hold for the kind, not only for the document it was seen in."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.checks import with_arithmetic_checks
from core.models import Result
from core.providers.local import extract_bytes
from tests.local_fixtures import make_pdf, text

Line = tuple[float, float, str]  # x, y (points from the bottom), text


def invoice(*lines: Line, title: str = "Muster Handel GmbH") -> Result:
    def draw(canvas: object) -> None:
        text(canvas, 50, 800, title, 16, bold=True)  # type: ignore[arg-type]
        for x, y, value in lines:
            text(canvas, x, y, value)  # type: ignore[arg-type]

    return with_arithmetic_checks(extract_bytes(make_pdf(draw), "kind.pdf"))


def value(result: Result, field: str) -> str | None:
    return result.fields[field].value


CASES: list[tuple[str, Callable[[], Result], str, str | None]] = [
    # VAT: unknown labels, and a rate or base taken as the VAT
    (
        "Summe Umsatzsteuer",
        lambda: invoice((50, 700, "Summe Umsatzsteuer 21,31"), (50, 685, "Gesamtbetrag 133,46")),
        "vat_amount",
        "21.31",
    ),
    (
        "Steuerbetrag",
        lambda: invoice((50, 700, "Steuerbetrag in EUR 1,18"), (50, 685, "Bruttosumme 18,08")),
        "vat_amount",
        "1.18",
    ),
    (
        "tax on a base",
        lambda: invoice((50, 700, "Tax 15% on $ 112.90 $ 16.94"), (50, 685, "Total $ 129.84")),
        "vat_amount",
        "16.94",
    ),
    (
        "rate is not VAT",
        lambda: invoice(
            (50, 700, "Netto 87,39 EUR"), (50, 685, "USt. (19 %) 16,61 EUR"), (50, 670, "Brutto 104,00 EUR")
        ),
        "vat_amount",
        "16.61",
    ),
    # invoice number: other identifiers, a glued n°, Beleg-Nr, a label above its value
    (
        "customer number is not it",
        lambda: invoice((50, 700, "Kundennummer: 47774"), (50, 685, "Rechnungsnr. 30064443")),
        "invoice_number",
        "30064443",
    ),
    (
        "glued n°",
        lambda: invoice((50, 700, "Facture n°562044387 du 02 Juillet 2015")),
        "invoice_number",
        "562044387",
    ),
    (
        "Beleg-Nr",
        lambda: invoice((50, 700, "Beleg-Nr : R87654321012345"), (50, 685, "Beleg-Datum : 06.08.2013")),
        "invoice_number",
        "R87654321012345",
    ),
    (
        "label above value",
        lambda: invoice(
            (50, 700, "Invoice number"), (200, 700, "Date"), (50, 686, "INV-77"), (200, 686, "14.03.2026")
        ),
        "invoice_number",
        "INV-77",
    ),
    # supplier: label leftovers, a legal form alone, the customer's block
    (
        "Sold By",
        lambda: invoice((50, 700, "Sold By : WS Retail Services Pvt. Ltd."), title="INVOICE"),
        "supplier_name",
        "WS Retail Services Pvt. Ltd.",
    ),
    (
        "label word in the name",
        lambda: invoice((50, 700, "Lieferant GmbH"), (50, 685, "Rechnungsnummer 471102"), title="RECHNUNG"),
        "supplier_name",
        "Lieferant GmbH",
    ),
    (
        "capital clause",
        lambda: invoice((50, 100, "Free SAS au capital de 3.441.812 Euros"), title="Facture"),
        "supplier_name",
        "Free SAS",
    ),
    # dates
    (
        "month day , year",
        lambda: invoice((50, 700, "Invoice Date: August 3 , 2014")),
        "invoice_date",
        "2014-08-03",
    ),
    (
        "French month",
        lambda: invoice((50, 700, "Facture n° 12 du 02 Juillet 2015")),
        "invoice_date",
        "2015-07-02",
    ),
    ("German month", lambda: invoice((50, 700, "Rechnungsdatum 7. Mai 2014")), "invoice_date", "2014-05-07"),
    (
        "printed date is not the invoice date",
        lambda: invoice((50, 720, "2019-01-25"), (50, 700, "Rechnung # RE-507 von 21.01.2019")),
        "invoice_date",
        "2019-01-21",
    ),
    (
        "due date in prose",
        lambda: invoice(
            (50, 700, "Rechnungsdatum 05.03.2013"),
            (50, 685, "Zahlbar innerhalb 30 Tagen netto bis 04.04.2013, 3% Skonto bis 15.03.2013"),
        ),
        "due_date",
        "2013-04-04",
    ),
    # totals
    (
        "a quantity with a unit",
        lambda: invoice(
            (50, 700, "2 SFK5 5,000 kg 5,50 27,50"), (50, 685, "Rechnungssumme Brutto (inkl. USt.) 29,43")
        ),
        "total_amount",
        "29.43",
    ),
    (
        "gross total over a line amount",
        lambda: invoice(
            (50, 700, "Rechnungssumme Netto (excl. USt.) 198,00"),
            (50, 685, "Rechnungssumme Brutto (inkl. USt.) 235,62"),
        ),
        "total_amount",
        "235.62",
    ),
    ("amount without decimals", lambda: invoice((50, 700, "Grand Total Rs 1939")), "total_amount", "1939.00"),
    (
        "credit note sign",
        lambda: invoice(
            (50, 700, "Total HT -218,48 €"),
            (50, 685, "Total taxes -14,99 €"),
            (50, 670, "Total TTC -233,47 €"),
        ),
        "total_amount",
        "-233.47",
    ),
]


@pytest.mark.parametrize(("kind", "make", "field", "expected"), CASES, ids=[c[0] for c in CASES])
def test_kind(kind: str, make: Callable[[], Result], field: str, expected: str | None) -> None:
    result = make()
    assert value(result, field) == expected, (kind, result.fields[field], result.raw["notes"].get(field))


def test_a_vat_printed_only_per_rate_is_summed() -> None:
    result = invoice(
        (50, 700, "Rechnungssumme Netto (excl. USt.) 473,00"),
        (50, 685, "Steuerbasisbetrag USt. 7% 275,00 19,25"),
        (50, 670, "Steuerbasisbetrag USt. 19% 198,00 37,62"),
        (50, 655, "Rechnungssumme Brutto (inkl. USt.) 529,87"),
    )
    assert value(result, "vat_amount") == "56.87"
    assert "sum of the VAT printed per rate" in result.raw["notes"]["vat_amount"]


def test_a_total_that_breaks_the_sums_is_not_trusted() -> None:
    result = invoice(
        (50, 700, "Subtotal 100.00"), (50, 685, "VAT 20.00"), (50, 670, "Total 150.00"), title="Acme Ltd"
    )
    total = result.fields["total_amount"]
    assert total.value == "150.00" and total.confidence is not None and total.confidence < 0.9
    assert (
        "total does not add up with the net amount or the line items" in result.raw["notes"]["total_amount"]
    )
    sound = invoice(
        (50, 700, "Subtotal 100.00"), (50, 685, "VAT 20.00"), (50, 670, "Total 120.00"), title="Acme Ltd"
    )
    assert (sound.fields["total_amount"].confidence or 0) >= 0.9
    assert "total = net + VAT" in sound.raw["notes"]["total_amount"]
