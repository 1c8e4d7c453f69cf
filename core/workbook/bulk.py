"""Pausing Python's cyclic garbage collector while a workbook is read, planned and written.

A 10,000-document workbook is a million cells and results that all live until the run ends; the
collector would walk them again and again as they are made (measured: over half the CPU time of a
run from the journal). Nothing cyclic is thrown away in between, so the pause loses no memory.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def bulk(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with the collector paused."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return wrapper
