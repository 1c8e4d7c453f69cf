"""The Excel bridge as users run it: `docrelay-excel serve` in a subprocess, over real HTTPS with the CA
it generated in its own folder. Used by the bridge, browser and packaging tests and by bench/."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.cli_helpers import isolated_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def excel_executable() -> str:
    candidate = Path(sys.executable).parent / ("docrelay-excel.exe" if os.name == "nt" else "docrelay-excel")
    assert candidate.exists(), f"docrelay-excel is not installed beside {sys.executable}"
    return str(candidate)


@dataclass
class Bridge:
    """A running bridge: its URL, token and CA, and a requests session that trusts the CA."""

    process: subprocess.Popen[str]
    home: Path
    port: int
    env: dict[str, str]
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def ca(self) -> Path:
        return self.home / "ca.crt"

    @property
    def token(self) -> str:
        return str(json.loads((self.home / "bridge.json").read_text(encoding="utf-8"))["token"])

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-DocRelay-Token": self.token, **kwargs.pop("headers", {})}
        return self.session.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.api(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def wait_job(self, job: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, Any] = self.ok("GET", f"/api/jobs/{job}")
            if found["state"] not in ("queued", "running"):
                return found
            assert time.monotonic() < deadline, found
            time.sleep(0.2)

    def stop(self) -> tuple[int, str, str]:
        self.session.close()  # no kept-alive connection for the graceful shutdown to wait for
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT if os.name != "nt" else signal.CTRL_BREAK_EVENT)
        try:
            out, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        self.session.close()
        return self.process.returncode, out, err


def start_bridge(
    tmp: Path,
    *,
    port: int | None = None,
    home: Path | None = None,
    args: tuple[str, ...] = ("--provider", "local"),
    executable: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Bridge:
    """Start `docrelay-excel serve` and wait until its health answers over HTTPS (CA verified)."""
    home = home or tmp / "bridge-home"
    port = port or free_port()
    env = isolated_env(tmp, DOCRELAY_BRIDGE_HOME=str(home), **(extra_env or {}))
    journal = str(tmp / "journal.sqlite3")
    command = [executable or excel_executable(), "serve", "--port", str(port), "--journal", journal, *args]
    flags = subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0  # type: ignore[attr-defined]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        creationflags=flags,
    )
    bridge = Bridge(process, home, port, env)
    bridge.session.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy from the environment must not win
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the bridge stopped (exit {process.returncode}): {out}\n{err}")
        if bridge.ca.is_file() and (home / "bridge.json").is_file():
            bridge.session.verify = str(bridge.ca)
            try:
                if bridge.api("GET", "/api/health").status_code == 200:
                    return bridge
            except requests.ConnectionError:
                pass
        if time.monotonic() > deadline:
            process.kill()  # never leave a bridge behind a failed start
            out, err = process.communicate()
            raise AssertionError(f"the bridge did not answer within 60 s: {out}\n{err}")
        time.sleep(0.1)
