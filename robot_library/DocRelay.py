"""The `robot_library.DocRelay` keyword library: a thin layer over core.services.Client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robot.api import logger
from robot.api.deco import keyword, library

from core._version import __version__
from core.hints import use_front_end
from robot_library._support import (
    DocRelayCheckFailure,
    DocRelayFailure,
    SecretMasker,
    Stopwatch,
    as_result,
    keyword_call,
    log_json,
    one_line,
    plain_settings,
    robot_value,
    seconds,
)
from robot_library._support import (
    Secret as Secret,  # re-exported: Robot reads the keywords' type hints from this module
)

if TYPE_CHECKING:
    from core.models import JobHandle, Result
    from core.services import Client

LIBRARY_DOC = """\
Document AI for Robot Framework: push documents to Cradl, contract.fit, DeepOpinion or the offline
``local`` engine, and get one normalized result back.

== Table of contents ==

%TOC%

= Providers and configuration =

The library talks to one provider at a time. ``local`` (offline, no account) is the default when nothing
else is configured. Choose another one when importing the library (in the Settings section), or at run
time with `Use Provider`:

| Library    robot_library.DocRelay    provider=cradl    timeout=2 min
| ...        client_id=%{CRADL_CLIENT_ID}    client_secret=${CRADL_SECRET}

Import arguments: ``provider``, ``profile`` (a profile of the docrelay configuration file), ``timeout``
(how long to wait for a job; Robot time format: ``90``, ``2 min``, ``1 hour 30 min``), ``model`` (the
default model of the keywords), ``poll_interval`` (the first pause between two looks at a running job)
and any provider setting, named as everywhere in docrelay: ``client_id``, ``client_secret``, ``api_url``,
``auth_url``, ``access_token`` (Cradl); ``url``, ``api_key``, ``username``, ``password``, ``inbox``
(contract.fit); ``url``, ``email``, ``password``, ``token``, ``organization``, ``project`` (DeepOpinion);
and ``ca_bundle``, ``truststore``, ``rate_limit`` for any provider.

A setting not given here comes from the environment (``DOCRELAY_CRADL_CLIENT_ID``, ...), then from the
profile file, then from the built-in default, exactly as for the ``docrelay`` command, so a robot can
rely on ``docrelay config set`` and keep no settings in its data at all. Nothing is read or checked
when the library is imported: the first keyword that needs the provider does it, and fails clearly.

The library has GLOBAL scope: one connection per provider is shared by every suite of the run.

= Secrets =

