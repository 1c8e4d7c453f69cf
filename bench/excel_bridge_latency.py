"""Bridge latency benchmark: health and job status under 16 concurrent pane requests (issue 12).

    .venv/bin/python bench/excel_bridge_latency.py [--mode burst|saturate|both] [--clients 16]
        [--rounds 200] [--pause 0.05] [--requests 1000] [--documents 50]

Starts `docrelay-excel serve` (local provider) as a user would, pushes a job of --documents distinct
PDFs and waits for it. Then a lean client (bench/_bridge_client.py: asyncio and ssl streams, in a
process of its own, one kept-alive HTTPS connection per pane opened beforehand) measures:

- burst: the --clients panes send GET /api/health (or GET /api/jobs/ID) at the same instant; each
  request is timed from that instant to its own answer; --rounds rounds, --pause s apart;
- saturate: every pane sends its next request as soon as its answer arrives (--requests each).

Target (issue 12): median <= 20 ms for health and for status. The bridge's and the client's CPU time
are printed apart (Linux: from /proc), and the load average before and after, as other work may share
the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.bridge_helpers import Bridge, start_bridge  # noqa: E402

CLIENT = Path(__file__).resolve().parent / "_bridge_client.py"
TARGET_MS = 20.0


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _measure(bridge: Bridge, job: str, mode: str, args: argparse.Namespace) -> bool:
    command = [
        sys.executable,
        str(CLIENT),
        *("--port", str(bridge.port), "--ca", str(bridge.ca), "--job", job, "--mode", mode),
        *("--clients", str(args.clients), "--rounds", str(args.rounds), "--pause", str(args.pause)),
        *("--requests", str(args.requests)),
    ]
    load_before = _load()
    cpu_before = _cpu_seconds(bridge.process.pid)
    env = {**os.environ, "DOCRELAY_BENCH_TOKEN": bridge.token}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    cpu_after = _cpu_seconds(bridge.process.pid)
    if done.returncode != 0:
        print(f"{mode}: the client failed:\n{done.stderr}", file=sys.stderr)
        return False
    report = json.loads(done.stdout)
    timings: dict[str, list[float]] = report["timings"]
    total = sum(len(v) for v in timings.values())
    wall = report["wall"]
    what = (
        f"{args.rounds} rounds of {args.clients} simultaneous requests, {args.pause} s apart"
        if mode == "burst"
        else f"{args.clients} panes back to back, {args.requests} requests each"
    )
    print(f"\n[{mode}] {what}; load average {load_before} before, {_load()} after")
    print(f"  {total} requests in {wall:.2f} s ({total / wall:.0f} requests/s)")
    cpu = "n/a"
    if cpu_before is not None and cpu_after is not None:
        cpu = f"{(cpu_after - cpu_before) * 1000 / total:.2f}"
    print(
        f"  CPU per request: bridge {cpu} ms, client {report['client_cpu'] * 1000 / total:.2f} ms "
        "(the bridge's includes its journal reaper and uvicorn's housekeeping)"
    )
    ok = True
    for kind, values in timings.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(
            f"  {kind:>6}: median {median:.1f} ms, p95 {p95:.1f} ms, max {values[-1]:.1f} ms "
            f"(target: median <= {TARGET_MS:.0f} ms)"
        )
        ok = ok and median <= TARGET_MS
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("burst", "saturate", "both"), default="both")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=200, help="burst rounds (health and status in turn)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between burst rounds")
    parser.add_argument("--requests", type=int, default=1000, help="per pane, in saturate mode")
    parser.add_argument("--documents", type=int, default=50)
    args = parser.parse_args()
    modes = ("burst", "saturate") if args.mode == "both" else (args.mode,)
    results: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(prefix="docrelay-bench-") as tmp:
        work = Path(tmp)
        sample = (REPO / "samples" / "invoice.pdf").read_bytes()
        paths = []
        for i in range(args.documents):
            path = work / f"invoice-{i:03d}.pdf"
            path.write_bytes(sample + f"\n% copy {i}\n".encode())  # distinct bytes: distinct documents
            paths.append(str(path))
        bridge = start_bridge(work)
        try:
            job = bridge.ok("POST", "/api/push", json={"workbook": "bench-latency", "sources": paths})["job"]
            bridge.wait_job(job, timeout=600)
            bridge.session.close()
            print(f"bridge: docrelay-excel serve (local provider), a finished job of {args.documents} PDFs")
            for mode in modes:
                results[mode] = _measure(bridge, job, mode, args)
        finally:
            bridge.stop()
    print()
    for mode, ok in results.items():
        print(f"{mode}: {'targets met' if ok else 'TARGETS MISSED'}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
