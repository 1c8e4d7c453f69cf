"""Running the installed `docrelay` program as a subprocess, the way RPA tools run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.emulators.base import Emulator

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
PLUGINS = REPO / "tests" / "cli_plugins"


def docrelay_executable() -> str:
    """The console script installed beside this interpreter (the one a user runs)."""
    candidate = Path(sys.executable).parent / ("docrelay.exe" if os.name == "nt" else "docrelay")
    if not candidate.exists():
        raise AssertionError(f"docrelay is not installed beside {sys.executable}: run `pip install -e .`")
    return str(candidate)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected exactly one JSON line on stdout, got: {self.stdout!r}"
        parsed: dict[str, Any] = json.loads(lines[0])
        return parsed

    @property
    def error(self) -> dict[str, Any]:
        doc = self.document
        assert doc["ok"] is False, doc
        error: dict[str, Any] = doc["error"]
        return error


def isolated_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment with no DOCRELAY_* leaking in, a private config file, cache and keyring."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCRELAY_", "LAS_", "CRADL_"))}
    env.update(
        DOCRELAY_CONFIG_FILE=str(tmp / "config" / "docrelay.toml"),
        DOCRELAY_CACHE_DIR=str(tmp / "cache"),
        DOCRELAY_LOG_DIR=str(tmp / "logs"),
        DOCRELAY_TEST_KEYRING_FILE=str(tmp / "keyring.json"),
        PYTHON_KEYRING_BACKEND="tests.keyring_backend.FileKeyring",
        PYTHONPATH=os.pathsep.join([str(PLUGINS), str(REPO)]),
        HOME=str(tmp / "home"),
        PYTHONUTF8="1",
    )
    env.update(extra)
    return env


def run_docrelay(
    *args: str, env: dict[str, str], cwd: Path | None = None, stdin: str | None = None, timeout: float = 60
) -> Run:
    proc = subprocess.run(
        [docrelay_executable(), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def emulator_env(tmp: Path, emulator: Emulator, **extra: str) -> dict[str, str]:
    """`isolated_env` pointed at `emulator` with valid credentials (its own `docrelay_env`); settings in
    `extra` win, and a setting given as "" is removed."""
    env = isolated_env(tmp, **{**emulator.docrelay_env(), **extra})
    return {k: v for k, v in env.items() if not (k in extra and v == "")}
