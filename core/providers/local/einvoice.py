"""E-invoices: the structured invoice inside a Factur-X / ZUGFeRD / XRechnung PDF, or an XML file.

Reads UN/CEFACT CII (Factur-X, ZUGFeRD 2.x, XRechnung CII), its predecessor ZUGFeRD 1.0, and OASIS
UBL 2.x Invoice and CreditNote (XRechnung UBL, Peppol). The XML comes from users, so it is hostile
input: defusedxml parses it with DTDs forbidden (no entity expansion, no external entities, so no
XXE and no billion laughs), and it is size-limited before parsing.

Elements are matched by local name, so one path serves CII's D16B namespaces and ZUGFeRD 1.0's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from core.providers.local.normalize import format_amount, format_plain

MAX_XML_BYTES = 20 * 1024 * 1024
# Attachment names the standards prescribe, in order of preference; any other *.xml is tried after.
KNOWN_ATTACHMENTS = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")

CII_ROOTS = {"CrossIndustryInvoice": "CII", "CrossIndustryDocument": "ZUGFeRD 1.0"}
UBL_ROOTS = {"Invoice", "CreditNote"}
CREDIT_NOTE_CODES = {"381", "396", "532"}


class EInvoiceError(ValueError):
    """The XML is malformed, hostile, or not an e-invoice this module reads."""


@dataclass
class EInvoice:
    syntax: str  # "CII", "ZUGFeRD 1.0" or "UBL"
    document_type: str  # "invoice" or "credit note"
    profile: str | None  # the guideline (CII) or customization (UBL) id
    fields: dict[str, str] = field(default_factory=dict)  # keys of the built-in invoice model
    line_items: list[dict[str, str]] = field(default_factory=list)
    attachment: str | None = None  # the PDF attachment's name

    def describe(self) -> dict[str, Any]:
        """What the result's extras say about where the values came from."""
        return {
            "syntax": self.syntax,
            "document_type": self.document_type,
            "profile": self.profile,
            "attachment": self.attachment,
        }


def parse_xml(data: bytes) -> Element:
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    if len(data) > MAX_XML_BYTES:
        raise EInvoiceError(f"the XML has {len(data) / 1048576:.1f} MB, more than an invoice needs")
    try:
        root: Element = safe_xml.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise EInvoiceError(
            f"the XML declares a DTD or entities, which are refused ({type(exc).__name__})"
        ) from exc
    except ParseError as exc:
        raise EInvoiceError(f"the XML is malformed ({exc})") from exc
    return root


def read_einvoice(data: bytes, attachment: str | None = None) -> EInvoice:
    """The e-invoice in `data`; EInvoiceError when it is not one."""
    root = parse_xml(data)
    kind = _local(root.tag)
    if kind in CII_ROOTS:
        invoice = _read_cii(root, CII_ROOTS[kind])
    elif kind in UBL_ROOTS:
        invoice = _read_ubl(root, kind)
    else:
        raise EInvoiceError(f"the XML is not an e-invoice (its root is <{kind}>)")
    if not invoice.fields.get("invoice_number") and not invoice.fields.get("total_amount"):
        raise EInvoiceError(f"the {invoice.syntax} XML has neither an invoice number nor a total")
    invoice.attachment = attachment
    return invoice


def embedded_xml(pdf: Any) -> list[tuple[str, bytes]]:
    """XML attachments of an open pypdfium2 document, the standards' names first."""
    found: list[tuple[str, bytes]] = []
    for index in range(pdf.count_attachments()):
        attachment = pdf.get_attachment(index)
        name = attachment.get_name() or ""
        if not name.lower().endswith(".xml"):
            continue
        try:
            data = bytes(attachment.get_data())
        except Exception:  # pypdfium2 raises its own error for an unreadable stream
            continue
        found.append((name, data))
    found.sort(
        key=lambda item: KNOWN_ATTACHMENTS.index(n) if (n := item[0].lower()) in KNOWN_ATTACHMENTS else 99
    )
    return found


