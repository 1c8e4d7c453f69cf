"""The batch journal: one SQLite row per document, so a batch never pays twice and survives being killed.

A row is keyed by (content SHA-256, provider, model) and walks through the states
queued -> uploading -> uploaded -> predicting -> succeeded | failed. Each state is written *before* the
paid call it announces and the service's ids right after it, each in its own transaction, so that a
process killed at any moment leaves a row that tells the next run what may have happened:

- `uploading`: the upload may or may not have reached the service: upload again.
- `uploaded`: the document is on the service (`document_id`): predict it.
- `predicting` without `prediction_id`: a prediction may have been started: ask the provider
  (`find_prediction`) before starting one.
- `predicting` with `prediction_id`: poll it; never predict again.

WAL mode with synchronous=NORMAL: a committed row survives the process being killed (SIGKILL); only a
power cut can lose the last commits. One connection shared by the worker threads under a lock; a lock
file keeps a second process off the same journal. No settings, tokens or other secrets are stored:
only paths, hashes, the service's ids, job handles (secret-free by design) and results.

This is the default backend of the journal interface (core.batch.journals.JournalBackend); the shared
one, for many processes on many machines, is core.batch.pg_journal. Claims are trivial here: the lock
file makes this process the only one working on the file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from core.errors import JournalError, UsageError
from core.hints import setting

if TYPE_CHECKING:
    import sqlite3

SCHEMA_VERSION = 1
JOURNAL_FILE = "journal.sqlite3"
# Rows untouched for this long are dropped when a journal is opened (keeps the file from growing forever).
RETENTION_DAYS = 90.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    source TEXT,
    name TEXT,
    state TEXT NOT NULL,
    document_id TEXT,
    prediction_id TEXT,
    document TEXT,
    job TEXT,
    result BLOB,
    error_type TEXT,
    error_message TEXT,
    uploads INTEGER NOT NULL DEFAULT 0,
    predictions INTEGER NOT NULL DEFAULT 0,
    predict_started REAL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (sha256, provider, model)
);
CREATE INDEX IF NOT EXISTS documents_updated ON documents (updated);
"""

_READ_CHUNK = 500  # hashes per SELECT ... IN (...): well under SQLite's limit on parameters

STATES = ("queued", "uploading", "uploaded", "predicting", "succeeded", "failed")


