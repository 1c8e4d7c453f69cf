"""pytest fixtures for every emulator; tests/conftest.py makes them available to all test modules.

`make_<service>_emulator(**options)` starts one on a free port per call and stops them all after the
test; `cradl_emulator` / `contractfit_emulator` are healthy ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from tests.emulators.base import Emulator
from tests.emulators.contractfit import ContractfitEmulator
from tests.emulators.cradl import CradlEmulator
from tests.emulators.deepopinion import DeepopinionEmulator

E = TypeVar("E", bound=Emulator)

# Tests want jobs to finish quickly and faults to be reproducible; options given to the factory win.
FAST_JOBS: dict[str, Any] = {"async_delay": 0.2, "seed": 1234}


def _factory(cls: type[E], defaults: dict[str, Any]) -> Iterator[Callable[..., E]]:
    started: list[E] = []

    def make(**options: Any) -> E:
        emulator = cls(**{**defaults, **options})
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def make_cradl_emulator() -> Iterator[Callable[..., CradlEmulator]]:
    # Strict about the file PUT's Content-Type: docrelay sends one (the official SDKs do not).
    yield from _factory(CradlEmulator, {**FAST_JOBS, "allow_untyped_put": False})


@pytest.fixture
def make_contractfit_emulator() -> Iterator[Callable[..., ContractfitEmulator]]:
    yield from _factory(ContractfitEmulator, FAST_JOBS)


@pytest.fixture
def make_deepopinion_emulator() -> Iterator[Callable[..., DeepopinionEmulator]]:
    yield from _factory(DeepopinionEmulator, {"seed": 1234})


@pytest.fixture
def cradl_emulator(make_cradl_emulator: Callable[..., CradlEmulator]) -> CradlEmulator:
    """A healthy Cradl emulator on a free port."""
    return make_cradl_emulator()


@pytest.fixture
def contractfit_emulator(
    make_contractfit_emulator: Callable[..., ContractfitEmulator],
) -> ContractfitEmulator:
    """A healthy contract.fit emulator on a free port."""
    return make_contractfit_emulator()
