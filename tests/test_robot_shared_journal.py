"""Robot Framework's `Extract Documents` on a shared PostgreSQL journal, run by `robot` as users run it:
two robots, one intake, each document paid once, and the connection string's password in no output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from robot.api import ExecutionResult

from tests.emulators.cradl import CradlEmulator
from tests.pg_server import PostgresServer
from tests.robot_outputs import leaks

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "tests" / "robot" / "_shared_journal" / "shared_journal.robot"


def test_two_robots_share_a_postgresql_journal(tmp_path: Path, postgres_server: PostgresServer) -> None:
    url = postgres_server.url(postgres_server.create_database())
    outdir = tmp_path / "out"
    with CradlEmulator(async_delay=0.2, seed=1) as emu:
        env = {
            **os.environ,
            "DOCRELAY_ROBOT_TEST_JOURNAL": url,
            "DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml"),
            "DOCRELAY_CACHE_DIR": str(tmp_path / "cache"),
        }
        command = [
            sys.executable, "-m", "robot", "--loglevel", "TRACE", "--outputdir", str(outdir),
            "--pythonpath", str(REPO),
            "--variable", f"API_URL:{emu.base_url}",
            "--variable", f"AUTH_URL:{emu.token_url}",
            "--variable", f"JOURNAL_PLAIN:{url}",
            str(SUITE),
        ]  # fmt: skip
        run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
        predictions = emu.requests_to("POST /predictions")
    statuses = {
        test.name: test.status for test in ExecutionResult(str(outdir / "output.xml")).suite.all_tests
    }
    assert set(statuses.values()) == {"PASS"}, run.stdout + run.stderr
    assert run.returncode == 0 and predictions == 2
    assert leaks(outdir, [postgres_server.password]) == []
    assert postgres_server.password not in run.stdout + run.stderr
    output = (outdir / "output.xml").read_text(encoding="utf-8")
    assert 'level="TRACE"' in output and "| journal=" in output  # the arguments were logged, masked