Every credential accepts a Robot Framework ``Secret`` (Robot Framework 7.4 or newer) or a plain
string. Neither is ever written to output.xml, log.html or report.html, at any log level: Secret
values are hidden by Robot itself, plain strings are masked by the library from the moment a keyword
receives them (including Robot's own TRACE logging of the arguments), and tokens the service issues
are masked too. Prefer Secret values, created from environment variables in the Variables section:

| ${CRADL_SECRET: Secret}    %{CRADL_CLIENT_SECRET}

or on the command line: ``robot --variable "CRADL_SECRET: Secret:..." tasks.robot``. A plain string
that passes through other keywords before reaching this library may be logged by them.

= Results =

`Extract Document` and `Wait For Result` return the normalized result as a dictionary, the same shape
for every provider (the docrelay result schema ``docrelay.result/1``):

| schema, provider, model, status (pending | succeeded | failed), error,
| document (source, name, sha256, content_type, size, pages, id), prediction_id,
| fields (name: value, confidence, page, raw_value, box, candidates),
| tables (name: list of rows, each column: value, confidence, page), extras, raw

Values are text: dates in ISO 8601 (``2026-03-14``), amounts with a decimal point (``1836.60``).
``confidence`` is 0..1, or ``None`` where the service gives none; ``raw`` is the service's own answer.
Use `Get Field Value`, `Get Table Rows` and the other result keywords, or plain Robot syntax:
``${result}[fields][total_amount][value]`` or ``${result.fields.total_amount.value}``.

= Failures =

Failures are one line that says what went wrong and what to do next, with no traceback at the
default log level:

- A wrong path, an unsupported or empty file, an unknown model, a missing field, a value below a
  threshold, a service error or a network error fails the keyword.
- Refused credentials (HTTP 401/403) are a fatal error: the run stops, since every later test would
  fail the same way.
- A job that does not finish within the timeout fails with its job handle in the message, so that a
  later keyword (or a later run) can resume it with `Wait For Result`.
- The validation keywords (`Field Should Have Confidence`, `Field Value Should Be`,
  `Result Should Have Succeeded`) fail as continuable failures: the test goes on, and every check of
  a document reports.

`Extract Documents` does not fail for a document it cannot process: that document's result has
``status`` ``failed`` and an ``error``, and the others go on.

= Logging =

Each keyword logs one line at INFO: what it did, the document, provider, model, time taken and
status. The full result is logged as JSON at DEBUG. HTTP details are logged at TRACE only.

= Batches and the journal =

`Extract Documents` processes many documents concurrently. With ``journal=``, each document is
recorded in a journal file as it goes: running the same robot again costs nothing for the documents
that already succeeded, and a run that was killed resumes without predicting anything twice.

= Example =

A task that reads an invoice with the offline ``local`` provider, after ``Library    robot_library.DocRelay``
in its Settings section (examples/robot/invoice_robot.robot in the repository is a complete robot):

| Read An Invoice
|     ${result} =    Extract Document    ${CURDIR}/invoice.pdf    model=invoice
|     ${total} =    Get Field Value    ${result}    total_amount    min_confidence=0.9
|     ${lines} =    Get Table Rows    ${result}
|     Log    ${total} in ${{len($lines)}} lines
"""


@dataclass
class _Session:
    """One configured provider and its default model."""

    client: Client
    model: str | None = None


@library(scope="GLOBAL", version=__version__, doc_format="ROBOT", auto_keywords=False)
class DocRelay:
    __doc__ = LIBRARY_DOC

    def __init__(
        self,
        provider: str | None = None,
        profile: str | None = None,
        timeout: timedelta | None = None,
        model: str | None = None,
        poll_interval: timedelta | None = None,
        **settings: Secret | str,
    ) -> None:
        """Import the library, optionally choosing the provider, profile, timeout, default model and
        provider settings (see `Providers and configuration`).

        Nothing is contacted or checked at import: a wrong setting fails the first keyword.

        | Library    robot_library.DocRelay
        | Library    robot_library.DocRelay    provider=cradl    model=las:model:invoice
        | ...        client_id=%{CRADL_CLIENT_ID}    client_secret=${CRADL_SECRET}
        | Library    robot_library.DocRelay    profile=work    timeout=5 min
        """
        use_front_end("robot")  # hints name arguments as `model=`, not `--model`
        self.ROBOT_LIBRARY_LISTENER = SecretMasker(self)
        self._settings = plain_settings(settings)  # registers secrets before anything is logged
        self._provider = provider or None
        self._profile = profile or None
        self._timeout = timeout
        self._model = model or None
        self._poll_interval = poll_interval
        self._sessions: dict[str, _Session] = {}
        self._current: str | None = None

    # -- configuration -------------------------------------------------------------------------
    @keyword
    def use_provider(
        self,
        name: str,
        *,
        profile: str | None = None,
        timeout: timedelta | None = None,
        model: str | None = None,
        **settings: Secret | str,
    ) -> None:
        """Switch to provider ``name`` (``local``, ``cradl``, ``contractfit``, ``deepopinion``) for the
        keywords that follow.

        ``settings`` are that provider's settings (see `Providers and configuration`); ``profile``,
        ``timeout`` and ``model`` default to the import arguments. Without any of them, a provider used
        earlier in the run is switched back to with the settings it had. The settings are checked now;
        the service is contacted by the first keyword that needs it.

        | Use Provider    cradl    client_id=${CLIENT_ID}    client_secret=${CLIENT_SECRET}
        | ...             model=las:model:invoice    timeout=2 min
        | Use Provider    local
        | Use Provider    contractfit    api_key=${CONTRACTFIT_KEY}    inbox=invoices
        """
        key = name.strip().lower()
        with keyword_call():
            plain = plain_settings(settings)
            changed = bool(plain or profile or timeout is not None or model)
            if not changed and key in self._sessions:
                self._current = key
            elif self._is_import_provider(key):  # the import arguments' settings, updated by these
                self._open(
                    key,
                    profile=profile,
                    timeout=timeout,
                    model=model or self._model,
                    settings={**self._settings, **plain},
                )
            else:
                self._open(key, profile=profile, timeout=timeout, model=model, settings=plain)
            session = self._session()
            where = f", profile {session.client.settings.profile}" if session.client.settings.profile else ""
            default_model = f", default model {session.model}" if session.model else ""
            logger.info(f"Using provider {session.client.provider_name}{where}{default_model}")

    def _is_import_provider(self, key: str) -> bool:
        return bool(self._provider) and str(self._provider).strip().lower() == key

    def _open(
        self,
        provider: str | None,
        *,
        profile: str | None,
        timeout: timedelta | None,
        model: str | None,
        settings: dict[str, Any],
    ) -> _Session:
        from core.services import Client, PollingOptions

        polling = None
        interval = seconds(self._poll_interval, "poll interval")
        if interval is not None:
            polling = PollingOptions(initial_delay=interval, factor=1.5, max_interval=max(interval, 15.0))
        client = Client(
            provider,
            profile=profile or self._profile,
            timeout=seconds(timeout if timeout is not None else self._timeout),
            settings=settings,
            polling=polling,
        )
        name = client.provider_name
        previous = self._sessions.get(name)
        if previous is not None:
            previous.client.close()
        session = _Session(client, model or None)
        self._sessions[name] = session
        self._current = name
        return session

    def _session(self) -> _Session:
        """The current provider; the first call configures it from the import arguments."""
        if self._current is None:
            return self._open(
                self._provider, profile=None, timeout=None, model=self._model, settings=self._settings
            )
        return self._sessions[self._current]

    def _session_for_job(self, job: str) -> tuple[_Session, JobHandle]:
        """The session of the provider a job handle belongs to (configured from the environment and
        profile file if this run has not used that provider yet), and the decoded handle."""
        from core.errors import UsageError
        from core.models import JobHandle

        try:
            handle = JobHandle.decode(job)
        except UsageError:
            raise DocRelayFailure(
                f"That is not a docrelay job handle: {job[:40]!r}. Pass the value that Submit Document "
                "returned, or the one in a timeout's message (it starts with 'drjob1.')"
            ) from None
        current = self._session()
        if handle.provider == current.client.provider_name:
            return current, handle
        session = self._sessions.get(handle.provider)
        if session is None:
            active = self._current
            session = self._open(
                handle.provider, profile=handle.profile, timeout=None, model=None, settings={}
            )
            self._current = active
        return session, handle

    def _close_clients(self) -> None:
        for session in self._sessions.values():
            session.client.close()
        self._sessions.clear()
        self._current = None

    # -- one document --------------------------------------------------------------------------
    @keyword
    def extract_document(
        self,
        path: Path,
        model: str | None = None,
        timeout: timedelta | None = None,
        pages: str | None = None,
        max_pages: int | None = None,
    ) -> dict[str, Any]:
        """Upload the document at ``path``, predict with ``model`` and wait for the result.

        Returns the result dictionary (see `Results`). ``model`` defaults to the model given at import
        or to `Use Provider` (the ``local`` provider's default is ``invoice``). ``timeout`` overrides
        the library's timeout for this document. ``pages`` picks pages, 0-based and comma-separated
        (``0,1,-1``: the first two and the last); ``max_pages`` caps how many are read (providers that
        cannot select pages ignore both).

        Fails if the file is missing, empty or not a PDF, JPEG, PNG, TIFF or WebP, if the model is
        unknown, if the service reports that it could not process the document, or if the job does
        not finish in time (the message then has the job handle to resume with `Wait For Result`).

        | ${result} =    Extract Document    ${CURDIR}/invoices/invoice 7.pdf
        | ${result} =    Extract Document    ${file}    model=las:model:invoice    timeout=5 min
        | Should Be Equal    ${result}[fields][currency][value]    EUR
        """
        from core.providers.base import PredictOptions

        watch = Stopwatch()
        with keyword_call():
            session = self._session()
            options = PredictOptions.parse(pages=pages, max_pages=max_pages)
            result = session.client.extract(
                path,
                model=model or session.model,
                timeout=seconds(timeout),
                options=options,
            )
            return self._report("Extracted", result, session, watch)

    @keyword
    def submit_document(
        self,
        path: Path,
        model: str | None = None,
        pages: str | None = None,
        max_pages: int | None = None,
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
            session = self._session()
            options = PredictOptions.parse(pages=pages, max_pages=max_pages)
            handle = session.client.submit(path, model=model or session.model, options=options)
            job = handle.encode()
            logger.info(
                f"Submitted {handle.document.name} to {handle.provider}{_model_text(handle.model)} "
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
            session, handle = self._session_for_job(job)
            result = session.client.status(handle)
            logger.info(
                f"Checked the job of {handle.document.name} on {handle.provider}{_model_text(handle.model)} "
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
        from core.services import raise_if_failed

        watch = Stopwatch()
        with keyword_call():
            session, handle = self._session_for_job(job)
            result = session.client.wait(handle, timeout=seconds(timeout))
            raise_if_failed(result)
            return self._report("Waited for", result, session, watch)

    # -- many documents ------------------------------------------------------------------------
    @keyword
    def extract_documents(
        self,
        *paths: Path,
        model: str | None = None,
        concurrency: int | None = None,
        journal: Path | None = None,
        timeout: timedelta | None = None,
        pattern: str = "*",
        recursive: bool = True,
    ) -> list[dict[str, Any]]:
        """Extract many documents at once; returns one result dictionary per document, in order.

        ``paths`` are files or folders: folders are searched for PDF, JPEG, PNG, TIFF and WebP files
        whose names match ``pattern`` (e.g. ``*.pdf``), in their subfolders too unless ``recursive`` is
        false. Up to ``concurrency`` documents are
        worked on at the same time (default 4). With ``journal``, a journal file records each
        document: what succeeded before is not sent again (its result has ``extras.from_journal``),
        and an interrupted run resumes where it stopped. ``timeout`` is per document.

        A document that cannot be processed does not fail the keyword: its result has ``status``
        ``failed`` and an ``error`` (check with `Result Should Have Succeeded`). The keyword fails
        only for what every document would meet: bad settings, refused credentials (fatal), an
        exhausted quota, or nothing to process.

        | @{results} =    Extract Documents    ${CURDIR}/inbox    pattern=*.pdf    journal=${TEMPDIR}/j.db
        | @{results} =    Extract Documents    @{files}    model=las:model:invoice    concurrency=8
        | FOR    ${result}    IN    @{results}
        |     Result Should Have Succeeded    ${result}
        | END
        """
        from core.batch import collect_paths

        watch = Stopwatch()
        with keyword_call():
            session = self._session()
            documents = collect_paths(paths, pattern=pattern, recursive=recursive)
            outcome = session.client.batch(
                documents,
                model=model or session.model,
                concurrency=concurrency,
                journal=journal,
                timeout=seconds(timeout),
            )
            summary = outcome.summary
            logger.info(
                f"Extracted {summary['total']} documents with {session.client.provider_name}"
                f"{_model_text(model or session.model)} in {watch}: {summary['succeeded']} succeeded, "
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

    # -- service information ---------------------------------------------------------------------
    @keyword
    def list_models(self) -> list[dict[str, Any]]:
        """The models the current provider offers with these credentials, as a list of dictionaries
        with ``id``, ``name``, ``description``, ``provider``, ``fields`` and ``extras``.

        | @{models} =    List Models
        | Should Be Equal    ${models}[0][id]    invoice
        """
        watch = Stopwatch()
        with keyword_call():
            session = self._session()
            models = [model.model_dump(mode="json") for model in session.client.models()]
            names = ", ".join(str(m["id"]) for m in models[:10]) + (" ..." if len(models) > 10 else "")
            provider = session.client.provider_name
            logger.info(f"{provider} has {len(models)} models ({names}), listed in {watch}")
            log_json(models)
            return [robot_value(m) for m in models]

    @keyword
    def run_doctor(self) -> list[dict[str, Any]]:
        """Check the configuration, credentials, network and TLS of the current provider, as
        ``docrelay doctor`` does. Returns the checks (``name``, ``ok``, ``detail``, ``error_type``) and
        fails, naming every failed check, if any failed. Useful in a Suite Setup.

        | Run Doctor
        """
        watch = Stopwatch()
        with keyword_call():
            session = self._session()
            checks = [check.model_dump(mode="json") for check in session.client.doctor()]
            failed = [c for c in checks if not c["ok"]]
            logger.info(
                f"Doctor for {session.client.provider_name}: {len(checks) - len(failed)} of "
                f"{len(checks)} checks passed in {watch}"
            )
            log_json(checks)
            if failed:
                raise DocRelayFailure(one_line("; ".join(f"{c['name']}: {c['detail']}" for c in failed)))
            return [robot_value(c) for c in checks]

    # -- reading results -------------------------------------------------------------------------
    @keyword
    def get_field_value(self, result: dict[str, Any], name: str, min_confidence: float | None = None) -> str:
        """The value of field ``name`` in ``result``, as text.

        Fails if the result has no such field, if the service found no value for it, or, with
        ``min_confidence`` (0..1), if the field's confidence is below it (or the service gives none).

        | ${total} =    Get Field Value    ${result}    total_amount
        | ${iban} =    Get Field Value    ${result}    iban    min_confidence=0.9
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name, min_confidence)
            if check.problem:
                raise DocRelayFailure(check.problem)
            threshold = f" (threshold {min_confidence:g})" if min_confidence is not None else ""
            confidence = _number(check.confidence)
            logger.info(f"Field {name!r} of {check.document}: confidence {confidence}{threshold}")
            return str(check.value)

    @keyword
    def get_field_confidence(self, result: dict[str, Any], name: str) -> float | None:
        """The confidence (0..1) of field ``name`` in ``result``; ``None`` if the service gives none.

        Fails if the result has no such field.

        | ${confidence} =    Get Field Confidence    ${result}    total_amount
        | IF    ${confidence} < 0.8    Append To List    ${review}    ${result}[document][source]
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name)
            if check.field is None:
                raise DocRelayFailure(str(check.problem))
            logger.info(f"Field {name!r} of {check.document}: confidence {_number(check.confidence)}")
            return check.confidence

    @keyword
    def get_field_values(self, result: dict[str, Any]) -> dict[str, str | None]:
        """Every field of ``result`` as a dictionary of name and value (``None`` where the service
        found no value).

        | ${values} =    Get Field Values    ${result}
        | Log    Invoice ${values}[invoice_number] of ${values}[supplier_name]
        """
        from core.checks import document_label, field_values

        with keyword_call():
            parsed = as_result(result)
            values = field_values(parsed)
            logger.info(f"{len(values)} fields of {document_label(parsed)}")
            return robot_value(values)  # type: ignore[no-any-return]

    @keyword
    def get_table_rows(
        self, result: dict[str, Any], table: str = "line_items"
    ) -> list[dict[str, str | None]]:
        """The rows of ``table`` in ``result``, each a dictionary of column and value (plain text).

        A result without any table gives an empty list (services leave out a table they found no lines
        for); a result that has other tables but not this one fails, naming the tables it has.

        | @{lines} =    Get Table Rows    ${result}
        | FOR    ${line}    IN    @{lines}
        |     Log    ${line}[description]: ${line}[amount]
        | END
        """
        from core.checks import document_label, table_values

        with keyword_call():
            parsed = as_result(result)
            rows = table_values(parsed, table)
            logger.info(f"{len(rows)} rows in table {table!r} of {document_label(parsed)}")
            return [robot_value(row) for row in rows]

    @keyword
    def get_low_confidence_fields(
        self, result: dict[str, Any], min_confidence: float, *names: str
    ) -> list[str]:
        """The names of the fields that need a human look: below ``min_confidence`` (0..1), without a
        confidence score, without a value, or (for ``names`` given) missing from the result.

        Checks the fields named, or every field of the result. An empty list means the document can go
        straight on.

        | @{doubtful} =    Get Low Confidence Fields    ${result}    0.8    total_amount    iban
        | IF    ${doubtful}    Append To List    ${review}    ${result}[document][source]
        """
        from core.checks import document_label, low_confidence_fields

        with keyword_call():
            parsed = as_result(result)
            names_checked = list(names) or None
            doubtful = [check.name for check in low_confidence_fields(parsed, min_confidence, names_checked)]
            listed = ", ".join(doubtful) if doubtful else "none"
            logger.info(f"Fields of {document_label(parsed)} below {min_confidence:g}: {listed}")
            return doubtful

    # -- validation (continuable) ------------------------------------------------------------------
    @keyword
    def result_should_have_succeeded(self, result: dict[str, Any]) -> None:
        """Fails (continuably) if ``result`` is failed or still pending, with the service's reason.

        | Result Should Have Succeeded    ${result}
        """
        from core.checks import document_label

        with keyword_call():
            parsed = as_result(result)
            label = document_label(parsed)
            if parsed.status == "succeeded":
                logger.info(f"{label} succeeded")
                return
            reason = f": {parsed.error.message}" if parsed.error else ""
            raise DocRelayCheckFailure(one_line(f"{label} {parsed.status}{reason}"))

    @keyword
    def field_should_have_confidence(self, result: dict[str, Any], name: str, min_confidence: float) -> None:
        """Fails (continuably) unless field ``name`` has a value with at least ``min_confidence``
        (0..1). Being continuable, several checks of one document all report.

        | Field Should Have Confidence    ${result}    total_amount    0.9
        | Field Should Have Confidence    ${result}    iban    0.95
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name, min_confidence)
            if check.problem:
                raise DocRelayCheckFailure(check.problem)
            logger.info(
                f"Field {name!r} of {check.document}: confidence {_number(check.confidence)} "
                f"meets {min_confidence:g}"
            )

    @keyword
    def field_value_should_be(self, result: dict[str, Any], name: str, expected: str) -> None:
        """Fails (continuably) unless field ``name`` has the value ``expected`` (compared as text:
        dates as ``2026-03-14``, amounts as ``1836.60``).

        | Field Value Should Be    ${result}    currency    EUR
        | Field Value Should Be    ${result}    total_amount    1836.60
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name)
            if check.problem:
                raise DocRelayCheckFailure(check.problem)
            if check.value != expected:
                raise DocRelayCheckFailure(
                    f"Field {name!r} of {check.document} is {check.value!r}, expected {expected!r}"
                )
            logger.info(f"Field {name!r} of {check.document} is as expected")

    # -- output ------------------------------------------------------------------------------------
    @keyword("Write Results To CSV")
    def write_results_to_csv(
        self, results: list[dict[str, Any]], path: Path, table: str = "line_items"
    ) -> str:
        """Write ``results`` as a CSV file (UTF-8 with a byte-order mark, for Excel): one row per
        document with ``doc_key``, ``source``, ``status``, ``error``, then each field's value and
        confidence. The rows of ``table`` go to a second file beside it, linked by ``doc_key``, named
        after the first with its extension replaced (``invoices.csv``: ``invoices.line_items.csv``).
        Returns the path of the documents file.

        Text that a spreadsheet would run as a formula is written with a leading apostrophe.

        | ${csv} =    Write Results To CSV    ${results}    ${OUTPUT_DIR}/invoices.csv
        """
        from core.tabular import write_results_csv

        with keyword_call():
            parsed = [as_result(item) for item in results]
            documents, lines = write_results_csv(parsed, path, table=table)
            logger.info(f"Wrote {len(parsed)} documents to {documents} and their {table} to {lines}")
            return str(documents)

    # -- helpers -----------------------------------------------------------------------------------
    def _report(self, verb: str, result: Result, session: _Session, watch: Stopwatch) -> dict[str, Any]:
        rows = sum(len(rows) for rows in result.tables.values())
        logger.info(
            f"{verb} {result.document.name} with {result.provider}{_model_text(result.model)} in {watch}: "
            f"{result.status}, {len(result.fields)} fields, {rows} table rows"
        )
        data = result.to_dict()
        log_json(data)
        return robot_value(data)  # type: ignore[no-any-return]


def _model_text(model: str | None) -> str:
    return f" (model {model})" if model else ""


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"
