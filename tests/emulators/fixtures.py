"""pytest fixtures; import them into a conftest.py or test module:

from tests.emulators.fixtures import cradl_emulator, make_cradl_emulator  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.emulators.cradl import CradlEmulator

# Tests want async jobs to finish quickly; override with make_cradl_emulator(async_delay=...).
TEST_DEFAULTS: dict[str, Any] = {"async_delay": 0.2, "seed": 1234}


@pytest.fixture
def make_cradl_emulator() -> Iterator[Callable[..., CradlEmulator]]:
    """Factory: `emu = make_cradl_emulator(latency_ms=50, quota=3)`; all are stopped after the test."""
    started: list[CradlEmulator] = []

    def make(**options: Any) -> CradlEmulator:
        emulator = CradlEmulator(**{**TEST_DEFAULTS, **options})
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def cradl_emulator(make_cradl_emulator: Callable[..., CradlEmulator]) -> CradlEmulator:
    """A healthy Cradl emulator on a free port."""
    return make_cradl_emulator()
