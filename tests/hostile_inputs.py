"""Hostile inputs for the adversarial tests, and a runner that starts the real `docrelay` with a memory cap.

The PDFs are written by hand (a few objects and an xref table), so each one is exactly as broken as meant.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cli_helpers import docrelay_executable

MEMORY_CAP = 512 * 1024 * 1024
TIME_CAP = 30.0


def build_pdf(objects: list[bytes]) -> bytes:
    """A PDF of these object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def deep_page_tree_pdf(levels: int = 5000) -> bytes:
    """One page under `levels` nested /Pages nodes."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        number = 2 + level
        parent = b"" if level == 0 else b" /Parent %d 0 R" % (number - 1)
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (number + 1, parent))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] >>" % (1 + levels))
    return build_pdf(objects)


def circular_page_tree_pdf() -> bytes:
    """A /Pages node that is its own kid, through one more node."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            b"<< /Type /Pages /Kids [2 0 R] /Parent 2 0 R /Count 1 >>",
        ]
    )


@dataclass
class CappedRun:
    exit_code: int
    stdout: str
    stderr: str
    peak_bytes: int
    seconds: float

    def envelopes(self) -> list[dict[str, Any]]:
        """The JSON envelopes on stdout (NDJSON result lines have no `ok`)."""
        documents = [json.loads(line) for line in self.stdout.splitlines() if line.strip()]
        return [d for d in documents if isinstance(d, dict) and "ok" in d]


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_capped(*args: str, env: dict[str, str], cwd: Path | None = None) -> CappedRun:
    """Run `docrelay args...` under a 512 MB address-space cap; its own peak RSS from wait4()."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [docrelay_executable(), *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_cap_memory,
        )
        timer = threading.Timer(TIME_CAP * 2, proc.kill)  # a hang fails the time assertion, not the suite
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return CappedRun(
            proc.returncode,
            out.read().decode("utf-8"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss * 1024,  # kilobytes on Linux
            seconds,
        )
