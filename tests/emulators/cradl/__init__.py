"""Emulator of the Cradl (Lucidtech) REST API v1; see tests/emulators/README.md."""

from tests.emulators.cradl.catalog import DEFAULT_WORKFLOW_ID, PUBLIC_ORGANIZATION
from tests.emulators.cradl.emulator import CradlEmulator

__all__ = ["DEFAULT_WORKFLOW_ID", "PUBLIC_ORGANIZATION", "CradlEmulator"]