def default_journal_path() -> Path:
    """journal.sqlite3 in the user data folder (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("docrelay", appauthor=False)) / JOURNAL_FILE


@dataclass(frozen=True)
class Entry:
    """One journal row as the engine sees it."""

    sha256: str
    provider: str
    model: str
    state: str
    document_id: str | None = None
    prediction_id: str | None = None
    document: str | None = None  # DocumentInfo JSON, with the service's id
    job: str | None = None  # JobHandle JSON
    result: dict[str, Any] | None = None
    error_type: str | None = None
    error_message: str | None = None
    uploads: int = 0
    predictions: int = 0
    predict_started: float | None = None
    updated: float | None = None  # when the row was last written (the journal's clock)


class Journal:
    """Thread-safe access to one journal file; use as a context manager or call close()."""

    shared = False  # one process at a time (the lock file)
    recheck_interval = 1.0  # unused: no other process can hold a document

    def __init__(self, path: str | os.PathLike[str] | None = None, *, retention_days: float = RETENTION_DAYS):
        given = Path(path).expanduser() if path else default_journal_path()
        # The real path: a second batch reaching the same file through a symlink meets the same lock.
        self.path = Path(os.path.realpath(given))
        self.opened_at = time.time()
        if self.path.is_dir():
            raise UsageError(
                f"The journal {self.path} is a folder",
                hint=f"Give {setting('journal')} a file name, e.g. batch.sqlite3.",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = _hold_lock(self.path.with_name(self.path.name + ".lock"))
            # The file itself too (POSIX): a hard link is another name for the same file, not another lock.
            # SQLite's own locks are fcntl locks, independent of this flock.
            if sys.platform != "win32":
                try:
                    self._identity_lock: IO[bytes] | None = _hold_lock(self.path, name=self.path)
                except BaseException:
                    self._lock_file.close()
                    raise
            else:
                self._identity_lock = None
        except OSError as exc:
            raise UsageError(
                f"Cannot open the journal {self.path}: {exc.strerror or exc}",
                hint=f"Choose a {setting('journal')} path in a folder you can write to.",
            ) from exc
        # Imported here, not at the top: `docrelay extract` loads this module but opens no journal.
        import sqlite3

        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            self._release_locks()
            raise UsageError(
                f"Cannot open the journal {self.path}: {exc}",
                hint=f"Choose a {setting('journal')} path in a folder you can write to.",
            ) from exc
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        try:
            self._setup(retention_days)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise JournalError(
                f"{self.path} is not a usable docrelay journal: {exc}",
                hint=f"Give another {setting('journal')} path, or move this file aside to start afresh "
                f"({_REDO}).",
            ) from exc

    def _setup(self, retention_days: float) -> None:
        import sqlite3

        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        problem = db.execute("PRAGMA quick_check").fetchone()[0]  # damaged pages: refuse before any call
        if problem != "ok":
            raise sqlite3.DatabaseError(f"the file is damaged ({problem})")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"written by a newer docrelay (schema {version})")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        if retention_days > 0:
            cutoff = time.time() - retention_days * 86400
            db.execute("DELETE FROM documents WHERE updated < ?", (cutoff,))

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            finally:
                self._release_locks()

    def _release_locks(self) -> None:
        self._lock_file.close()
        if self._identity_lock is not None:
            self._identity_lock.close()

    @property
    def location(self) -> str:
        return str(self.path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._damage_stops():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _damage_stops(self) -> Iterator[None]:
        """A journal found damaged mid-run stops the batch (JournalError, exit 2): going on without a
        record of what was paid for could pay twice."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"The journal {self.path} is damaged: {exc}",
                hint=f"Move it aside and run the batch again ({_REDO}).",
            ) from None

    # -- reading -----------------------------------------------------------------------------
    def get(self, sha256: str, provider: str, model: str | None) -> Entry | None:
        """The row of this document; JournalError when the row is damaged (the row is left as it is)."""
        with self._lock, self._damage_stops():
            row = self._db.execute(
                "SELECT * FROM documents WHERE sha256=? AND provider=? AND model=?",
                (sha256, provider, model or ""),
            ).fetchone()
        return checked_entry(row, str(self.path)) if row else None

    def claim(self, entry: Entry) -> Entry | None:
        """The row, now this process's to work on (always: the lock file keeps others away); None when it
        is settled (see `settled`) and there is nothing to do."""
        current = self.get(entry.sha256, entry.provider, entry.model)
        if current is None or is_settled(current, self.opened_at):
            return None
        return current

    def settled(self, entry: Entry) -> Entry | None:
        """The row if it is finished for this run: succeeded, or failed since the journal was opened."""
        current = self.get(entry.sha256, entry.provider, entry.model)
        return current if current is not None and is_settled(current, self.opened_at) else None

    def watch(self, entries: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
        """Of these rows, the settled ones and those free to claim (here: all the others)."""
        settled: list[Entry] = []
        free: list[Entry] = []
        for entry in entries:
            current = self.get(entry.sha256, entry.provider, entry.model)
            if current is not None:
                (settled if is_settled(current, self.opened_at) else free).append(current)
        return settled, free

    def orphans(self, provider: str, model: str | None) -> set[str]:
        """Rows a dead process left leased: none here (one process per file)."""
        return set()

    def counts(self) -> dict[str, int]:
        """Rows per state (for tests and diagnostics)."""
        with self._lock, self._damage_stops():
            rows = self._db.execute("SELECT state, COUNT(*) FROM documents GROUP BY state").fetchall()
        return {state: count for state, count in rows}

    # -- writing: one transaction per transition ----------------------------------------------
    def ensure(self, sha256: str, provider: str, model: str | None, source: str | None, name: str) -> Entry:
        """The row of this document, created as `queued` if new (its source path kept up to date)."""
        return entry_or_raise(self.ensure_many([(sha256, source, name)], provider, model)[sha256])

    def ensure_many(
        self, documents: Sequence[tuple[str, str | None, str]], provider: str, model: str | None
    ) -> dict[str, Entry | DamagedRow]:
        """`ensure` for many documents, each given as (sha256, source, name), in one transaction and a
        few reads: a re-run of 10,000 finished documents is one commit, not 10,000. A row that cannot be
        used is given as its DamagedRow error, so only that document is quarantined."""
        now = time.time()
        with self._write() as db:
            db.executemany(
                "INSERT INTO documents (sha256, provider, model, source, name, state, created, updated) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) "
                "ON CONFLICT (sha256, provider, model) DO UPDATE SET source=excluded.source, "
                "name=excluded.name",
                [(sha, provider, model or "", source, name, now, now) for sha, source, name in documents],
            )
        entries: dict[str, Entry | DamagedRow] = {}
        hashes = [sha for sha, _, _ in documents]
        for start in range(0, len(hashes), _READ_CHUNK):
            chunk = hashes[start : start + _READ_CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT * FROM documents WHERE provider=? AND model=? AND sha256 IN ({marks})",
                    (provider, model or "", *chunk),
                ).fetchall()
            entries.update((row["sha256"], entry_or_damage(row, str(self.path))) for row in rows)
        return entries

    def update(self, entry: Entry, **changes: Any) -> Entry:
        """Write `changes` (column=value; `result` as a dict) to the row and return the new entry."""
        check_changes(changes)
        values = {k: pack_result(v) if k == "result" else v for k, v in changes.items()}
        now = time.time()
        values["updated"] = now
        assignments = ", ".join(f"{name}=?" for name in values)
        # One statement is its own transaction (autocommit): no BEGIN and COMMIT round around it,
        # which matters when 16 workers write a few times per call.
        with self._lock, self._damage_stops():
            self._db.execute(
                f"UPDATE documents SET {assignments} WHERE sha256=? AND provider=? AND model=?",
                (*values.values(), entry.sha256, entry.provider, entry.model),
            )
        return dataclasses.replace(entry, **changes, updated=now)


COLUMNS = {
    "source",
    "name",
    "state",
    "document_id",
    "prediction_id",
    "document",
    "job",
    "result",
    "error_type",
    "error_message",
    "uploads",
    "predictions",
    "predict_started",
}


def check_changes(changes: dict[str, Any]) -> None:
    """Refuse a write of an unknown column or state (a bug), in every backend alike."""
    unknown = set(changes) - COLUMNS
    if unknown:
        raise ValueError(f"unknown journal columns: {sorted(unknown)}")
    if "state" in changes and changes["state"] not in STATES:
        raise ValueError(f"unknown journal state {changes['state']!r}")


def is_settled(entry: Entry, opened_at: float) -> bool:
    """Finished for a run that opened the journal at `opened_at`: succeeded, or failed during the run
    (by another process: a failure from an earlier run is tried again)."""
    return entry.state == "succeeded" or (entry.state == "failed" and (entry.updated or 0.0) >= opened_at)


def pack_result(result: dict[str, Any] | None) -> bytes | None:
    """Results are kept compressed: raw service answers make up most of the journal's size."""
    if result is None:
        return None
    return zlib.compress(json.dumps(result, separators=(",", ":")).encode("utf-8"))


def unpack_result(blob: bytes | None) -> dict[str, Any] | None:
    if not blob:
        return None
    value: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return value


# What a run without this journal costs, said wherever we suggest starting a new one.
_REDO = "documents it recorded as done are then sent, and paid for, again"


def checked_entry(row: Mapping[str, Any] | sqlite3.Row, location: str) -> Entry:
    """A row of either backend (by column name) as an Entry, checked: a row with an unknown state or a
    damaged value raises DamagedRow, so the engine quarantines that document (no call) instead of
    guessing and paying twice."""
    from core.models import DocumentInfo, JobHandle

    shown = row["source"] or row["name"] or row["sha256"]
    if row["state"] not in STATES:
        raise _row_error(location, shown, f"its state {row['state']!r} is not one docrelay knows")
    try:
        result = unpack_result(row["result"])
        if row["job"]:
            JobHandle.model_validate_json(row["job"])
        if row["document"]:
            DocumentInfo.model_validate_json(row["document"])
    except (zlib.error, ValueError, TypeError) as exc:
        raise _row_error(location, shown, f"a value in it is damaged ({type(exc).__name__})") from None
    return Entry(
        sha256=row["sha256"],
        provider=row["provider"],
        model=row["model"],
        state=row["state"],
        document_id=row["document_id"],
        prediction_id=row["prediction_id"],
        document=row["document"],
        job=row["job"],
        result=result,
        error_type=row["error_type"],
        error_message=row["error_message"],
        uploads=row["uploads"],
        predictions=row["predictions"],
        predict_started=row["predict_started"],
        updated=row["updated"],
    )


class DamagedRow(JournalError):
    """One row cannot be used: its document is failed without a call, the other documents go on."""

    stops_run = False


def entry_or_damage(row: Mapping[str, Any] | sqlite3.Row, location: str) -> Entry | DamagedRow:
    """`checked_entry`, with a damaged row given as its error instead of raised (for reads of many)."""
    try:
        return checked_entry(row, location)
    except DamagedRow as exc:
        return exc


def entry_or_raise(found: Entry | DamagedRow) -> Entry:
    if isinstance(found, DamagedRow):
        raise found
    return found


def _row_error(location: str, shown: str, why: str) -> DamagedRow:
    return DamagedRow(
        f"The journal {location} has a row for {shown} that docrelay cannot use: {why}; "
        "the document was not sent, and the row was left as it is",
        hint=f"Check on the service whether this document was processed; to process it again, run the "
        f"batch with another {setting('journal')} ({_REDO})",
    )


def _hold_lock(path: Path, *, name: Path | None = None) -> IO[bytes]:
    """An exclusive lock on `path`, held until the returned file is closed (or the process dies); the
    journal named in the message is `name`, or `path` without its `.lock` suffix."""
    handle = path.open("a+b")
    try:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise UsageError(
            f"Another docrelay batch is using the journal {name or path.with_suffix('')}",
            hint=f"Wait for it to finish, or give this batch its own {setting('journal')} file.",
        ) from None
    return handle
