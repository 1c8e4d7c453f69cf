"""The bridge's service in process (core.workbook.live and its registry).

What keeps the bridge quick under 16 polling panes (bench/excel_bridge_latency.py measures it): Nagle's
algorithm is off on its connections, and a job's status is read once per change, never stale. Where a
picked file's row links to; and a registry from an older bridge still opens.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from core.workbook import live
from core.workbook.live import LiveService, PushItem, file_link, picked_file
from core.workbook.live_registry import Registry
from excel_addin.bridge.serve import bind
from tests.bridge_helpers import free_port
from tests.cli_helpers import SAMPLES, isolated_env


def test_the_bridges_connections_send_without_waiting_for_acks() -> None:
    """A socket asyncio does not know as TCP keeps Nagle on: an answer's second TLS record then waited
    for the pane's delayed ACK, 40 ms per request on a kept-alive connection."""
    listening = bind(free_port())
    assert listening.proto == socket.IPPROTO_TCP
    seen: list[int] = []

    async def exchange() -> None:
        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        reader, writer = await asyncio.open_connection(*listening.getsockname())
        await reader.read()  # closed by the server once it has looked
        writer.close()
        server.close()
        await server.wait_closed()

    try:
        asyncio.run(exchange())
    finally:
        listening.close()
    assert seen and seen[0] != 0


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveService]:
    for key, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    running = LiveService(tmp_path / "bridge", provider="local", journal=str(tmp_path / "journal.sqlite3"))
    yield running
    running.close()


def _finished(service: LiveService, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while (found := service.job(job_id))["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    return found


def test_a_jobs_status_is_read_again_only_after_the_registry_changes(
    service: LiveService, tmp_path: Path
) -> None:
    pdf = Path(shutil.copy(SAMPLES / "invoice-globex-us.pdf", tmp_path / "invoice.pdf"))
    job_id = service.push("wb-speed-0001", [PushItem(pdf, pdf.name)])["job"]
    done = _finished(service, job_id)
    assert service.cached_job(job_id) is done  # a poll answered without reading anything
    assert service.job(job_id) is done
    service.registry.set_job_state(job_id, "interrupted")  # any write: the status is read again
    assert service.cached_job(job_id) is None
    again = service.job(job_id)
    assert again["state"] == "interrupted" and again is not done
    assert service.cached_job("no-such-job") is None


def test_a_running_jobs_journal_states_are_read_again_soon(
    service: LiveService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Undelivered documents' queued/processing states come from the journal, which other processes
    may write: such a status is kept only briefly, even with the registry unchanged."""
    monkeypatch.setattr(live, "JOURNAL_STATES_TTL_S", 0.2)
    pdf = tmp_path / "invoice.pdf"
    documents = [(pdf.name, str(pdf), "ab" * 32, None, None)]
    job_id = service.registry.add_job("wb-speed-0002", "local", "", None, documents)  # never run
    first = service.job(job_id)
    assert first["state"] == "queued" and service.cached_job(job_id) is first
    time.sleep(0.25)
    assert service.cached_job(job_id) is None
    assert service.job(job_id) == first


def test_a_picked_file_links_to_its_stored_copy_on_windows_and_elsewhere(tmp_path: Path) -> None:
    windows = PureWindowsPath(r"C:\Users\Jörg Ø\AppData\Local\docrelay\bridge\uploads\ab\a b.pdf")
    assert file_link(windows, windows=True) == str(windows)  # Excel's own form: no %-escapes to garble
    mac = PurePosixPath("/Users/jörg/Library/Application Support/docrelay/bridge/uploads/ab/a b.pdf")
    assert file_link(mac, windows=False) == (
        "file:///Users/j%C3%B6rg/Library/Application%20Support/docrelay/bridge/uploads/ab/a%20b.pdf"
    )
    stored = tmp_path / "uploads" / "ab" / "a b.pdf"
    item = picked_file(stored, "a b.pdf")
    assert item.shown == "a b.pdf" and item.path == stored and item.link == stored.resolve().as_uri()


def test_a_registry_written_before_links_opens_and_gains_them(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite3"
    with sqlite3.connect(path) as old:  # the documents table as the first bridges made it
        old.executescript(
            "CREATE TABLE documents (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, "
            "workbook TEXT NOT NULL, position INTEGER NOT NULL, shown TEXT NOT NULL, path TEXT NOT NULL, "
            "sha256 TEXT, status TEXT, error TEXT, updated REAL NOT NULL);"
        )
    old.close()
    registry = Registry(path)
    try:
        job = registry.add_job(
            "wb-old-0001", "local", "", None, [("a.pdf", "/x/a.pdf", "cd" * 32, None, "L")]
        )
        assert [d.link for d in registry.documents(job)] == ["L"]
    finally:
        registry.close()
