"""`docrelay batch` as a real program: outputs, exit codes, progress, and resuming after SIGKILL/Ctrl+C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.batch_support import (
    MODEL,
    make_documents,
    predictions_by_document,
    uploads_by_document,
)
from tests.cli_helpers import docrelay_executable, emulator_env, isolated_env, run_docrelay
from tests.emulators.cradl import CradlEmulator

MakeEmulator = Callable[..., CradlEmulator]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def lines_of(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_ndjson_csv_and_exit_11(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(engine="stub")
    folder = tmp_path / "in"
    make_documents(folder, 3)
    (folder / "bad.pdf").write_bytes(b"%PDF-1.4 not really a PDF")  # the service fails this job
    (folder / "notes.txt").write_text("not a document", encoding="utf-8")
    listed = make_documents(tmp_path / "more", 1, start=50)[0]
    listing = tmp_path / "list.txt"
    listing.write_text(f"# from the bot\n{listed}\n\n{tmp_path / 'gone.pdf'}\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    run = run_docrelay(
        "batch",
        str(folder),
        "--files-from",
        str(listing),
        "--model",
        MODEL,
        "--ndjson",
        "--csv",
        str(out),
        env=emulator_env(tmp_path, emu),
    )
    assert run.exit_code == 11, run.stdout
    *results, envelope = lines_of(run.stdout)
    assert len(results) == 6 and all(r["schema"] == "docrelay.result/1" for r in results)
    assert envelope["ok"] is False and envelope["error"]["type"] == "batch_failed"
    assert envelope["data"]["summary"] == {"total": 6, "succeeded": 4, "failed": 2, "pending": 0}
    assert "results" not in envelope["data"]  # streamed above instead
    errors = {r["document"]["name"]: r["error"]["type"] for r in results if r["error"]}
    assert errors == {"bad.pdf": "job_failed", "gone.pdf": "input_error"}
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and {"invoice_number", "invoice_number confidence"} <= set(rows[0])
    assert envelope["data"]["csv"]["line_items"] == str(tmp_path / "out.line_items.csv")
    with (tmp_path / "out.line_items.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert {line["doc_key"] for line in lines} <= {row["doc_key"] for row in rows} and lines
    assert "\r" not in run.stderr and "docs/s" not in run.stderr  # stderr is no terminal: no bar

    again = run_docrelay(
        "batch", str(folder), "--glob", "doc-*.pdf", "--model", MODEL, env=emulator_env(tmp_path, emu)
    )
    assert again.exit_code == 0 and again.document["data"]["from_journal"] == 3
    assert len(again.document["data"]["results"]) == 3


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_only_on_a_terminal(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, quiet: bool
) -> None:
    import pty

    emu = make_cradl_emulator(engine="stub")
    make_documents(tmp_path / "in", 3)
    master, slave = pty.openpty()
    argv = [docrelay_executable(), "batch", str(tmp_path / "in"), "--model", MODEL, *(["--quiet"] * quiet)]
    proc = subprocess.run(
        argv, env=emulator_env(tmp_path, emu), stdout=subprocess.PIPE, stderr=slave, timeout=60
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.returncode == 0
    if quiet:
        assert b"docs/s" not in shown
    else:
        assert b"3/3" in shown and b"docs/s" in shown and b"ETA" in shown


@pytest.mark.parametrize(
    ("args", "exit_code", "needle"),
    [
        (("--concurrency", "0"), 2, "Concurrency must be between 1 and 64"),
        (("--rate-limit", "0"), 3, "Invalid rate_limit"),
        (("--files-from", "nowhere.txt"), 4, "the file list nowhere.txt: it does not exist"),
        (("--csv", "no/such/folder/out.csv"), 2, "does not exist"),
    ],
)
def test_usage_errors_cost_nothing(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, args: tuple[str, ...], exit_code: int, needle: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    make_documents(tmp_path / "in", 1)
    run = run_docrelay(
        "batch", str(tmp_path / "in"), "--model", MODEL, *args, env=emulator_env(tmp_path, emu)
    )
    assert run.exit_code == exit_code and needle in run.error["message"]
    assert emu.stats["total_requests"] == 0
    nothing = run_docrelay("batch", "--model", MODEL, env=emulator_env(tmp_path, emu))
    assert nothing.exit_code == 2 and "--files-from" in nothing.error["message"]


# -- killed and started again --------------------------------------------------------------------
def _default_sigint() -> None:
    # A test run started in the background (`scripts/test.sh &`) ignores SIGINT, and children inherit
    # that: give the batch the handling a user's terminal gives it, or Ctrl+C would never reach it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(emu: CradlEmulator, tmp_path: Path, journal: Path) -> subprocess.Popen[str]:
    argv = [docrelay_executable(), "batch", str(tmp_path / "in"), "--model", MODEL, "--journal", str(journal)]
    return subprocess.Popen(
        [*argv, "--ndjson", "--concurrency", "4"],
        env=emulator_env(tmp_path, emu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the batch finished before the moment to stop it"
        assert time.monotonic() < deadline, "timed out waiting for the moment to stop the batch"
        time.sleep(0.005)


def finish_and_check(emu: CradlEmulator, tmp_path: Path, journal: Path, count: int) -> dict[str, Any]:
    # A request the kill cut in half (headers sent, body not) is the only violation the emulator may
    # have seen so far; the run that finishes the batch must cause none.
    cut_short = emu.violations
    assert all("Missing required request body" in v.message for v in cut_short), cut_short
    emu.set_faults(latency_ms=5, async_delay=0.1)
    run = run_docrelay(
        "batch",
        str(tmp_path / "in"),
        "--model",
        MODEL,
        "--journal",
        str(journal),
        env=emulator_env(tmp_path, emu),
    )
    assert run.exit_code == 0, run.stdout
    data: dict[str, Any] = run.document["data"]
    assert data["summary"]["succeeded"] == count
    predictions = predictions_by_document(emu)
    assert len(predictions) == count and set(predictions.values()) == {1}, predictions  # each exactly once
    assert max(uploads_by_document(emu).values()) <= 2
    assert emu.violations == cut_short
    return data


KILL_POINTS = {
    # a few documents done, the others anywhere
    "after 2 results": lambda emu, results: len(results) >= 2,
    # uploads on the wire (the emulator counts a request when it arrives, then sleeps its latency)
    "uploads in flight": lambda emu, results: emu.requests_to("POST /documents") >= 2,
    # a prediction asked for and being made: its answer will never reach the killed process
    "prediction requested": lambda emu, results: emu.requests_to("POST /predictions") >= 1,
    # predictions made and being polled
    "predictions pending": lambda emu, results: emu.requests_to("GET /predictions/{predictionId}") >= 1,
}


@pytest.mark.violations_expected  # a request the kill cut in half; finish_and_check asserts them
@pytest.mark.parametrize("moment", list(KILL_POINTS))
def test_sigkill_at_any_moment_then_resume(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, moment: str
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=250, async_delay=2.0)
    make_documents(tmp_path / "in", 6)
    journal = tmp_path / "journal.sqlite3"
    proc = start(emu, tmp_path, journal)
    results: list[str] = []
    if moment == "after 2 results":
        emu.set_faults(latency_ms=30, async_delay=0.1)
        assert proc.stdout is not None
        while len(results) < 2:
            results.append(proc.stdout.readline())
    wait_for(lambda: KILL_POINTS[moment](emu, results), proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    time.sleep(0.4)  # let the emulator finish the requests it had (it sleeps 250 ms before each)
    data = finish_and_check(emu, tmp_path, journal, 6)
    if moment == "prediction requested":
        assert emu.requests_to("GET /predictions") >= 1  # the lost one was looked up, not made again
    if moment == "after 2 results":
        assert data["from_journal"] >= 2


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(
    tmp_path: Path, make_cradl_emulator: MakeEmulator
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=60, async_delay=0.3)
    make_documents(tmp_path / "in", 12)
    journal = tmp_path / "journal.sqlite3"
    proc = start(emu, tmp_path, journal)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    envelope = lines_of(rest)[-1]
    assert (
        envelope["error"]["type"] == "interrupted"
        and "Run the same command again" in envelope["error"]["message"]
    )
    summary = envelope["data"]["summary"]
    assert summary["pending"] >= 1 and summary["total"] == 12 and summary["failed"] == 0
    finish_and_check(emu, tmp_path, journal, 12)


def test_the_ctrl_c_test_passes_when_started_in_the_background() -> None:
    """`scripts/test.sh &` runs the suite with SIGINT ignored (POSIX shells do that for background jobs)."""
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider {__file__} -k ctrl_c_stops & wait"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_an_unreachable_service_stops_the_batch_within_30_s_with_exit_9(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on: every connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_documents(tmp_path / "in", 6)
    env = isolated_env(
        tmp_path,
        DOCRELAY_PROVIDER="cradl",
        DOCRELAY_CRADL_API_URL=f"http://127.0.0.1:{port}",
        DOCRELAY_CRADL_ACCESS_TOKEN="a-ready-token",
    )
    started = time.monotonic()
    run = run_docrelay(
        "batch", str(tmp_path / "in"), "--model", MODEL, "--journal", str(tmp_path / "j.db"), env=env
    )
    elapsed = time.monotonic() - started
    assert run.exit_code == 9 and elapsed < 30, (elapsed, run.stdout)
    assert "Stopped the batch: no call reached cradl" in run.error["message"]
    assert "run the same command again" in run.error["message"]
    import sqlite3

    states = sqlite3.connect(tmp_path / "j.db").execute("SELECT state FROM documents").fetchall()
    assert states and all(state in ("queued", "uploading", "failed") for (state,) in states)
