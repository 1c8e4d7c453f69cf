"""One deadline for a whole operation (an extract: upload, predict and every poll), seen by every call
made inside it, retries, backoff and token fetches included.

    with operation_deadline(timeout):
        ...  # HttpClient.request gives up, and shortens its socket timeouts, as the deadline nears

A context variable, so nested operations keep the earliest deadline and other threads (a batch's
workers, which have per-document timeouts of their own) are not affected.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("docrelay_operation_deadline", default=None)


@contextmanager
def operation_deadline(seconds: float | None) -> Iterator[None]:
    """Calls made inside end within `seconds` from now (None: no deadline of its own)."""
    if seconds is None:
        yield
        return
    moment = time.monotonic() + max(0.0, seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(moment if outer is None else min(outer, moment))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current operation's deadline (may be negative); None without one."""
    moment = _DEADLINE.get()
    return None if moment is None else moment - time.monotonic()
