"""Pacing under a service rate limit, and failing fast when the service cannot be reached (issue 13).

    python bench/rate_pacing.py [--docs 100] [--concurrency 64] [--only pacing|unreachable]

1. Pacing: the Cradl emulator limits requests to R per second (a token bucket of R, Retry-After in whole
   seconds); `docrelay batch --concurrency 64` sends 100 documents in the default asynchronous mode
   (about 4 requests each), not told the limit (no --rate-limit), then told it (--rate-limit R).
   Targets: at 2 rps, 100/100 done, <= 10 % of requests answered 429, >= 85 % of the limit achieved
   (accepted requests per second over the whole run, start-up included); at 10 rps with no
   --rate-limit, <= 10 % answered 429.
2. Unreachable: 6 documents against a port nobody listens on (every connection refused). Target: the
   batch stops within 30 s with exit code 9.

The emulator runs in its own process with its stub engine and without request validation (its CPU
work is not what is measured). Exit code 0 when every target is met.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import DOCRELAY, MODEL, Emulator, fetch_token, invoice_variants


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run_batch(work: Path, folder: Path, env_extra: dict[str, str], *extra: str) -> tuple[int, float, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCRELAY_", "LAS_", "CRADL_"))}
    env.update(DOCRELAY_CONFIG_FILE=str(work / "docrelay.toml"), DOCRELAY_PROVIDER="cradl", **env_extra)
    journal = work / f"journal-{folder.name}-{time.monotonic_ns()}.sqlite3"
    argv = [DOCRELAY, "batch", str(folder), "--model", MODEL, "--journal", str(journal), "--quiet", *extra]
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    return proc.returncode, seconds, json.loads(proc.stdout.strip().splitlines()[-1])


def pacing(work: Path, docs: int, concurrency: int) -> bool:
    ok = True
    print(f"1. {docs} documents, --concurrency {concurrency}, emulator rate-limited (Retry-After >= 1 s)")
    print("   limit  client          done  requests  answered 429  accepted/s  of limit  time")
    for number, (rate, told) in enumerate(((2.0, False), (2.0, True), (10.0, False))):
        emulator = Emulator("--no-validate", "--engine", "stub", "--async-delay", "0.5", "--seed", "7")
        try:
            emulator.reset(rate_limit=rate)
            token = fetch_token(emulator.token_url)
            emulator.reset(rate_limit=rate)  # the token fetch is not part of the run
            folder = work / f"pacing-{number}"
            invoice_variants(folder, docs, first=1 + number * docs)
            extra = ["--concurrency", str(concurrency)] + (["--rate-limit", f"{rate:g}"] if told else [])
            code, seconds, envelope = run_batch(
                work,
                folder,
                {"DOCRELAY_CRADL_API_URL": emulator.api_url, "DOCRELAY_CRADL_ACCESS_TOKEN": token},
                *extra,
            )
            stats = emulator.stats()
        finally:
            emulator.stop()
        total = stats["total_requests"]
        refused = sum(v for k, v in stats["statuses"].items() if k.endswith(" 429"))
        accepted = (total - refused) / seconds
        done = envelope["data"]["summary"]["succeeded"] if "data" in envelope else 0
        client = f"--rate-limit {rate:g}" if told else "no --rate-limit"
        print(
            f"   {rate:4g}/s  {client:15} {done:3d}/{docs}  {total:8d}  {refused:5d} "
            f"({100 * refused / total:4.1f} %)  {accepted:9.2f}  {100 * accepted / rate:6.1f} %  "
            f"{seconds:6.1f} s  (exit {code})"
        )
        if rate == 2.0:
            ok = ok and done == docs and refused <= 0.10 * total and accepted >= 0.85 * rate
        else:
            ok = ok and refused <= 0.10 * total and done == docs
    print(
        f"   targets (2 rps: all done, <= 10 % 429, >= 85 % of the limit; 10 rps: <= 10 % 429): {verdict(ok)}"
    )
    return ok


def unreachable(work: Path) -> bool:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = work / "unreachable"
    invoice_variants(folder, 6, first=900_001)
    code, seconds, envelope = run_batch(
        work,
        folder,
        {"DOCRELAY_CRADL_API_URL": f"http://127.0.0.1:{port}", "DOCRELAY_CRADL_ACCESS_TOKEN": "a-token"},
    )
    ok = code == 9 and seconds <= 30
    print(
        f"2. 6 documents against a refused port: exit {code} after {seconds:.1f} s "
        "(target: exit 9 within 30 s)"
    )
    print(f"   message: {envelope['error']['message'][:160]}")
    print(f"   target: {verdict(ok)}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--only", choices=("pacing", "unreachable"))
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="docrelay-pacing-") as folder:
        work = Path(folder)
        results = []
        if args.only in (None, "pacing"):
            results.append(pacing(work, args.docs, args.concurrency))
        if args.only in (None, "unreachable"):
            results.append(unreachable(work))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
