"""The offline extraction: PDF text layer -> tables and fields of a model -> the normalized Result."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterator

from core.errors import InputError
from core.models import DocumentInfo, Result
from core.providers.local.fields import Context, Found, labelled_values
from core.providers.local.heuristics import (
    currency_signals,
    document_date_order,
    first_date,
    largest_amount,
    organizations,
    prose_due_dates,
    scan_ibans,
)
from core.providers.local.modelspec import ModelSpec, load_model
from core.providers.local.scoring import (
    LineRows,
    check_currency,
    check_dates,
    check_totals,
    field_values,
    line_sum,
    rank,
)
from core.providers.local.tables import TableFinder, TableFound
from core.providers.local.textlayer import OCR_HINT, PageText, TextLayer, iter_pages
from core.sources import DocumentSource

PROVIDER_NAME = "local"
DEFAULT_MODEL = "invoice"
ENGINE_VERSION = "2"
# A long document is streamed: the line items are read from every page, the header fields from the
# first and last pages only (where invoices print them), so memory stays flat with the page count.
HEAD_PAGES = 6
TAIL_PAGES = 6


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
    page_count, stream = iter_pages(data, source.name, pages)
    layer, date_order, tables = read_windowed(page_count, stream, spec)
    del data
    document = DocumentInfo.from_source(
        source,
        pages=layer.page_count,
        id=document_id(source.sha256),
    )
    return build_result(layer, spec, document, pages, date_order=date_order, tables=tables)


def extract_bytes(data: bytes, name: str = "document.pdf", model: str | None = None) -> Result:
    """The same for bytes in memory (used by the service emulators for deterministic predictions)."""
    return extract_source(DocumentSource.from_bytes(data, name=name), model)


class TablesRead:
    """The model's tables, read a page at a time: finders find the rows, LineRows keep them as cells."""

    def __init__(self, spec: ModelSpec, date_order: str) -> None:
        self.outputs = {t.key: LineRows(t) for t in spec.tables}
        self.finders = [TableFinder(t, date_order, sink=self.outputs[t.key].add) for t in spec.tables]

    def feed(self, page: PageText) -> None:
        for finder in self.finders:
            finder.feed(page)

    def forget(self, page: PageText) -> None:
        for finder in self.finders:
            finder.forget(page)

    @property
    def used_lines(self) -> set[int]:
        return set().union(*(t.used_lines for t in self.found))

    @property
    def found(self) -> list[TableFound]:
        return [t for t in (f.result() for f in self.finders) if t is not None]

    @classmethod
    def of_pages(cls, pages: list[PageText], spec: ModelSpec, date_order: str) -> TablesRead:
        tables = cls(spec, date_order)
        for page in pages:
            tables.feed(page)
        return tables


def read_windowed(
    page_count: int, stream: Iterator[PageText], spec: ModelSpec
) -> tuple[TextLayer, str, TablesRead]:
    """Pages streamed through the table finders; the first HEAD_PAGES and last TAIL_PAGES are kept
    (as a TextLayer) for the header fields. The date order comes from the first pages."""
    head: list[PageText] = []
    tail: deque[PageText] = deque()
    tables: TablesRead | None = None
    date_order = "DMY"
    read: list[int] = []
    words = 0
    for page in stream:
        read.append(page.index)
        words += sum(len(line.words) for line in page.lines)
        if tables is None and len(head) < HEAD_PAGES:
            head.append(page)
            continue
        if tables is None:
            date_order = document_date_order(TextLayer(page_count, head))
            tables = TablesRead.of_pages(head, spec, date_order)
        tables.feed(page)
        tail.append(page)
        if len(tail) > TAIL_PAGES:
            tables.forget(tail.popleft())
    if tables is None:
        date_order = document_date_order(TextLayer(page_count, head))
        tables = TablesRead.of_pages(head, spec, date_order)
    layer = TextLayer(page_count=page_count, pages=[*head, *tail], read=read, words_read=words)
    return layer, date_order, tables


def build_result(
    layer: TextLayer,
    spec: ModelSpec,
    document: DocumentInfo,
    pages: list[int] | None,
    *,
    date_order: str | None = None,
    tables: TablesRead | None = None,
) -> Result:
    """The Result from a text layer (pages of words, from PDF text or OCR); `tables` when the line
    items were already read from a stream of pages (read_windowed)."""
    if date_order is None:
        date_order = document_date_order(layer)
    ibans = scan_ibans(layer)
    country = ibans[0].value[:2] if ibans else None
    if tables is None:
        tables = TablesRead.of_pages(layer.pages, spec, date_order)
    ctx = Context(
        layer=layer,
        model=spec,
        skip_lines=tables.used_lines,
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
        elif field_spec.key == "due_date":
            extra = prose_due_dates(ctx, field_spec)
        if extra:
            found.setdefault(field_spec.key, []).extend(extra)
    ranked = rank(found)
    consistent = check_totals(ranked, line_sum(list(tables.outputs.values())))
    check_dates(ranked)
    check_currency(ranked)
    result_tables = {key: rows.finish(consistent) for key, rows in tables.outputs.items()}
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
            "pages_read": layer.pages_read,
            "words": layer.word_count,
            "date_order": date_order,
            "notes": {k: [*r.best.notes, r.best.how] for k, r in ranked.items() if r.best},
        },
    )


def _for(key: str, found: Found) -> Found:
    return Found(key, found.value, found.raw, found.page, found.words, found.score, found.how, found.parsed)
