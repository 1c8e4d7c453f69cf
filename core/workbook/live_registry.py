"""What the live bridge remembers of its pushes: which documents each open workbook sent, and how each
push went. Results themselves stay in the batch journal (the source of truth); this file only says which
journal rows belong to which workbook, and under which `source` text its rows show them.

A small SQLite file in the bridge's data folder (WAL, one connection under a lock). Jobs left unfinished
by a bridge that was stopped are found again at start (`unfinished`) and resumed: the journal makes sure
nothing is paid twice.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    workbook TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    profile TEXT,
    state TEXT NOT NULL,           -- queued, running, finished, interrupted, error
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    workbook TEXT NOT NULL,
    position INTEGER NOT NULL,     -- order within the job
    shown TEXT NOT NULL,           -- the `source` text of its row
    path TEXT NOT NULL,            -- the file read
    sha256 TEXT,                   -- NULL when the file could not be read
    status TEXT,                   -- the result's status once known (succeeded, failed, pending)
    error TEXT,
    updated REAL NOT NULL,
    link TEXT                      -- the row's hyperlink when not its `shown` text (a picked file's copy)
);
CREATE INDEX IF NOT EXISTS documents_job ON documents (job_id, position);
CREATE INDEX IF NOT EXISTS documents_workbook ON documents (workbook, seq);
CREATE INDEX IF NOT EXISTS documents_sha ON documents (sha256);
CREATE INDEX IF NOT EXISTS documents_shown ON documents (shown);
"""


@dataclass(frozen=True)
class PushedDocument:
    seq: int
    job_id: str
    workbook: str
    position: int
    shown: str
    path: str
    sha256: str | None
    status: str | None
    error: str | None
    updated: float
    provider: str = ""
    model: str = ""
    link: str | None = None


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    workbook: str
    provider: str
    model: str
    profile: str | None
    state: str
    error: str | None
    created: float
    updated: float


class Registry:
    """Thread-safe access to the bridge's registry file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        # Counts this process's writes, bumped after each commits: a status read at version V is still
        # true while the version is V (the bridge is the registry's only writer).
        self.version = 0
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
            if "link" not in columns:  # a registry from before links to picked files
                self._db.execute("ALTER TABLE documents ADD COLUMN link TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- jobs ----------------------------------------------------------------------------------
    def add_job(
        self,
        workbook: str,
        provider: str,
        model: str,
        profile: str | None,
        documents: list[tuple[str, str, str | None, str | None, str | None]],
    ) -> str:
        """A new queued job; `documents` as (shown, path, sha256, error, link) in the order pushed."""
        job_id = uuid.uuid4().hex
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, 'queued', NULL, ?, ?)",
                    (job_id, workbook, provider, model, profile, now, now),
                )
                self._db.executemany(
                    "INSERT INTO documents (job_id, workbook, position, shown, path, sha256, status, error, "
                    "updated, link) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (job_id, workbook, i, shown, path, sha, "failed" if error else None, error, now, link)
                        for i, (shown, path, sha, error, link) in enumerate(documents)
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self.version += 1
        return job_id

    def set_job_state(self, job_id: str, state: str, error: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state=?, error=?, updated=? WHERE job_id=?",
                (state, error, time.time(), job_id),
            )
            self.version += 1

    def job(self, job_id: str) -> JobRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE job_id=?", (job_id,)).fetchone()
        return JobRecord(**dict(row)) if row else None

    def unfinished(self) -> list[JobRecord]:
        """Jobs a stopped bridge left queued or running, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created"
            ).fetchall()
        return [JobRecord(**dict(row)) for row in rows]

    def set_document_status(self, job_id: str, sha256: str, status: str, error: str | None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE documents SET status=?, error=?, updated=? WHERE job_id=? AND sha256=?",
                (status, error, time.time(), job_id, sha256),
            )
            self.version += 1

    # -- documents -----------------------------------------------------------------------------
    def documents(self, job_id: str) -> list[PushedDocument]:
        with self._lock:
            rows = self._db.execute(
                "SELECT d.*, j.provider, j.model FROM documents d JOIN jobs j USING (job_id) "
                "WHERE d.job_id=? ORDER BY d.position",
                (job_id,),
            ).fetchall()
        return [_document(row) for row in rows]

    def workbook_documents(self, workbook: str) -> list[PushedDocument]:
        """Every document the workbook pushed, the latest push of each `source` text only."""
        with self._lock:
            rows = self._db.execute(
                "SELECT d.*, j.provider, j.model FROM documents d JOIN jobs j USING (job_id) "
                "WHERE d.workbook=? ORDER BY d.seq",
                (workbook,),
            ).fetchall()
        latest: dict[str, PushedDocument] = {}
        for row in rows:
            document = _document(row)
            latest.pop(document.shown, None)  # keep the order of the latest pushes
            latest[document.shown] = document
        return list(latest.values())

    def picked(self, workbook: str) -> dict[str, tuple[str, str]]:
        """The files picked in the workbook's pane, by the name their rows show: (stored path, link)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT shown, path, link FROM documents WHERE workbook=? AND link IS NOT NULL ORDER BY seq",
                (workbook,),
            ).fetchall()
        return {row["shown"]: (row["path"], row["link"]) for row in rows}

    def find(self, key_or_source: str) -> PushedDocument | None:
        """The latest push of a document named by its doc_key (the first 16 hex digits of its SHA-256),
        its full SHA-256, its `source` text, its path, or its file name."""
        text = key_or_source.strip()
        with self._lock:
            row = self._db.execute(
                "SELECT d.*, j.provider, j.model FROM documents d JOIN jobs j USING (job_id) "
                "WHERE d.shown=? OR d.path=? OR (length(?) >= 16 AND d.sha256 LIKE ? || '%') "
                "ORDER BY d.seq DESC LIMIT 1",
                (text, text, text, text.lower()),
            ).fetchone()
            if row is None:
                row = self._db.execute(
                    "SELECT d.*, j.provider, j.model FROM documents d JOIN jobs j USING (job_id) "
                    "WHERE d.shown LIKE ? ESCAPE '\\' ORDER BY d.seq DESC LIMIT 1",
                    ("%/" + _like_escaped(text),),
                ).fetchone()
        return _document(row) if row else None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _document(row: sqlite3.Row) -> PushedDocument:
    return PushedDocument(**dict(row))
