"""The batch journal, one suite for both backends (a SQLite file and a PostgreSQL database): states,
claims, settled rows, a second process, schema versions, retention and clear errors."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from core.batch import Journal, default_journal_path, open_journal
from core.batch.journal import SCHEMA_VERSION
from core.errors import UsageError

A, B, C = "a" * 64, "b" * 64, "c" * 64


def is_postgres(target: str) -> bool:
    return target.startswith("postgresql://")


def run_sql(target: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change the journal behind its back (to age rows or fake a newer schema); `documents` and
    `schema_version` stand for each backend's own names."""
    if is_postgres(target):
        import psycopg

        sql = sql.replace("documents", "docrelay_documents").replace("?", "%s")
        sql = sql.replace("SET_SCHEMA", "UPDATE docrelay_schema SET version = %s")
        with psycopg.connect(target, autocommit=True) as db:
            db.execute(sql, params)  # type: ignore[arg-type]
    else:
        sql = sql.replace("SET_SCHEMA", f"PRAGMA user_version={params[0] if params else 0}")
        with sqlite3.connect(target) as db:
            db.execute(sql, () if "PRAGMA" in sql else params)


def test_rows_walk_through_states_and_keep_ids(journal_target: str) -> None:
    with open_journal(journal_target) as journal:
        entry = journal.ensure(A, "cradl", "las:model:x", "/in/a.pdf", "a.pdf")
        assert entry.state == "queued" and entry.uploads == 0
        entry = journal.claim(entry) or pytest.fail("a new row is free to claim")
        entry = journal.update(entry, state="uploading", uploads=1)
        entry = journal.update(entry, state="uploaded", document_id="las:document:1")
        journal.update(entry, state="succeeded", result={"status": "succeeded", "fields": {"x": 1}})
        again = journal.get(A, "cradl", "las:model:x")
        assert again is not None and again.document_id == "las:document:1" and again.uploads == 1
        assert again.result == {"status": "succeeded", "fields": {"x": 1}}
        assert journal.get(A, "cradl", "las:model:y") is None  # another model, another row
        assert journal.ensure(A, "cradl", None, None, "bytes").state == "queued"
        with pytest.raises(ValueError, match="unknown journal state"):
            journal.update(again, state="done")
        with pytest.raises(ValueError, match="unknown journal columns"):
            journal.update(again, owner="me")
        assert journal.counts() == {"succeeded": 1, "queued": 1}
        assert "journal" in journal.location or "journal" in journal_target
    if not is_postgres(journal_target):
        with sqlite3.connect(journal_target) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_settled_rows_are_not_claimed_and_failures_of_earlier_runs_are(journal_target: str) -> None:
    with open_journal(journal_target) as journal:
        for sha in (A, B, C):
            assert journal.claim(journal.ensure(sha, "local", "invoice", None, sha[0])) is not None
        done = journal.update(
            journal.get(A, "local", "invoice") or pytest.fail(), state="succeeded", result={}
        )
        failed = journal.update(journal.get(B, "local", "invoice") or pytest.fail(), state="failed")
        assert journal.claim(done) is None and journal.settled(done) is not None
        assert journal.claim(failed) is None  # failed during this run: that is its result for now
        assert (journal.settled(failed) or pytest.fail()).state == "failed"
        assert journal.settled(journal.get(C, "local", "invoice") or pytest.fail()) is None
        rows = [journal.get(sha, "local", "invoice") or pytest.fail() for sha in (A, B, C)]
        settled, free = journal.watch(rows)
        assert sorted(e.sha256 for e in settled) == [A, B]
        assert [e.sha256 for e in free] == ([] if journal.shared else [C])  # C is this process's own
        assert journal.orphans("local", "invoice") == set()
    time.sleep(0.05)
    with open_journal(journal_target) as journal:  # the next run tries the failure again
        failed_before = journal.get(B, "local", "invoice") or pytest.fail()
        assert journal.settled(failed_before) is None
        assert (journal.claim(failed_before) or pytest.fail()).state == "failed"
        assert journal.claim(journal.get(A, "local", "invoice") or pytest.fail()) is None


