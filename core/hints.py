"""Hints that name what a user can change, worded by the front end in charge of the process.

Core writes `setting("model")` where a hint names an argument; when the error is created the mark is
worded for the front end that runs: the command line says `--model`, Robot Framework and Python callers
`model=` (a keyword or library argument), and `docrelay-excel` also names the workbook's Settings sheet
where the setting has a row there. A front end calls `use_front_end()` once at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_OPEN, _CLOSE = "\u27e6", "\u27e7"
_MARK = re.compile(f"{_OPEN}([a-z_]+)(?:=([^{_CLOSE}]*))?{_CLOSE}")


def _cli(name: str, value: str | None) -> str:
    flag = "--" + name.replace("_", "-")
    return f"{flag} {value}" if value else flag


def _keyword(name: str, value: str | None) -> str:
    return f"{name}={value or ''}"


# The settings a docrelay-excel workbook carries on its Settings sheet (core.workbook.layout.SETTINGS_ROWS;
# a test keeps the two in step, as core's lowest layer imports nothing above it).
WORKBOOK_SETTINGS = frozenset({"provider", "model", "folder"})


def _excel(name: str, value: str | None) -> str:
    flag = _cli(name, value)
    return f"{flag} (or {name} on the workbook's Settings sheet)" if name in WORKBOOK_SETTINGS else flag


FRONT_ENDS: dict[str, Callable[[str, str | None], str]] = {
    "cli": _cli,
    "excel": _excel,
    "robot": _keyword,
    "python": _keyword,
}
_current: Callable[[str, str | None], str] = _keyword


def setting(name: str, value: str | None = None) -> str:
    """A mark for the argument `name` (e.g. "model"), with an example `value`; worded when the error is
    created: `--model 12` on the command line, `model=12` for Robot Framework and Python."""
    return f"{_OPEN}{name}={value}{_CLOSE}" if value else f"{_OPEN}{name}{_CLOSE}"


def use_front_end(name: str) -> None:
    """Word every later hint for this front end ("cli", "excel", "robot" or "python")."""
    global _current
    _current = FRONT_ENDS[name]


def word(text: str) -> str:
    """`text` with each setting mark in the current front end's words."""
    if _OPEN not in text:
        return text
    return _MARK.sub(lambda match: _current(match.group(1), match.group(2)), text)
