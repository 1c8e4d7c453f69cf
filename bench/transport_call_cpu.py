"""CPU per call of docrelay's HttpClient, against the libraries beneath it, on one thread.

    python bench/transport_call_cpu.py [--calls 1500]

A small authenticated GET (`/models`) to the Cradl emulator at no latency, one call after another:
docrelay's `HttpClient.request_json` (retries, pacing hooks, credential checks, logging, error mapping,
over `core.transport.session.ServiceSession`); a plain `requests.Session.request`; and urllib3's
`PoolManager.request`, the floor under both. In a batch this CPU is what keeps calls from being in
flight: 16 workers share one interpreter lock (docs/benchmarks.md, issue 15). Prints milliseconds of CPU
(process time of this process only: the emulator runs in its own) and of wall time per call.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import requests
import urllib3
from _common import Emulator, fetch_token

from core.transport import BearerToken, HttpClient


def measure(label: str, calls: int, call: Callable[[], Any]) -> None:
    call()  # a connection, and everything imported on first use
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"   {label:38s} CPU {1000 * cpu / calls:5.2f} ms   wall {1000 * wall / calls:5.2f} ms per call")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1500)
    args = parser.parse_args()
    emulator = Emulator("--latency-ms", "0", "--no-validate", "--engine", "stub")
    try:
        token = fetch_token(emulator.token_url)
        url = emulator.api_url + "/models"
        headers = {"Authorization": f"Bearer {token}"}
        print(f"GET /models, {args.calls} calls in turn, emulator at no latency")
        with HttpClient(emulator.api_url, provider="cradl", auth=BearerToken(token)) as client:
            measure(
                "docrelay HttpClient.request_json", args.calls, lambda: client.request_json("GET", "/models")
            )
        with requests.Session() as session:
            measure(
                "requests.Session.request + .json()",
                args.calls,
                lambda: session.request("GET", url, headers=headers, timeout=(10, 60)).json(),
            )
        pool = urllib3.PoolManager()
        timeout = urllib3.Timeout(connect=10, read=60)
        measure(
            "urllib3 PoolManager.request + json",
            args.calls,
            lambda: json.loads(pool.request("GET", url, headers=headers, timeout=timeout).data),
        )
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
