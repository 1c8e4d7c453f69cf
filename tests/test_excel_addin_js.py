"""The add-in's JavaScript unit tests (tests/js, Node's test runner with office-addin-mock), run as part
of pytest so that a failure there fails the suite. The npm packages come from package-lock.json
(`npm ci` in scripts/test.sh); a missing node or node_modules is a failure, never a skip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_office_js_applier_reader_and_functions_pass_their_node_tests() -> None:
    node = shutil.which("node")
    assert node, "node is missing: scripts/test.sh installs it (apt nodejs)"
    assert (REPO / "node_modules" / "office-addin-mock").is_dir(), "run `npm ci` (scripts/test.sh does)"
    tests = sorted(str(p) for p in (REPO / "tests" / "js").glob("*.test.js"))
    done = subprocess.run(
        [node, "--test", *tests], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
