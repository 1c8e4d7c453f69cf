"""Many robots, one intake: `docrelay batch` processes sharing a PostgreSQL journal (issue 17).

    .venv/bin/python bench/shared_journal.py [--docs 1000] [--scale-docs 400] [--lease 10]

Starts a throwaway PostgreSQL server (tests/pg_server.py: Debian's binaries, a temporary folder) and
the Cradl emulator as a process, then:

1. soak: 4 worker processes share one intake of --docs documents; the emulator answers 10% of requests
   503 and 5% 429 and loses 2% of answers after processing them; two workers are killed (SIGKILL) at
   random moments and started again. Checked: every document succeeded (journal and every process's
   output), 0 duplicate predictions by the emulator's own count, 0 lost; and how long the documents a
   killed worker held took to be taken over (target <= lease + 5 s).
2. scale: 100 ms latency per request; the same number of documents by 1 process x concurrency 8 and by
   4 processes x concurrency 8 on one shared journal (target: 4 x 8 in <= 1/3.5 of the time). Timed:
   the processes' wall time, and the emulator's own span from its first request to its last answer.

Prints the figures and PASS/FAIL per target; exit 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import DOCRELAY, MODEL, REPO, Emulator, compile_bytecode, fetch_token, invoice_variants

sys.path.insert(0, str(REPO))

import psycopg

from tests.pg_server import PostgresServer


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


class Worker:
    """One `docrelay batch` process on the shared journal."""

    def __init__(self, name: str, folder: Path, env: dict[str, str], concurrency: int) -> None:
        self.name = name
        argv = [
            DOCRELAY,
            "batch",
            str(folder),
            "--model",
            MODEL,
            "--quiet",
            "--concurrency",
            str(concurrency),
        ]
        self.out = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (read in result())
        self.proc = subprocess.Popen(argv, env=env, stdout=self.out, stderr=subprocess.DEVNULL, text=True)

    def result(self) -> dict[str, Any]:
        self.proc.wait(timeout=3600)
        self.out.seek(0)
        text = self.out.read().strip()
        envelope: dict[str, Any] = json.loads(text.splitlines()[-1]) if text else {"ok": False}
        return envelope


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, server: PostgresServer) -> None:
        self.args = args
        self.work = work
        self.server = server
        self.first = 1

    def documents(self, name: str, count: int) -> Path:
        folder = self.work / name
        invoice_variants(folder, count, first=self.first)
        self.first += count
        return folder

    def env(self, emulator: Emulator, token: str, journal: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCRELAY_", "LAS_", "CRADL_"))}
        env.update(
            DOCRELAY_CONFIG_FILE=str(self.work / "docrelay.toml"),
            DOCRELAY_PROVIDER="cradl",
            DOCRELAY_CRADL_API_URL=emulator.api_url,
            DOCRELAY_CRADL_ACCESS_TOKEN=token,
            DOCRELAY_JOURNAL=journal,
            DOCRELAY_JOURNAL_LEASE=f"{self.args.lease:g}",
        )
        return env

    # -- 1. soak ---------------------------------------------------------------------------------
    def soak(self) -> bool:
        n, lease = self.args.docs, self.args.lease
        url = self.server.url(self.server.create_database())
        emulator = Emulator(
            "--latency-ms", "20", "--async-delay", "0.5", "--fail-rate", "0.10", "--rate-429", "0.05",
            "--retry-after", "0.2", "--drop-after-rate", "0.02", "--engine", "stub", "--seed", "17",
        )  # fmt: skip
        rng = random.Random(self.args.seed)
        takeovers: list[float] = []
        started = time.perf_counter()
        print(f"1. soak: {n} documents, 4 workers x concurrency 8, lease {lease:g} s; {load()}")
        try:
            env = self.env(emulator, fetch_token(emulator.token_url), url)
            folder = self.documents("soak", n)
            workers = [Worker(f"w{i}", folder, env, 8) for i in range(4)]
            victims = rng.sample(range(4), 2)
            moments = sorted(rng.uniform(0.1, 0.6) * n for _ in victims)  # after this many predictions
            for victim, moment in zip(victims, moments, strict=True):
                while self._predictions(emulator) < moment and workers[victim].proc.poll() is None:
                    time.sleep(0.05)
                if workers[victim].proc.poll() is not None:
                    print(f"   {workers[victim].name} finished before its kill moment")
                    continue
                seconds = self._kill_and_time_takeover(url, workers[victim], lease)
                takeovers.append(seconds)
                print(
                    f"   killed {workers[victim].name} (SIGKILL) after {moment:.0f} predictions; "
                    f"its documents taken over in {seconds:.1f} s; restarted"
                )
                workers[victim] = Worker(workers[victim].name + "'", folder, env, 8)
            outputs = [worker.result() for worker in workers]
            stats = emulator.stats()
        finally:
            emulator.stop()
        seconds = time.perf_counter() - started
        with psycopg.connect(url) as db:
            states = dict(
                db.execute("SELECT state, COUNT(*) FROM docrelay_documents GROUP BY state").fetchall()
            )
            held = db.execute("SELECT COUNT(*) FROM docrelay_documents WHERE owner IS NOT NULL").fetchone()
        predictions: dict[str, int] = stats["counters"].get("predictions_by_sha256", {})
        uploads: dict[str, int] = stats["counters"].get("uploads_by_sha256", {})
        succeeded = [o.get("data", {}).get("summary", {}).get("succeeded") for o in outputs]
        lost = n - states.get("succeeded", 0)
        faults = ", ".join(f"{k} {v}" for k, v in sorted(stats["faults"].items()))
        print(f"   {seconds:.1f} s, {stats['total_requests']} requests; faults injected: {faults}")
        print(
            f"   journal: {states}; rows still leased {held[0] if held else '?'}; "
            f"each final worker's output: succeeded {succeeded}"
        )
        print(
            f"   emulator: {len(predictions)} documents predicted, duplicate predictions "
            f"{stats['duplicate_predictions']}, most uploads of one document "
            f"{max(uploads.values(), default=0)}, "
            f"contract violations {len(stats['violations'])}"
        )
        done = lost == 0 and all(s == n for s in succeeded) and len(predictions) == n
        once = stats["duplicate_predictions"] == 0 and max(uploads.values(), default=0) <= 2
        quick = bool(takeovers) and max(takeovers) <= lease + 5
        print(f"   target: all {n} done, 0 lost, 0 duplicate predictions: {verdict(done and once)}")
        print(f"   target: takeover <= lease + 5 s = {lease + 5:g} s: {verdict(quick)} ({takeovers})")
        return done and once and quick

    @staticmethod
    def _predictions(emulator: Emulator) -> int:
        requests: dict[str, int] = emulator.stats()["requests"]
        return requests.get("POST /predictions", 0)

    @staticmethod
    def _kill_and_time_takeover(url: str, worker: Worker, lease: float) -> float:
        """SIGKILL the worker; seconds until no document it held is still held by it."""
        pid = worker.proc.pid
        with psycopg.connect(url, autocommit=True) as db:
            worker.proc.kill()
            killed = time.monotonic()
            worker.proc.wait()
            row = db.execute(
                "SELECT owner FROM docrelay_documents WHERE owner LIKE %s LIMIT 1", (f"%:{pid}:%",)
            ).fetchone()
            if row is None:
                return 0.0
            while True:
                left = db.execute("SELECT COUNT(*) FROM docrelay_documents WHERE owner = %s", (row[0],))
                count = left.fetchone()
                if not count or count[0] == 0:
                    return time.monotonic() - killed
                if time.monotonic() - killed > lease + 120:
                    return float("inf")
                time.sleep(0.05)

    # -- 2. scale --------------------------------------------------------------------------------
    def scale(self) -> bool:
        n = self.args.scale_docs
        emulator = Emulator("--latency-ms", "100", "--async-delay", "0", "--no-validate", "--engine", "stub")
        figures = {}
        try:
            token = fetch_token(emulator.token_url)
            # One document first, untimed: the emulator loads its PDF library at its first prediction,
            # which would otherwise land in whichever run comes first.
            warm = self.env(emulator, token, self.server.url(self.server.create_database()))
            Worker("warm-up", self.documents("warm-up", 1), warm, 1).result()
            for processes in (1, 4):
                url = self.server.url(self.server.create_database())
                env = self.env(emulator, token, url)
                folder = self.documents(f"scale-{processes}", n)
                emulator.reset()
                before = load()
                started = time.perf_counter()
                workers = [Worker(f"p{i}", folder, env, 8) for i in range(processes)]
                outputs = [worker.result() for worker in workers]
                seconds = time.perf_counter() - started
                stats = emulator.stats()  # read once, at the end: polling it would load the emulator
                span = stats["last_answer"] - stats["first_request"]
                made = [n - o["data"]["from_journal"] for o in outputs]
                figures[processes] = (seconds, span)
                print(
                    f"   {processes} process(es) x concurrency 8: {seconds:6.2f} s wall, {span:6.2f} s "
                    f"from the first request to the last answer; {stats['total_requests']} requests, "
                    f"duplicate predictions {stats['duplicate_predictions']}, documents per process {made}; "
                    f"before: {before}; after: {load()}"
                )
        finally:
            emulator.stop()
        ratio = figures[1][0] / figures[4][0]
        span_ratio = figures[1][1] / figures[4][1]
        ok = ratio >= 3.5
        print(
            f"   4 x 8 is {ratio:.2f}x faster than 1 x 8 by wall time ({span_ratio:.2f}x from first to last "
            f"request, i.e. without the processes' start-up); target >= 3.5x: {verdict(ok)}"
        )
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1000, help="documents of the soak (default 1000)")
    parser.add_argument("--scale-docs", type=int, default=400, help="documents of the scaling runs")
    parser.add_argument("--lease", type=float, default=10.0, help="journal_lease of the workers, seconds")
    parser.add_argument("--seed", type=int, default=17, help="seed of the kill moments")
    parser.add_argument("--only", choices=("soak", "scale"), default=None)
    args = parser.parse_args()
    print(f"docrelay shared journal bench; {load()}")
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="docrelay-bench-") as tmp, PostgresServer() as server:
        bench = Bench(args, Path(tmp), server)
        ok = True
        if args.only in (None, "soak"):
            ok = bench.soak() and ok
        if args.only in (None, "scale"):
            print(f"2. scale: {args.scale_docs} documents, 100 ms latency per request")
            ok = bench.scale() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
