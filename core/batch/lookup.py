"""A document's result, read from the journal a batch wrote: `docrelay result FILE`, for any robot.

    reader = JournalReader("postgresql://robot@db:5432/intake", password=...)   # or a file, or None
    result = journal_result(reader, source, provider="cradl", model="las:model:...")

Reading takes no lock and no lease, creates no table and writes nothing: a SQLite journal is opened
read-only (a batch may be running on it at the same time), a PostgreSQL one with a plain connection
(a database user that may only read is enough). The row is found by the document's content (SHA-256),
provider and model, as the batch keys it, so the same file seen under another name or on another
machine finds the same result.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from core.batch.journal import SCHEMA_VERSION, Entry, checked_entry, default_journal_path
from core.errors import (
    DocRelayError,
    JobTimeoutError,
    JournalError,
    JournalUnavailableError,
    NotFoundError,
    UsageError,
    error_class_for_type,
)
from core.hints import setting
from core.models import JobHandle, Result
from core.sources import DocumentSource

_WAIT_STEP = 1.0  # seconds between looks at a row that is not finished yet (--wait)


class JournalReader:
    """Read-only access to one journal (a file, a postgresql:// URL, or None for the default file)."""

    def __init__(self, target: str | os.PathLike[str] | None, *, password: str | None = None) -> None:
        from core.batch.pg_setup import is_postgres_url

        self._pg: Any = None
        self._sqlite: Any = None
        if isinstance(target, str) and is_postgres_url(target):
            self._open_postgres(target, password)
        else:
            self._open_sqlite(Path(target).expanduser() if target else default_journal_path())

    def _open_sqlite(self, path: Path) -> None:
        import sqlite3

        self.location = str(path)
        if not path.is_file():
            raise NotFoundError(
                f"There is no journal at {path}",
                hint=f"Give {setting('journal')} the journal the batch wrote (a file, or the "
                "postgresql:// connection string the robots share).",
            )
        try:  # read-only and without the batch's lock file: a batch may be writing it right now
            self._sqlite = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
            self._sqlite.row_factory = sqlite3.Row
            version = self._sqlite.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            self.close()
            raise JournalError(
                f"{path} is not a usable docrelay journal: {exc}",
                hint=f"Give {setting('journal')} the journal the batch wrote.",
            ) from None
        self._check_version(version)

    def _open_postgres(self, url: str, password: str | None) -> None:
        from core.batch.pg_setup import connect_error, shown_url, url_password
        from core.redact import register_secret

        register_secret(url_password(url))
        register_secret(password)
        self.location = shown_url(url)
        try:
            import psycopg
        except ImportError as exc:
            raise JournalUnavailableError(f"This docrelay cannot read a PostgreSQL journal: {exc}") from None
        extra: dict[str, Any] = {"password": password} if password else {}
        try:
            self._pg = psycopg.connect(
                url.strip(), autocommit=True, connect_timeout=10, application_name="docrelay", **extra
            )
        except psycopg.Error as exc:
            raise connect_error(self.location, exc) from None
        try:
            row = self._pg_query("SELECT version FROM docrelay_schema WHERE id = 1")
        except BaseException:
            self.close()
            raise
        self._check_version(int(row[0]) if row else 0)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            self.close()
            raise UsageError(
                f"The journal {self.location} was written by a newer docrelay (schema {version})",
                hint="Update docrelay on this machine to the version the robots use.",
            )

    def _pg_query(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        import psycopg

        try:
            row: tuple[Any, ...] | None = self._pg.execute(sql, params).fetchone()
        except psycopg.errors.UndefinedTable:
            raise NotFoundError(
                f"The database {self.location} holds no docrelay journal",
                hint=f"Give {setting('journal')} the database the robots' batches use.",
            ) from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            from core.batch.pg_setup import reason

            raise JournalUnavailableError(
                f"Lost the connection to the journal {self.location}: {reason(exc)}",
                hint="Check that the database server is running and reachable, then try again.",
            ) from None
        except psycopg.Error as exc:
            from core.batch.pg_setup import reason

            raise UsageError(
                f"The journal {self.location} cannot be read: {reason(exc)}",
                hint="Give the docrelay user the right to read the docrelay_documents table.",
            ) from None
        return row

    def get(self, sha256: str, provider: str, model: str | None) -> Entry | None:
        """The row of this document, or None; a damaged row raises DamagedRow (exit 2)."""
        if self._pg is not None:
            from core.batch.pg_journal import _FIELDS, _mapping  # the shared journal's own columns

            row = self._pg_query(
                f"SELECT {_FIELDS} FROM docrelay_documents WHERE sha256=%s AND provider=%s AND model=%s",
                (sha256, provider, model or ""),
            )
            return checked_entry(_mapping(row), self.location) if row else None
        import sqlite3

        try:
            found = self._sqlite.execute(
                "SELECT * FROM documents WHERE sha256=? AND provider=? AND model=?",
                (sha256, provider, model or ""),
            ).fetchone()
        except sqlite3.Error as exc:
            raise JournalError(
                f"The journal {self.location} cannot be read: {exc}",
                hint=f"Give {setting('journal')} the journal the batch wrote.",
            ) from None
        return checked_entry(found, self.location) if found else None

    def close(self) -> None:
        for connection in (self._pg, self._sqlite):
            if connection is not None:
                connection.close()
        self._pg = self._sqlite = None

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def journal_result(
    reader: JournalReader,
    source: DocumentSource,
    *,
    provider: str,
    model: str | None,
    wait: float | None = None,
) -> Result:
    """The document's finished result as the batch journaled it (`extras.from_journal`). Not in the
    journal: NotFoundError (6). Failed: the error the batch recorded, with its exit code. Still being
    processed: JobTimeoutError (10), carrying the job handle once there is one; with `wait`, the
    journal is read again each second for up to `wait` seconds first."""
    deadline = time.monotonic() + (wait or 0.0)
    while True:
        entry = reader.get(source.sha256, provider, model)
        if entry is None:
            raise NotFoundError(
                f"The journal {reader.location} has no result for {source.name} ({provider}"
                f"{', ' + model if model else ''})",
                hint="A journal keys documents by content, provider and model: check the provider and "
                f"{setting('model')}, or run `docrelay batch` on the document with this journal.",
                provider=provider,
            )
        if entry.state in ("succeeded", "failed") or time.monotonic() >= deadline:
            break
        time.sleep(min(_WAIT_STEP, max(0.0, deadline - time.monotonic())))
    if entry.state == "succeeded" and entry.result is not None:
        result = Result.model_validate(entry.result)
        document = result.document.model_copy(update={"source": source.source, "name": source.name})
        result = result.model_copy(update={"document": document})
        result.extras["from_journal"] = True
        return result
    if entry.state == "failed":
        error: type[DocRelayError] = error_class_for_type(entry.error_type)
        raise error(
            f"The batch could not process {source.name}: {entry.error_message or 'no reason recorded'}",
            hint="Run the batch again: it retries failed documents (nothing it paid for is paid again).",
            provider=provider,
        )
    job = JobHandle.model_validate_json(entry.job).encode() if entry.job else None
    raise JobTimeoutError(
        f"{source.name} is still being processed (journal state: {entry.state})",
        hint="Try again later, or add --wait to wait for it (up to --timeout).",
        provider=provider,
        job=job,
    )
