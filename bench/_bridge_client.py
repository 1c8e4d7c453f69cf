"""A lean HTTPS client for bench/excel_bridge_latency.py, run in a process of its own so that its work
is neither counted as the bridge's nor slows it through a shared GIL: one kept-alive TLS connection per
pane, all opened and warmed before timing starts, driven by one `selectors` loop over non-blocking
sockets (TLS done by the ssl module in C; no threads, no asyncio), HTTP/1.1 written by hand.

    DOCRELAY_BENCH_TOKEN=T python bench/_bridge_client.py --port P --ca CA --job ID --mode burst|saturate

(the token comes in the environment, never on a command line other users can read).

Modes:
- burst: all --clients panes send at the same instant, each request timed from that instant to its
  own complete answer; the round repeats --rounds times, --pause s apart, health and job status rounds
  in turn. This is "16 concurrent pane requests" literally.
- saturate: each pane sends its next request as soon as its answer arrives (--requests each), health
  and status in turn: the most the bridge can do, and the latency at that rate.

Prints one JSON object: latencies in ms per kind, wall time, and this client's own CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import ssl
import sys
import time
from collections.abc import Callable

KINDS = ("health", "status")


class Pane:
    """One kept-alive connection and the request on it, if any."""

    def __init__(self, context: ssl.SSLContext, port: int) -> None:
        raw = socket.create_connection(("127.0.0.1", port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.sock.setblocking(False)
        self.buffer = b""
        self.kind = ""
        self.began = 0.0
        self.sent = 0

    def send(self, request: bytes, kind: str, began: float) -> None:
        self.kind, self.began = kind, began
        view = memoryview(request)
        while view:
            try:
                view = view[self.sock.send(view) :]
            except ssl.SSLWantWriteError:
                selectors.DefaultSelector().select(1.0)  # a full buffer: never, for a request this small
        self.sent += 1

    def receive(self) -> bool:
        """Read what arrived; True once the whole answer is in."""
        while True:
            try:
                data = self.sock.recv(65536)
            except ssl.SSLWantReadError:
                break
            if not data:
                raise ConnectionError("the bridge closed the connection")
            self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.buffer[:end].split(b"\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return False
        status = int(head[0][9:12])
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {self.buffer[end + 4 : end + 204]!r}")
        self.buffer = self.buffer[end + 4 + length :]
        return True


def _requests(args: argparse.Namespace) -> dict[str, bytes]:
    def request(path: str) -> bytes:
        return (
            f"GET {path} HTTP/1.1\r\nHost: localhost:{args.port}\r\nX-DocRelay-Token: {args.token}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode("ascii")

    return {"health": request("/api/health"), "status": request(f"/api/jobs/{args.job}")}


def _wait_all(
    selector: selectors.BaseSelector, panes: list[Pane], on_answer: Callable[[Pane, str, float], bool]
) -> None:
    """Serve answers until no pane has a request out; `on_answer(pane, ms)` may send the next one."""
    waiting = {id(p) for p in panes if p.kind}
    while waiting:
        for key, _ in selector.select(30.0) or [(None, None)]:
            if key is None:
                raise TimeoutError("no answer from the bridge within 30 s")
            pane: Pane = key.data
            if pane.kind and pane.receive():
                elapsed = (time.perf_counter() - pane.began) * 1000
                kind, pane.kind = pane.kind, ""
                waiting.discard(id(pane))
                if on_answer(pane, kind, elapsed):
                    waiting.add(id(pane))


def run(args: argparse.Namespace) -> dict[str, object]:
    context = ssl.create_default_context(cafile=args.ca)
    panes = [Pane(context, args.port) for _ in range(args.clients)]
    selector = selectors.DefaultSelector()
    for pane in panes:
        selector.register(pane.sock, selectors.EVENT_READ, pane)
    requests = _requests(args)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}

    def keep(pane: Pane, kind: str, elapsed: float) -> bool:
        timings[kind].append(elapsed)
        return False

    for kind in KINDS:  # warm every connection (and the bridge's caches) once
        for pane in panes:
            pane.send(requests[kind], kind, time.perf_counter())
        _wait_all(selector, panes, lambda *_: False)
    cpu_began, wall_began = time.process_time(), time.perf_counter()
    if args.mode == "burst":
        for round_ in range(args.rounds):
            kind = KINDS[round_ % 2]
            began = time.perf_counter()
            for pane in panes:
                pane.send(requests[kind], kind, began)
            _wait_all(selector, panes, keep)
            time.sleep(args.pause)
    else:

        def again(pane: Pane, kind: str, elapsed: float) -> bool:
            timings[kind].append(elapsed)
            if pane.sent >= args.requests + len(KINDS):
                return False
            following = KINDS[(KINDS.index(kind) + 1) % 2]
            pane.send(requests[following], following, time.perf_counter())
            return True

        for n, pane in enumerate(panes):
            kind = KINDS[n % 2]
            pane.send(requests[kind], kind, time.perf_counter())
        _wait_all(selector, panes, again)
    wall = time.perf_counter() - wall_began
    cpu = time.process_time() - cpu_began
    for pane in panes:
        pane.sock.close()
    return {"timings": timings, "wall": wall, "client_cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--mode", choices=("burst", "saturate"), required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    args.token = os.environ["DOCRELAY_BENCH_TOKEN"]
    json.dump(run(args), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
