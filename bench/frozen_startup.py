"""Start-up of the packaged (PyInstaller) docrelay against the installed console script (issue 7).

    python packaging/build.py && python bench/frozen_startup.py [--runs 15] [--binary PATH]

Runs each command N times after one warm-up run and prints the median, min and max wall time.
Target: the frozen `docrelay --version` median <= 0.4 s. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXE = "docrelay.exe" if os.name == "nt" else "docrelay"
FROZEN = REPO / "dist" / "docrelay" / EXE
INSTALLED = Path(sysconfig.get_path("scripts")) / EXE  # the console script `pip install` made
SAMPLE = str(REPO / "samples" / "invoice.pdf")
TARGET = 0.4


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm the OS file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (at least 10)")
    parser.add_argument("--binary", type=Path, default=FROZEN, help="the frozen executable")
    args = parser.parse_args()
    if args.runs < 10:
        parser.error("--runs must be at least 10")
    if not args.binary.is_file():
        print(
            f"no frozen executable at {args.binary}: run `python packaging/build.py` first", file=sys.stderr
        )
        return 2
    cases = [
        ("frozen    docrelay --version", [str(args.binary), "--version"], TARGET),
        ("installed docrelay --version", [str(INSTALLED), "--version"], None),
        ("frozen    docrelay extract invoice.pdf", [str(args.binary), "extract", SAMPLE], None),
        ("installed docrelay extract invoice.pdf", [str(INSTALLED), "extract", SAMPLE], None),
    ]
    if not INSTALLED.is_file():  # only the frozen rows, e.g. on a machine without `pip install .`
        print(f"(no installed docrelay at {INSTALLED}: comparison rows left out)")
        cases = cases[::2]
    missed = False
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCRELAY_")}
        env.update(DOCRELAY_CONFIG_FILE=f"{tmp}/docrelay.toml", DOCRELAY_CACHE_DIR=f"{tmp}/cache")
        print(f"{'command':40} {'median':>8} {'min':>8} {'max':>8} {'target':>8}  runs={args.runs}")
        for name, argv, target in cases:
            times = time_command(argv, args.runs, env)
            median = statistics.median(times)
            verdict = "" if target is None else ("ok" if median <= target else "MISSED")
            missed |= target is not None and median > target
            shown = f"{target:8.2f}" if target is not None else f"{'-':>8}"
            print(f"{name:40} {median:8.3f} {min(times):8.3f} {max(times):8.3f} {shown}  {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
