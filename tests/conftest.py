"""Fixtures shared by every test module: the service emulators."""

from tests.emulators.fixtures import cradl_emulator, make_cradl_emulator

__all__ = ["cradl_emulator", "make_cradl_emulator"]
