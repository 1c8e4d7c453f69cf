"""A real TLS-intercepting proxy between docrelay and the service (issue 13, item 24): mitmproxy on
loopback re-signs the traffic with its own private root CA, as corporate proxies do.

docrelay works through it with that CA in DOCRELAY_CA_BUNDLE and HTTPS_PROXY set; it goes around it for
hosts in NO_PROXY; and without the CA it fails with exit 9 and a message naming the fix. mitmproxy runs
from its own venv (.venv-mitm, made by scripts/test.sh): a missing one fails here, it is never skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.batch_support import MODEL
from tests.cli_helpers import REPO, SAMPLES, Run, isolated_env, run_docrelay
from tests.emulators.cradl import CradlEmulator
from tests.test_transport_support import TestPki, free_port, make_pki

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="mitmdump from .venv-mitm/bin")

MITMDUMP = REPO / ".venv-mitm" / "bin" / "mitmdump"
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@dataclass
class Interceptor:
    url: str
    ca_pem: Path
    log: Path

    def flows_to(self, port: int) -> int:
        """Requests the proxy passed on to the service on `port`."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return sum(1 for line in text.splitlines() if f":{port}/" in line and "<<" not in line)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def interceptor(tmp_path_factory: pytest.TempPathFactory, pki: TestPki) -> Iterator[Interceptor]:
    assert MITMDUMP.exists(), f"{MITMDUMP} is missing: scripts/test.sh installs mitmproxy into .venv-mitm"
    confdir = tmp_path_factory.mktemp("mitmproxy")
    port = free_port()
    log = confdir / "flows.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [
                str(MITMDUMP),
                "--listen-host", "127.0.0.1",
                "--listen-port", str(port),
                "--set", f"confdir={confdir}",
                "--set", f"ssl_verify_upstream_trusted_ca={pki.ca_pem}",
                "--set", "flow_detail=1",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            ca_pem = confdir / "mitmproxy-ca-cert.pem"
            deadline = time.monotonic() + 60
            while not (ca_pem.exists() and _listening(port)):
                assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
                assert time.monotonic() < deadline, "mitmdump did not start within 60 s"
                time.sleep(0.1)
            yield Interceptor(f"http://127.0.0.1:{port}", ca_pem, log)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def emu(make_cradl_emulator: Callable[..., CradlEmulator], pki: TestPki) -> CradlEmulator:
    return make_cradl_emulator(engine="stub", tls=pki.server_context)


def extract(emu: CradlEmulator, tmp_path: Path, **env: str) -> Run:
    base = isolated_env(
        tmp_path,
        DOCRELAY_PROVIDER="cradl",
        DOCRELAY_CRADL_API_URL=emu.base_url,
        DOCRELAY_CRADL_ACCESS_TOKEN=emu.issue_token(),
    )
    for name in PROXY_VARIABLES:
        base.pop(name, None)
        base.pop(name.lower(), None)
    base.update(env)
    return run_docrelay("extract", str(SAMPLES / "invoice.pdf"), "--model", MODEL, env=base, timeout=120)


def test_through_an_intercepting_proxy_with_its_ca(
    emu: CradlEmulator, interceptor: Interceptor, tmp_path: Path
) -> None:
    run = extract(emu, tmp_path, HTTPS_PROXY=interceptor.url, DOCRELAY_CA_BUNDLE=str(interceptor.ca_pem))
    assert run.exit_code == 0, run.stdout
    assert interceptor.flows_to(emu.port) >= 3  # upload, file, prediction: all through the proxy
    emu.assert_no_violations()


def test_without_the_proxy_ca_it_fails_with_exit_9_naming_the_fix(
    emu: CradlEmulator, interceptor: Interceptor, tmp_path: Path
) -> None:
    run = extract(emu, tmp_path, HTTPS_PROXY=interceptor.url)
    assert run.exit_code == 9, run.stdout
    message = run.error["message"]
    assert "certificate could not be verified" in message and "DOCRELAY_CA_BUNDLE" in message


def test_no_proxy_is_respected(
    emu: CradlEmulator, interceptor: Interceptor, pki: TestPki, tmp_path: Path
) -> None:
    before = interceptor.flows_to(emu.port)
    run = extract(
        emu,
        tmp_path,
        HTTPS_PROXY=interceptor.url,
        NO_PROXY="127.0.0.1,localhost",
        DOCRELAY_CA_BUNDLE=str(pki.ca_pem),  # the service's own CA: the proxy is not in the way
    )
    assert run.exit_code == 0, run.stdout
    assert interceptor.flows_to(emu.port) == before


def test_the_test_script_installs_mitmproxy() -> None:
    script = (REPO / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert ".venv-mitm" in script and "mitmproxy==" in script
    assert os.path.basename(MITMDUMP) == "mitmdump"
