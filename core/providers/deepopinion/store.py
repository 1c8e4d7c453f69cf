"""Where finished DeepOpinion extractions wait for `docrelay result JOB` in another process.

DeepOpinion extracts synchronously and documents no way to fetch a result again, so the normalized
result is written to $DOCRELAY_CACHE_DIR/deepopinion (else the user cache folder) under the job's id.
The files hold extracted document data (no credentials): private to the user, pruned after 14 days.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

from core.models import Result

CACHE_ENV = "DOCRELAY_CACHE_DIR"
MAX_AGE_S = 14 * 24 * 3600


def cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV, "").strip()
    if base:
        return Path(base).expanduser() / "deepopinion"
    import platformdirs

    return Path(platformdirs.user_cache_dir("docrelay", appauthor=False)) / "deepopinion"


def result_path(key: str) -> Path:
    safe = "".join(c for c in key if c.isalnum() or c in "-_")
    return cache_dir() / f"{safe or 'result'}.json"


def save(key: str, result: Result) -> Path:
    """Write atomically (a temp file, then one rename), readable by the user only; prune old files."""
    path = result_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(result.model_dump_json(by_alias=True))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _prune(path.parent)
    return path


def load(key: str) -> Result | None:
    """The stored result, or None when it is not (or no longer) on this machine."""
    path = result_path(key)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        return Result.model_validate_json(text)
    except ValueError:
        return None


def _prune(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_S
    for entry in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
