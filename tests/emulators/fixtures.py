"""pytest fixtures for every emulator; tests/conftest.py makes them available to all test modules.

`make_<service>_emulator(**options)` starts one on a free port per call and stops them all after the
test; `<service>_emulator` is a healthy one. The fixture owns the checks: after the test it fails when
an emulator saw a request or sent an answer that breaks the published spec, or hit an internal error.
A test that provokes violations on purpose (and asserts them itself) is marked
`@pytest.mark.violations_expected`, or starts its emulator with `check=False`.
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


def _factory(
    cls: type[E], defaults: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[Callable[..., E]]:
    started: list[tuple[E, bool]] = []
    expected = request.node.get_closest_marker("violations_expected") is not None

    def make(*, check: bool = True, **options: Any) -> E:
        emulator = cls(**{**defaults, **options})
        emulator.start()
        started.append((emulator, check))
        return emulator

    yield make
    for emulator, _ in started:
        emulator.stop()
    for emulator, check in started:
        if check:
            if not expected:
                emulator.assert_no_violations()
            assert emulator.stats["errors"] == [], f"internal errors at the {emulator.name} emulator"


@pytest.fixture
def make_cradl_emulator(request: pytest.FixtureRequest) -> Iterator[Callable[..., CradlEmulator]]:
    # Strict about the file PUT's Content-Type: docrelay sends one (the official SDKs do not).
    yield from _factory(CradlEmulator, {**FAST_JOBS, "allow_untyped_put": False}, request)


@pytest.fixture
def make_contractfit_emulator(request: pytest.FixtureRequest) -> Iterator[Callable[..., ContractfitEmulator]]:
    yield from _factory(ContractfitEmulator, FAST_JOBS, request)


@pytest.fixture
def make_deepopinion_emulator(request: pytest.FixtureRequest) -> Iterator[Callable[..., DeepopinionEmulator]]:
    yield from _factory(DeepopinionEmulator, {"seed": 1234}, request)


@pytest.fixture
def cradl_emulator(make_cradl_emulator: Callable[..., CradlEmulator]) -> CradlEmulator:
    """A healthy Cradl emulator on a free port."""
    return make_cradl_emulator()


@pytest.fixture
def deepopinion_emulator(
    make_deepopinion_emulator: Callable[..., DeepopinionEmulator],
) -> DeepopinionEmulator:
    """A healthy DeepOpinion emulator on a free port."""
    return make_deepopinion_emulator()


@pytest.fixture
def contractfit_emulator(
    make_contractfit_emulator: Callable[..., ContractfitEmulator],
) -> ContractfitEmulator:
    """A healthy contract.fit emulator on a free port."""
    return make_contractfit_emulator()
