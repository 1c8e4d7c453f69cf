"""What keeps the bridge quick under 16 polling panes (bench/excel_bridge_latency.py measures it):
Nagle's algorithm is off on its connections, and a job's status is read once per change, never stale.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.workbook import live
from core.workbook.live import LiveService, PushItem
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
    documents = [(pdf.name, str(pdf), "ab" * 32, None)]
    job_id = service.registry.add_job("wb-speed-0002", "local", "", None, documents)  # never run
    first = service.job(job_id)
    assert first["state"] == "queued" and service.cached_job(job_id) is first
    time.sleep(0.25)
    assert service.cached_job(job_id) is None
    assert service.job(job_id) == first
