"""Emulator of the DeepOpinion Studio API; see tests/emulators/README.md."""

from tests.emulators.deepopinion.emulator import EXTRACT, DeepopinionEmulator

EXTRACT_ENDPOINT = "POST " + EXTRACT

__all__ = ["EXTRACT_ENDPOINT", "DeepopinionEmulator"]
