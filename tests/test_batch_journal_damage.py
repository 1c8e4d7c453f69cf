"""The journal's identity and damaged journals (issue 13, items 2, 3 and 13): a lock that a symlink cannot
bypass, rows docrelay cannot use quarantined (no call, the rest goes on), damaged pages refused."""

from __future__ import annotations

import os
import sqlite3
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.batch import Journal
from core.errors import JournalError, UsageError
from tests.batch_support import MODEL, cradl_client, make_documents, predictions_by_document
from tests.emulators.cradl import CradlEmulator

MakeEmulator = Callable[..., CradlEmulator]


def test_a_symlink_to_a_journal_in_use_meets_its_lock(tmp_path: Path) -> None:
    real = tmp_path / "real" / "j.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    folder_link = tmp_path / "folder-link"
    folder_link.symlink_to(real.parent, target_is_directory=True)
    with Journal(real):
        for other in (link, folder_link / "j.db"):
            with pytest.raises(UsageError, match="Another docrelay batch") as busy:
                Journal(other)
            assert busy.value.exit_code == 2


@pytest.mark.skipif(sys.platform == "win32", reason="the file-identity lock is POSIX only")
def test_a_hard_link_to_a_journal_in_use_meets_its_lock(tmp_path: Path) -> None:
    real = tmp_path / "j.db"
    with Journal(real):
        hard_link = tmp_path / "other-name.db"
        os.link(real, hard_link)
        with pytest.raises(UsageError, match="Another docrelay batch") as busy:
            Journal(hard_link)
        assert busy.value.exit_code == 2
    with Journal(hard_link):  # free again once the first batch is done
        pass


def _run_batch(emu: CradlEmulator, tmp_path: Path, docs: list[Path], journal: Path | str):  # type: ignore[no-untyped-def]
    with cradl_client(emu, tmp_path) as client:
        return client.batch(docs, model=MODEL, journal=journal)


def _sql(target: str, sql: str, params: tuple[Any, ...]) -> Any:
    """Run one statement on the journal behind docrelay's back (`documents`, `?`: either backend)."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as pg:
            return pg.execute(  # type: ignore[call-overload]
                sql.replace("documents", "docrelay_documents").replace("?", "%s"), params
            ).fetchall()
    db = sqlite3.connect(target)
    try:
        with db:
            return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _edit_row(target: str, sha256: str, **values: object) -> None:
    assignments = ", ".join(f"{name}=?" for name in values)
    _sql(
        target,
        f"UPDATE documents SET {assignments} WHERE sha256=? RETURNING sha256",
        (*values.values(), sha256),
    )


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        ({"state": "archived"}, "its state 'archived' is not one docrelay knows"),
        ({"state": "predicting", "job": "{not json"}, "a value in it is damaged"),
        ({"state": "predicting", "job": '{"provider": 5}'}, "a value in it is damaged"),
        ({"result": b"not zlib data"}, "a value in it is damaged"),
        ({"state": "succeeded", "result": zlib.compress(b"[1, 2")}, "a value in it is damaged"),
        ({"document": "{"}, "a value in it is damaged"),
    ],
)
def test_a_row_docrelay_cannot_use_is_quarantined_without_a_call(
    tmp_path: Path,
    make_cradl_emulator: MakeEmulator,
    journal_target: str,
    damage: dict[str, object],
    needle: str,
) -> None:
    """Both backends check their rows alike (core.batch.journal.checked_entry)."""
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 3)
    first = _run_batch(emu, tmp_path, docs, journal_target)
    assert first.summary["succeeded"] == 3
    bad = first.results[1].document.sha256
    assert bad is not None
    _edit_row(journal_target, bad, **damage)
    docs.extend(make_documents(tmp_path / "in", 1, start=3))  # a new document still goes through
    calls_before = emu.stats["total_requests"]
    again = _run_batch(emu, tmp_path, docs, journal_target)
    assert again.summary == {"total": 4, "succeeded": 3, "failed": 1, "pending": 0}
    quarantined = again.results[1]
    assert quarantined.error is not None and quarantined.error.type == "journal_error"
    assert needle in quarantined.error.message and "journal=" in quarantined.error.message
    assert sorted(predictions_by_document(emu).values()) == [1, 1, 1, 1]  # nothing paid twice
    assert emu.stats["total_requests"] > calls_before  # (the new document was sent)
    rows = _sql(journal_target, "SELECT state FROM documents WHERE sha256=?", (bad,))
    assert rows[0][0] == damage.get("state", "succeeded")  # left as it was, for a person to look at


def test_a_journal_with_damaged_pages_is_refused_before_any_call(
    tmp_path: Path, make_cradl_emulator: MakeEmulator
) -> None:
    emu = make_cradl_emulator(engine="stub")
    journal = tmp_path / "j.db"
    with Journal(journal) as opened:
        for number in range(400):
            opened.ensure(f"{number:064x}", "cradl", MODEL, f"/in/{number}.pdf", f"{number}.pdf")
    db = sqlite3.connect(journal)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = journal.stat().st_size
    with journal.open("r+b") as handle:  # scribble over the last pages
        handle.seek(size - 3 * 4096)
        handle.write(b"\xa5" * 3 * 4096)
    docs = make_documents(tmp_path / "in", 2)
    with pytest.raises(JournalError, match="not a usable docrelay journal") as refused:
        _run_batch(emu, tmp_path, docs, journal)
    assert refused.value.exit_code == 2 and "move this file aside" in refused.value.full_message
    assert emu.stats["total_requests"] == 0