# -- CII (Factur-X, ZUGFeRD, XRechnung CII) -------------------------------------------------------
def _read_cii(root: Element, syntax: str) -> EInvoice:
    v1 = syntax == "ZUGFeRD 1.0"
    document = _first(root, "HeaderExchangedDocument" if v1 else "ExchangedDocument")
    transaction = _first(
        root, "SpecifiedSupplyChainTradeTransaction" if v1 else "SupplyChainTradeTransaction"
    )
    agreement = _first(
        transaction, "ApplicableSupplyChainTradeAgreement" if v1 else "ApplicableHeaderTradeAgreement"
    )
    settlement = _first(
        transaction, "ApplicableSupplyChainTradeSettlement" if v1 else "ApplicableHeaderTradeSettlement"
    )
    totals = _first(
        settlement,
        "SpecifiedTradeSettlementMonetarySummation"
        if v1
        else "SpecifiedTradeSettlementHeaderMonetarySummation",
    )
    context = _first(root, "SpecifiedExchangedDocumentContext" if v1 else "ExchangedDocumentContext")
    currency = _text(settlement, "InvoiceCurrencyCode")
    type_code = _text(document, "TypeCode")
    fields = {
        "invoice_number": _text(document, "ID"),
        "invoice_date": _cii_date(_first(document, "IssueDateTime")),
        "due_date": _cii_date(_first(settlement, "SpecifiedTradePaymentTerms", "DueDateDateTime")),
        "total_amount": _amount(_text(totals, "GrandTotalAmount")),
        "vat_amount": _amount(_in_currency(_all(totals, "TaxTotalAmount"), currency)),
        "currency": currency.upper() if currency else None,
        "supplier_name": _text(agreement, "SellerTradeParty", "Name"),
        "iban": _iban(
            _text(
                settlement,
                "SpecifiedTradeSettlementPaymentMeans",
                "PayeePartyCreditorFinancialAccount",
                "IBANID",
            )
        ),
    }
    lines = []
    for item in _all(transaction, "IncludedSupplyChainTradeLineItem"):
        line_agreement = _first(
            item, "SpecifiedSupplyChainTradeAgreement" if v1 else "SpecifiedLineTradeAgreement"
        )
        delivery = _first(item, "SpecifiedSupplyChainTradeDelivery" if v1 else "SpecifiedLineTradeDelivery")
        line_settlement = _first(
            item, "SpecifiedSupplyChainTradeSettlement" if v1 else "SpecifiedLineTradeSettlement"
        )
        price = _first(line_agreement, "NetPriceProductTradePrice")
        lines.append(
            {
                "description": _text(item, "SpecifiedTradeProduct", "Name"),
                "quantity": _quantity(_text(delivery, "BilledQuantity")),
                "unit_price": _unit_price(_text(price, "ChargeAmount"), _text(price, "BasisQuantity")),
                "amount": _amount(
                    _text(line_settlement, "SpecifiedTradeSettlementMonetarySummation", "LineTotalAmount")
                    if v1
                    else _text(
                        line_settlement, "SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"
                    )
                ),
            }
        )
    return EInvoice(
        syntax=syntax,
        document_type="credit note" if type_code in CREDIT_NOTE_CODES else "invoice",
        profile=_text(context, "GuidelineSpecifiedDocumentContextParameter", "ID"),
        fields={k: v for k, v in fields.items() if v},
        line_items=[{k: v for k, v in line.items() if v} for line in lines],
    )


def _cii_date(holder: Element | None) -> str | None:
    element = _first(holder, "DateTimeString")
    text = (element.text or "").strip() if element is not None else ""
    if element is None or not text:
        return None
    if element.get("format", "102") == "102" and len(text) == 8 and text.isdigit():
        return _iso(text[:4], text[4:6], text[6:])
    return _iso(*text[:10].split("-")) if len(text) >= 10 and text[4] == "-" else None


