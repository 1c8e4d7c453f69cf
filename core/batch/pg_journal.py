"""The shared journal: the rows of the SQLite journal, in PostgreSQL, for many processes on many machines.

Each process works only on the documents it has claimed. A claim is a lease: the row names its owner
and a time (the server's clock, so machines need not agree on the time) until which it is theirs. A
heartbeat thread renews the leases of the rows this process holds; a process that dies stops renewing,
and once its lease has run out another process claims the row and carries on from its state, exactly
as a resumed SQLite batch would (a prediction whose answer was lost is looked up on the service first).

Claims take the row with `SELECT ... FOR UPDATE SKIP LOCKED`, so two processes never wait on each other
and never both win. Every write names the owner in its WHERE clause: a process whose lease was taken
over (it stalled longer than the lease) finds its write refused (`LeaseLost`) before it can pay for a
call another process is now making. Timestamps come from the server's clock.

The schema has a version (table docrelay_schema); processes starting together create or migrate it
under a transaction-scoped advisory lock, so exactly one of them does it (core.batch.pg_setup).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from core.batch.journal import (
    RETENTION_DAYS,
    DamagedRow,
    Entry,
    check_changes,
    checked_entry,
    entry_or_damage,
    is_settled,
    pack_result,
)
from core.batch.pg_setup import connect_error, create_or_migrate, reason, shown_url, url_password
from core.errors import ConfigError, JournalUnavailableError, UsageError
from core.redact import register_secret

log = logging.getLogger("docrelay.journal")

DEFAULT_LEASE = 30.0  # seconds; a dead process's documents are taken over this long after it died
_FINAL = ("succeeded", "failed")

_NOW = "extract(epoch from clock_timestamp())"
_KEY = "sha256=%s AND provider=%s AND model=%s"


class LeaseLost(Exception):  # not the user's error: the engine hands the document over
    """This process no longer holds the document: its lease ran out and another process claimed it."""


class PostgresJournal:
    """The journal interface (core.batch.journals.JournalBackend) on a PostgreSQL database."""

    shared = True

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        lease: float = DEFAULT_LEASE,
        retention_days: float = RETENTION_DAYS,
        connect_timeout: float = 10.0,
    ) -> None:
        try:
            import psycopg
        except ImportError as exc:  # a build without psycopg, or a libpq that cannot be loaded
            raise ConfigError(
                f"This docrelay cannot use a PostgreSQL journal: {exc}",
                hint="Install docrelay with its dependencies (pip install docrelay brings psycopg[binary]), "
                "or give --journal a file.",
            ) from None
        register_secret(url_password(url))
        register_secret(password)
        self.location = shown_url(url)
        self.lease = float(lease)
        # How often a process looks again at a document another one holds.
        self.recheck_interval = min(0.5, max(0.2, self.lease / 20))
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._closed = threading.Event()
        extra: dict[str, Any] = {"password": password} if password else {}
        try:
            self._db = psycopg.connect(
                url.strip(),
                autocommit=True,
                connect_timeout=max(1, round(connect_timeout)),
                application_name="docrelay",
                **extra,
            )
        except psycopg.Error as exc:
            raise connect_error(self.location, exc) from None
        try:
            with self._guard():
                create_or_migrate(self._db, self.location, retention_days)
                row = self._db.execute(f"SELECT {_NOW}").fetchone()
                assert row is not None
                self.opened_at = float(row[0])
        except BaseException:
            self._db.close()
            raise
        self._heartbeat = threading.Thread(
            target=self._renew_leases, name="docrelay-journal-lease", daemon=True
        )
        self._heartbeat.start()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Hand back the leases still held (another process may carry on at once) and disconnect."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            with self._guard():
                self._db.execute(
                    "UPDATE docrelay_documents SET owner = NULL, lease_until = NULL WHERE owner = %s",
                    (self.owner,),
                )
        except JournalUnavailableError:
            log.warning("Could not hand back the leases on %s; they run out by themselves", self.location)
        finally:
            with self._lock:
                self._db.close()

    def __enter__(self) -> PostgresJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _renew_leases(self) -> None:
        """The heartbeat: renew this process's leases three times per lease period."""
        while not self._closed.wait(self.lease / 3):
            try:
                with self._guard():
                    self._db.execute(
                        f"UPDATE docrelay_documents SET lease_until = {_NOW} + %s "
                        "WHERE owner = %s AND state NOT IN ('succeeded', 'failed')",
                        (self.lease, self.owner),
                    )
            except JournalUnavailableError as exc:
                if not self._closed.is_set():
                    log.warning("Could not renew the leases: %s", exc.message)
            except Exception:  # never let the heartbeat die of a surprise: the leases would run out
                log.exception("journal heartbeat failed")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """One statement or transaction at a time on the connection; database errors made docrelay's."""
        import psycopg

        with self._lock:
            try:
                yield
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                raise JournalUnavailableError(
                    f"Lost the connection to the journal {self.location}: {reason(exc)}",
                    hint="Check that the database server is running and reachable, then run the batch "
                    "again: what was journaled is kept, and nothing is paid twice.",
                ) from None
            except psycopg.Error as exc:
                raise UsageError(
                    f"The journal {self.location} is not a usable docrelay journal: {reason(exc)}",
                    hint="Give --journal a database where the docrelay user may create and change tables.",
                ) from None

    def _entry(self, row: Any) -> Entry:
        """The row as an Entry, checked as the SQLite journal checks its rows (raises DamagedRow)."""
        return checked_entry(_mapping(row), self.location)

    # -- reading -----------------------------------------------------------------------------
    def get(self, sha256: str, provider: str, model: str | None) -> Entry | None:
        with self._guard():
            row = self._select(sha256, provider, model or "")
        return self._entry(row) if row else None

    def _select(self, sha256: str, provider: str, model: str) -> tuple[Any, ...] | None:
        return self._db.execute(
            f"SELECT {_FIELDS} FROM docrelay_documents WHERE {_KEY}",
            (sha256, provider, model),
        ).fetchone()

    def counts(self) -> dict[str, int]:
        with self._guard():
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM docrelay_documents GROUP BY state"
            ).fetchall()
        return {state: int(count) for state, count in rows}

    def settled(self, entry: Entry) -> Entry | None:
        current = self.get(entry.sha256, entry.provider, entry.model)
        return current if current is not None and is_settled(current, self.opened_at) else None

    def watch(self, entries: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
        """Of these rows (of one provider and model): the settled ones, and those no live lease holds
        (free to claim: their holder finished without settling them, or died). The engine asks this
        twice a second about hundreds of documents, so the first query sends back only flags, and only
        for rows that are settled or free; a second one reads the settled rows in full."""
        if not entries:
            return [], []
        first = entries[0]
        given = {entry.sha256: entry for entry in entries}
        settled_sql = "(state = 'succeeded' OR (state = 'failed' AND updated >= %s))"
        with self._guard():
            flags = self._db.execute(
                f"SELECT sha256, {settled_sql}, (owner IS NULL OR lease_until < {_NOW}) "
                "FROM docrelay_documents WHERE provider = %s AND model = %s AND sha256 = ANY(%s) "
                f"AND ({settled_sql} OR owner IS NULL OR lease_until < {_NOW})",
                (self.opened_at, first.provider, first.model, list(given), self.opened_at),
            ).fetchall()
            done = [sha for sha, is_done, _ in flags if is_done]
            rows = (
                self._db.execute(
                    f"SELECT {_FIELDS} FROM docrelay_documents "
                    "WHERE provider = %s AND model = %s AND sha256 = ANY(%s)",
                    (first.provider, first.model, done),
                ).fetchall()
                if done
                else []
            )
        settled = [entry for entry in map(self._entry, rows) if is_settled(entry, self.opened_at)]
        found = {entry.sha256 for entry in settled}
        free = [given[sha] for sha, is_done, is_free in flags if is_free and sha not in found]
        return settled, free

    def orphans(self, provider: str, model: str | None) -> set[str]:
        """SHA-256s of rows whose holder's lease ran out before they were settled: a process died (or
        stalled) holding them, and they wait for someone to take them over."""
        with self._guard():
            rows = self._db.execute(
                "SELECT sha256 FROM docrelay_documents WHERE provider = %s AND model = %s "
                f"AND owner IS NOT NULL AND owner <> %s AND lease_until < {_NOW}",
                (provider, model or "", self.owner),
            ).fetchall()
        return {row[0] for row in rows}

    # -- claims --------------------------------------------------------------------------------
    def claim(self, entry: Entry) -> Entry | None:
        """The row, now leased to this process; None when another process holds it (or is claiming it
        this instant) or when it is settled. A row whose lease ran out is taken over. One statement:
        the row is picked with SELECT ... FOR UPDATE SKIP LOCKED and leased in the same transaction."""
        key = (entry.sha256, entry.provider, entry.model)
        columns = ", ".join(f"d.{name.strip()}" for name in _FIELDS.split(","))
        with self._guard():
            row = self._db.execute(
                "WITH free AS (SELECT sha256, provider, model, owner FROM docrelay_documents "
                f"WHERE {_KEY} AND (owner IS NULL OR owner = %s OR lease_until < {_NOW}) "
                "AND state <> 'succeeded' AND NOT (state = 'failed' AND updated >= %s) "
                "FOR UPDATE SKIP LOCKED) "
                f"UPDATE docrelay_documents d SET owner = %s, lease_until = {_NOW} + %s, claimed = {_NOW} "
                "FROM free WHERE d.sha256 = free.sha256 AND d.provider = free.provider "
                f"AND d.model = free.model RETURNING {columns}, free.owner",
                (*key, self.owner, self.opened_at, self.owner, self.lease),
            ).fetchone()
        if row is None:
            return None
        previous = row[-1]
        if previous and previous != self.owner:
            log.info("%s: taking over from %s, whose lease ran out", row[15], previous)
        return self._entry(row)

    # -- writing: one transaction per transition, only by the owner ---------------------------
    def ensure(self, sha256: str, provider: str, model: str | None, source: str | None, name: str) -> Entry:
        with self._guard():
            row = self._db.execute(
                "INSERT INTO docrelay_documents "
                "(sha256, provider, model, source, name, state, created, updated) "
                f"VALUES (%s, %s, %s, %s, %s, 'queued', {_NOW}, {_NOW}) "
                "ON CONFLICT (sha256, provider, model) DO UPDATE SET source = excluded.source, "
                f"name = excluded.name RETURNING {_FIELDS}",
                (sha256, provider, model or "", source, name),
            ).fetchone()
        assert row is not None
        return self._entry(row)

    def ensure_many(
        self, documents: Sequence[tuple[str, str | None, str]], provider: str, model: str | None
    ) -> dict[str, Entry | DamagedRow]:
        """`ensure` for many documents in one transaction (a re-run of thousands is one commit)."""
        rows = [(sha, provider, model or "", source, name) for sha, source, name in documents]
        with self._guard(), self._db.transaction():
            with self._db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO docrelay_documents "
                    "(sha256, provider, model, source, name, state, created, updated) "
                    f"VALUES (%s, %s, %s, %s, %s, 'queued', {_NOW}, {_NOW}) "
                    "ON CONFLICT (sha256, provider, model) DO UPDATE SET source = excluded.source, "
                    "name = excluded.name",
                    rows,
                )
            found = self._db.execute(
                f"SELECT {_FIELDS} FROM docrelay_documents "
                "WHERE provider = %s AND model = %s AND sha256 = ANY(%s)",
                (provider, model or "", [sha for sha, _, _ in documents]),
            ).fetchall()
        return {row[0]: entry_or_damage(_mapping(row), self.location) for row in found}

    def update(self, entry: Entry, **changes: Any) -> Entry:
        """Write `changes` if this process still holds the row (raises LeaseLost otherwise); a final
        state hands the row back."""
        check_changes(changes)
        values = {k: pack_result(v) if k == "result" else v for k, v in changes.items()}
        assignments = [f"{name} = %s" for name in values]
        if changes.get("state") in _FINAL:
            assignments.append("owner = NULL, lease_until = NULL")
        else:
            assignments.append(f"lease_until = {_NOW} + {self.lease:.3f}")
        assignments.append(f"updated = {_NOW}")
        with self._guard():
            row = self._db.execute(
                f"UPDATE docrelay_documents SET {', '.join(assignments)} "
                f"WHERE {_KEY} AND owner = %s RETURNING updated",
                (*values.values(), entry.sha256, entry.provider, entry.model, self.owner),
            ).fetchone()
        if row is None:
            raise LeaseLost(f"document {entry.sha256[:12]}: another process has taken it over")
        return dataclasses.replace(entry, **changes, updated=float(row[0]))


_FIELDS = (
    "sha256, provider, model, state, document_id, prediction_id, document, job, result, error_type, "
    "error_message, uploads, predictions, predict_started, updated, name, source"
)


_NAMES = [name.strip() for name in _FIELDS.split(",")]


def _mapping(row: Any) -> dict[str, Any]:
    """The row's columns by name, as the shared checker (core.batch.journal.checked_entry) reads them."""
    named = dict(zip(_NAMES, row, strict=False))
    if named["result"] is not None:
        named["result"] = bytes(named["result"])
    return named
