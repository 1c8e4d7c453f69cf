"""Fixtures shared by every test module: the service emulators and the journal backends."""

from typing import Any

import pytest

from tests.emulators.fixtures import (
    contractfit_emulator,
    cradl_emulator,
    deepopinion_emulator,
    make_contractfit_emulator,
    make_cradl_emulator,
    make_deepopinion_emulator,
)
from tests.journal_backends import journal_target, postgres_server, postgres_url

__all__ = [
    "contractfit_emulator",
    "cradl_emulator",
    "deepopinion_emulator",
    "journal_target",
    "make_contractfit_emulator",
    "make_cradl_emulator",
    "make_deepopinion_emulator",
    "postgres_server",
    "postgres_url",
]


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Any:
    """A healthy emulator of the module's `SERVICE`, checked by its fixture after the test."""
    return request.getfixturevalue(f"{request.module.SERVICE}_emulator")
