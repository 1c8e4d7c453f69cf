"""Bridge latency benchmark: health and job status under 16 concurrent pane requests.

    .venv/bin/python bench/excel_bridge_latency.py [--clients 16] [--requests 200] [--documents 50]

Starts `docrelay-excel serve` (local provider) as a user would, pushes a job of --documents distinct
PDFs, waits for it, then runs --clients threads, each with its own kept-alive HTTPS connection (as a
pane has), alternating GET /api/health and GET /api/jobs/ID about every --interval seconds (ten times as
often as a pane polls), so that 16 panes are in flight at once. Target (issue 12): median <= 20 ms.
`--interval 0` sends back to back: a stress figure (the client threads share the 2 cores with the bridge).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from tests.bridge_helpers import start_bridge  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200, help="per client")
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument(
        "--interval",
        type=float,
        default=0.1,
        help="seconds between one client's requests (a pane polls each 1 s)",
    )
    args = parser.parse_args()
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
            timings: dict[str, list[float]] = {"health": [], "status": []}
            lock = threading.Lock()
            start = threading.Barrier(args.clients)

            def client() -> None:
                session = requests.Session()
                session.trust_env = False
                session.verify = str(bridge.ca)
                headers = {"X-DocRelay-Token": bridge.token}
                mine: dict[str, list[float]] = {"health": [], "status": []}
                start.wait()
                for n in range(args.requests):
                    time.sleep(args.interval * (0.5 + random.random()))  # panes do not march in step
                    kind, path = ("health", "/api/health") if n % 2 else ("status", f"/api/jobs/{job}")
                    began = time.perf_counter()
                    response = session.get(bridge.url + path, headers=headers, timeout=30)
                    elapsed = (time.perf_counter() - began) * 1000
                    assert response.status_code == 200, response.text
                    mine[kind].append(elapsed)
                with lock:
                    for kind, values in mine.items():
                        timings[kind].extend(values)
                session.close()

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began
        finally:
            bridge.stop()
    total = sum(len(v) for v in timings.values())
    print(
        f"{args.clients} concurrent clients, {total} requests in {wall:.1f} s ({total / wall:.0f}/s); "
        f"job of {args.documents} documents"
    )
    ok = True
    for kind, values in timings.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"{kind:>6}: median {median:.1f} ms, p95 {p95:.1f} ms, max {values[-1]:.1f} ms "
            "(target: median <= 20 ms)"
        )
        ok = ok and median <= 20
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
