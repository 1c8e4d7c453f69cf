"""Entry script of the frozen `docrelay-excel` executable (a workbook dropped on it is run)."""

from __future__ import annotations

import sys

from excel_addin.cli import main

if __name__ == "__main__":
    sys.exit(main())
