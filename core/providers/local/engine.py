"""The offline extraction: PDF text layer -> tables and fields of a model -> the normalized Result."""

from __future__ import annotations

import hashlib
import json

from core.errors import InputError
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
from core.providers.local.scoring import (
    check_currency,
    check_dates,
    check_totals,
    field_values,
    line_sum,
    rank,
    table_rows,
)
from core.providers.local.tables import find_tables
from core.providers.local.textlayer import OCR_HINT, TextLayer, read_text_layer
from core.sources import DocumentSource

PROVIDER_NAME = "local"
DEFAULT_MODEL = "invoice"
ENGINE_VERSION = "1"


def document_id(sha256: str) -> str:
    return f"local:document:{sha256[:32]}"


def prediction_hex(sha256: str, model: ModelSpec, pages: list[int] | None) -> str:
    """Same document, model version, pages and engine: same id (predictions are deterministic)."""
    key = json.dumps([sha256, model.digest, sorted(pages) if pages else None, ENGINE_VERSION])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def require_pdf(source: DocumentSource) -> None:
    if source.content_type != "application/pdf":
        kind = source.content_type.split("/")[-1].upper()
        raise InputError(
            f"{source.name} is an image ({kind}): the document has no text layer",
            hint=OCR_HINT,
            provider=PROVIDER_NAME,
        )


def extract_source(
    source: DocumentSource, model: str | None = None, pages: list[int] | None = None
) -> Result:
    """Run the local engine on a checked document source; raises InputError/NotFoundError/ConfigError."""
    spec = load_model(model or DEFAULT_MODEL)
    require_pdf(source)
    data = source.read_bytes()
    layer = read_text_layer(data, source.name, pages)
    document = DocumentInfo.from_source(
        source,
        pages=layer.page_count,
        id=document_id(source.sha256),
    )
    return build_result(layer, spec, document, pages)


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
    return Result(
        provider=PROVIDER_NAME,
        model=spec.id,
        status="succeeded",
        document=document,
        prediction_id=f"local:prediction:{prediction_hex(document.sha256 or '', spec, pages)}",
        fields=field_values(spec, ranked),
        tables=result_tables,
        raw={
            "engine": "docrelay-local",
            "engine_version": ENGINE_VERSION,
            "model": spec.name,
            "pages_read": [p.index for p in layer.pages],
            "words": layer.word_count,
            "date_order": date_order,
            "notes": {k: [*r.best.notes, r.best.how] for k, r in ranked.items() if r.best},
        },
    )


def _for(key: str, found: Found) -> Found:
    return Found(key, found.value, found.raw, found.page, found.words, found.score, found.how, found.parsed)
