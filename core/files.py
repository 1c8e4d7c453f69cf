"""Writing files so that a reader never sees half of one: a temp file beside the target, then one rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str, *, newline: str | None = "\n", encoding: str = "utf-8") -> None:
    """Replace `path` with `text` in one step. On any failure the old file is untouched and no temp
    file is left. New files are private to the user (mkstemp's mode 0600 on POSIX)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
