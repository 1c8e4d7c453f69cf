"""Finished results kept on this machine, so a job handle works from another process.

Providers whose service keeps no result to fetch again (local, DeepOpinion) store the normalized
result here under the job's key: $DOCRELAY_CACHE_DIR/<namespace>, else the user cache folder. Files
hold document data but no credentials; they are private to the user and pruned after 14 days.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

from core.files import write_text_atomic
from core.models import Result

log = logging.getLogger("docrelay.cache")

CACHE_ENV = "DOCRELAY_CACHE_DIR"
MAX_AGE_S = 14 * 24 * 3600
_pruned: set[Path] = set()


class ResultCache:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    @property
    def folder(self) -> Path:
        base = os.environ.get(CACHE_ENV, "").strip()
        if base:
            return Path(base).expanduser() / self.namespace
        import platformdirs

        return Path(platformdirs.user_cache_dir("docrelay", appauthor=False)) / self.namespace

    def path(self, key: str) -> Path:
        safe = "".join(c for c in key if c.isalnum() or c in "-_")
        return self.folder / f"{safe or 'result'}.json"

    def save(self, key: str, result: Result) -> Path:
        """Write the result atomically (OSError if the folder is not writable); prune old files once."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, result.model_dump_json(by_alias=True))
        self._prune(path.parent)
        return path

    def load(self, key: str, path: Path | None = None) -> Result | None:
        """The stored result, or None when it is not (or no longer, or not readably) here."""
        target = path or self.path(key)
        try:
            text = target.read_text(encoding="utf-8")
        except OSError:
            return None
        try:
            return Result.model_validate_json(text)
        except ValueError:
            log.warning("ignoring a damaged result cache file: %s", target)
            return None

    def check_writable(self) -> None:
        """Raise OSError when results cannot be stored here."""
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        write_text_atomic(probe, "ok")
        probe.unlink()

    @staticmethod
    def _prune(folder: Path) -> None:
        if folder in _pruned:
            return
        _pruned.add(folder)
        cutoff = time.time() - MAX_AGE_S
        for entry in folder.glob("*.json"):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
