"""A one-line progress bar for batches, on stderr, only when stderr is a terminal.

    [##########..........]  52/100  failed 2  4.1 docs/s  ETA 0:12

Hand-written (a few lines) rather than a dependency. Redrawn at most every 0.2 s and on the last
document; a failed document is counted as done (it will not be tried again in this run).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from core.models import Result

WIDTH = 20
MIN_REDRAW_S = 0.2


class ProgressBar:
    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.total = total
        self.done = 0
        self.failed = 0
        self.from_journal = 0
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._lock = threading.Lock()
        self._width = 0

    def update(self, result: Result) -> None:
        """Count one finished document (call from any thread)."""
        with self._lock:
            self.done += 1
            if result.status == "failed":
                self.failed += 1
            elif result.extras.get("from_journal"):
                self.from_journal += 1  # no work this run: left out of the rate
            now = time.monotonic()
            if self.enabled and (now - self._drawn_at >= MIN_REDRAW_S or self.done >= self.total):
                self._draw(now)

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        total = max(self.total, 1)
        filled = int(WIDTH * min(self.done, total) / total)
        elapsed = max(now - self._started, 1e-6)
        rate = (self.done - self.from_journal) / elapsed
        remaining = max(self.total - self.done, 0)
        eta = _clock(remaining / rate) if rate > 0 and remaining else ("0:00" if not remaining else "--:--")
        failed = f"  failed {self.failed}" if self.failed else ""
        return (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done:>{len(str(self.total))}}/{self.total}"
            f"{failed}  {rate:.1f} docs/s  ETA {eta}"
        )

    def _draw(self, now: float) -> None:
        text = self.line(now)
        padding = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + padding)
        self.stream.flush()
        self._drawn_at = now

    def close(self) -> None:
        """Draw the final state and end the line."""
        with self._lock:
            if self.enabled and self._width:
                self._draw(time.monotonic())
                self.stream.write("\n")
                self.stream.flush()
                self._width = 0


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
