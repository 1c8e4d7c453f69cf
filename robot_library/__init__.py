"""Robot Framework keyword library for docrelay: `Library    robot_library.DocRelay`.

The keywords are in robot_library/DocRelay.py (class DocRelay); DocRelay.libspec beside it is the
libdoc spec that IDEs read for completion (regenerate it with `python scripts/generate_docs.py`).
"""

from __future__ import annotations

from robot_library.DocRelay import DocRelay

__all__ = ["DocRelay"]
