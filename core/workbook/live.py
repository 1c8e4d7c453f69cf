"""The live bridge's work (`docrelay-excel serve`): push documents from an open workbook, follow their
jobs, and plan the writes that bring the workbook up to date. The HTTP front end (excel_addin.bridge)
only parses requests and formats answers; everything here is plain Python.

- **The journal is the source of truth.** Pushes run as journaled batches (one at a time, so a document
  is never predicted twice); the registry (core.workbook.live_registry) only says which journal rows
  belong to which workbook. Results since a cursor are read back from the journal, so a pane closed
  mid-run, or Excel restarted, loses nothing: the next Pull plans every row changed since its cursor.
- **The planner is the single source of the sheet's logic**: the pane sends the workbook's state and
  gets core.workbook.planner's actions back; its JavaScript only carries them out.
- The journal is opened while it is needed and closed after a few idle seconds, so that `docrelay batch`
  and `docrelay-excel run` can use the same default journal while the bridge waits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from core._version import __version__
from core.batch.engine import BatchEngine
from core.batch.journal import Entry
from core.batch.journals import JournalBackend, describe, open_journal
from core.errors import DocRelayError, NotFoundError, UsageError
from core.models import DocumentInfo, Result, ResultError
from core.services import Client
from core.sources import DocumentSource
from core.tabular import doc_key
from core.workbook.layout import DEFAULT_THRESHOLD, DOCUMENTS
from core.workbook.live_registry import JobRecord, PushedDocument, Registry
from core.workbook.planner import FieldDef, plan_workbook, row_status
from core.workbook.run import model_fields, resolve_source
from core.workbook.state import WorkbookState
from core.workbook.values import infer_type, typed_cell

log = logging.getLogger("docrelay.bridge")

REGISTRY_FILE = "bridge.sqlite3"
JOURNAL_IDLE_S = 10.0  # the journal is closed after this long unused
SHARED_OVERLAP_S = 5.0  # a shared journal's rows may commit out of clock order: look back this far
MAX_PUSH_DOCUMENTS = 10_000
# A job's status is kept until the registry changes. While the job runs, the queued/processing states
# of its undelivered documents come from the journal, which other processes may write: re-read at
# most this often (a pane polls each second).
JOURNAL_STATES_TTL_S = 0.25
JOB_CACHE_SIZE = 64


@dataclass(frozen=True)
class PushItem:
    """One document to push: the file to read, the `source` text its row shows, and where the row's
    hyperlink points when not at that text (see `picked_file`)."""

    path: Path
    shown: str
    link: str | None = None


def picked_file(path: Path, name: str) -> PushItem:
    """A file picked in the pane, stored in the bridge's folder: its row shows the name picked and
    links to the stored copy, as the bare name would open nothing."""
    return PushItem(path, name, link=file_link(path.resolve(), windows=os.name == "nt"))


def file_link(path: PurePath, *, windows: bool) -> str:
    """A hyperlink target that opens the file at the absolute `path` from any workbook: on Windows the
    path itself (what Excel writes; a file URL would garble names that are not ASCII), elsewhere a
    file URL (Excel for Mac opens those)."""
    return str(PureWindowsPath(path)) if windows else PurePosixPath(path).as_uri()


class _JournalHolder:
    """The journal, opened on first use and closed when idle (see the module doc)."""

    def __init__(self, target: str | None, password: str | None, lease: float | None) -> None:
        self.target = target
        self._password = password
        self._lease = lease
        self._journal: JournalBackend | None = None
        self._users = 0
        self._last_use = time.monotonic()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def use(self) -> Iterator[JournalBackend]:
        with self._lock:
            if self._journal is None:
                self._journal = open_journal(self.target, password=self._password, lease=self._lease)
            self._users += 1
            journal = self._journal
        try:
            yield journal
        finally:
            with self._lock:
                self._users -= 1
                self._last_use = time.monotonic()

    def close_if_idle(self, idle: float = JOURNAL_IDLE_S) -> None:
        with self._lock:
            if self._journal is not None and not self._users and time.monotonic() - self._last_use >= idle:
                self._journal.close()
                self._journal = None

    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None


class LiveService:
    """One bridge's state: the registry, the journal, and the worker that runs pushes in order."""

    def __init__(
        self,
        data_dir: Path,
        *,
        provider: str | None = None,
        model: str | None = None,
        profile: str | None = None,
        journal: str | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.profile = profile
        self.concurrency = concurrency or 4
        probe = Client(provider, profile=profile)  # settings only: no network
        self.provider = probe.provider_name
        self.model = model
        target = journal if journal is not None else probe.settings.journal
        self.journal_shown = describe(target)
        self._journal = _JournalHolder(target, probe.settings.journal_password, probe.settings.journal_lease)
        self.registry = Registry(data_dir / REGISTRY_FILE)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._engine: BatchEngine | None = None
        self._running: str | None = None
        self._stopping = threading.Event()
        self._fields: dict[tuple[str, str], tuple[list[FieldDef], list[FieldDef]]] = {}
        self._jobs: dict[str, tuple[int, float | None, dict[str, Any]]] = {}
        self._jobs_lock = threading.Lock()
        self._worker = threading.Thread(target=self._work, name="docrelay-bridge-jobs", daemon=True)
        self._reaper = threading.Thread(target=self._reap, name="docrelay-bridge-journal", daemon=True)
        for job in self.registry.unfinished():  # a stopped bridge's jobs carry on (never paid twice)
            self._queue.put(job.job_id)
        self._worker.start()
        self._reaper.start()

    # -- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop taking steps; steps under way finish and are journaled; unfinished jobs resume later."""
        self._stopping.set()
        engine = self._engine
        if engine is not None:
            engine.stop()
        self._queue.put(None)
        self._worker.join(timeout=30)
        self._journal.close()
        self.registry.close()

    def _reap(self) -> None:
        while not self._stopping.wait(1.0):
            self._journal.close_if_idle()

    # -- health --------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "provider": self.provider,
            "model": self.model,
            "journal": self.journal_shown,
            "busy": self._running is not None,
            "queued": self._queue.qsize(),
        }

    # -- push ----------------------------------------------------------------------------------
    def push(
        self,
        workbook: str,
        items: Sequence[PushItem],
        *,
        provider: str | None = None,
        model: str | None = None,
    ) -> dict[str, Any]:
        """Queue a job for these documents; each is read and hashed now (a file that cannot be read
        is reported failed at once, with no call made for it)."""
        if not items:
            raise UsageError("Nothing to push", hint="Select rows with a source, or pick files in the pane.")
        if len(items) > MAX_PUSH_DOCUMENTS:
            raise UsageError(
                f"{len(items)} documents in one push is too many (at most {MAX_PUSH_DOCUMENTS})",
                hint="Push the rows in parts.",
            )
        with Client(provider or self.provider, profile=self.profile) as client:
            provider_name = client.provider_name
            resolved = client.provider.resolve_model(model or self.model)  # a missing model costs nothing
        documents: list[tuple[str, str, str | None, str | None, str | None]] = []
        for item in items:
            try:
                source = DocumentSource.from_path(item.path)
                documents.append((item.shown, str(item.path), source.sha256, None, item.link))
            except DocRelayError as exc:
                documents.append((item.shown, str(item.path), None, exc.full_message, item.link))
        job_id = self.registry.add_job(workbook, provider_name, resolved or "", self.profile, documents)
        self._queue.put(job_id)
        return self.job(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            job = self.registry.job(job_id)
            if job is None or job.state not in ("queued", "running"):
                continue
            self._running = job_id
            try:
                self._run_job(job)
            except DocRelayError as exc:
                self.registry.set_job_state(job_id, "error", exc.full_message)
            except Exception as exc:  # a bug: logged, and the job says so instead of hanging
                log.exception("bridge job %s failed", job_id)
                self.registry.set_job_state(job_id, "error", f"internal error: {exc}")
            finally:
                self._running = None
                self._engine = None

    def _run_job(self, job: JobRecord) -> None:
        self.registry.set_job_state(job.job_id, "running")
        paths = [Path(d.path) for d in self.registry.documents(job.job_id) if d.sha256]
        if not paths:
            self.registry.set_job_state(job.job_id, "finished")
            return

        def delivered(result: Result) -> None:
            sha = result.document.sha256
            if sha:
                message = result.error.message if result.error else None
                self.registry.set_document_status(job.job_id, sha, result.status, message)

        with self._journal.use() as journal, Client(job.provider, profile=job.profile) as client:
            engine = BatchEngine(
                client.provider,
                journal,
                polling=client.polling,
                timeout=client.settings.timeout,
                model=job.model or None,
                concurrency=self.concurrency,
                on_result=delivered,
            )
            self._engine = engine
            if self._stopping.is_set():
                return
            outcome = engine.run(paths)
        self.registry.set_job_state(job.job_id, "interrupted" if outcome.interrupted else "finished")
        if outcome.interrupted and not self._stopping.is_set():
            self._queue.put(job.job_id)

    # -- job status ----------------------------------------------------------------------------
    def cached_job(self, job_id: str) -> dict[str, Any] | None:
        """The job's status as last read, while still true; None when it must be read again. No I/O, so
        the bridge answers a pane's poll from here without leaving its event loop. Read only."""
        cached = self._jobs.get(job_id)
        if cached is None:
            return None
        version, expires, answer = cached
        if version != self.registry.version or (expires is not None and time.monotonic() >= expires):
            return None
        return answer

    def job(self, job_id: str) -> dict[str, Any]:
        """A push's documents and their statuses (the answer is shared: read only)."""
        cached = self.cached_job(job_id)
        if cached is not None:
            return cached
        version = self.registry.version  # read first: a write during the reads below outdates it
        record = self.registry.job(job_id)
        if record is None:
            raise NotFoundError(f"No job {job_id!r}", hint="Push the documents again from the pane.")
        documents = self.registry.documents(job_id)
        states: dict[str, str] = {}
        if record.state in ("queued", "running") and any(d.sha256 and not d.status for d in documents):
            with self._journal.use() as journal:
                for d in documents:
                    if d.sha256 and not d.status:
                        entry = journal.get(d.sha256, d.provider, d.model)
                        states[d.sha256] = entry.state if entry and entry.updated else "queued"
        listed = []
        counts: dict[str, int] = {}
        for d in documents:
            status = _job_status(d, states.get(d.sha256 or "", "queued"))
            counts[status] = counts.get(status, 0) + 1
            listed.append(
                {
                    "source": d.shown,
                    "doc_key": d.sha256[:16] if d.sha256 else None,
                    "status": status,
                    "error": d.error,
                }
            )
        answer = {
            "job": record.job_id,
            "state": record.state,
            "error": record.error,
            "provider": record.provider,
            "model": record.model or None,
            "counts": counts,
            "documents": listed,
        }
        expires = time.monotonic() + JOURNAL_STATES_TTL_S if states else None
        with self._jobs_lock:
            self._jobs.pop(job_id, None)
            self._jobs[job_id] = (version, expires, answer)
            while len(self._jobs) > JOB_CACHE_SIZE:  # the one read longest ago goes
                self._jobs.pop(next(iter(self._jobs)))
        return answer

    # -- results and plans ---------------------------------------------------------------------
    def changes(self, workbook: str, since: float = 0.0) -> tuple[list[Result], float]:
        """Results of the workbook's documents whose journal row (or push) changed after `since`, each
        with its row's `source` text; and the cursor for the next call."""
        changed, cursor = self._changed(workbook, since)
        return [result for _, result in changed], cursor

    def _changed(self, workbook: str, since: float) -> tuple[list[tuple[PushedDocument, Result]], float]:
        documents = self.registry.workbook_documents(workbook)
        cursor = since
        results: list[tuple[PushedDocument, Result]] = []
        if not documents:
            return results, cursor
        jobs = {job_id: self.registry.job(job_id) for job_id in {d.job_id for d in documents}}
        with self._journal.use() as journal:
            overlap = SHARED_OVERLAP_S if journal.shared else 0.0
            for document in documents:
                entry = None
                if document.sha256:
                    entry = journal.get(document.sha256, document.provider, document.model or None)
                changed = max(document.updated, (entry.updated or 0.0) if entry else 0.0)
                if changed <= since - overlap:
                    continue
                cursor = max(cursor, changed)
                results.append((document, _result_of(document, entry, jobs.get(document.job_id))))
        return results, cursor

    def plan(self, workbook: str, state: WorkbookState, since: float = 0.0) -> dict[str, Any]:
        """The actions that write the changes since `since` into the workbook (see module doc)."""
        changed, cursor = self._changed(workbook, since)
        results = [result for _, result in changed]
        links = {document.shown: document.link for document, _ in changed if document.link}
        fields: Sequence[FieldDef] = ()
        line_fields: Sequence[FieldDef] = ()
        if results and not any(c.key.startswith("field:") for c in state.columns.get(DOCUMENTS, [])):
            fields, line_fields = self._model_fields(results[0].provider, results[0].model)
        settings = {"provider": self.provider, "model": self.model}
        plan = plan_workbook(
            state,
            results,
            now=datetime.now(),
            fields=fields,
            line_fields=line_fields,
            settings=settings,
            links=links,
        )
        return {
            "actions": plan.actions,
            "cursor": cursor,
            "results": len(results),
            "summary": plan.summary(),
        }

    def _model_fields(self, provider: str, model: str | None) -> tuple[list[FieldDef], list[FieldDef]]:
        key = (provider, model or "")
        if key not in self._fields:
            try:
                with Client(provider, profile=self.profile) as client:
                    self._fields[key] = model_fields(client, model)
            except DocRelayError:
                self._fields[key] = ([], [])
        return self._fields[key]

    # -- custom functions ----------------------------------------------------------------------
    def lookup(self, key_or_source: str) -> dict[str, Any]:
        """A document's status and field values for DOCRELAY.FIELD/CONFIDENCE/STATUS: read only."""
        document = self.registry.find(key_or_source)
        if document is None:
            raise NotFoundError(
                f"No document {key_or_source!r} was pushed through this bridge",
                hint="Give the doc_key or the source of a row pushed from the pane.",
            )
        entry = None
        if document.sha256:
            with self._journal.use() as journal:
                entry = journal.get(document.sha256, document.provider, document.model or None)
        result = _result_of(document, entry, self.registry.job(document.job_id))
        fields: dict[str, Any] = {}
        for name, found in result.fields.items():
            kind = infer_type(found.value)
            value: Any = found.value
            if kind == "amount":
                value, _ = typed_cell(found.value, found.raw_value, "amount", None)
            fields[name] = {"value": value, "confidence": found.confidence}
        return {
            "doc_key": doc_key(result),
            "source": document.shown,
            "status": row_status(result, DEFAULT_THRESHOLD, {}),
            "error": result.error.message if result.error else None,
            "fields": fields,
        }

    # -- rows to push -----------------------------------------------------------------------------
    def resolve_rows(self, workbook: str, sources: Sequence[str], base: Path | None) -> list[PushItem]:
        """Push items for the selected rows' `source` texts (see resolve_items). A row made by a file
        picked in the pane shows only its name: unless the workbook's folder has a file of that name,
        it is pushed again from the copy the bridge stored (to retry a failed one, say)."""
        picked = self.registry.picked(workbook)
        items: list[PushItem] = []
        for text in sources:
            shown = str(text).strip()
            earlier = picked.get(shown)
            beside = resolve_source(shown, base) if base is not None else None
            if not earlier or (beside and beside.is_file()):
                items.extend(resolve_items([shown], base))
            elif Path(earlier[0]).is_file():
                items.append(PushItem(Path(earlier[0]), shown, earlier[1]))
            else:  # its stored copy was removed (the bridge keeps picked files for a while only)
                raise NotFoundError(
                    f"{shown!r} was picked in the pane, and the bridge no longer has its copy",
                    hint="Pick the file again with Push files.",
                )
        return items


def resolve_items(sources: Sequence[str], base: Path | None) -> list[PushItem]:
    """Push items for `source` cell texts: relative paths are taken from the workbook's folder, and
    refused when the workbook has none (not saved yet, or not on this computer)."""
    items: list[PushItem] = []
    for text in sources:
        shown = str(text).strip()
        if not shown:
            continue
        path = resolve_source(shown, base or Path())
        if base is None and not path.is_absolute():
            raise UsageError(
                f"{shown!r} is a relative path, and the workbook has no folder on this computer",
                hint="Save the workbook first, or use full paths in the source column.",
            )
        items.append(PushItem(path, shown))
    return items


def _job_status(document: PushedDocument, journal_state: str) -> str:
    """A document's status in a job: its result's once delivered, else where its journal row stands."""
    if document.status == "succeeded":
        return "done"
    if document.status in ("failed", "pending"):
        return document.status
    if document.sha256 is None:
        return "failed"
    return "queued" if journal_state == "queued" else "processing"


def _result_of(document: PushedDocument, entry: Entry | None, job: JobRecord | None) -> Result:
    info = DocumentInfo(source=document.shown, name=Path(document.path).name, sha256=document.sha256)
    model = document.model or None
    if document.sha256 is None:
        error = ResultError(type="input_error", message=document.error or "the file could not be read")
        return Result(provider=document.provider, model=model, status="failed", error=error, document=info)
    if entry is not None and entry.state == "succeeded" and entry.result is not None:
        result = Result.model_validate(entry.result)
        return result.model_copy(
            update={"document": result.document.model_copy(update={"source": document.shown})}
        )
    retrying = (
        job is not None
        and job.state in ("queued", "running")
        and entry is not None
        and ((entry.updated or 0.0) < job.created)
    )
    if entry is not None and entry.state == "failed" and not retrying:
        error = ResultError(type=entry.error_type or "internal_error", message=entry.error_message or "")
        return Result(
            provider=document.provider,
            model=model,
            status="failed",
            error=error,
            document=info,
            prediction_id=entry.prediction_id,
        )
    state = entry.state if entry is not None and not retrying else "queued"
    return Result.pending(document.provider, model, info, extras={"state": state})
