"""The offline extraction: PDF text layer -> tables and fields of a model -> the normalized Result."""

from __future__ import annotations

import hashlib
import json

from core.models import DocumentInfo, Result
from core.providers.local.fields import Context, Found, labelled_values
from core.providers.local.heuristics import (
    currency_signals,
    document_date_order,
    first_date,
    largest_amount,
    organizations,
    scan_ibans,
)
from core.providers.local.modelspec import ModelSpec, load_model
from core.providers.local.scans import count_image_pages, read_image_layer, scale_by_ocr_confidence
from core.providers.local.scoring import (
    check_currency,
    check_dates,
    check_totals,
    field_values,
    line_sum,
    rank,
    table_rows,
)
from core.providers.local.structured import apply_einvoice, find_embedded, read_xml_document, xml_result
from core.providers.local.tables import find_tables
from core.providers.local.textlayer import TextLayer, count_pages, read_text_layer
from core.sources import XML_TYPE, DocumentSource

PROVIDER_NAME = "local"
DEFAULT_MODEL = "invoice"
PDF_TYPE = "application/pdf"
ENGINE_VERSION = "2"  # 2: OCR of scans and images, e-invoices


def document_id(sha256: str) -> str:
    return f"local:document:{sha256[:32]}"


def prediction_hex(sha256: str, model: ModelSpec, pages: list[int] | None) -> str:
    """Same document, model version, pages and engine: same id (predictions are deterministic)."""
    key = json.dumps([sha256, model.digest, sorted(pages) if pages else None, ENGINE_VERSION])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def read_layer(source: DocumentSource, data: bytes, pages: list[int] | None) -> TextLayer:
    """The document's words: a PDF's text layer (scanned pages by OCR), or an image by OCR."""
    if source.content_type == PDF_TYPE:
        return read_text_layer(data, source.name, pages)
    return read_image_layer(data, source.name, pages)


def count_document_pages(source: DocumentSource) -> int | None:
    """Pages of a PDF or image; None for an XML e-invoice (it has none). Checks the document."""
    if source.content_type == PDF_TYPE:
        return count_pages(source.read_bytes(), source.name)
    if source.content_type == XML_TYPE:
        read_xml_document(source.read_bytes(), source.name)
        return None
    return count_image_pages(source.read_bytes(), source.name)


def read_from(layer: TextLayer) -> str:
    """Where the words came from, for the result's extras."""
    if not layer.ocr_pages:
        return "text layer"
    if len(layer.ocr_pages) == len(layer.pages):
        return "ocr"
    return "text layer and ocr"


def extract_source(
    source: DocumentSource, model: str | None = None, pages: list[int] | None = None
) -> Result:
    """Run the local engine on a checked document source; raises InputError/NotFoundError/ConfigError."""
    spec = load_model(model or DEFAULT_MODEL)
    data = source.read_bytes()
    document = DocumentInfo.from_source(source, id=document_id(source.sha256))
    if source.content_type == XML_TYPE:
        prediction_id = f"local:prediction:{prediction_hex(source.sha256, spec, None)}"
        return xml_result(read_xml_document(data, source.name), spec, document, prediction_id, ENGINE_VERSION)
    invoice, warnings = find_embedded(data, source.name) if source.content_type == PDF_TYPE else (None, [])
    layer = read_layer(source, data, pages)
    document.pages = layer.page_count
    result = build_result(layer, spec, document, pages)
    if warnings:
        result.extras["warnings"] = warnings
    return apply_einvoice(result, invoice, spec) if invoice else result


def extract_bytes(data: bytes, name: str = "document.pdf", model: str | None = None) -> Result:
    """The same for bytes in memory (used by the service emulators for deterministic predictions)."""
    return extract_source(DocumentSource.from_bytes(data, name=name), model)


def build_result(
    layer: TextLayer, spec: ModelSpec, document: DocumentInfo, pages: list[int] | None
) -> Result:
    date_order = document_date_order(layer)
    ibans = scan_ibans(layer)
    country = ibans[0].value[:2] if ibans else None
    tables = find_tables(layer, spec.tables, date_order)
    ctx = Context(
        layer=layer,
        model=spec,
        skip_lines=set().union(*(t.used_lines for t in tables)) if tables else set(),
        date_order=date_order,
        country=country,
    )
    found = labelled_values(ctx)
    for field_spec in spec.fields:
        extra: list[Found] = []
        if field_spec.format == "iban":
            extra = [_for(field_spec.key, f) for f in ibans]
        elif field_spec.format == "currency":
            extra = currency_signals(ctx, field_spec)
        elif field_spec.format == "organization":
            extra = organizations(ctx, field_spec)
        elif not found.get(field_spec.key) and field_spec.key == "invoice_date":
            taken = {f.value for k, v in found.items() for f in v if k != field_spec.key}
            extra = first_date(ctx, field_spec, taken)
        elif not found.get(field_spec.key) and field_spec.key == "total_amount":
            extra = largest_amount(ctx, field_spec)
        if extra:
            found.setdefault(field_spec.key, []).extend(extra)
    ranked = rank(found)
    consistent = check_totals(ranked, line_sum(tables))
    check_dates(ranked)
    check_currency(ranked)
    by_key = {t.spec.key: t for t in tables}
    result_tables = {
        t.key: table_rows(by_key[t.key], consistent) if t.key in by_key else [] for t in spec.tables
    }
    fields = field_values(spec, ranked)
    if layer.ocr_pages:
        scale_by_ocr_confidence(fields, ranked, tables, result_tables)
    return Result(
        provider=PROVIDER_NAME,
        model=spec.id,
        status="succeeded",
        document=document,
        prediction_id=f"local:prediction:{prediction_hex(document.sha256 or '', spec, pages)}",
        fields=fields,
        tables=result_tables,
        extras={"read_from": read_from(layer)},
        raw={
            "engine": "docrelay-local",
            "engine_version": ENGINE_VERSION,
            "model": spec.name,
            "pages_read": [p.index for p in layer.pages],
            "words": layer.word_count,
            "ocr_pages": layer.ocr_pages,
            "date_order": date_order,
            "notes": {k: [*r.best.notes, r.best.how] for k, r in ranked.items() if r.best},
        },
    )


def _for(key: str, found: Found) -> Found:
    return Found(key, found.value, found.raw, found.page, found.words, found.score, found.how, found.parsed)
