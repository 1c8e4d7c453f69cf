"""Robot keywords that run another `robot` process and check what it produced: for behaviour that can
only be seen from outside a run (a fatal error stops it; the example robot's files and exit code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from robot.api import ExecutionResult, ResultVisitor, logger
from robot.api.deco import keyword, library
from robot.utils import DotDict  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[3]


@library(scope="GLOBAL", auto_keywords=False)
class NestedRobot:
    @keyword
    def run_robot(self, *arguments: str, outputdir: str, env: dict[str, str] | None = None) -> DotDict:
        """Run `python -m robot --outputdir OUTPUTDIR ARGUMENTS...` from the repository root; returns
        rc, stdout, outputdir and output (the output.xml path)."""
        command = [sys.executable, "-m", "robot", "--outputdir", outputdir, "--pythonpath", str(REPO)]
        command.extend(arguments)
        process = subprocess.run(
            command,
            cwd=REPO,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=300,
            check=False,
        )
        logger.info(f"robot exited with {process.returncode}:\n{process.stdout}\n{process.stderr}")
        return DotDict(
            rc=process.returncode,
            stdout=process.stdout,
            outputdir=outputdir,
            output=str(Path(outputdir) / "output.xml"),
        )

    @keyword
    def get_test_results(self, output: str) -> DotDict:
        """Status and message of each test or task in output.xml, by name."""
        found: dict[str, Any] = {}

        class Collect(ResultVisitor):  # type: ignore[misc]
            def visit_test(self, test: Any) -> None:
                found[test.name] = DotDict(status=test.status, message=test.message)

        ExecutionResult(output).visit(Collect())
        return DotDict(found)

    @keyword
    def get_logged_messages(self, output: str, level: str = "") -> list[str]:
        """Every message in output.xml (of `level` only, if given)."""
        messages: list[str] = []

        class Collect(ResultVisitor):  # type: ignore[misc]
            def visit_message(self, message: Any) -> None:
                if not level or message.level == level.upper():
                    messages.append(str(message.message))

        ExecutionResult(output).visit(Collect())
        return messages

    @keyword
    def output_files_should_not_contain(self, outputdir: str, *texts: str) -> None:
        """Fails if output.xml, log.html or report.html in `outputdir` contains any of `texts` or a JWT
        (the compressed strings of the HTML files are searched too)."""
        from tests.robot_outputs import leaks

        problems = leaks(outputdir, list(texts))
        if problems:
            raise AssertionError("; ".join(problems))