# -- UBL (XRechnung UBL, Peppol BIS) --------------------------------------------------------------
def _read_ubl(root: Element, kind: str) -> EInvoice:
    currency = _text(root, "DocumentCurrencyCode")
    supplier = _first(root, "AccountingSupplierParty", "Party")
    line_tag, quantity_tag = (
        ("CreditNoteLine", "CreditedQuantity")
        if kind == "CreditNote"
        else ("InvoiceLine", "InvoicedQuantity")
    )
    type_code = _text(root, "CreditNoteTypeCode" if kind == "CreditNote" else "InvoiceTypeCode")
    fields = {
        "invoice_number": _text(root, "ID"),
        "invoice_date": _ubl_date(_text(root, "IssueDate")),
        "due_date": _ubl_date(_text(root, "DueDate") or _text(root, "PaymentMeans", "PaymentDueDate")),
        "total_amount": _amount(_text(root, "LegalMonetaryTotal", "TaxInclusiveAmount")),
        "vat_amount": _amount(
            _in_currency([t for x in _all(root, "TaxTotal") for t in _all(x, "TaxAmount")], currency)
        ),
        "currency": currency.upper() if currency else None,
        "supplier_name": _text(supplier, "PartyLegalEntity", "RegistrationName")
        or _text(supplier, "PartyName", "Name"),
        "iban": _iban(_text(root, "PaymentMeans", "PayeeFinancialAccount", "ID")),
    }
    lines = []
    for line in _all(root, line_tag):
        price = _first(line, "Price")
        lines.append(
            {
                "description": _text(line, "Item", "Name") or _text(line, "Item", "Description"),
                "quantity": _quantity(_text(line, quantity_tag)),
                "unit_price": _unit_price(_text(price, "PriceAmount"), _text(price, "BaseQuantity")),
                "amount": _amount(_text(line, "LineExtensionAmount")),
            }
        )
    return EInvoice(
        syntax="UBL",
        document_type="credit note" if kind == "CreditNote" or type_code in CREDIT_NOTE_CODES else "invoice",
        profile=_text(root, "CustomizationID"),
        fields={k: v for k, v in fields.items() if v},
        line_items=[{k: v for k, v in line.items() if v} for line in lines],
    )


def _ubl_date(text: str | None) -> str | None:
    if not text or len(text) < 10:
        return None
    return _iso(*text[:10].split("-"))


# -- small helpers -----------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element | None, name: str) -> Iterable[Element]:
    if element is None:
        return ()
    return (child for child in element if _local(child.tag) == name)


def _first(element: Element | None, *path: str) -> Element | None:
    for name in path:
        element = next(iter(_children(element, name)), None)
        if element is None:
            return None
    return element


def _all(element: Element | None, name: str) -> list[Element]:
    return list(_children(element, name))


def _text(element: Element | None, *path: str) -> str | None:
    found = _first(element, *path) if path else element
    text = " ".join((found.text or "").split()) if found is not None else ""
    return text or None


def _in_currency(amounts: list[Element], currency: str | None) -> str | None:
    """The amount in the invoice's currency (a second one may be given in the tax currency)."""
    for element in amounts:
        if currency and element.get("currencyID") == currency:
            return _text(element)
    return _text(amounts[0]) if amounts else None


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _amount(text: str | None) -> str | None:
    number = _decimal(text)
    if number is None:
        return None
    return format_amount(number) if number == number.quantize(Decimal("0.01")) else format_plain(number)


def _quantity(text: str | None) -> str | None:
    number = _decimal(text)
    return format_plain(number) if number is not None else None


def _unit_price(price: str | None, basis: str | None) -> str | None:
    number, per = _decimal(price), _decimal(basis)
    if number is not None and per not in (None, 0, 1):
        assert per is not None
        number = number / per
    return _amount(str(number)) if number is not None else None


def _iso(year: str, month: str = "", day: str = "") -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _iban(text: str | None) -> str | None:
    return "".join(text.split()).upper() if text else None
