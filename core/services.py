"""Services: the steps every front end needs, composed from one provider's primitives.

`Client` is the whole public surface for front ends: extract, submit, status, result, wait, batch,
models, doctor. It resolves configuration once, builds the provider lazily, and never contains
provider-specific code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from core.batch import DEFAULT_CONCURRENCY, BatchEngine, BatchOutcome, open_journal
from core.checks import with_arithmetic_checks
from core.config import Settings, resolve_settings
from core.errors import DocRelayError, JobFailedError, JobTimeoutError, UsageError
from core.instantjobs import InstantJobs
from core.models import (
    CheckResult,
    DocumentInfo,
    JobHandle,
    ModelInfo,
    Result,
    Review,
    summarize,
)
from core.polling import Check, PollingOptions, T, poll_until
from core.providers import provider_class
from core.providers.base import JobStatus, PredictOptions, Provider
from core.review import service as review_service
from core.review.client import ReviewMethods
from core.review.handle import ReviewHandle
from core.review.policy import ReviewPolicy
from core.sources import DocumentInput, DocumentSource, open_source
from core.textinput import read_texts
from core.transport.deadline import operation_deadline

__all__ = [
    "Client",
    "DocumentInput",
    "PollingOptions",
    "failed_result",
    "raise_if_failed",
    "summarize",
]


class Client(ReviewMethods):
    """A configured connection to one provider.

    Arguments win over the environment, which wins over the profile file (CONTRACT section 3).
    Use it as a context manager, or call `close()`, to release network sessions.
    """

    def __init__(
        self,
        provider: str | None = None,
        *,
        profile: str | None = None,
        timeout: float | None = None,
        settings: Mapping[str, Any] | None = None,
        polling: PollingOptions | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        overrides = dict(settings or {})
        if timeout is not None:
            overrides["timeout"] = timeout
        self.settings: Settings = resolve_settings(provider, profile, overrides, env)
        self.polling = polling or PollingOptions()
        self._provider: Provider | None = None
        self._instant_jobs: InstantJobs | None = None

    @classmethod
    def for_job(
        cls,
        job: JobHandle | str,
        *,
        provider: str | None = None,
        profile: str | None = None,
        timeout: float | None = None,
        polling: PollingOptions | None = None,
    ) -> Client:
        """The one way to a client for a job handle: the provider (and profile) it was submitted with,
        unless `provider` overrides them. A handle that is no handle raises UsageError."""
        handle = job if isinstance(job, JobHandle) else JobHandle.decode(job)
        if provider:
            return cls(provider, profile=profile, timeout=timeout, polling=polling)
        return cls(handle.provider, profile=profile or handle.profile, timeout=timeout, polling=polling)

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def provider_name(self) -> str:
        return self.settings.provider

    @property
    def provider(self) -> Provider:
        if self._provider is None:
            cls = provider_class(self.settings.provider)
            values: dict[str, Any] = dict(self.settings.values)
            values.update(
                timeout=self.settings.timeout,
                ca_bundle=self.settings.ca_bundle,
                truststore=self.settings.truststore,
                profile=self.settings.profile,
                rate_limit=self.settings.rate_limit,
            )
            self._provider = cls(values, timeout=self.settings.timeout)
        return self._provider

    @property
    def instant_jobs(self) -> InstantJobs | None:
        """The jobs services keep for a provider that answers at once; None for one that has its own."""
        if self.provider.capabilities.async_jobs:
            return None
        if self._instant_jobs is None:
            self._instant_jobs = InstantJobs(self.provider)
        return self._instant_jobs

    def close(self) -> None:
        if self._provider is not None:
            self._provider.close()
            self._provider = None
            self._instant_jobs = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_source(self, document: DocumentInput, name: str | None = None) -> DocumentSource:
        return open_source(document, name)

    # -- one document --------------------------------------------------------------------------
    def submit(
        self,
        document: DocumentInput,
        *,
        model: str | None = None,
        name: str | None = None,
        options: PredictOptions | None = None,
        agent: str | None = None,
    ) -> JobHandle:
        """Upload and start a prediction (or, with `agent`, an agent run); return at once with a
        handle to resume from. A provider that answers at once extracts now, and its result is kept for
        the handle (core.instantjobs)."""
        source = self.open_source(document, name)
        provider = self.provider
        options = options or PredictOptions()
        with operation_deadline(self.settings.timeout):  # every call, retry and token fetch inside
            if agent:
                if model:
                    raise UsageError(
                        "Give a model or an agent, not both",
                        hint="An agent predicts with the model it was set up with.",
                    )
                job = provider.submit_to_agent(source, agent, options)
            else:
                model_id = provider.resolve_model(model)  # before the upload: a missing model costs nothing
                instant = self.instant_jobs
                if instant is not None:
                    job = instant.submit(source, model_id, options)
                else:
                    job = provider.start_prediction(provider.upload(source), source, model_id, options)
        if self.settings.profile and not job.profile:
            job = job.model_copy(update={"profile": self.settings.profile})
        return job

    def status(self, job: JobHandle | str) -> Result:
        """One look at a job: a pending result, or the final one."""
        handle = self._handle(job)
        with operation_deadline(self.settings.timeout):
            state = self._poll(handle)
            if state.status == "pending":
                return Result.pending(
                    handle.provider, handle.model, handle.document, prediction_id=handle.prediction_id
                )
            return with_arithmetic_checks(state.result or self.provider.fetch_result(handle))

    def wait(
        self, job: JobHandle | str, *, timeout: float | None = None, review: ReviewPolicy | None = None
    ) -> Result:
        """Poll until the job finishes; JobTimeoutError (with the handle) when `timeout` runs out, and
        JobFailedError when the service reports that it could not process the document. With `review`,
        a result the policy (or the service) wants a person to see comes back as needs_review."""
        handle = self._handle(job)
        if review is not None:
            review_service.require_review(self.provider)

        def check() -> tuple[Result | None, float | None]:
            state = self._poll(handle)
            if state.status == "pending" and state.awaiting_review and review is not None:
                waiting = with_arithmetic_checks(self.provider.fetch_result(handle))
                return self._route(waiting, handle, review, awaiting=True), None
            if state.status == "pending":
                return None, state.retry_after
            done = with_arithmetic_checks(state.result or self.provider.fetch_result(handle))
            return self._route(done, handle, review), None

        result = self._poll_until(check, timeout, handle.encode(), "The job", "`docrelay result JOB --wait`")
        raise_if_failed(result)
        return result

    def _route(
        self, result: Result, job: JobHandle | None, review: ReviewPolicy | None, *, awaiting: bool = False
    ) -> Result:
        return review_service.route(
            self.provider, result, job, review, profile=self.settings.profile, awaiting=awaiting
        )

    def _poll(self, job: JobHandle) -> JobStatus:
        instant = self.instant_jobs
        return instant.poll(job) if instant is not None else self.provider.poll(job)

    def _poll_until(self, check: Check[T], timeout: float | None, handle: str, what: str, resume: str) -> T:
        return poll_until(
            check,
            timeout=self.settings.timeout if timeout is None else timeout,
            polling=self.polling,
            provider=self.provider_name,
            handle=handle,
            what=what,
            resume=resume,
        )

    def result(self, job: JobHandle | str, *, wait: bool = False, timeout: float | None = None) -> Result:
        """The finished result; with `wait`, poll until it is ready. A job the service reports as
        failed raises JobFailedError (`status` returns it as a failed result instead)."""
        handle = self._handle(job)
        if wait:
            return self.wait(handle, timeout=timeout)
        current = self.status(handle)
        if current.status == "pending":
            raise JobTimeoutError(
                "The job is still running",
                hint="Try again later, or add --wait to wait for it.",
                provider=handle.provider,
                job=handle.encode(),
            )
        raise_if_failed(current)
        return current

    def extract(
        self,
        document: DocumentInput,
        *,
        model: str | None = None,
        name: str | None = None,
        timeout: float | None = None,
        options: PredictOptions | None = None,
        agent: str | None = None,
        review: ReviewPolicy | None = None,
        delete_after: bool = False,
    ) -> Result:
        """Upload, predict and wait: the finished, normalized result of one document.

        With `agent` (Cradl), the document goes through that agent instead of a model.
        With `review`, a result with fields below their thresholds or broken sums is sent to human
        review and comes back as needs_review (core.review). With `delete_after`, the document is
        deleted on the service once its result is in hand (one under review is kept for the reviewer).
        A job the service reports as failed raises JobFailedError.
        """
        provider = self.provider
        if review is not None:
            review_service.require_review(provider)
        if delete_after:
            review_service.require_delete(provider)
        limit = self.settings.timeout if timeout is None else timeout
        with operation_deadline(limit):  # one deadline for the upload, the prediction and the waiting
            if not agent and not provider.capabilities.async_jobs:  # answers at once: no job, no handle
                source = self.open_source(document, name)
                result = provider.extract(source, provider.resolve_model(model), options or PredictOptions())
                raise_if_failed(result)
                result = self._route(with_arithmetic_checks(result), None, review)
            else:
                job = self.submit(document, model=model, name=name, options=options, agent=agent)
                result = self.wait(job, timeout=limit, review=review)  # ends with the operation's deadline
        if delete_after:
            self._delete_after(result)
        return result

    # -- many documents ------------------------------------------------------------------------
    def extract_many(
        self,
        documents: Iterable[DocumentInput],
        *,
        model: str | None = None,
        timeout: float | None = None,
        options: PredictOptions | None = None,
        on_result: Callable[[Result], None] | None = None,
        agent: str | None = None,
        review: ReviewPolicy | None = None,
        delete_after: bool = False,
    ) -> list[Result]:
        """Extract each document; a failure becomes a failed result instead of stopping the rest."""
        results: list[Result] = []
        for document in documents:
            try:
                result = self.extract(
                    document,
                    model=model,
                    timeout=timeout,
                    options=options,
                    agent=agent,
                    review=review,
                    delete_after=delete_after,
                )
            except DocRelayError as exc:
                if exc.stops_run:  # settings, credentials, quota: every document would fail
                    raise
                result = failed_result(self.provider_name, model or agent, document, exc)
            results.append(result)
            if on_result:
                on_result(result)
        return results

    # -- service information ---------------------------------------------------------------------
    def models(self) -> list[ModelInfo]:
        return self.provider.list_models()

    def doctor(self) -> list[CheckResult]:
        """Configuration, credentials, network and TLS checks, each as one line."""
        checks = [
            CheckResult(
                name="configuration",
                ok=True,
                detail=f"provider {self.settings.provider}"
                + (f", profile {self.settings.profile}" if self.settings.profile else ""),
            )
        ]
        try:
            checks.extend(self.provider.check())
        except DocRelayError as exc:
            checks.append(
                CheckResult(name="provider", ok=False, detail=exc.full_message, error_type=exc.type)
            )
        return checks

    # -- human review ----------------------------------------------------------------------------
    def review_start(
        self, document: DocumentInput, *, workflow: str, title: str | None = None, name: str | None = None
    ) -> Review:
        """Upload a document and send it through a human-review workflow."""
        info = self.provider.upload(self.open_source(document, name))
        return self.provider.start_review(info, workflow, title)

    def review(self, review_id: str) -> Review:
        return self.provider.get_review(review_id)

    def review_wait(self, review_id: str, *, timeout: float | None = None) -> Review:
        def check() -> tuple[Review | None, float | None]:
            review = self.provider.get_review(review_id)
            return (review if review.finished else None), None

        return self._poll_until(check, timeout, review_id, "The review", "`docrelay review get ID --wait`")

    def reviews(self, workflow: str, *, status: str | None = None, limit: int | None = None) -> list[Review]:
        return self.provider.list_reviews(workflow, status, limit)

    def review_complete(self, review_id: str) -> Review:
        return self.provider.complete_review(review_id)

    # -- results under review (handles from `needs_review` results) -------------------------------
    @classmethod
    def for_review(
        cls,
        review: ReviewHandle | str,
        *,
        provider: str | None = None,
        profile: str | None = None,
        timeout: float | None = None,
        polling: PollingOptions | None = None,
    ) -> Client:
        """A client for a review handle: the provider and profile the review was started with."""
        handle = review if isinstance(review, ReviewHandle) else ReviewHandle.decode(review)
        if provider:
            return cls(provider, profile=profile, timeout=timeout, polling=polling)
        return cls(handle.provider, profile=profile or handle.profile, timeout=timeout, polling=polling)

    # -- text analysis ---------------------------------------------------------------------------
    def analyze(
        self,
        paths: Iterable[str | os.PathLike[str]] = (),
        *,
        texts: Iterable[str] = (),
        model: str | None = None,
        column: str | None = None,
        per_line: bool = False,
        split: bool = True,
    ) -> Result:
        """Tag texts (given directly, or read from .txt / .csv files) with the provider's text model.

        The result's `segments` table has one row per tag: document, text, span ("start-end",
        end exclusive), class, label. See core.textinput for how files are read."""
        provider = self.provider
        if not provider.capabilities.text_analysis:  # its own "no text analysis" error, before any reading
            return provider.analyze_text([], model)
        text_input = read_texts(texts, paths, column=column, per_line=per_line)
        return provider.analyze_text(
            text_input.texts,
            model or provider.default_model,
            split=split,
            ids=text_input.ids,
            document=text_input.info,
        )

    def _handle(self, job: JobHandle | str) -> JobHandle:
        handle = job if isinstance(job, JobHandle) else JobHandle.decode(job)
        self._require_provider(handle.provider, "job")
        return handle

    def journal_result(
        self,
        document: DocumentInput,
        *,
        model: str | None = None,
        journal: str | os.PathLike[str] | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Result:
        """The result a batch (of any robot sharing the journal) recorded for this document, read from
        `journal` (else the `journal` setting) without a call to the service; with `wait`, until it is
        finished (up to `timeout`). Errors: core.batch.lookup.journal_result."""
        from core.batch.lookup import JournalReader, journal_result

        source = self.open_source(document)
        provider = self.provider
        model_id = provider.resolve_model(model)
        target = journal if journal is not None else self.settings.journal
        waiting = (self.settings.timeout if timeout is None else timeout) if wait else None
        with JournalReader(target, password=self.settings.journal_password) as reader:
            return journal_result(reader, source, provider=provider.name, model=model_id, wait=waiting)

    # -- batches -------------------------------------------------------------------------------
    def batch(
        self,
        documents: Iterable[DocumentInput],
        *,
        model: str | None = None,
        options: PredictOptions | None = None,
        concurrency: int | None = None,
        journal: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
        on_result: Callable[[Result], None] | None = None,
        review: ReviewPolicy | None = None,
        delete_after: bool = False,
    ) -> BatchOutcome:
        """Extract many documents concurrently, journaled: what succeeded before costs nothing, and a
        killed run resumes without predicting anything twice. Failures become failed results; errors
        every document would meet (configuration, credentials, quota) are raised. `on_result` is
        called (from worker threads, one call at a time) as each document finishes. Ctrl+C stops
        cleanly: the outcome is then `interrupted`, with unfinished documents `pending`. `journal` (else
        the `journal` setting) is a file, or a postgresql:// URL shared by robots on many machines.
        `review` and `delete_after` as for `extract`: a needs_review result is journaled as such, so a
        resumed run neither starts its review again nor predicts it again."""
        if review is not None:
            review_service.require_review(self.provider)
        if delete_after:
            review_service.require_delete(self.provider)
        target = journal if journal is not None else self.settings.journal
        with open_journal(
            target, password=self.settings.journal_password, lease=self.settings.journal_lease
        ) as opened:
            engine = BatchEngine(
                self.provider,
                opened,
                polling=self.polling,
                model=model,
                options=options,
                concurrency=DEFAULT_CONCURRENCY if concurrency is None else concurrency,
                timeout=self.settings.timeout if timeout is None else timeout,
                on_result=on_result,
                review=review,
                delete_after=delete_after,
                profile=self.settings.profile,
            )
            return engine.run(list(documents))


def raise_if_failed(result: Result) -> None:
    """JobFailedError for a result the service reported as failed."""
    if result.status == "failed":
        message = result.error.message if result.error else "the service gave no reason"
        raise JobFailedError(
            f"The service could not process {result.document.name}: {message}",
            hint="Check the document; if it looks fine, try again later or contact the service.",
            provider=result.provider,
        )


def failed_result(provider: str, model: str | None, document: DocumentInput, error: DocRelayError) -> Result:
    """A failed result for a document that may never have been read."""
    if isinstance(document, DocumentSource):
        info = DocumentInfo.from_source(document)
    elif isinstance(document, bytes):
        info = DocumentInfo(name="document")
    else:
        info = DocumentInfo(source=str(document), name=Path(document).name)
    return Result.failed(provider, model, info, error)
