"""Emulators of the document-AI services docrelay talks to, for tests (CONTRACT section 8).

In a test:

    from tests.emulators import CradlEmulator
    with CradlEmulator(latency_ms=20, token_ttl=60) as emu:
        emu.base_url, emu.token_url, emu.stats, emu.violations
        emu.set_faults(rate_limit=5)
        emu.script_fault("POST /predictions", status=503)

From a shell or a Robot suite: `python -m tests.emulators cradl --port 0` (run from the repository
root); the first line of stdout is `READY <base-url>`. See tests/emulators/README.md.
"""

from __future__ import annotations

import importlib
from typing import Any

from tests.emulators.base import ApiError, Emulator
from tests.emulators.faults import Faults

# name -> "module:class"; services not listed yet are refused with a clear message.
EMULATORS: dict[str, str] = {
    "cradl": "tests.emulators.cradl:CradlEmulator",
    "contractfit": "tests.emulators.contractfit:ContractfitEmulator",
    "deepopinion": "tests.emulators.deepopinion:DeepopinionEmulator",
}


def emulator_class(name: str) -> type[Emulator]:
    if name not in EMULATORS:
        known = ", ".join(sorted(EMULATORS))
        raise LookupError(f"no emulator named {name!r}; available: {known}")
    module_name, _, class_name = EMULATORS[name].partition(":")
    cls: type[Emulator] = getattr(importlib.import_module(module_name), class_name)
    return cls


def __getattr__(name: str) -> Any:
    if name == "CradlEmulator":  # lazy: importing the package stays cheap
        return emulator_class("cradl")
    raise AttributeError(name)


__all__ = ["EMULATORS", "ApiError", "CradlEmulator", "Emulator", "Faults", "emulator_class"]
