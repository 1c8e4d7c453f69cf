"""Start-up and one-page extract times of the installed `docrelay` command (issue 2 targets).

    python bench/cli_startup.py [--runs 15]

Prints the median, min and max wall time of each command over N runs (after one warm-up run), and the
median CPU time (user + system) of the process: on a shared, loaded machine the wall time mostly
measures the others' load, the CPU time much less so.
Targets: `docrelay --version` <= 0.25 s, `docrelay extract samples/invoice.pdf` <= 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCRELAY = str(Path(sys.executable).parent / "docrelay")

CASES = {
    "docrelay --version": ([DOCRELAY, "--version"], 0.25),
    "docrelay extract samples/invoice.pdf": (
        [DOCRELAY, "extract", str(REPO / "samples" / "invoice.pdf")],
        1.0,
    ),
}


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run."""
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm the OS file cache
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCRELAY_")}
        env.update(DOCRELAY_CONFIG_FILE=f"{tmp}/docrelay.toml", DOCRELAY_CACHE_DIR=f"{tmp}/cache")
        failed = False
        head = f"{'command':42} {'median':>8} {'min':>8} {'max':>8} {'CPU':>8} {'target':>8}"
        print(f"{head}  runs={args.runs}")
        for name, (argv, target) in CASES.items():
            times, cpu = time_command(argv, args.runs, env)
            median = statistics.median(times)
            verdict = "ok" if median <= target else "MISSED"
            failed |= median > target
            figures = f"{median:8.3f} {min(times):8.3f} {max(times):8.3f} {statistics.median(cpu):8.3f}"
            print(f"{name:42} {figures} {target:8.2f}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
