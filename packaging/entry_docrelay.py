"""Entry script of the frozen `docrelay` executable (PyInstaller runs this file as __main__)."""

from __future__ import annotations

import sys

from uipath_activity.cli import main

if __name__ == "__main__":
    sys.exit(main())
