"""What a batch works on: paths from the command line, folders (recursive, with a glob) and file lists,
each opened, checked and hashed before anything is sent."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DocRelayError, InputError, UsageError
from core.files import read_small_text
from core.sources import DocumentInput, DocumentSource, open_source, shown_name

FILE_LIST_LIMIT = 16 * 1024 * 1024  # about 100,000 paths
# Inputs read in turn before deciding whether threads would help, and the mean seconds per input above
# which they do (a local one-page PDF takes about 0.15 ms on a slow machine).
PROBE_READS = 8
SLOW_READ_SECONDS = 0.002


def read_file_list(list_path: str | os.PathLike[str]) -> list[str]:
    """The paths in a list file, one per line (UTF-8, BOM allowed, or UTF-16 with BOM); blank lines and
    `#` comments are skipped. Relative paths are taken from the current folder. `-` reads standard input.
    A list larger than 16 MB is refused (UsageError): it is no list of paths."""
    text = read_small_text(
        list_path,
        limit=FILE_LIST_LIMIT,
        what="the file list",
        error=InputError,
        hint="Give --files-from a text file with one document path per line.",
    )
    lines = (line.strip().strip('"') for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def collect_paths(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    pattern: str = "*",
    files_from: Iterable[str | os.PathLike[str]] = (),
    recursive: bool = True,
) -> list[Path]:
    """Files named directly or in lists, plus the documents found in named folders (recursively, names
    matching `pattern`), without repeats. A missing file is kept so that it is reported as failed."""
    named = [*paths]
    if any(not os.fspath(path).strip() for path in named):  # Path("") would mean the current folder
        raise UsageError("An empty path was given", hint="Name files or folders; remove the empty argument.")
    for list_path in files_from:
        named.extend(read_file_list(list_path))
    if not named:
        raise UsageError(
            "No documents given", hint="Name files or folders, or a file list with --files-from LIST."
        )
    return expand_paths(named, pattern=pattern, recursive=recursive)


def expand_paths(
    paths: Iterable[str | os.PathLike[str]], *, pattern: str = "*", recursive: bool = True
) -> list[Path]:
    """Files named directly, plus the supported documents found in named folders, sorted and unique.

    A named path that does not exist is kept, so that it is reported as a failed document.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            walker = path.rglob(pattern) if recursive else path.glob(pattern)
            candidates = sorted(p for p in walker if p.is_file() and _looks_like_document(p))
        else:
            candidates = [path]
        for candidate in candidates:
            key = candidate.resolve() if candidate.exists() else candidate
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    if not found:
        raise InputError(
            "No documents found in " + ", ".join(str(p) for p in paths),
            hint="Name PDF, JPEG, PNG, TIFF or WebP files, or folders that contain them.",
        )
    return found


_DOCUMENT_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


def _looks_like_document(path: Path) -> bool:
    return path.suffix.lower() in _DOCUMENT_SUFFIXES and not path.name.startswith(".")


@dataclass
class Prepared:
    """One input of the batch: its source once read and hashed, or why it could not be read."""

    index: int
    as_given: str  # the path as given, or the name of in-memory bytes
    source: DocumentSource | None = None
    error: DocRelayError | None = None
    original: DocumentInput | None = field(default=None, repr=False)


def prepare(
    documents: Sequence[DocumentInput], *, workers: int = 4, slow_read: float = SLOW_READ_SECONDS
) -> list[Prepared]:
    """Open, check and hash every input; failures are kept per input.

    Inputs are read in turn while that is quick: for small local files a thread pool costs three times
    what it saves (measured on two cores, docs/benchmarks.md). Once the first `PROBE_READS` took more
    than `slow_read` seconds each on average (a network share, large files), the rest is read by
    `workers` threads, whose waits then overlap."""

    def one(item: tuple[int, DocumentInput]) -> Prepared:
        index, document = item
        shown = shown_name(document)
        try:
            source = open_source(document)
        except DocRelayError as exc:
            return Prepared(index, shown, error=exc, original=document)
        return Prepared(index, shown, source=source, original=document)

    items = list(enumerate(documents))
    done: list[Prepared] = []
    started = time.perf_counter()
    for item in items:
        done.append(one(item))
        count = len(done)
        if workers > 1 and count >= PROBE_READS and (time.perf_counter() - started) / count > slow_read:
            break
    rest = items[len(done) :]
    if not rest:
        return done
    # Imported here, not at the top: most batches never read in parallel.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, 8), thread_name_prefix="docrelay-hash") as pool:
        return done + list(pool.map(one, rest))
