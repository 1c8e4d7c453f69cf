"""Robot keywords to run the service emulators (tests/emulators) as processes and steer them through
their control endpoints (/_emulator/stats, /_emulator/faults, /_emulator/script, /_emulator/reset)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from robot.api import logger
from robot.api.deco import keyword, library
from robot.utils import DotDict  # type: ignore[import-untyped]

try:
    from robot.api.types import Secret
except ImportError:  # Robot Framework < 7.4
    Secret = None  # type: ignore[assignment, misc, unused-ignore]

REPO = Path(__file__).resolve().parents[3]
DEFAULT_CREDENTIALS = {"cradl": ("test-client", "test-secret")}
START_TIMEOUT = 30.0


class _Running:
    def __init__(self, service: str, process: subprocess.Popen[str], url: str, stderr: Path) -> None:
        self.service = service
        self.process = process
        self.url = url
        parts = urlsplit(url)
        self.root = f"{parts.scheme}://{parts.netloc}"
        self.stderr = stderr


@library(scope="GLOBAL", auto_keywords=False)
class Emulators:
    def __init__(self) -> None:
        self._running: list[_Running] = []

    @keyword
    def start_emulator(self, service: str = "cradl", **options: str) -> DotDict:
        """Start `python -m tests.emulators SERVICE` with `--option value` for each option (underscores
        become dashes; `True` for a flag) and return url, token_url, root, client_id and client_secret
        (a Secret where Robot Framework has them)."""
        argv = [sys.executable, "-m", "tests.emulators", service, "--seed", "1234"]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            argv.extend([flag] if str(value).lower() == "true" else [flag, str(value)])
        handle, stderr_path = tempfile.mkstemp(prefix=f"emulator-{service}-", suffix=".log")
        with os.fdopen(handle, "w") as stderr:
            process = subprocess.Popen(
                argv, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8"
            )
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.startswith("READY "):
            process.kill()
            raise RuntimeError(f"The {service} emulator did not start: {Path(stderr_path).read_text()}")
        running = _Running(service, process, first.split(" ", 1)[1], Path(stderr_path))
        info: dict[str, Any] = {"service": service, "url": running.url, "root": running.root}
        if service == "cradl":
            info["token_url"] = process.stdout.readline().strip().split(" ", 1)[1]
        client_id, client_secret = DEFAULT_CREDENTIALS.get(service, ("", ""))
        info["client_id"] = options.get("client_id", client_id)
        secret = options.get("client_secret", client_secret)
        info["client_secret"] = Secret(secret) if Secret is not None else secret
        self._running.append(running)
        logger.info(f"Started the {service} emulator at {running.url}")
        return DotDict(info)

    @keyword
    def stop_all_emulators(self) -> None:
        """Stop every emulator started by this library; fails if one recorded a spec violation."""
        problems = []
        for running in self._running:
            try:
                stats = self._get(running, "stats")
                if stats.get("violations"):
                    problems.append(f"{running.service}: {stats['violations']} spec violations")
            except requests.RequestException as exc:
                problems.append(f"{running.service}: no stats ({exc})")
            running.process.terminate()
            try:
                running.process.wait(10)
            except subprocess.TimeoutExpired:
                running.process.kill()
            log = running.stderr.read_text(encoding="utf-8", errors="replace")
            if log.strip():
                logger.info(f"{running.service} emulator log:\n{log[-5000:]}")
            running.stderr.unlink(missing_ok=True)
        self._running.clear()
        if problems:
            raise AssertionError("; ".join(problems))

    @keyword
    def get_emulator_stats(self, service: str = "") -> DotDict:
        """The counters of the last emulator started, or of the `service` one (GET /_emulator/stats)."""
        return DotDict(self._get(self._service(service) if service else self._last(), "stats"))

    @keyword
    def set_emulator_faults(self, **faults: Any) -> None:
        """Change faults at run time, e.g. `async_delay=3` or `quota=0` (POST /_emulator/faults)."""
        body = {name: _number(value) for name, value in faults.items()}
        self._post(self._last(), "faults", body)

    @keyword
    def script_emulator_fault(
        self, endpoint: str, status: int = 503, count: int = 1, action: str = ""
    ) -> None:
        """Answer the next `count` calls of `endpoint` (e.g. `POST /predictions`) with `status`, or
        with an `action` such as `drop` (POST /_emulator/script)."""
        body: dict[str, Any] = {"endpoint": endpoint, "count": count}
        if action:
            body["action"] = action
        else:
            body["status"] = status
        self._post(self._last(), "script", body)

    @keyword
    def review_as_a_person(
        self, action: str = "approve", service: str = "", document: str = "", **fields: str
    ) -> DotDict:
        """The emulator's scripted reviewer (POST /_emulator/review): `approve` the oldest waiting
        review, `correct` it with the given fields (name=value), or `reject` it; `service` picks the
        emulator (default: the last started), `document` the review (a document name or id)."""
        body: dict[str, Any] = {"action": action, "fields": fields}
        if document:
            body["document"] = document
        running = self._service(service) if service else self._last()
        response = requests.post(f"{running.root}/_emulator/review", json=body, timeout=10)
        if response.status_code >= 400:
            raise AssertionError(f"The {running.service} reviewer could not {action}: {response.text}")
        return DotDict(response.json())

    def _service(self, service: str) -> _Running:
        for running in reversed(self._running):
            if running.service == service:
                return running
        raise AssertionError(f"No {service} emulator is running: call Start Emulator    {service} first")

    @keyword
    def reset_emulator(self, state: bool = False, service: str = "") -> None:
        """Reset the counters (and with `state`, forget documents and jobs) of the last emulator
        started, or of the `service` one."""
        self._post(self._service(service) if service else self._last(), "reset", {"state": state})

    def _last(self) -> _Running:
        if not self._running:
            raise AssertionError("No emulator is running: call Start Emulator first")
        return self._running[-1]

    def _get(self, running: _Running, what: str) -> Any:
        response = requests.get(f"{running.root}/_emulator/{what}", timeout=10)
        response.raise_for_status()
        return response.json()

    def _post(self, running: _Running, what: str, body: dict[str, Any]) -> None:
        response = requests.post(f"{running.root}/_emulator/{what}", json=body, timeout=10)
        if response.status_code >= 400:
            raise AssertionError(f"POST /_emulator/{what} failed: {response.status_code} {response.text}")


def _number(value: Any) -> Any:
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                continue
    return value
