"""Hostile inputs through the real `docrelay` program (issue 13): each gives its documented exit code
(never 1, the code of a bug), exactly one JSON envelope, within 512 MB and 30 s, and loses nothing.

Each case prepares its inputs in a temporary folder and returns the arguments, the expected exit code
and, where it matters, a check of what must be left intact afterwards (a FIFO, a link, /dev/null).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import EXIT_CODES
from tests.batch_support import MODEL, make_documents
from tests.cli_helpers import SAMPLES, emulator_env, isolated_env
from tests.emulators.cradl import CradlEmulator
from tests.hostile_inputs import (
    MEMORY_CAP,
    TIME_CAP,
    circular_page_tree_pdf,
    deep_page_tree_pdf,
    run_capped,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS, FIFOs, /proc and /dev")

INVOICE = SAMPLES / "invoice.pdf"
Check = Callable[[dict[str, Any]], None]  # given the envelope
Case = tuple[list[str], int, Check | None]


def _nothing(envelope: dict[str, Any]) -> None:
    return None


# -- the cases: each takes the temporary folder, returns (args, exit code, check) -----------------
def undecodable_name(tmp: Path) -> Case:
    name = os.fsdecode(b"factuur-\xff\xfe.pdf")
    (tmp / name).write_bytes(INVOICE.read_bytes())
    return ["extract", str(tmp / name)], 0, None


def undecodable_name_in_a_batch_folder(tmp: Path) -> Case:
    folder = tmp / "in"
    folder.mkdir()
    (folder / os.fsdecode(b"x\xfe.pdf")).write_bytes(INVOICE.read_bytes())
    return ["batch", str(folder), "--journal", str(tmp / "j.db")], 0, None


def deep_page_tree(tmp: Path) -> Case:
    (tmp / "deep.pdf").write_bytes(deep_page_tree_pdf())
    return ["extract", str(tmp / "deep.pdf")], 4, None


def circular_page_tree(tmp: Path) -> Case:
    (tmp / "loop.pdf").write_bytes(circular_page_tree_pdf())
    return ["extract", str(tmp / "loop.pdf")], 4, None


def million_text_runs_on_one_page(tmp: Path) -> Case:
    """Item 10: refused from the raw content stream (core.providers.local.pdfguard) before PDFium would
    need about 1 GB to load the page."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from heavy_pdfs import million_runs

    (tmp / "heavy.pdf").write_bytes(million_runs())
    return ["extract", str(tmp / "heavy.pdf")], 4, _says("more than 150,000 text runs")


def damaged_page_trees_fail_only_their_own_documents(tmp: Path) -> Case:
    folder = tmp / "in"
    folder.mkdir()
    (folder / "deep.pdf").write_bytes(deep_page_tree_pdf())
    (folder / "loop.pdf").write_bytes(circular_page_tree_pdf())
    (folder / "good.pdf").write_bytes(INVOICE.read_bytes())
    return ["batch", str(folder), "--journal", str(tmp / "j.db")], 11, None


def _args_file(tmp: Path, content: bytes) -> list[str]:
    (tmp / "args.json").write_bytes(content)
    return ["--args-file", str(tmp / "args.json")]


def args_command_a_number(tmp: Path) -> Case:
    return _args_file(tmp, b'{"command": 5}'), 2, None


def args_utf16_with_bom(tmp: Path) -> Case:
    text = json.dumps({"command": "extract", "files": [str(INVOICE)]})
    return _args_file(tmp, text.encode("utf-16")), 0, None


def args_invalid_utf8(tmp: Path) -> Case:
    return _args_file(tmp, b'{"command": "extract\xc3\x28"}'), 2, None


def args_nested_100000_deep(tmp: Path) -> Case:
    return _args_file(tmp, b"[" * 100_000 + b"]" * 100_000), 2, None


