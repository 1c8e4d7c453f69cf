"""Credentials never reach Robot Framework's output files, at any log level (TRACE included).

Runs tests/robot/_secrets/secrets.robot at --loglevel TRACE against two Cradl emulators (one for plain
strings, one for a Secret value), then searches output.xml, log.html and report.html (with their
compressed strings decoded) for every credential, its Basic-auth encoding and any issued JWT.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from robot import result as robot_result
from robot.api import ExecutionResult, ResultVisitor

from tests.cli_helpers import REPO
from tests.emulators.cradl import CradlEmulator
from tests.robot_outputs import leaks

SUITE = REPO / "tests" / "robot" / "_secrets" / "secrets.robot"

pytest.importorskip("robot.api.types", reason="Secret values need Robot Framework 7.4 or newer")


def _basic(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def test_no_credential_reaches_any_robot_output_at_trace(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:10]
    plain = f"pl41n'\"s3cr3t-{marker}"  # quotes: Robot's TRACE argument line must not split it
    from_env = f"3nv-s3cr3t-{marker}"
    wrong = f"wr0ng-s3cr3t-{marker}"
    with (
        CradlEmulator(client_secret=plain, async_delay=0.2, seed=1) as plain_emu,
        CradlEmulator(client_secret=from_env, async_delay=0.2, seed=1) as secret_emu,
    ):
        token = plain_emu.issue_token()
        outdir = tmp_path / "out"
        env = {
            **os.environ,
            "DOCRELAY_ROBOT_TEST_SECRET": from_env,
            "DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml"),
            "DOCRELAY_CACHE_DIR": str(tmp_path / "cache"),
        }
        command = [
            sys.executable, "-m", "robot", "--loglevel", "TRACE", "--outputdir", str(outdir),
            "--pythonpath", str(REPO),
            "--variable", f"PLAIN_API_URL:{plain_emu.base_url}",
            "--variable", f"PLAIN_AUTH_URL:{plain_emu.token_url}",
            "--variable", f"SECRET_API_URL:{secret_emu.base_url}",
            "--variable", f"SECRET_AUTH_URL:{secret_emu.token_url}",
            "--variable", f"PLAIN_SECRET:{plain}",
            "--variable", f"WRONG_SECRET:{wrong}",
            "--variable", f"ACCESS_TOKEN:{token}",
            str(SUITE),
        ]  # fmt: skip
        run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    statuses = {t.name: (t.status, t.message) for t in _tests(outdir / "output.xml")}
    assert statuses["Secret Value From The Environment"][0] == "PASS", run.stdout
    assert statuses["Plain String Credentials"][0] == "PASS", run.stdout
    assert statuses["Credentials In A Dictionary"][0] == "PASS", run.stdout
    assert statuses["Import Arguments"][0] == "PASS", run.stdout
    assert statuses["Ready Access Token"][0] == "PASS", run.stdout
    assert statuses["Refused Credentials Stop The Run"] == (
        "FAIL",
        "Cradl refused the client credentials. Check client_id and client_secret "
        "(docrelay config show --provider cradl), and that auth_url matches your Cradl app.",
    )
    stopped = "Test execution stopped due to a fatal error."
    assert statuses["Not Run After The Fatal Error"] == ("FAIL", stopped)
    assert run.returncode == 2

    secrets = [plain, from_env, wrong, token, token.rsplit(".", 1)[1], repr(plain)[1:-1]]
    secrets += [_basic("test-client", value) for value in (plain, from_env, wrong)]
    assert leaks(outdir, secrets) == []
    assert plain not in run.stdout + run.stderr and from_env not in run.stdout + run.stderr

    # The scan is real: TRACE logging happened, and the on-purpose log of the secret was masked.
    output = (outdir / "output.xml").read_text(encoding="utf-8")
    assert 'level="TRACE"' in output and "Arguments: [" in output
    assert "Even logging the value on purpose shows a mask: ***" in output


def _tests(output: Path) -> list[robot_result.TestCase]:
    found: list[robot_result.TestCase] = []

    class Collect(ResultVisitor):  # type: ignore[misc]
        def visit_test(self, test: robot_result.TestCase) -> None:
            found.append(test)

    ExecutionResult(str(output)).visit(Collect())
    return found