def test_a_second_process_on_the_same_journal(journal_target: str) -> None:
    """SQLite: refused (one batch per file). PostgreSQL: welcome, but not to what the first one holds."""
    with open_journal(journal_target) as first:
        entry = first.ensure(A, "cradl", "m", None, "a.pdf")
        assert first.claim(entry) is not None
        if not is_postgres(journal_target):
            with pytest.raises(UsageError, match="Another docrelay batch is using the journal") as busy:
                open_journal(journal_target)
            assert busy.value.exit_code == 2 and "journal" in busy.value.hint
            assert first.shared is False
        else:
            with open_journal(journal_target) as second:
                assert second.shared is True
                assert second.claim(entry) is None and second.settled(entry) is None
                first.update(entry, state="uploading", uploads=1)
                assert (second.get(A, "cradl", "m") or pytest.fail()).state == "uploading"  # one view
    with open_journal(journal_target) as again:  # free once the first one is closed
        assert again.claim(entry) is not None


def test_a_journal_of_a_newer_docrelay_is_refused(journal_target: str) -> None:
    with open_journal(journal_target):
        pass
    run_sql(journal_target, "SET_SCHEMA", (SCHEMA_VERSION + 1,))
    with pytest.raises(UsageError, match=r"newer docrelay \(schema 2\)") as refused:
        open_journal(journal_target)
    assert refused.value.exit_code == 2


def test_old_rows_are_dropped_on_open(journal_target: str) -> None:
    with open_journal(journal_target) as journal:
        journal.ensure(B, "local", "invoice", None, "old.pdf")
        journal.ensure(C, "local", "invoice", None, "new.pdf")
    run_sql(
        journal_target, "UPDATE documents SET updated=? WHERE name='old.pdf'", (time.time() - 100 * 86400,)
    )
    with open_journal(journal_target) as journal:
        assert journal.get(B, "local", "invoice") is None
        assert journal.get(C, "local", "invoice") is not None


def test_a_file_that_is_no_journal_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text, long enough to not look like an empty database" * 20)
    with pytest.raises(UsageError, match="not a usable docrelay journal"):
        Journal(notes)
    with pytest.raises(UsageError, match="is a folder"):
        Journal(tmp_path)


def test_default_location_is_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    path = default_journal_path()
    assert path.name == "journal.sqlite3" and "docrelay" in path.parts


def test_file_lists(tmp_path: Path) -> None:
    from core.batch import collect_paths, read_file_list
    from core.errors import InputError

    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    listing = tmp_path / "list.txt"
    listing.write_text(
        '\ufeff# scanned today\n"' + str(tmp_path / "a.pdf") + '"\n\n  b.pdf  \n', encoding="utf-8"
    )
    assert read_file_list(listing) == [str(tmp_path / "a.pdf"), "b.pdf"]
    assert collect_paths(files_from=[listing]) == [tmp_path / "a.pdf", Path("b.pdf")]
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\x80\x81bad")
    with pytest.raises(InputError, match="Cannot read the file list") as unreadable:
        read_file_list(binary)
    assert unreadable.value.exit_code == 4 and "UTF-8" in unreadable.value.full_message
    windows = tmp_path / "list16.txt"  # what Windows PowerShell's Out-File writes
    windows.write_bytes(("# from the bot\r\n" + str(tmp_path / "a.pdf") + "\r\n").encode("utf-16"))
    assert read_file_list(windows) == [str(tmp_path / "a.pdf")]


def test_first_poll_delay_learns_from_the_batch() -> None:
    from core.batch.steps import FirstPollDelay

    delay = FirstPollDelay(1.0, floor=0.2, ceiling=15.0)
    for _ in range(20):
        delay.learn(was_done=True)  # jobs keep finishing before the first poll: wait less
    assert delay.value == 0.2
    delay.learn(was_done=False)  # one still pending: wait longer again
    assert delay.value == pytest.approx(0.26)
    for _ in range(50):
        delay.learn(was_done=False)
    assert delay.value == 15.0
