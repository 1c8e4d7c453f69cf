"""docrelay core: the shared client behind the CLI, the Robot Framework library and the Excel bridge.

    from core import Client
    result = Client(provider="local").extract("invoice.pdf")

Kept import-light: names below are loaded on first use so that `docrelay --version` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core._version import __version__

if TYPE_CHECKING:
    from core.models import JobHandle, Result
    from core.services import Client
    from core.sources import DocumentSource

__all__ = ["Client", "DocumentSource", "JobHandle", "Result", "__version__"]

_LAZY = {
    "Client": "core.services",
    "DocumentSource": "core.sources",
    "JobHandle": "core.models",
    "Result": "core.models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
