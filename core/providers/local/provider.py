"""The `local` provider: offline extraction (text layer, OCR of scans, e-invoices), no account, no network.

A prediction runs at once (`extract`). Services keep the result of a submitted job in the result
cache (platformdirs user_cache_dir("docrelay")/local, or $DOCRELAY_CACHE_DIR/local); as a repeat costs
nothing (`repeat_model`), a job whose cached result is gone is answered from its unchanged file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from core.errors import DocRelayError, UsageError
from core.hints import setting
from core.models import CheckResult, DocumentInfo, ModelInfo, Result
from core.providers.base import Capabilities, PredictOptions, Provider
from core.providers.local.engine import (
    DEFAULT_MODEL,
    PROVIDER_NAME,
    count_document_pages,
    document_id,
    extract_source,
)
from core.providers.local.modelspec import MODEL_PATH_HINT, builtin_model_names, load_model
from core.providers.local.ocr import ocr_check
from core.resultcache import CACHE_ENV, ResultCache
from core.sources import DocumentSource

log = logging.getLogger(__name__)

CACHE = ResultCache(PROVIDER_NAME)  # where services keep local results; the doctor checks it


def cache_dir() -> Path:
    """Where local results are kept: $DOCRELAY_CACHE_DIR/local, else the user cache folder."""
    return CACHE.folder


class LocalProvider(Provider):
    """Extraction on this machine: the PDF text layer, OCR of scans and images, e-invoice XML."""

    name: ClassVar[str] = PROVIDER_NAME
    capabilities: ClassVar[Capabilities] = Capabilities(
        upload=True,
        async_jobs=False,
        page_selection=True,
        boxes=True,
        confidence=True,
        line_items=True,
        models_listing=True,
        scans=True,
        e_invoices=True,
    )
    default_model: ClassVar[str | None] = DEFAULT_MODEL
    max_workers: ClassVar[int | None] = 1  # pdfium is not thread-safe: a batch runs local jobs one at a time

    def __init__(self, settings: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> None:
        super().__init__(settings or {}, timeout=timeout)

    def resolve_model(self, model: str | None) -> str | None:
        """The model name or path, checked at once (NotFoundError/ConfigError) so a bad one costs nothing."""
        name = model or DEFAULT_MODEL
        load_model(name)
        return name

    def repeat_model(self, model: str | None) -> str | None:
        """Extracting again costs nothing: a built-in model by name, a model file by its absolute path."""
        spec = load_model(model or DEFAULT_MODEL)
        return spec.id if spec.builtin else spec.path

    # -- the steps -------------------------------------------------------------------------
    def extract(self, source: DocumentSource, model: str | None, options: PredictOptions) -> Result:
        """The result at once: the document is read once (twice only to cap `max_pages` at its page count)."""
        self._check_options(options)
        pages = options.pages
        if not pages and options.max_pages:
            page_count = count_document_pages(source)  # None for an XML e-invoice: no pages to cap
            pages = list(range(min(options.max_pages, page_count))) if page_count else None
        return extract_source(source, model or DEFAULT_MODEL, pages)

    def _check_options(self, options: PredictOptions) -> None:
        """As the cloud providers do: a misspelt option must not pass unnoticed (local takes none)."""
        if options.extra:
            raise UsageError(
                f"Unknown local options: {', '.join(sorted(options.extra))}",
                hint=f"The local provider takes no {setting('option')}; it reads only "
                f"{setting('pages')} and {setting('model')}.",
                provider=self.name,
            )

    def upload(self, source: DocumentSource) -> DocumentInfo:
        """Nothing leaves the machine: checks the document and counts its pages."""
        return DocumentInfo.from_source(
            source,
            pages=count_document_pages(source),
            id=document_id(source.sha256),
        )

    def list_models(self) -> list[ModelInfo]:
        models = []
        for name in builtin_model_names():
            spec = load_model(name)
            models.append(
                ModelInfo(
                    id=spec.id,
                    name=spec.name,
                    description=spec.description,
                    provider=PROVIDER_NAME,
                    fields=spec.field_keys,
                    field_types=spec.field_types,
                    extras={"builtin": True, "note": MODEL_PATH_HINT},
                )
            )
        return models

    def check(self) -> list[CheckResult]:
        checks = []
        try:
            import pypdfium2.version as pdfium_version

            detail = f"pypdfium2 {pdfium_version.PYPDFIUM_INFO} (PDFium {pdfium_version.PDFIUM_INFO})"
            checks.append(CheckResult(name="local engine", ok=True, detail=detail))
        except Exception as exc:  # an import failure of a native library can be any error
            checks.append(
                CheckResult(
                    name="local engine",
                    ok=False,
                    detail=f"pypdfium2 cannot be loaded ({exc}); reinstall docrelay",
                    error_type="config_error",
                )
            )
        checks.append(ocr_check())
        names = builtin_model_names()
        try:
            for name in names:
                load_model(name)
            checks.append(
                CheckResult(name="local models", ok=bool(names), detail=f"built-in: {', '.join(names)}")
            )
        except DocRelayError as exc:
            checks.append(
                CheckResult(name="local models", ok=False, detail=exc.full_message, error_type=exc.type)
            )
        folder = cache_dir()
        try:
            CACHE.check_writable()
            checks.append(CheckResult(name="local cache", ok=True, detail=str(folder)))
        except OSError as exc:
            checks.append(
                CheckResult(
                    name="local cache",
                    ok=False,
                    detail=f"{folder} is not writable ({exc.strerror or exc}); set {CACHE_ENV}",
                    error_type="config_error",
                )
            )
        return checks
