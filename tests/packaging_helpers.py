"""Load the scripts of packaging/ (a folder of scripts, not a package: a `packaging` package would
shadow PyPA's `packaging`, which pip and PyInstaller import) as modules for tests."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.cli_helpers import REPO

PACKAGING = REPO / "packaging"


def load(script: str) -> ModuleType:
    """packaging/<script>.py as a module; its sibling imports (bundle_version, smoke_tls) resolve."""
    if str(PACKAGING) not in sys.path:
        sys.path.append(str(PACKAGING))  # appended: nothing there may shadow an installed module
    name = f"docrelay_packaging_{script}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{script}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
