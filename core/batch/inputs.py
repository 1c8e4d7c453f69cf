"""What a batch works on: paths from the command line, folders (recursive, with a glob) and file lists,
each opened, checked and hashed before anything is sent."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DocRelayError, InputError, UsageError
from core.sources import DocumentSource

DocumentInput = str | os.PathLike[str] | bytes | DocumentSource


def read_file_list(list_path: str | os.PathLike[str]) -> list[str]:
    """The paths in a list file, one per line (UTF-8, BOM allowed); blank lines and `#` comments are
    skipped. Relative paths are taken from the current folder. `-` reads standard input."""
    shown = os.fspath(list_path)
    try:
        if shown == "-":
            text = sys.stdin.read()
        else:
            text = Path(list_path).expanduser().read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"The file list {shown} does not exist", hint="Check the --files-from path."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(
            f"Cannot read the file list {shown}: {reason}",
            hint="Give a UTF-8 text file with one document path per line.",
        ) from None
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
    from core.services import expand_paths

    named = [*paths]
    for list_path in files_from:
        named.extend(read_file_list(list_path))
    if not named:
        raise UsageError(
            "No documents given", hint="Name files or folders, or a file list with --files-from LIST."
        )
    return expand_paths(named, pattern=pattern, recursive=recursive)


@dataclass
class Prepared:
    """One input of the batch: its source once read and hashed, or why it could not be read."""

    index: int
    shown: str  # the path as given, or the name of in-memory bytes
    source: DocumentSource | None = None
    error: DocRelayError | None = None
    original: DocumentInput | None = field(default=None, repr=False)


def prepare(documents: Sequence[DocumentInput], *, workers: int = 4) -> list[Prepared]:
    """Open, check and hash every input (in parallel: this is file I/O); failures are kept per input."""

    def one(item: tuple[int, DocumentInput]) -> Prepared:
        index, document = item
        shown = "document" if isinstance(document, bytes) else _shown(document)
        try:
            source = document if isinstance(document, DocumentSource) else DocumentSource.open(document)
        except DocRelayError as exc:
            return Prepared(index, shown, error=exc, original=document)
        return Prepared(index, shown, source=source, original=document)

    if len(documents) <= 1 or workers <= 1:
        return [one(item) for item in enumerate(documents)]
    with ThreadPoolExecutor(max_workers=min(workers, 8), thread_name_prefix="docrelay-hash") as pool:
        return list(pool.map(one, enumerate(documents)))


def _shown(document: str | os.PathLike[str] | DocumentSource) -> str:
    if isinstance(document, DocumentSource):
        return document.source or document.name
    return os.fspath(document)
