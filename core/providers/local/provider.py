"""The `local` provider: offline extraction from the PDF text layer, no account, no network.

A prediction runs at once. Its Result is written (atomically) to the cache folder
(platformdirs user_cache_dir("docrelay")/local, or $DOCRELAY_CACHE_DIR/local), and the job handle
also keeps the source path and SHA-256, so `docrelay result JOB` works from another process and
even after the cache was cleared, as long as the file is unchanged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from core.errors import ConfigError, DocRelayError, InputError, NotFoundError, UsageError
from core.hints import setting
from core.models import CheckResult, DocumentInfo, JobHandle, ModelInfo, Result
from core.providers.base import Capabilities, JobStatus, PredictOptions, Provider
from core.providers.local.engine import (
    DEFAULT_MODEL,
    ENGINE_VERSION,
    PROVIDER_NAME,
    document_id,
    extract_source,
    require_pdf,
)
from core.providers.local.modelspec import MODEL_PATH_HINT, builtin_model_names, load_model
from core.providers.local.textlayer import count_pages
from core.resultcache import CACHE_ENV, ResultCache
from core.sources import DocumentSource

log = logging.getLogger(__name__)

CACHE = ResultCache("local")


def cache_dir() -> Path:
    """Where local results are kept: $DOCRELAY_CACHE_DIR/local, else the user cache folder."""
    return CACHE.folder


class LocalProvider(Provider):
    """Extraction on this machine from the PDF text layer (no OCR): invoices or any fieldConfig model."""

    name: ClassVar[str] = PROVIDER_NAME
    capabilities: ClassVar[Capabilities] = Capabilities(
        upload=True,
        async_jobs=False,
        page_selection=True,
        boxes=True,
        confidence=True,
        line_items=True,
        models_listing=True,
    )
    default_model: ClassVar[str | None] = DEFAULT_MODEL
    max_workers: ClassVar[int | None] = 1  # pdfium is not thread-safe: a batch runs local jobs one at a time

    def __init__(self, settings: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> None:
        super().__init__(settings or {}, timeout=timeout)
        self._at_hand: dict[str, Result] = {}  # results already known, by prediction key

    def resolve_model(self, model: str | None) -> str | None:
        """The model name or path, checked at once (NotFoundError/ConfigError) so a bad one costs nothing."""
        name = model or DEFAULT_MODEL
        load_model(name)
        return name

    # -- one call ---------------------------------------------------------------------------
    def extract(self, source: DocumentSource, model: str | None, options: PredictOptions) -> Result:
        """The result at once: the PDF is read once (twice only to cap `max_pages` at its page count)."""
        self._check_options(options)
        pages = options.pages
        if not pages and options.max_pages:
            require_pdf(source)
            page_count = count_pages(source.read_bytes(), source.name)
            pages = list(range(min(options.max_pages, page_count or options.max_pages)))
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

    # -- the steps -------------------------------------------------------------------------
    def upload(self, source: DocumentSource) -> DocumentInfo:
        """Nothing leaves the machine: checks the document and counts its pages."""
        require_pdf(source)
        return DocumentInfo.from_source(
            source,
            pages=count_pages(source.read_bytes(), source.name),
            id=document_id(source.sha256),
        )

    def start_prediction(
        self, document: DocumentInfo, source: DocumentSource, model: str | None, options: PredictOptions
    ) -> JobHandle:
        self._check_options(options)
        model_name = self.resolve_model(model) or DEFAULT_MODEL
        spec = load_model(model_name)
        pages = options.pages
        if not pages and options.max_pages:
            pages = list(range(min(options.max_pages, document.pages or options.max_pages)))
        result = extract_source(source, model_name, pages)
        assert result.prediction_id is not None
        key = result.prediction_id.rsplit(":", 1)[-1]
        self._at_hand[key] = result
        path = CACHE.path(key)
        try:
            CACHE.save(key, result)
        except OSError as exc:
            if source.path is None:
                raise ConfigError(
                    f"Cannot write the local result cache in {path.parent}: {exc.strerror or exc}",
                    hint=f"Set {CACHE_ENV} to a writable folder.",
                    provider=PROVIDER_NAME,
                ) from exc
            log.warning("local result cache not writable (%s); the job will re-read %s", exc, source.name)
        return JobHandle(
            provider=PROVIDER_NAME,
            model=spec.id,
            document_id=result.document.id,
            prediction_id=result.prediction_id,
            document=result.document,
            state={
                "engine_version": ENGINE_VERSION,
                "cache_path": str(path),
                "source": source.source,
                "sha256": source.sha256,
                "model": spec.id if spec.builtin else spec.path,
                "pages": pages,
            },
        )

    def poll(self, job: JobHandle) -> JobStatus:
        return JobStatus(status="succeeded", result=self.fetch_result(job))

    def fetch_result(self, job: JobHandle) -> Result:
        key = (job.prediction_id or "").rsplit(":", 1)[-1]
        if key in self._at_hand:
            return self._at_hand[key]
        for path in self._cache_paths(job, key):
            result = CACHE.load(key, path)
            if result is not None:
                self._at_hand[key] = result
                return result
        result = self._extract_again(job)
        self._at_hand[key] = result
        with contextlib.suppress(OSError):  # best effort: the next fetch can read it again
            CACHE.save(key, result)
        return result

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

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _cache_paths(job: JobHandle, key: str) -> list[Path]:
        paths = []
        stored = job.state.get("cache_path")
        if isinstance(stored, str) and stored:
            paths.append(Path(stored))
        current = CACHE.path(key)
        if current not in paths:
            paths.append(current)
        return paths

    def _extract_again(self, job: JobHandle) -> Result:
        source_path = job.state.get("source")
        gone = NotFoundError(
            f"The local result of job {job.prediction_id} is no longer available",
            hint="Its cache file was removed and the document is not at its path anymore: run the "
            "extraction again (docrelay extract FILE).",
            provider=PROVIDER_NAME,
        )
        if not isinstance(source_path, str) or not Path(source_path).is_file():
            raise gone
        try:
            source = DocumentSource.from_path(source_path)
        except InputError as exc:
            raise gone from exc
        expected = job.state.get("sha256")
        if expected and source.sha256 != expected:
            raise NotFoundError(
                f"The document of job {job.prediction_id} has changed since it was submitted: {source_path}",
                hint="Run the extraction again on the current file.",
                provider=PROVIDER_NAME,
            )
        model = job.state.get("model") or job.model or DEFAULT_MODEL
        pages = job.state.get("pages")
        result = extract_source(source, str(model), pages if isinstance(pages, list) else None)
        if result.prediction_id != job.prediction_id:
            log.info(
                "re-extracted job %s with a newer engine or model: %s",
                job.prediction_id,
                result.prediction_id,
            )
        return result
