"""Write the sample invoices (PDF with a text layer) and their expected values.

    python samples/make_samples.py [OUTPUT_DIR]      (default: the folder of this script)

Each invoice NAME.pdf gets NAME.expected.json with every field of the built-in `invoice` model and
its line items, computed from the same data the PDF is drawn from. Output is byte-for-byte
reproducible (reportlab's invariant mode: no timestamps, fixed document ids).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

CENT = Decimal("0.01")


def money(value: Decimal, style: str) -> str:
    """1234.5 -> '1,234.50' (en), '1.234,50' (de, nl), '1 234,50' (fr, no)."""
    text = f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"  # 1,234.50
    if style == "en":
        return text
    whole, cents = text.split(".")
    separator = "." if style in ("de", "nl") else " "
    return whole.replace(",", separator) + "," + cents


def quantity_text(value: Decimal, style: str) -> str:
    text = f"{value.normalize():f}"
    return text if style == "en" else text.replace(".", ",")


@dataclass
class Item:
    description: str
    quantity: Decimal
    unit_price: Decimal
    extra: list[str] = field(default_factory=list)  # other columns (SKU, unit...)
    wrapped: str | None = None  # a second description line

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def full_description(self) -> str:
        return f"{self.description} {self.wrapped}" if self.wrapped else self.description


def item(description: str, quantity: str, unit_price: str, *extra: str, wrapped: str | None = None) -> Item:
    return Item(description, Decimal(quantity), Decimal(unit_price), list(extra), wrapped)


@dataclass
class Invoice:
    name: str
    fields: dict[str, str | None]
    items: list[Item]

    @property
    def subtotal(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal(0))

    def expected(self) -> dict[str, Any]:
        return {
            "fields": self.fields,
            "tables": {
                "line_items": [
                    {
                        "description": i.full_description,
                        "quantity": f"{i.quantity.normalize():f}",
                        "unit_price": str(i.unit_price.quantize(CENT)),
                        "amount": str(i.amount),
                    }
                    for i in self.items
                ]
            },
        }


def vat_of(net: Decimal, rate: str) -> Decimal:
    return (net * Decimal(rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


class Page:
    """A thin drawing helper around a reportlab canvas."""

    def __init__(self, path: Path, size: tuple[float, float] = A4) -> None:
        self.canvas = Canvas(str(path), pagesize=size, invariant=1, pageCompression=1)
        self.canvas.setAuthor("docrelay samples")
        self.canvas.setTitle(path.stem)
        self.width, self.height = size

    def text(
        self, x: float, y: float, text: str, size: float = 9, bold: bool = False, align: str = "l"
    ) -> None:
        self.canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        draw = {
            "l": self.canvas.drawString,
            "r": self.canvas.drawRightString,
            "c": self.canvas.drawCentredString,
        }
        draw[align](x, y, text)

    def rule(self, x1: float, y: float, x2: float, width: float = 0.5) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x1, y, x2, y)

    def box(self, x: float, y: float, w: float, h: float) -> None:
        self.canvas.setLineWidth(0.5)
        self.canvas.rect(x, y, w, h)

    def next_page(self) -> None:
        self.canvas.showPage()

    def save(self) -> None:
        self.canvas.showPage()
        self.canvas.save()


# A table column: header text, x, alignment, and the cell text of an item.
Column = tuple[str, float, str, Callable[[Item], str]]


def draw_header(page: Page, columns: list[Column], y: float, x1: float = 50, x2: float = 545) -> None:
    for title, x, align, _ in columns:
        page.text(x, y, title, bold=True, align=align)
    page.rule(x1, y - 4, x2)


def draw_row(page: Page, columns: list[Column], row: Item, y: float, step: float = 14) -> float:
    for _, x, align, cell in columns:
        page.text(x, y, cell(row), align=align)
    if row.wrapped:
        y -= step - 3
        x = next(x for _, x, _, cell in columns if cell(row) == row.description)
        page.text(x, y, row.wrapped)
    return y - step


# -- the invoices ------------------------------------------------------------------------------


def acme_en(out: Path) -> Invoice:
    """Simple one-page English invoice (the README quick start): labels left, values right."""
    items = [
        item("Office chair, ergonomic", "4", "145.00"),
        item("Standing desk 160 x 80 cm", "2", "389.50"),
        item("Cable management kit", "6", "12.75"),
        item("Delivery and installation", "1", "95.00"),
    ]
    inv = Invoice("invoice", {}, items)
    vat = vat_of(inv.subtotal, "20")
    total = inv.subtotal + vat
    inv.fields = {
        "invoice_number": "INV-2026-0042",
        "invoice_date": "2026-03-14",
        "due_date": "2026-04-13",
        "total_amount": str(total),
        "vat_amount": str(vat),
        "currency": "GBP",
        "supplier_name": "ACME Supplies Ltd",
        "iban": "GB29NWBK60161331926819",
    }
    p = Page(out / "invoice.pdf")
    p.text(50, 790, "ACME Supplies Ltd", 18, bold=True)
    for i, line in enumerate(["221B Market Street", "London EC1A 4HD", "VAT Reg. No. GB 123 4567 89"]):
        p.text(50, 772 - 12 * i, line, 8)
    p.text(545, 790, "INVOICE", 22, bold=True, align="r")
    for i, (label, value) in enumerate(
        [
            ("Invoice No.:", "INV-2026-0042"),
            ("Invoice Date:", "14 March 2026"),
            ("Due Date:", "13 April 2026"),
        ]
    ):
        p.text(360, 740 - 15 * i, label, bold=True)
        p.text(445, 740 - 15 * i, value)
    p.text(50, 700, "Bill To:", bold=True)
    for i, line in enumerate(["Northwind Traders Ltd", "12 Harbour Road", "Bristol BS1 4DJ"]):
        p.text(50, 686 - 12 * i, line)
    columns: list[Column] = [
        ("Description", 50, "l", lambda r: r.description),
        ("Qty", 330, "r", lambda r: quantity_text(r.quantity, "en")),
        ("Unit Price", 430, "r", lambda r: money(r.unit_price, "en")),
        ("Amount", 545, "r", lambda r: money(r.amount, "en")),
    ]
    draw_header(p, columns, 610)
    y = 590.0
    for row in items:
        y = draw_row(p, columns, row, y)
    p.rule(50, y + 6, 545)
    for i, (label, amount) in enumerate(
        [("Subtotal", inv.subtotal), ("VAT (20%)", vat), ("Total Due", total)]
    ):
        p.text(380, y - 12 - 15 * i, label, bold=label.startswith("Total"))
        p.text(545, y - 12 - 15 * i, "£" + money(amount, "en"), bold=label.startswith("Total"), align="r")
    p.text(50, 200, "Payment details", bold=True)
    p.text(50, 186, "Bank: Barclays Bank PLC")
    p.text(50, 174, "IBAN: GB29 NWBK 6016 1331 9268 19")
    p.text(50, 162, "Please quote the invoice number with your payment.")
    p.text(297, 60, "ACME Supplies Ltd · Registered in England No. 01234567", 7, align="c")
    p.save()
    return inv


def globex_us(out: Path) -> Invoice:
    """US letter invoice: labels above values in a grid, $ amounts, month-first dates."""
    items = [
        item("Consulting - system design", "12", "150.00", "GX-100"),
        item("Implementation services", "30", "125.00", "GX-210"),
        item("On-site training (per day)", "2", "950.00", "GX-305"),
    ]
    inv = Invoice("invoice-globex-us", {}, items)
    tax = vat_of(inv.subtotal, "8")
    total = inv.subtotal + tax
    inv.fields = {
        "invoice_number": "10458",
        "invoice_date": "2026-03-04",
        "due_date": "2026-04-03",
        "total_amount": str(total),
        "vat_amount": str(tax),
        "currency": "USD",
        "supplier_name": "Globex Corporation",
        "iban": None,
    }
    p = Page(out / "invoice-globex-us.pdf", LETTER)
    p.text(50, 740, "INVOICE", 26, bold=True)
    p.text(562, 745, "Globex Corporation", 14, bold=True, align="r")
    p.text(562, 731, "4200 Industrial Way", 8, align="r")
    p.text(562, 721, "Springfield, IL 62704", 8, align="r")
    p.text(562, 711, "billing@globex.example", 8, align="r")
    grid = [
        ("Invoice #", "10458"),
        ("Date", "03/04/2026"),
        ("Due Date", "04/03/2026"),
        ("Amount Due", "$" + money(total, "en")),
    ]
    p.box(50, 640, 512, 40)
    for i, (label, value) in enumerate(grid):
        p.text(60 + 128 * i, 666, label, 8, bold=True)
        p.text(60 + 128 * i, 649, value, 10)
    p.text(50, 615, "Bill To", bold=True)
    for i, line in enumerate(
        ["Initech LLC", "Attn: Accounts Payable", "1 Office Park Drive", "Austin, TX 78701"]
    ):
        p.text(50, 601 - 12 * i, line)
    columns: list[Column] = [
        ("SKU", 50, "l", lambda r: r.extra[0]),
        ("Description", 110, "l", lambda r: r.description),
        ("Hours", 380, "r", lambda r: quantity_text(r.quantity, "en")),
        ("Rate", 460, "r", lambda r: "$" + money(r.unit_price, "en")),
        ("Amount", 562, "r", lambda r: "$" + money(r.amount, "en")),
    ]
    draw_header(p, columns, 520, 50, 562)
    y = 500.0
    for row in items:
        y = draw_row(p, columns, row, y, 16)
    p.rule(50, y + 8, 562)
    for i, (label, amount) in enumerate(
        [("Subtotal", inv.subtotal), ("Sales Tax (8%)", tax), ("Total", total)]
    ):
        p.text(400, y - 12 - 16 * i, label, bold=label == "Total")
        p.text(562, y - 12 - 16 * i, "$" + money(amount, "en"), bold=label == "Total", align="r")
    p.text(50, 150, "Terms: Net 30. Make all checks payable to Globex Corporation.", 8)
    p.text(50, 138, "Thank you for your business!", 8)
    p.save()
    return inv


def mueller_de(out: Path) -> Invoice:
    """German business letter (DIN style): info block right, 1.234,56 amounts, a wrapped item."""
    items = [
        item("Wartung Heizungsanlage", "1.5", "78.00", "1", "Std."),
        item(
            "Austausch Umwälzpumpe Typ UPM3",
            "1",
            "412.90",
            "2",
            "Stk.",
            wrapped="inkl. Dichtungen und Kleinmaterial",
        ),
        item("Thermostatventil", "6", "24.50", "3", "Stk."),
        item("Anfahrtspauschale", "1", "45.00", "4", "psch."),
    ]
    inv = Invoice("rechnung-mueller-de", {}, items)
    vat = vat_of(inv.subtotal, "19")
    total = inv.subtotal + vat
    inv.fields = {
        "invoice_number": "RE-2026-0117",
        "invoice_date": "2026-03-14",
        "due_date": "2026-03-28",
        "total_amount": str(total),
        "vat_amount": str(vat),
        "currency": "EUR",
        "supplier_name": "Müller Haustechnik GmbH",
        "iban": "DE89370400440532013000",
    }
    p = Page(out / "rechnung-mueller-de.pdf")
    p.text(545, 795, "Müller Haustechnik GmbH", 16, bold=True, align="r")
    for i, line in enumerate(["Lindenstraße 12", "80331 München", "Tel. 089 123456"]):
        p.text(545, 780 - 11 * i, line, 8, align="r")
    p.text(50, 730, "Müller Haustechnik GmbH · Lindenstraße 12 · 80331 München", 7)
    p.rule(50, 727, 260, 0.3)
    for i, line in enumerate(["Beispiel Bau AG", "z. Hd. Frau Schmidt", "Hauptstraße 5", "10115 Berlin"]):
        p.text(50, 712 - 12 * i, line, 10)
    for i, (label, value) in enumerate(
        [
            ("Rechnungsnummer:", "RE-2026-0117"),
            ("Rechnungsdatum:", "14.03.2026"),
            ("Kundennummer:", "K-4711"),
            ("Fällig am:", "28.03.2026"),
        ]
    ):
        p.text(360, 712 - 13 * i, label, 9)
        p.text(460, 712 - 13 * i, value, 9)
    p.text(50, 610, "Rechnung", 14, bold=True)
    p.text(50, 592, "Sehr geehrte Damen und Herren, für unsere Leistungen berechnen wir Ihnen:", 9)
    columns: list[Column] = [
        ("Pos.", 50, "l", lambda r: r.extra[0]),
        ("Beschreibung", 80, "l", lambda r: r.description),
        ("Menge", 330, "r", lambda r: quantity_text(r.quantity, "de")),
        ("Einheit", 340, "l", lambda r: r.extra[1]),
        ("Einzelpreis", 460, "r", lambda r: money(r.unit_price, "de") + " €"),
        ("Gesamt", 545, "r", lambda r: money(r.amount, "de") + " €"),
    ]
    draw_header(p, columns, 565)
    y = 547.0
    for row in items:
        y = draw_row(p, columns, row, y, 15)
    p.rule(330, y + 7, 545)
    for i, (label, amount) in enumerate(
        [("Nettobetrag", inv.subtotal), ("zzgl. 19 % MwSt.", vat), ("Gesamtbetrag", total)]
    ):
        p.text(360, y - 10 - 14 * i, label, bold=label == "Gesamtbetrag")
        p.text(545, y - 10 - 14 * i, money(amount, "de") + " €", bold=label == "Gesamtbetrag", align="r")
    p.text(50, y - 70, "Bitte überweisen Sie den Rechnungsbetrag bis zum 28.03.2026 ohne Abzug.", 9)
    p.text(50, y - 84, "Mit freundlichen Grüßen", 9)
    p.rule(50, 95, 545, 0.3)
    p.text(
        50,
        84,
        "Bankverbindung: Stadtsparkasse München · IBAN: DE89 3704 0044 0532 0130 00 · BIC: SSKMDEMMXXX",
        7,
    )
    p.text(
        50, 74, "Müller Haustechnik GmbH · Geschäftsführer: Hans Müller · Amtsgericht München HRB 123456", 7
    )
    p.text(50, 64, "USt-IdNr. DE123456789", 7)
    p.save()
    return inv


def dupont_fr(out: Path) -> Invoice:
    """French invoice: labels above values, 1 234,56 € amounts, a written-out month."""
    items = [
        item("Développement site web vitrine", "1", "2400.00"),
        item("Hébergement annuel", "1", "180.00"),
        item("Maintenance mensuelle", "12", "85.00"),
        item("Formation utilisateurs (demi-journée)", "2", "350.00"),
    ]
    inv = Invoice("facture-dupont-fr", {}, items)
    vat = vat_of(inv.subtotal, "20")
    total = inv.subtotal + vat
    inv.fields = {
        "invoice_number": "F-2026-031",
        "invoice_date": "2026-03-14",
        "due_date": "2026-04-15",
        "total_amount": str(total),
        "vat_amount": str(vat),
        "currency": "EUR",
        "supplier_name": "Dupont & Fils SARL",
        "iban": "FR1420041010050500013M02606",
    }
    p = Page(out / "facture-dupont-fr.pdf")
    p.text(50, 790, "Dupont & Fils SARL", 16, bold=True)
    for i, line in enumerate(["18 rue des Lilas", "69003 Lyon", "SIRET 123 456 789 00012"]):
        p.text(50, 775 - 11 * i, line, 8)
    p.text(545, 790, "FACTURE", 20, bold=True, align="r")
    p.text(330, 740, "Client :", 9, bold=True)
    for i, line in enumerate(["Société Martin SAS", "4 place Bellecour", "69002 Lyon"]):
        p.text(330, 726 - 12 * i, line, 9)
    p.box(50, 640, 495, 36)
    for i, (label, value) in enumerate(
        [
            ("Facture n°", "F-2026-031"),
            ("Date de facture", "14/03/2026"),
            ("Date d'échéance", "15 avril 2026"),
        ]
    ):
        p.text(60 + 165 * i, 664, label, 8, bold=True)
        p.text(60 + 165 * i, 648, value, 10)
    columns: list[Column] = [
        ("Désignation", 50, "l", lambda r: r.description),
        ("Qté", 330, "r", lambda r: quantity_text(r.quantity, "fr")),
        ("Prix unitaire HT", 440, "r", lambda r: money(r.unit_price, "fr") + " €"),
        ("Montant HT", 545, "r", lambda r: money(r.amount, "fr") + " €"),
    ]
    draw_header(p, columns, 600)
    y = 582.0
    for row in items:
        y = draw_row(p, columns, row, y, 16)
    p.rule(300, y + 8, 545)
    for i, (label, amount) in enumerate(
        [("Total HT", inv.subtotal), ("TVA 20 %", vat), ("Total TTC", total)]
    ):
        p.text(330, y - 10 - 15 * i, label, bold=label == "Total TTC")
        p.text(545, y - 10 - 15 * i, money(amount, "fr") + " €", bold=label == "Total TTC", align="r")
    p.text(
        50,
        150,
        "Conditions de paiement : 30 jours fin de mois. Pénalités de retard : 3 fois le taux légal.",
        8,
    )
    p.text(50, 138, "IBAN : FR14 2004 1010 0505 0001 3M02 606 – BIC : PSSTFRPPLYO", 8)
    p.text(297, 60, "Dupont & Fils SARL au capital de 10 000 € – RCS Lyon 123 456 789", 7, align="c")
    p.save()
    return inv


_NORDLYS_GOODS = [
    ("Kabel PFSP 3x2,5 mm²", "100", "18.90"),
    ("Stikkontakt dobbel jordet", "14", "89.00"),
    ("Bryter 1-pol hvit", "9", "74.50"),
    ("Koblingsboks IP55", "12", "39.90"),
    ("Sikringskurs 16A C-kar.", "6", "129.00"),
    ("Jordfeilbryter 40A 30mA", "2", "1249.00"),
    ("LED downlight 9W", "24", "219.00"),
    ("Dimmer LED 5-150W", "5", "649.00"),
    ("Varmekabel 10W/m 60m", "1", "3890.00"),
    ("Termostat gulvvarme", "3", "1190.00"),
    ("Installasjonsrør 20 mm", "50", "12.40"),
    ("Skjøteklemme Wago 3-pol", "100", "3.20"),
    ("Kabelkanal hvit 2m", "8", "56.00"),
    ("Utelampe vegg sort", "4", "899.00"),
    ("Bevegelsessensor utendørs", "2", "549.00"),
    ("Røykvarsler optisk", "6", "329.00"),
    ("Nettverkskabel Cat6 305m", "1", "2490.00"),
    ("Nettverksuttak Cat6 dobbel", "6", "245.00"),
    ("Elbillader 11 kW", "1", "12990.00"),
    ("Overspenningsvern type 2", "1", "1890.00"),
    ("Sikringsskap 36 moduler", "1", "2790.00"),
    ("Arbeid elektriker", "37.5", "895.00"),
    ("Arbeid lærling", "12", "545.00"),
    ("Kjøring", "6", "350.00"),
    ("Dokumentasjon og samsvarserklæring", "1", "1500.00"),
    ("Avfallshåndtering", "1", "450.00"),
    ("Kabelstrips 200 mm (100 stk)", "3", "79.00"),
    ("Festemateriell diverse", "1", "685.00"),
    ("Spotlight baderom IP44", "6", "389.00"),
    ("Varmtvannsbereder tilkobling", "1", "1650.00"),
    ("Stikkontakt utendørs IP44", "3", "219.00"),
    ("Koblingsur digitalt", "1", "499.00"),
]


def nordlys_no(out: Path) -> Invoice:
    """Norwegian two-page invoice: table header repeated on page 2, carried-forward lines, 1 234,56."""
    items = [item(d, q, u, f"{1000 + 7 * i}") for i, (d, q, u) in enumerate(_NORDLYS_GOODS)]
    inv = Invoice("faktura-nordlys-no", {}, items)
    vat = vat_of(inv.subtotal, "25")
    total = inv.subtotal + vat
    inv.fields = {
        "invoice_number": "2026-0342",
        "invoice_date": "2026-03-14",
        "due_date": "2026-03-28",
        "total_amount": str(total),
        "vat_amount": str(vat),
        "currency": "NOK",
        "supplier_name": "Nordlys Elektro AS",
        "iban": "NO9386011117947",
    }
    p = Page(out / "faktura-nordlys-no.pdf")
    columns: list[Column] = [
        ("Varenr.", 50, "l", lambda r: r.extra[0]),
        ("Beskrivelse", 100, "l", lambda r: r.description),
        ("Antall", 360, "r", lambda r: quantity_text(r.quantity, "no")),
        ("Enhetspris", 450, "r", lambda r: money(r.unit_price, "no")),
        ("Beløp (NOK)", 545, "r", lambda r: money(r.amount, "no")),
    ]
    p.text(50, 790, "Nordlys Elektro AS", 16, bold=True)
    for i, line in enumerate(["Storgata 10, 0155 Oslo", "Org.nr. 987 654 321 MVA", "post@nordlys.example"]):
        p.text(50, 775 - 11 * i, line, 8)
    p.text(545, 790, "FAKTURA", 20, bold=True, align="r")
    for i, (label, value) in enumerate(
        [
            ("Fakturanummer", "2026-0342"),
            ("Fakturadato", "14.03.2026"),
            ("Forfallsdato", "28.03.2026"),
            ("Kundenummer", "10077"),
        ]
    ):
        p.text(360, 745 - 13 * i, label, 9, bold=True)
        p.text(545, 745 - 13 * i, value, 9, align="r")
    p.text(50, 720, "Faktureres til:", 9, bold=True)
    for i, line in enumerate(["Fjordhotellet AS", "Bryggen 2", "5003 Bergen"]):
        p.text(50, 706 - 12 * i, line, 9)
    first_page = 24
    draw_header(p, columns, 640)
    y = 622.0
    running = Decimal(0)
    for row in items[:first_page]:
        y = draw_row(p, columns, row, y)
        running += row.amount
    p.rule(300, y + 7, 545)
    p.text(360, y - 6, "Overføres", 9, bold=True)
    p.text(545, y - 6, money(running, "no"), 9, bold=True, align="r")
    p.text(297, 40, "Side 1 av 2", 8, align="c")
    p.next_page()
    p.text(50, 800, "Nordlys Elektro AS – Faktura 2026-0342", 9, bold=True)
    draw_header(p, columns, 770)
    y = 752.0
    p.text(360, y, "Overført", 9, bold=True)
    p.text(545, y, money(running, "no"), 9, bold=True, align="r")
    y -= 16
    for row in items[first_page:]:
        y = draw_row(p, columns, row, y)
    p.rule(300, y + 7, 545)
    for i, (label, amount) in enumerate(
        [("Sum eks. mva", inv.subtotal), ("MVA 25 %", vat), ("Å betale NOK", total)]
    ):
        p.text(360, y - 8 - 15 * i, label, bold=label.startswith("Å"))
        p.text(545, y - 8 - 15 * i, money(amount, "no"), bold=label.startswith("Å"), align="r")
    p.text(50, 150, "Betales til konto: 8601 11 17947  ·  IBAN: NO93 8601 1117 947  ·  BIC: DNBANOKK", 8)
    p.text(50, 138, "Ved for sen betaling beregnes forsinkelsesrente etter gjeldende sats.", 8)
    p.text(297, 40, "Side 2 av 2", 8, align="c")
    p.save()
    return inv


_DEVRIES_SERVICES = [
    ("Palletopslag per week", "40", "6.50"),
    ("Orderpicking per regel", "320", "0.85"),
    ("Transport Rotterdam - Utrecht", "4", "245.00"),
    ("Transport Rotterdam - Eindhoven", "3", "310.00"),
    ("Laden en lossen", "12", "42.00"),
    ("Stretchfolie wikkelen", "60", "2.75"),
    ("Retourverwerking", "18", "4.50"),
    ("Etiketteren per doos", "450", "0.30"),
    ("Inslag containers 20ft", "2", "185.00"),
    ("Inslag containers 40ft", "1", "295.00"),
    ("Administratiekosten", "1", "75.00"),
    ("Voorraadtelling", "1", "220.00"),
    ("Douane-inklaring", "3", "95.00"),
    ("Koeltransport toeslag", "2", "120.00"),
    ("Wachturen chauffeur", "3.5", "58.00"),
    ("Tolheffing", "4", "18.40"),
    ("Brandstoftoeslag", "1", "143.20"),
    ("Verzekering goederen", "1", "89.00"),
    ("Kartonnen dozen groot", "200", "1.15"),
    ("Pallets Europallet", "25", "12.50"),
    ("Spoedlevering", "2", "175.00"),
    ("Opslag gevaarlijke stoffen", "6", "22.00"),
    ("Crossdocking per pallet", "30", "9.75"),
    ("Rapportage maandelijks", "1", "50.00"),
    ("Heftruckuren", "5", "65.00"),
    ("Schoonmaak opslagruimte", "1", "140.00"),
]


def devries_nl(out: Path) -> Invoice:
    """Dutch two-page invoice: supplier label above its name, € before amounts, table runs on without a
    repeated header."""
    items = [item(d, q, u) for d, q, u in _DEVRIES_SERVICES]
    inv = Invoice("factuur-devries-nl", {}, items)
    vat = vat_of(inv.subtotal, "21")
    total = inv.subtotal + vat
    inv.fields = {
        "invoice_number": "2026/118",
        "invoice_date": "2026-03-14",
        "due_date": "2026-04-13",
        "total_amount": str(total),
        "vat_amount": str(vat),
        "currency": "EUR",
        "supplier_name": "De Vries Logistiek B.V.",
        "iban": "NL91ABNA0417164300",
    }
    p = Page(out / "factuur-devries-nl.pdf")
    p.text(50, 792, "FACTUUR", 22, bold=True)
    p.text(50, 750, "Leverancier", 9, bold=True)
    p.text(320, 750, "Klant", 9, bold=True)
    for i, (left, right) in enumerate(
        [
            ("De Vries Logistiek B.V.", "Jansen Retail B.V."),
            ("Havenweg 3", "Marktplein 17"),
            ("3011 AB Rotterdam", "3511 LM Utrecht"),
            ("KvK 12345678", ""),
        ]
    ):
        p.text(50, 736 - 12 * i, left, 9)
        if right:
            p.text(320, 736 - 12 * i, right, 9)
    for i, (label, value) in enumerate(
        [("Factuurnummer:", "2026/118"), ("Factuurdatum:", "14 maart 2026"), ("Vervaldatum:", "13-04-2026")]
    ):
        p.text(50, 670 - 13 * i, label, 9, bold=True)
        p.text(150, 670 - 13 * i, value, 9)
    columns: list[Column] = [
        ("Omschrijving", 50, "l", lambda r: r.description),
        ("Aantal", 340, "r", lambda r: quantity_text(r.quantity, "nl")),
        ("Prijs", 440, "r", lambda r: "€ " + money(r.unit_price, "nl")),
        ("Bedrag", 545, "r", lambda r: "€ " + money(r.amount, "nl")),
    ]
    draw_header(p, columns, 610)
    y = 592.0
    first_page = 20
    for row in items[:first_page]:
        y = draw_row(p, columns, row, y, 15)
    p.text(545, 50, "pagina 1 van 2", 8, align="r")
    p.next_page()
    p.text(50, 800, "De Vries Logistiek B.V. - factuur 2026/118 (vervolg)", 8)
    y = 770.0
    for row in items[first_page:]:
        y = draw_row(p, columns, row, y, 15)
    p.rule(300, y + 7, 545)
    for i, (label, amount) in enumerate(
        [("Subtotaal", inv.subtotal), ("BTW 21%", vat), ("Totaal te betalen", total)]
    ):
        p.text(340, y - 8 - 15 * i, label, bold=label.startswith("Totaal"))
        p.text(545, y - 8 - 15 * i, "€ " + money(amount, "nl"), bold=label.startswith("Totaal"), align="r")
    p.text(
        50,
        170,
        "Gelieve het totaalbedrag binnen 30 dagen over te maken onder vermelding van het factuurnummer.",
        8,
    )
    p.text(50, 158, "IBAN: NL91 ABNA 0417 1643 00   BIC: ABNANL2A   BTW-nr: NL123456789B01", 8)
    p.text(545, 50, "pagina 2 van 2", 8, align="r")
    p.save()
    return inv


BUILDERS = [acme_en, globex_us, mueller_de, dupont_fr, nordlys_no, devries_nl]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS:
        invoice = build(out)
        expected = out / f"{invoice.name}.expected.json"
        expected.write_text(
            json.dumps(invoice.expected(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"wrote {invoice.name}.pdf and {expected.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
