"""What every HTTP provider and its emulator must do, one test parametrized across the services: values
that agree with the local engine (the emulators predict with it), no secret in any output at debug
level, and the emulator's command line announcing READY first."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cli_helpers import REPO, SAMPLES, emulator_env, run_docrelay
from tests.emulators.base import Emulator
from tests.emulators.deepopinion import EXTRACT_ENDPOINT

INVOICE = SAMPLES / "invoice.pdf"
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def _contractfit_envs(tmp_path: Path, emu: Any) -> list[dict[str, str]]:
    """Username and password (a JWT from POST /auth), then the API key."""
    login = emulator_env(
        tmp_path,
        emu,
        DOCRELAY_CONTRACTFIT_API_KEY="",
        DOCRELAY_CONTRACTFIT_USERNAME=emu.username,
        DOCRELAY_CONTRACTFIT_PASSWORD=emu.password,
    )
    return [login, emulator_env(tmp_path, emu)]


def _cradl_serves(line: Callable[[], str], base_url: str, emu_args: list[str]) -> None:
    assert line() == f"TOKEN_URL {base_url[: -len('/v1')]}/oauth2/token"


def _contractfit_serves(line: Callable[[], str], base_url: str, emu_args: list[str]) -> None:
    key = emu_args[emu_args.index("--api-key") + 1]
    assert requests.get(base_url + "/inboxes", headers={"X-API-Key": key}, timeout=5).status_code == 200


def _deepopinion_serves(line: Callable[[], str], base_url: str, emu_args: list[str]) -> None:
    login = requests.post(
        base_url + "/auth/login",
        json={"email": "bot@example.com", "password": "correct horse battery staple"},
        timeout=5,
    )
    assert login.status_code == 200


@dataclass(frozen=True)
class Service:
    name: str
    model: Callable[[Any], str]
    expired: tuple[str, str]  # a 401 (endpoint, message) that makes docrelay sign in again
    secrets: Callable[[Any], list[str]]
    envs: Callable[[Path, Any], list[dict[str, str]]]
    api_prefix: str  # how the base URL printed after READY ends
    emulator_args: tuple[str, ...]
    serves: Callable[[Callable[[], str], str, list[str]], None]
    line_items: bool  # the service returns line items (DeepOpinion's invoice model has none)

    def __str__(self) -> str:
        return self.name


SERVICES = [
    Service(
        "cradl",
        model=lambda emu: "las:model:invoice",
        expired=("POST /predictions", "The incoming token has expired"),
        secrets=lambda emu: [emu.client_secret],
        envs=lambda tmp_path, emu: [emulator_env(tmp_path, emu)],
        api_prefix="/v1",
        emulator_args=("--token-ttl", "60"),
        serves=_cradl_serves,
        line_items=True,
    ),
    Service(
        "contractfit",
        model=lambda emu: emu.inbox_id(),
        expired=("GET /documents/{document_id}", "Token expired"),
        secrets=lambda emu: [emu.password, emu.api_key],
        envs=_contractfit_envs,
        api_prefix="/api",
        emulator_args=("--api-key", "cli-key"),
        serves=_contractfit_serves,
        line_items=True,
    ),
    Service(
        "deepopinion",
        model=lambda emu: "7",
        expired=(EXTRACT_ENDPOINT, "Signature expired. Please log in again."),
        secrets=lambda emu: [emu.password],
        envs=lambda tmp_path, emu: [emulator_env(tmp_path, emu)],
        api_prefix="",
        emulator_args=("--email", "bot@example.com"),
        serves=_deepopinion_serves,
        line_items=False,
    ),
]


def _values(result: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    fields = {name: field["value"] for name, field in result["fields"].items()}
    rows = [{c: cell["value"] for c, cell in row.items()} for row in result["tables"].get("line_items", [])]
    return fields, rows


@pytest.mark.parametrize("service", SERVICES, ids=str)
def test_values_match_the_local_engine(
    service: Service, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    emu: Emulator = request.getfixturevalue(f"{service.name}_emulator")
    assert emu.stats["engine"] == "local"
    env = emulator_env(tmp_path, emu)
    remote = run_docrelay("extract", str(INVOICE), "--model", service.model(emu), env=env).document["data"]
    local = run_docrelay("extract", str(INVOICE), "--provider", "local", env=env).document["data"]
    assert _values(remote) == (_values(local)[0], _values(local)[1] if service.line_items else [])
    assert bool(_values(remote)[1]) == service.line_items, "line items came through"
    if remote["fields"]["total_amount"]["box"] is not None:
        assert remote["fields"]["total_amount"]["box"] == local["fields"]["total_amount"]["box"]


@pytest.mark.parametrize("service", SERVICES, ids=str)
def test_no_secret_in_any_output_at_debug(
    service: Service, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    emu: Emulator = request.getfixturevalue(f"{service.name}_emulator")
    endpoint, message = service.expired
    emu.script_fault(endpoint, status=401, message=message)  # type: ignore[attr-defined]
    runs = [
        run_docrelay("extract", str(INVOICE), "--model", service.model(emu), "--verbose", env=env)
        for env in service.envs(tmp_path, emu)
    ]
    assert all(run.exit_code == 0 for run in runs), [run.stdout for run in runs]
    text = "".join(run.stdout + run.stderr for run in runs)
    for secret in service.secrets(emu):
        assert secret not in text
    assert "Bearer ey" not in text and not JWT.search(text)
    assert "POST" in runs[0].stderr, "debug logging was on"


@pytest.mark.parametrize("service", SERVICES, ids=str)
def test_emulator_command_line_prints_ready_first_and_serves(service: Service) -> None:
    args = [sys.executable, "-m", "tests.emulators", service.name, "--port", "0", *service.emulator_args]
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        stdout = process.stdout

        def line() -> str:
            return stdout.readline().strip()

        first = line()
        assert first.startswith("READY http://127.0.0.1:") and first.endswith(service.api_prefix)
        base_url = first.split(" ", 1)[1]
        service.serves(line, base_url, list(service.emulator_args))
        root = base_url[: len(base_url) - len(service.api_prefix)]
        health = requests.get(root + "/_emulator/health", timeout=5).json()
        assert health == {"ok": True, "emulator": service.name, "base_url": base_url}
    finally:
        process.terminate()
        process.wait(timeout=10)
