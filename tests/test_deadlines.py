"""Deadlines are honoured (issue 13, item 25): every wait (a call that hangs, retries, backoff, polling,
a token fetch) ends within 5 s of --timeout or Robot's timeout=, since Robot's own test timeouts cannot
interrupt a keyword that hangs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import DocRelayError
from core.services import Client
from tests.batch_support import MODEL
from tests.cli_helpers import SAMPLES, emulator_env, run_docrelay
from tests.emulators.cradl import CradlEmulator
from tests.test_transport_support import LoopbackServer, Reply

MakeEmulator = Callable[..., CradlEmulator]
INVOICE = SAMPLES / "invoice.pdf"
GRACE = 5.0


def hanging(seconds: float = 60.0) -> LoopbackServer:
    return LoopbackServer(lambda received: Reply(200, [], action="hang", delay=seconds))


def test_a_call_that_hangs_ends_with_the_timeout(tmp_path: Path) -> None:
    with (
        hanging() as server,
        Client(
            "contractfit",
            timeout=2,
            settings={"url": server.url, "api_key": "k"},
            env={"DOCRELAY_CONFIG_FILE": str(tmp_path / "none.toml")},
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(DocRelayError):
            client.submit(INVOICE, model="1")
        assert time.monotonic() - started < 2 + GRACE


def test_a_token_fetch_that_hangs_ends_with_the_timeout(tmp_path: Path) -> None:
    with (
        hanging() as server,
        Client(
            "cradl",
            timeout=2,
            settings={
                "api_url": server.url,
                "auth_url": f"{server.url}/oauth2/token",
                "client_id": "c",
                "client_secret": "s",
            },
            env={"DOCRELAY_CONFIG_FILE": str(tmp_path / "none.toml")},
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(DocRelayError):
            client.extract(INVOICE, model=MODEL)
        assert time.monotonic() - started < 2 + GRACE


def test_cli_extract_against_a_slow_service_ends_with_timeout(
    tmp_path: Path, make_cradl_emulator: MakeEmulator
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=30_000)
    started = time.monotonic()
    run = run_docrelay(
        "extract",
        str(INVOICE),
        "--model",
        MODEL,
        "--timeout",
        "3",
        env=emulator_env(tmp_path, emu),
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert run.exit_code in (9, 10) and elapsed < 3 + GRACE + 1.5, (elapsed, run.stdout)  # + start-up


def test_robot_keyword_with_timeout_never_hangs(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    from robot_library.DocRelay import DocRelay

    emu = make_cradl_emulator(engine="stub", async_delay=120)  # the job never finishes in time
    library = DocRelay(
        provider="cradl", timeout=timedelta(seconds=2), api_url=emu.base_url, access_token=emu.issue_token()
    )
    started = time.monotonic()
    with pytest.raises(Exception, match="did not finish within"):
        library.extract_document(INVOICE, model=MODEL)
    assert time.monotonic() - started < 2 + GRACE
