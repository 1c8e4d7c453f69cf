"""pytest fixtures for the DeepOpinion emulator; import them into a test module:

from tests.emulators.deepopinion.fixtures import make_deepopinion_emulator  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.emulators.deepopinion import DeepopinionEmulator

TEST_DEFAULTS: dict[str, Any] = {"seed": 1234}


@pytest.fixture
def make_deepopinion_emulator() -> Iterator[Callable[..., DeepopinionEmulator]]:
    """Factory: `emu = make_deepopinion_emulator(token_ttl=2)`; all are stopped after the test."""
    started: list[DeepopinionEmulator] = []

    def make(**options: Any) -> DeepopinionEmulator:
        emulator = DeepopinionEmulator(**{**TEST_DEFAULTS, **options})
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
