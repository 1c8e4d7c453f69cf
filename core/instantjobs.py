"""Jobs of providers that answer at once (local, DeepOpinion): services keep their results.

Such a provider has no job to come back to: `Provider.extract` returns the finished result. So that
`Client.submit` still gives a handle that `status` and `result` answer from, also in another process,
the result is kept in the result cache (core.resultcache) under the last part of its prediction id.
When the kept result is gone, a provider whose `extract` costs nothing to repeat
(`Provider.repeat_model`) answers by extracting the unchanged file again; for the others a repeat
would be a paid call, so the job is reported as gone.

Handles keep the format they always had: `state` holds `cache_path` and, for a repeatable
provider, `source`, `sha256`, `model` and `pages` (plus `max_pages`).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from core.errors import ConfigError, InputError, NotFoundError, UsageError
from core.models import JobHandle, Result
from core.providers.base import JobStatus, PredictOptions, Provider
from core.resultcache import CACHE_ENV, MAX_AGE_S, ResultCache
from core.sources import DocumentSource

log = logging.getLogger("docrelay.jobs")


class InstantJobs:
    """Submits documents to one provider that answers at once, and answers for its job handles."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.title = provider.title or provider.name
        self.cache = ResultCache(provider.name)
        self._at_hand: dict[str, Result] = {}  # results already known in this process, by key

    def submit(self, source: DocumentSource, model: str | None, options: PredictOptions) -> JobHandle:
        """Extract now; keep the result for the handle returned."""
        result = self.provider.extract(source, model, options)
        key = self._key(result.prediction_id)
        self._at_hand[key] = result
        repeat_model = self.provider.repeat_model(model)
        path = self.cache.path(key)
        state: dict[str, Any] = {"cache_path": str(path)}
        if repeat_model is not None:
            state.update(
                source=source.source,
                sha256=source.sha256,
                model=repeat_model,
                pages=options.pages,
                max_pages=options.max_pages,
            )
        try:
            self.cache.save(key, result)
        except OSError as exc:
            self._not_kept(exc, path, source, repeatable=repeat_model is not None)
        return JobHandle(
            provider=self.provider.name,
            model=result.model,
            document_id=result.document.id,
            prediction_id=result.prediction_id,
            document=result.document,
            state=state,
        )

    def poll(self, job: JobHandle) -> JobStatus:
        """The job's state: always finished, with its result."""
        result = self.result(job)
        return JobStatus(status=result.status, result=result)

    def result(self, job: JobHandle) -> Result:
        """The kept result (in this process, then in the cache), else the file extracted again."""
        key = self._key(job.prediction_id)
        if key in self._at_hand:
            return self._at_hand[key]
        for path in self._cache_paths(job, key):
            kept = self.cache.load(key, path)
            if kept is not None:
                self._at_hand[key] = kept
                return kept
        result = self._extract_again(job)
        self._at_hand[key] = result
        with contextlib.suppress(OSError):  # best effort: the next call can extract again
            self.cache.save(key, result)
        return result

    # -- helpers -------------------------------------------------------------------------------
    def _key(self, prediction_id: str | None) -> str:
        key = (prediction_id or "").rsplit(":", 1)[-1]
        if not key:
            raise UsageError(
                f"This job handle has no {self.title} extraction id", hint="Submit the document again."
            )
        return key

    def _not_kept(self, exc: OSError, path: Path, source: DocumentSource, *, repeatable: bool) -> None:
        """A result that could not be written: the handle re-reads the file, or (nothing paid is lost)
        the cache must be fixed first, or (a paid answer) it works in this process only."""
        if repeatable and source.path is not None:
            log.warning(
                "%s result cache not writable (%s); the job will re-read %s", self.title, exc, source.name
            )
        elif repeatable:
            raise ConfigError(
                f"Cannot write the {self.title} result cache in {path.parent}: {exc.strerror or exc}",
                hint=f"Set {CACHE_ENV} to a writable folder.",
                provider=self.provider.name,
            ) from exc
        else:
            log.warning("could not keep the %s result in %s: %s", self.title, path.parent, exc)

    def _cache_paths(self, job: JobHandle, key: str) -> list[Path]:
        paths = []
        stored = job.state.get("cache_path")
        if isinstance(stored, str) and stored:
            paths.append(Path(stored))
        current = self.cache.path(key)
        if current not in paths:
            paths.append(current)
        return paths

    def _extract_again(self, job: JobHandle) -> Result:
        if "sha256" not in job.state:  # a repeat would be a paid call
            raise NotFoundError(
                f"The {self.title} result of {job.document.name} is not on this machine (any more)",
                hint=f"{self.title} keeps no result to fetch again; results wait in {self.cache.folder} for "
                f"{MAX_AGE_S // 86400} days. Extract the document again.",
                provider=self.provider.name,
            )
        source_path = job.state.get("source")
        gone = NotFoundError(
            f"The {self.title} result of job {job.prediction_id} is no longer available",
            hint="Its cache file was removed and the document is not at its path anymore: run the "
            "extraction again (docrelay extract FILE).",
            provider=self.provider.name,
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
                provider=self.provider.name,
            )
        pages, max_pages = job.state.get("pages"), job.state.get("max_pages")
        options = PredictOptions(
            pages=pages if isinstance(pages, list) else None,
            max_pages=max_pages if isinstance(max_pages, int) else None,
        )
        model = job.state.get("model") or job.model
        result = self.provider.extract(source, str(model) if model else None, options)
        if result.prediction_id != job.prediction_id:
            log.info(
                "re-extracted job %s with a newer engine or model: %s",
                job.prediction_id,
                result.prediction_id,
            )
        return result
