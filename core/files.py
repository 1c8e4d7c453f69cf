"""Files the user hands us: written so that a reader never sees half of one (a temp file beside the
target, then one rename), and small text files read with a size cap and a known encoding."""

from __future__ import annotations

import codecs
import errno
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from core.errors import DocRelayError, UsageError


def write_text_atomic(path: Path, text: str, *, newline: str | None = "\n", encoding: str = "utf-8") -> None:
    """Replace `path` with `text` in one step. On any failure the old file is untouched and no temp
    file is left. New files are private to the user (mkstemp's mode 0600 on POSIX).

    A symbolic link is followed (the link stays, the file it points to is replaced); a pipe, device or
    socket is never replaced: OSError."""
    path = regular_file_target(path)
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


def regular_file_target(path: str | os.PathLike[str]) -> Path:
    """The file that writing to `path` should replace: links followed; OSError when it exists and is
    not a regular file (a pipe, a device, a socket, a folder), since replacing those breaks them."""
    target = Path(os.path.realpath(Path(path).expanduser()))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else special_file_kind(mode)
        raise OSError(errno.EPERM, f"it is {kind}, not a regular file; docrelay writes only regular files")
    return target


def special_file_kind(mode: int) -> str:
    """What a non-regular, non-folder file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def read_small_text(
    path: str | os.PathLike[str], *, limit: int, what: str, error: type[DocRelayError], hint: str
) -> str:
    """The text of a small file the user points us at (an arguments file, a file list, a model file).

    Reads at most `limit` bytes, so `/dev/zero` or a huge file is refused (UsageError) instead of filling
    memory. UTF-8 (with or without BOM) and UTF-16 with a BOM (what Windows tools write) are accepted.
    `-` is standard input. Other problems raise `error` with `hint`.
    """
    shown = os.fspath(path)
    try:
        if shown == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(shown).expanduser().open("rb") as handle:
                data = handle.read(limit + 1)
    except IsADirectoryError:
        raise error(f"Cannot read {what} {shown}: it is a folder, not a file", hint=hint) from None
    except FileNotFoundError:
        raise error(f"Cannot read {what} {shown}: it does not exist", hint=hint) from None
    except OSError as exc:
        raise error(f"Cannot read {what} {shown}: {exc.strerror or exc}", hint=hint) from None
    if len(data) > limit:
        raise UsageError(
            f"Refused {what} {shown}: it is larger than {limit // 1024} KB, more than docrelay reads",
            hint=f"Check that {shown} is the intended file (not a device or a data file).",
        )
    return decode_text(data, shown, what=what, error=error, hint=hint)


def decode_text(data: bytes, shown: str, *, what: str, error: type[DocRelayError], hint: str) -> str:
    """UTF-16 when it starts with a BOM, else UTF-8 (a BOM is dropped)."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"Cannot read {what} {shown}: it is not UTF-8 or UTF-16 text (bad byte at position {exc.start})",
            hint=f"Save it as UTF-8. {hint}",
        ) from None
    if "\x00" in text:
        raise error(f"Cannot read {what} {shown}: it is binary data, not text", hint=hint)
    return text


def parse_json_text(text: str) -> Any:
    """json.loads that also turns absurd nesting (which exhausts Python's recursion) into a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