def model_file_nested_100000_deep(tmp: Path) -> Case:
    (tmp / "fields.json").write_bytes(b'{"fieldConfig": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    return ["extract", str(INVOICE), "--model", str(tmp / "fields.json")], 3, None


def args_file_dev_zero(tmp: Path) -> Case:
    return ["--args-file", "/dev/zero"], 2, None


def files_from_dev_zero(tmp: Path) -> Case:
    return ["batch", "--files-from", "/dev/zero", "--journal", str(tmp / "j.db")], 2, None


def args_pages_zero(tmp: Path) -> Case:
    content = json.dumps({"command": "extract", "files": [str(INVOICE)], "pages": 0})
    return _args_file(tmp, content.encode()), 0, None


def args_concurrency_zero(tmp: Path) -> Case:
    content = json.dumps({"command": "batch", "paths": [str(INVOICE)], "concurrency": 0})
    return _args_file(tmp, content.encode()), 2, None


def output_onto_a_fifo(tmp: Path) -> Case:
    fifo = tmp / "out.fifo"
    os.mkfifo(fifo)

    def still_a_fifo(envelope: dict[str, Any]) -> None:
        assert stat.S_ISFIFO(fifo.lstat().st_mode)

    return ["extract", str(INVOICE), "--output", str(fifo)], 2, still_a_fifo


def output_onto_a_symlink(tmp: Path) -> Case:
    (tmp / "real.json").write_text("{}", encoding="utf-8")
    link = tmp / "link.json"
    link.symlink_to(tmp / "real.json")

    def link_kept_file_written(envelope: dict[str, Any]) -> None:
        assert link.is_symlink() and '"ok": true' in (tmp / "real.json").read_text(encoding="utf-8")

    return ["extract", str(INVOICE), "--output", str(link)], 0, link_kept_file_written


def output_onto_a_device(tmp: Path) -> Case:
    # Never /dev/null itself where a regression could replace it: as root (who may replace anything in
    # /dev), a private device node of our own (the null device's numbers) in the temporary folder; as
    # anyone else /dev/null, which they cannot replace. Only read-only checks of the device follow.
    if os.geteuid() == 0:
        device = tmp / "null-device"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        device = Path("/dev/null")
    before = os.stat(device)

    def device_untouched(envelope: dict[str, Any]) -> None:
        after = os.stat(device)
        assert stat.S_ISCHR(after.st_mode) and (after.st_rdev, after.st_ino) == (
            before.st_rdev,
            before.st_ino,
        )
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    return ["extract", str(INVOICE), "--output", str(device)], 2, device_untouched


def _journal_with_a_row(tmp: Path, **values: object) -> Case:
    folder = tmp / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(INVOICE.read_bytes())
    journal = tmp / "j.db"
    db = sqlite3.connect(journal)
    db.executescript(
        "CREATE TABLE documents (sha256 TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, "
        "source TEXT, name TEXT, state TEXT NOT NULL, document_id TEXT, prediction_id TEXT, document TEXT, "
        "job TEXT, result BLOB, error_type TEXT, error_message TEXT, uploads INTEGER NOT NULL DEFAULT 0, "
        "predictions INTEGER NOT NULL DEFAULT 0, predict_started REAL, created REAL NOT NULL, "
        "updated REAL NOT NULL, PRIMARY KEY (sha256, provider, model)); PRAGMA user_version=1;"
    )
    row = {
        "sha256": hashlib.sha256(INVOICE.read_bytes()).hexdigest(),
        "provider": "local",
        "model": "invoice",
        "state": "succeeded",
        "created": time.time(),
        "updated": time.time(),
        **values,
    }
    db.execute(
        f"INSERT INTO documents ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        tuple(row.values()),
    )
    db.commit()
    db.close()
    return ["batch", str(folder), "--journal", str(journal)], 11, None


def journal_result_not_zlib(tmp: Path) -> Case:
    return _journal_with_a_row(tmp, result=b"not zlib data")


def journal_job_not_json(tmp: Path) -> Case:
    return _journal_with_a_row(tmp, state="predicting", job="{not json")


def journal_unknown_state(tmp: Path) -> Case:
    return _journal_with_a_row(tmp, state="archived")


def journal_damaged_last_pages(tmp: Path) -> Case:
    args, _, _ = _journal_with_a_row(tmp)
    journal = tmp / "j.db"
    db = sqlite3.connect(journal)
    for number in range(300):
        db.execute(
            "INSERT INTO documents (sha256, provider, model, state, created, updated) VALUES (?, 'local', "
            "'invoice', 'queued', 0, 0)",
            (f"{number:064x}",),
        )
    db.commit()
    db.close()
    size = journal.stat().st_size
    with journal.open("r+b") as handle:
        handle.seek(size - 2 * 4096)
        handle.write(b"\x5a" * 2 * 4096)
    return args, 2, None


def _says(needle: str) -> Callable[[dict[str, Any]], None]:
    def check(envelope: dict[str, Any]) -> None:
        assert needle in envelope["error"]["message"], envelope["error"]["message"]

    return check


def input_symlink_loop(tmp: Path) -> Case:
    (tmp / "a.pdf").symlink_to(tmp / "b.pdf")
    (tmp / "b.pdf").symlink_to(tmp / "a.pdf")
    return ["extract", str(tmp / "a.pdf")], 4, _says("is a symbolic link loop")


def input_fifo(tmp: Path) -> Case:
    os.mkfifo(tmp / "in.pdf")
    return ["extract", str(tmp / "in.pdf")], 4, _says("is a named pipe (FIFO)")


def input_proc_file(tmp: Path) -> Case:
    return ["extract", "/proc/self/status"], 4, _says("is a virtual file of the operating system")


def input_empty_path(tmp: Path) -> Case:
    return ["extract", ""], 4, _says("the path is empty")


def batch_of_an_empty_path(tmp: Path) -> Case:
    (tmp / "a.pdf").write_bytes(INVOICE.read_bytes())  # would be processed if "" meant this folder
    return ["batch", "", "--journal", str(tmp / "j.db")], 2, _says("An empty path was given")


CASES: list[tuple[Callable[[Path], Case], str]] = [
    (undecodable_name, "a file name that is not UTF-8"),
    (undecodable_name_in_a_batch_folder, "a batch folder holding such a name"),
    (deep_page_tree, "a page tree 5,000 levels deep"),
    (circular_page_tree, "a circular page tree"),
    (million_text_runs_on_one_page, "one page with a million text runs"),
    (damaged_page_trees_fail_only_their_own_documents, "damaged page trees in a batch"),
    (args_command_a_number, '"command": 5'),
    (args_utf16_with_bom, "a UTF-16 args file"),
    (args_invalid_utf8, "an invalid UTF-8 args file"),
    (args_nested_100000_deep, "an args file nested 100,000 deep"),
    (model_file_nested_100000_deep, "a fieldConfig file nested 100,000 deep"),
    (args_file_dev_zero, "--args-file /dev/zero"),
    (files_from_dev_zero, "--files-from /dev/zero"),
    (args_pages_zero, '"pages": 0'),
    (args_concurrency_zero, '"concurrency": 0'),
    (output_onto_a_fifo, "--output onto a FIFO"),
    (output_onto_a_symlink, "--output onto a symlink"),
    (output_onto_a_device, "--output onto a device"),
    (journal_result_not_zlib, "a journal row whose result is not zlib data"),
    (journal_job_not_json, "a journal row whose job is not JSON"),
    (journal_unknown_state, "a journal row with an unknown state"),
    (journal_damaged_last_pages, "a journal with damaged last pages"),
    (input_symlink_loop, "a symlink loop as input"),
    (input_fifo, "a FIFO as input"),
    (input_proc_file, "a /proc file as input"),
    (input_empty_path, "an empty path"),
    (batch_of_an_empty_path, "an empty path given to batch"),
]


@pytest.mark.parametrize("case", [c for c, _ in CASES], ids=[i for _, i in CASES])
def test_hostile_input_through_the_cli(case: Callable[[Path], Case], tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    args, expected, check = case(work)
    run = run_capped(*args, env=isolated_env(tmp_path), cwd=work)
    envelopes = run.envelopes()
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert len(envelopes) == 1 and len(lines) == 1, run.stdout[-2000:]  # (results hold "ok" checks)
    envelope = envelopes[0]
    assert run.exit_code == expected, (run.exit_code, envelope, run.stderr[-2000:])
    assert run.exit_code in EXIT_CODES and run.exit_code != 1
    assert "Traceback" not in run.stderr
    if not envelope["ok"]:
        assert envelope["error"]["exit_code"] == expected and len(envelope["error"]["message"]) > 20
    assert run.peak_bytes <= MEMORY_CAP and run.seconds <= TIME_CAP, (run.peak_bytes, run.seconds)
    (check or _nothing)(envelope)


def test_a_name_that_is_not_utf8_reaches_cradl(
    tmp_path: Path, make_cradl_emulator: Callable[..., CradlEmulator]
) -> None:
    emu = make_cradl_emulator(engine="stub")
    document = make_documents(tmp_path / "in", 1)[0]
    odd = document.with_name(os.fsdecode(b"scan-\xe9t\xe9.pdf"))  # Latin-1 bytes
    document.rename(odd)
    run = run_capped("extract", str(odd), "--model", MODEL, env=emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert run.envelopes()[0]["data"]["document"]["name"] == "scan-\\xe9t\\xe9.pdf"
    emu.assert_no_violations()
