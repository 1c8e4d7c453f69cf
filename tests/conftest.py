"""Fixtures shared by every test module: the service emulators."""

from tests.emulators.fixtures import (
    contractfit_emulator,
    cradl_emulator,
    deepopinion_emulator,
    make_contractfit_emulator,
    make_cradl_emulator,
    make_deepopinion_emulator,
)

__all__ = [
    "contractfit_emulator",
    "cradl_emulator",
    "deepopinion_emulator",
    "make_contractfit_emulator",
    "make_cradl_emulator",
    "make_deepopinion_emulator",
]
