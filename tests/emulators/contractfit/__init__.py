"""Emulator of the contract.fit API; see tests/emulators/README.md."""

from tests.emulators.contractfit.emulator import ContractfitEmulator

__all__ = ["ContractfitEmulator"]
