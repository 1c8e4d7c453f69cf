"""The batch journal: states, one batch per journal, WAL, retention, and clear errors for bad files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from core.batch.journal import Journal, default_journal_path
from core.errors import UsageError


def test_rows_walk_through_states_and_keep_ids(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        entry = journal.ensure("a" * 64, "cradl", "las:model:x", "/in/a.pdf", "a.pdf")
        assert entry.state == "queued" and entry.uploads == 0
        entry = journal.update(entry, state="uploading", uploads=1)
        entry = journal.update(entry, state="uploaded", document_id="las:document:1")
        journal.update(entry, state="succeeded", result={"status": "succeeded", "fields": {"x": 1}})
        again = journal.get("a" * 64, "cradl", "las:model:x")
        assert again is not None and again.document_id == "las:document:1" and again.uploads == 1
        assert again.result == {"status": "succeeded", "fields": {"x": 1}}
        assert journal.get("a" * 64, "cradl", "las:model:y") is None  # another model, another row
        assert journal.ensure("a" * 64, "cradl", None, None, "bytes").state == "queued"
        with pytest.raises(ValueError, match="unknown journal state"):
            journal.update(again, state="done")
    with sqlite3.connect(tmp_path / "j.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_one_batch_at_a_time_per_journal(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db"):
        with pytest.raises(UsageError, match="Another docrelay batch is using the journal") as busy:
            Journal(tmp_path / "j.db")
        assert busy.value.exit_code == 2 and "journal=" in busy.value.full_message
    Journal(tmp_path / "j.db").close()  # free again once the first one is closed


def test_a_file_that_is_no_journal_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text, long enough to not look like an empty database" * 20)
    with pytest.raises(UsageError, match="not a usable docrelay journal"):
        Journal(notes)
    with pytest.raises(UsageError, match="is a folder"):
        Journal(tmp_path)


def test_old_rows_are_dropped_on_open(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        journal.ensure("b" * 64, "local", "invoice", None, "old.pdf")
        journal.ensure("c" * 64, "local", "invoice", None, "new.pdf")
    with sqlite3.connect(tmp_path / "j.db") as db:
        db.execute("UPDATE documents SET updated=? WHERE name='old.pdf'", (time.time() - 100 * 86400,))
    with Journal(tmp_path / "j.db") as journal:
        assert journal.get("b" * 64, "local", "invoice") is None
        assert journal.get("c" * 64, "local", "invoice") is not None


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
