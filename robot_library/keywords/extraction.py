"""Keywords that send documents and wait for results: one document, a submitted job, a batch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from core.models import Result
from core.review import ReviewPolicy
from robot_library._context import Component, ProviderSession
from robot_library._support import (
    Secret,
    Stopwatch,
    keyword_call,
    log_json,
    model_text,
    one_line,
    plain_journal,
    robot_value,
    seconds,
)


def review_policy(below: float | None, fields: dict[str, float] | None) -> ReviewPolicy | None:
    from core.review import ReviewPolicy

    return ReviewPolicy.parse(below=below, fields=fields or {})


def model_or_agent(model: str | None, agent: str | None, default: str | None) -> str | None:
    """The model for this call: the library's default model does not apply to an agent run."""
    return model if agent else (model or default)


class ExtractionKeywords(Component):
    """Extract, Submit, Get Job Status, Wait For Result, Get Result From Journal, Extract Documents."""

    # -- one document --------------------------------------------------------------------------
    @keyword
    def extract_document(
        self,
        path: Path,
        model: str | None = None,
        timeout: timedelta | None = None,
        pages: str | None = None,
        max_pages: int | None = None,
        agent: str | None = None,
        review_below: float | None = None,
        review_fields: dict[str, float] | None = None,
        delete_after: bool = False,
    ) -> dict[str, Any]:
        """Upload the document at ``path``, predict with ``model`` and wait for the result.

        Returns the result dictionary (see `Results`). ``model`` defaults to the model given at import
        or to `Use Provider` (the ``local`` provider's default is ``invoice``). ``timeout`` overrides
        the library's timeout for this document. ``pages`` picks pages, 0-based and comma-separated
        (``0,1,-1``: the first two and the last); ``max_pages`` caps how many are read (providers that
        cannot select pages ignore both).

        The ``local`` provider reads scans and images by OCR, and an e-invoice's values exactly (a
        Factur-X, ZUGFeRD or XRechnung PDF, or a UBL / CII ``.xml`` file).

        ``agent`` (Cradl) runs the document through that Cradl Agent instead of a model: the agent
        predicts with its own settings and may wait for a person to review the values; the result
        carries ``agent_run_status`` and ``review`` in its ``extras``. `List Models` lists agents too.

        ``review_below`` (0..1) sends the result to human review when a field's confidence is below it
        (``review_fields`` gives fields thresholds of their own, e.g. ``${{ {"total_amount": 0.95} }}``)
        or when its sums do not add up; the result then has status ``needs_review`` and ``[review]``
        with the review's ``id`` and ``link``: wait for it with `Wait For Review` (see `Human review`).
        ``delete_after`` deletes the document on the service once the result is in hand (Cradl,
        contract.fit; one under review is kept until `Wait For Review` with ``delete_after=True``).

        Fails if the file is missing, empty or not a PDF, JPEG, PNG, TIFF, WebP or XML e-invoice, if the
        model is unknown, if the service reports that it could not process the document, or if the job does
        not finish in time (the message then has the job handle to resume with `Wait For Result`).

        | ${result} =    Extract Document    ${CURDIR}/invoices/invoice 7.pdf
        | ${result} =    Extract Document    ${file}    model=las:model:invoice    timeout=5 min
        | ${result} =    Extract Document    ${file}    agent=cradl:agent:0123...
        | Should Be Equal    ${result}[fields][currency][value]    EUR
        """
        from core.providers.base import PredictOptions

        watch = Stopwatch()
        with keyword_call():
            session = self.context.session()
            options = PredictOptions.parse(pages=pages, max_pages=max_pages)
            result = session.client.extract(
                path,
                model=model_or_agent(model, agent, session.model),
                timeout=seconds(timeout),
                options=options,
                agent=agent,
                review=review_policy(review_below, review_fields),
                delete_after=delete_after,
            )
            return self._report("Extracted", result, session, watch)

    @keyword
    def submit_document(
        self,
        path: Path,
        model: str | None = None,
        pages: str | None = None,
        max_pages: int | None = None,
        agent: str | None = None,
    ) -> str:
        """Upload the document at ``path`` and start a prediction; return at once with its job handle.

        The handle is text (``drjob1.…``) that holds no secret: keep it in a variable, a file or a
        queue, and fetch the result later with `Wait For Result` or `Get Job Status`, in this run or
        another. Arguments as in `Extract Document`.

        | ${job} =    Submit Document    ${CURDIR}/invoice.pdf    model=las:model:invoice
        | # ... other work ...
        | ${result} =    Wait For Result    ${job}
        """
        from core.providers.base import PredictOptions

        watch = Stopwatch()
        with keyword_call():
            session = self.context.session()
            options = PredictOptions.parse(pages=pages, max_pages=max_pages)
            handle = session.client.submit(
                path, model=model_or_agent(model, agent, session.model), options=options, agent=agent
            )
            job = handle.encode()
            logger.info(
                f"Submitted {handle.document.name} to {handle.provider}{model_text(handle.model)} "
                f"in {watch}: job {job}"
            )
            return job

    @keyword
    def get_job_status(self, job: str) -> str:
        """One look at a submitted job: returns ``pending``, ``succeeded`` or ``failed``.

        The job may belong to another provider than the current one: its handle says which.

        | ${status} =    Get Job Status    ${job}
        | Wait Until Keyword Succeeds    2 min    5 s    Job Should Be Done    ${job}
        """
        watch = Stopwatch()
        with keyword_call():
            session, handle = self.context.session_for_job(job)
            result = session.client.status(handle)
            logger.info(
                f"Checked the job of {handle.document.name} on {handle.provider}{model_text(handle.model)} "
                f"in {watch}: {result.status}"
            )
            log_json(result.to_dict())
            return result.status

    @keyword
    def wait_for_result(self, job: str, timeout: timedelta | None = None) -> dict[str, Any]:
        """Wait for the job of `Submit Document` (or of a timed-out `Extract Document`) to finish,
        and return its result dictionary (see `Results`).

        ``timeout`` defaults to the library's timeout. Fails if the service could not process the
        document, or if the job is still running when the timeout passes (the job goes on: call this
        keyword again later).

        | ${result} =    Wait For Result    ${job}
        | ${result} =    Wait For Result    ${job}    timeout=10 min
        """
        watch = Stopwatch()
        with keyword_call():
            session, handle = self.context.session_for_job(job)
            result = session.client.wait(handle, timeout=seconds(timeout))
            return self._report("Waited for", result, session, watch)

    @keyword
    def get_result_from_journal(
        self,
        path: Path,
        model: str | None = None,
        journal: Secret | str | None = None,
        timeout: timedelta | None = None,
    ) -> dict[str, Any]:
        """The result a batch journaled for the document at ``path``, read from the journal without a
        call to the service: what any robot sharing the journal extracted (see `Batches and the
        journal`). The document is found by its content, provider and model, under any file name.

        ``journal`` defaults to the ``journal`` setting. Fails if the journal has no row for the
        document, if the batch failed it, or if it is still being processed; with ``timeout``, waits
        up to that long for a document still being processed.

        | ${result} =    Get Result From Journal    ${INBOX}/invoice.pdf    journal=${JOURNAL}
        """
        watch = Stopwatch()
        with keyword_call():
            session = self.context.session()
            waited = seconds(timeout)
            result = session.client.journal_result(
                path,
                model=model or session.model,
                journal=plain_journal(journal),
                wait=waited is not None,
                timeout=waited,
            )
            return self._report("Read from the journal", result, session, watch)

    # -- many documents ------------------------------------------------------------------------
    @keyword
    def extract_documents(
        self,
        *paths: Path,
        model: str | None = None,
        concurrency: int | None = None,
        journal: Secret | str | None = None,
        timeout: timedelta | None = None,
        pattern: str = "*",
        recursive: bool = True,
        review_below: float | None = None,
        review_fields: dict[str, float] | None = None,
        delete_after: bool = False,
    ) -> list[dict[str, Any]]:
        """Extract many documents at once; returns one result dictionary per document, in order.

        ``paths`` are files or folders: folders are searched for PDF, JPEG, PNG, TIFF and WebP files
        whose names match ``pattern`` (e.g. ``*.pdf``), in their subfolders too unless ``recursive`` is
        false. Up to ``concurrency`` documents are
        worked on at the same time (default 4). With ``journal``, a journal file records each
        document: what succeeded before is not sent again (its result has ``extras.from_journal``),
        and an interrupted run resumes where it stopped; a ``postgresql://`` journal is shared by
        robots on many machines (see `Batches and the journal`). ``timeout`` is per document.

        A document that cannot be processed does not fail the keyword: its result has ``status``
        ``failed`` and an ``error`` (check with `Result Should Have Succeeded`). The keyword fails
        only for what every document would meet: bad settings, refused credentials (fatal), an
        exhausted quota, or nothing to process.

        ``review_below``, ``review_fields`` and ``delete_after`` as in `Extract Document`; a document
        routed to review is journaled as ``needs_review``, so a resumed run starts no second review.

        | @{results} =    Extract Documents    ${CURDIR}/inbox    pattern=*.pdf    journal=${TEMPDIR}/j.db
        | @{results} =    Extract Documents    @{files}    model=las:model:invoice    concurrency=8
        | FOR    ${result}    IN    @{results}
        |     Result Should Have Succeeded    ${result}
        | END
        """
        from core.batch import collect_paths

        watch = Stopwatch()
        with keyword_call():
            session = self.context.session()
            documents = collect_paths(paths, pattern=pattern, recursive=recursive)
            outcome = session.client.batch(
                documents,
                model=model or session.model,
                concurrency=concurrency,
                journal=plain_journal(journal),
                timeout=seconds(timeout),
                review=review_policy(review_below, review_fields),
                delete_after=delete_after,
            )
            summary = outcome.summary
            logger.info(
                f"Extracted {summary['total']} documents with {session.client.provider_name}"
                f"{model_text(model or session.model)} in {watch}: {summary['succeeded']} succeeded, "
                f"{summary['failed']} failed, {summary['pending']} pending; "
                f"{outcome.from_journal} from the journal {outcome.journal}"
            )
            for result in outcome.results:
                if result.status != "succeeded":
                    reason = f": {result.error.message}" if result.error else ""
                    logger.info(one_line(f"{result.document.name} {result.status}{reason}"))
            data = [result.to_dict() for result in outcome.results]
            log_json(data)
            return [robot_value(item) for item in data]

    # -- helpers -----------------------------------------------------------------------------------
    def _report(
        self, verb: str, result: Result, session: ProviderSession, watch: Stopwatch
    ) -> dict[str, Any]:
        rows = sum(len(rows) for rows in result.tables.values())
        logger.info(
            f"{verb} {result.document.name} with {result.provider}{model_text(result.model)} in {watch}: "
            f"{result.status}, {len(result.fields)} fields, {rows} table rows"
        )
        data = result.to_dict()
        log_json(data)
        return robot_value(data)  # type: ignore[no-any-return]
