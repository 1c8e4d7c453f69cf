"""Results from e-invoices: the structured values, exact (confidence 1.0), over what the page text gives.

A PDF's embedded XML that cannot be used (malformed, hostile, not an e-invoice) never fails the
document: its values come from the page text as usual, and the result's extras carry a warning.
"""

from __future__ import annotations

import logging

from core.errors import InputError
from core.models import Candidate, Cell, DocumentInfo, FieldValue, Result, TableRow
from core.providers.local.einvoice import EInvoice, EInvoiceError, embedded_xml, read_einvoice
from core.providers.local.modelspec import ModelSpec
from core.providers.local.textlayer import PDFIUM_LOCK, open_document

log = logging.getLogger(__name__)

READ_FROM = "e-invoice"


def find_embedded(data: bytes, name: str) -> tuple[EInvoice | None, list[str]]:
    """The e-invoice embedded in a PDF (Factur-X, ZUGFeRD, XRechnung), and warnings about XML
    attachments that could not be used."""
    with PDFIUM_LOCK:
        try:
            pdf = open_document(data, name)
        except InputError:
            return None, []  # reading the text layer says what is wrong with the file
        try:
            attachments = embedded_xml(pdf)
        finally:
            pdf.close()
    warnings: list[str] = []
    for attachment, xml in attachments:
        try:
            return read_einvoice(xml, attachment), warnings
        except EInvoiceError as exc:
            warning = f"The embedded {attachment} was not used: {exc}. The values come from the page text."
            log.warning("%s: %s", name, warning)
            warnings.append(warning)
    return None, warnings


def read_xml_document(data: bytes, name: str) -> EInvoice:
    """An XML document given as the document itself: it must be an e-invoice (no page text to fall
    back on)."""
    try:
        return read_einvoice(data)
    except EInvoiceError as exc:
        raise InputError(
            f"{name} cannot be read as an e-invoice: {exc}",
            hint="The local provider reads UBL (Invoice, CreditNote) and CII (Factur-X, ZUGFeRD, "
            "XRechnung) XML. For other documents, give the PDF.",
        ) from exc


def apply_einvoice(result: Result, invoice: EInvoice, spec: ModelSpec) -> Result:
    """The result with the e-invoice's values for every field and table the model has: exact, with
    confidence 1.0. A field the XML lacks keeps the page text's value; boxes are kept where the page
    text found the same value."""
    fields = dict(result.fields)
    sources: dict[str, str] = {}
    for spec_field in spec.fields:
        value = invoice.fields.get(spec_field.key)
        if value is None:
            if fields.get(spec_field.key) is None:
                fields[spec_field.key] = FieldValue(value=None, confidence=None)
            continue
        seen = fields.get(spec_field.key)
        same = seen is not None and seen.value == value
        fields[spec_field.key] = FieldValue(
            value=value,
            confidence=1.0,
            page=seen.page if same and seen else None,
            raw_value=value,
            box=seen.box if same and seen else None,
            candidates=[Candidate(value=value, confidence=1.0)],
        )
        sources[spec_field.key] = READ_FROM
    tables = dict(result.tables)
    for table in spec.tables:
        keys = [column.key for column in table.columns]
        if invoice.line_items and (table.key == "line_items" or len(spec.tables) == 1):
            tables[table.key] = [_row(line, keys) for line in invoice.line_items]
            sources[table.key] = READ_FROM
        else:
            tables.setdefault(table.key, [])
    extras = dict(result.extras)
    extras.update(read_from=READ_FROM, e_invoice=invoice.describe(), values_from=sources)
    raw = dict(result.raw) if isinstance(result.raw, dict) else {}
    raw["e_invoice"] = invoice.describe()
    return result.model_copy(update={"fields": fields, "tables": tables, "extras": extras, "raw": raw})


def _row(line: dict[str, str], keys: list[str]) -> TableRow:
    return {
        key: Cell(
            value=line.get(key),
            confidence=1.0 if line.get(key) is not None else None,
            raw_value=line.get(key),
        )
        for key in keys
    }


def xml_result(
    invoice: EInvoice, spec: ModelSpec, document: DocumentInfo, prediction_id: str, engine_version: str
) -> Result:
    """The result of an XML e-invoice given as the document."""
    empty = Result(
        provider="local",
        model=spec.id,
        status="succeeded",
        document=document,
        prediction_id=prediction_id,
        fields={f.key: FieldValue(value=None, confidence=None) for f in spec.fields},
        tables={t.key: [] for t in spec.tables},
        raw={"engine": "docrelay-local", "engine_version": engine_version, "model": spec.name},
    )
    return apply_einvoice(empty, invoice, spec)
