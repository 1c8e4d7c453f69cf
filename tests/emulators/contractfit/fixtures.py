"""pytest fixtures for the contract.fit emulator; import them into a test module:

from tests.emulators.contractfit.fixtures import contractfit_emulator, make_contractfit_emulator  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.emulators.contractfit import ContractfitEmulator

# Tests want documents processed quickly; override with make_contractfit_emulator(async_delay=...).
TEST_DEFAULTS: dict[str, Any] = {"async_delay": 0.2, "seed": 1234}


@pytest.fixture
def make_contractfit_emulator() -> Iterator[Callable[..., ContractfitEmulator]]:
    """Factory: `emu = make_contractfit_emulator(token_prefix="")`; all are stopped after the test."""
    started: list[ContractfitEmulator] = []

    def make(**options: Any) -> ContractfitEmulator:
        emulator = ContractfitEmulator(**{**TEST_DEFAULTS, **options})
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def contractfit_emulator(
    make_contractfit_emulator: Callable[..., ContractfitEmulator],
) -> ContractfitEmulator:
    """A healthy contract.fit emulator on a free port."""
    return make_contractfit_emulator()
