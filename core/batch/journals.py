"""The journal interface, and the choice of its backend from one `journal` setting.

    with open_journal(None) as journal: ...                        # journal.sqlite3 in the user data folder
    with open_journal("C:/robots/intake.sqlite3") as journal: ...  # a file: SQLite, one process at a time
    with open_journal("postgresql://robot@db:5432/intake") as journal: ...  # shared by many processes

Both backends keep the same rows with the same meaning (core.batch.journal describes them) and pass
one test suite. The engine claims a document before it works on it: the SQLite journal grants every
claim (its lock file keeps other processes away); the PostgreSQL one grants a lease, and refuses a
document another live process holds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol

from core.batch.journal import DamagedRow, Entry, Journal


class JournalBackend(Protocol):
    """What the batch engine needs of a journal."""

    shared: bool  # True when other processes may work on the same rows
    recheck_interval: float  # seconds between looks at a document another process holds
    opened_at: float  # when this process opened it (the journal's clock)

    @property
    def location(self) -> str:
        """Where the journal is, for outputs and logs (a connection string without its password)."""
        ...

    def get(self, sha256: str, provider: str, model: str | None) -> Entry | None: ...

    def counts(self) -> dict[str, int]: ...

    def ensure(self, sha256: str, provider: str, model: str | None, source: str | None, name: str) -> Entry:
        """The document's row, created as `queued` if new."""
        ...

    def ensure_many(
        self, documents: Sequence[tuple[str, str | None, str]], provider: str, model: str | None
    ) -> dict[str, Entry | DamagedRow]:
        """`ensure` for many documents, each given as (sha256, source, name), keyed by sha256; a row
        that cannot be used (unknown state, damaged value) is given as its DamagedRow error."""
        ...

    def claim(self, entry: Entry) -> Entry | None:
        """The current row, now this process's to work on; None when another process holds it or when
        it is settled."""
        ...

    def settled(self, entry: Entry) -> Entry | None:
        """The row if it is finished for this run: succeeded, or failed since the journal was opened."""
        ...

    def watch(self, entries: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
        """Of these rows (one provider and model) that this process does not hold: the settled ones,
        and those free to claim (no live lease)."""
        ...

    def orphans(self, provider: str, model: str | None) -> set[str]:
        """SHA-256s of rows whose holder's lease ran out unsettled (it died): to be taken over first."""
        ...

    def update(self, entry: Entry, **changes: Any) -> Entry:
        """Write one transition; raises core.batch.pg_journal.LeaseLost when the row is no longer ours."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> JournalBackend: ...

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def open_journal(
    target: str | os.PathLike[str] | None,
    *,
    password: str | None = None,
    lease: float | None = None,
) -> JournalBackend:
    """The journal `target` names: None for the default file, a path for SQLite, a postgresql:// URL
    for the shared journal (`password` and `lease` apply to that one only)."""
    if isinstance(target, str):
        from core.batch.pg_journal import DEFAULT_LEASE, PostgresJournal
        from core.batch.pg_setup import is_postgres_url

        if is_postgres_url(target):
            return PostgresJournal(target, password=password, lease=lease or DEFAULT_LEASE)
    return Journal(target)


def describe(target: str | os.PathLike[str] | None) -> str:
    """`target` as it may be shown: a connection string's password masked."""
    if isinstance(target, str):
        from core.batch.pg_setup import is_postgres_url, shown_url

        if is_postgres_url(target):
            return shown_url(target)
    return os.fspath(target) if target is not None else "(default journal)"
