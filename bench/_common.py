"""Shared by the benchmarks: the official SDK's venv, the Cradl emulator process, tokens, test PDFs.

Benchmarks run as scripts (`python bench/NAME.py`), so this module is imported as `_common`.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOCRELAY = str(Path(sys.executable).parent / "docrelay")
SDK_VENV = REPO / "bench" / ".venv-sdk"
SDK_VERSION = "0.6.8"
MODEL = "las:model:invoice"
SAMPLE = REPO / "samples" / "invoice.pdf"
SAMPLE_NUMBER = b"INV-2026-0042"


def compile_bytecode() -> None:
    """Byte-compile docrelay once, as `pip install` and the frozen executable do: where
    PYTHONDONTWRITEBYTECODE is set (as on CI machines), every process of a source checkout would
    otherwise compile all of core again as it starts, about 0.8 s of CPU each."""
    import compileall

    for package in ("core", "uipath_activity"):
        compileall.compile_dir(REPO / package, quiet=1)


def ensure_sdk() -> str:
    """The python of bench/.venv-sdk, with the official `cradl` SDK installed on first use."""
    python = SDK_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"cradl=={SDK_VERSION}"], check=True)
    return str(python)


class Emulator:
    """`python -m tests.emulators cradl ...` in its own process (it accepts the official SDK's file PUTs
    without a Content-Type, as the service does)."""

    def __init__(self, *options: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.emulators", "cradl", *options],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        token_line = self.proc.stdout.readline().split()
        if not ready or ready[0] != "READY":
            self.proc.kill()
            raise RuntimeError("the emulator did not start")
        self.api_url, self.token_url = ready[1], token_line[1]
        self.root_url = self.api_url.rsplit("/v1", 1)[0]

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.root_url}/_emulator/{path}",
            data=data,
            method="POST" if data is not None else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control("stats")
        return result

    def timeline(self) -> list[tuple[float, float]]:
        """(arrived, answered) epoch seconds of each answered request since the last reset."""
        return [(float(a), float(b)) for a, b in self.control("timeline")["spans"]]

    def reset(self, **faults: Any) -> None:
        """Forget documents, jobs and counters; set these faults (the others keep their values)."""
        self.control("reset", {"state": True})
        if faults:
            self.control("faults", faults)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_emulator(
    options: Sequence[str] = ("--async-delay", "0.1"),
) -> tuple[subprocess.Popen[str], str, str]:
    """The emulator process, its API URL and its token URL."""
    emulator = Emulator(*options)
    return emulator.proc, emulator.api_url, emulator.token_url


def fetch_token(token_url: str) -> str:
    basic = base64.b64encode(b"test-client:test-secret").decode()
    request = urllib.request.Request(
        token_url + "?grant_type=client_credentials",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["access_token"]
        return token


def write_pdf(path: Path, size: int) -> None:
    """A PDF header followed by filler: only the upload is measured, not what the service makes of it."""
    chunk = b"0" * (1 << 20)
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n%bench\n")
        remaining = size - handle.tell()
        while remaining > 0:
            handle.write(chunk[: min(len(chunk), remaining)])
            remaining -= len(chunk)


def invoice_variants(folder: Path, count: int, *, first: int = 1) -> list[Path]:
    """`count` one-page invoices, each the sample invoice with its own invoice number (distinct content,
    so distinct SHA-256 keys), as valid PDFs (content stream re-compressed, cross-reference rebuilt)."""
    folder.mkdir(parents=True, exist_ok=True)
    template = SAMPLE.read_bytes()
    paths = []
    for number in range(first, first + count):
        new = f"INV-{number:09d}".encode()  # as long as the original: nothing else moves
        path = folder / f"invoice-{number:05d}.pdf"
        path.write_bytes(_replace_text(template, SAMPLE_NUMBER, new))
        paths.append(path)
    return paths


_OBJECT = re.compile(rb"(\d+) 0 obj\r?\n(.*?)endobj\r?\n", re.DOTALL)
_STREAM = re.compile(rb"<<(.*?)/Length (\d+)(.*?)>>\s*stream\r?\n", re.DOTALL)


def _replace_text(pdf: bytes, old: bytes, new: bytes) -> bytes:
    """Replace `old` with `new` inside the Flate content streams of a simple (reportlab) PDF."""
    objects: dict[int, bytes] = {}
    for match in _OBJECT.finditer(pdf):
        number, body = int(match.group(1)), match.group(2)
        head = _STREAM.match(body)
        if head and b"/FlateDecode" in head.group(0):
            raw = body[head.end() : head.end() + int(head.group(2))]
            if b"/ASCII85Decode" in head.group(0):
                raw = base64.a85decode(raw.strip().removesuffix(b"~>"))
            data = zlib.decompress(raw)
            if old in data:
                packed = zlib.compress(data.replace(old, new))
                dictionary = b"<<\n/Filter /FlateDecode /Length %d\n>>" % len(packed)
                body = dictionary + b"\nstream\n" + packed + b"\nendstream\n"
        objects[number] = body
    trailer = re.search(rb"trailer\s*(<<.*?>>)", pdf, re.DOTALL)
    assert trailer is not None and objects, "not a simple PDF"
    out = bytearray(pdf[: pdf.index(b"1 0 obj")])
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"endobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n" + trailer.group(1) + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
