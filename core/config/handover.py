"""Settings handed over by the caller for this process only: `docrelay --secrets-stdin`.

An RPA tool that can pipe writes one JSON object of settings to docrelay's standard input, e.g.
`{"client_id": "my-app", "client_secret": "..."}`. Nothing lands in a command line, an environment
block, the registry or a file. The values rank just below explicit arguments:
argument > handed-over > environment > profile file > provider fallbacks > default.

Reading stops at the end of the first complete JSON object, so a caller that keeps the pipe open (a
PAD "CMD session") gets the rest of its input back. Malformed input is a UsageError (exit code 2)
whose message names keys, never values; secret values are registered for redaction at once.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from core.config.schema import GLOBAL_SETTINGS, TUNING_SETTINGS, all_specs
from core.errors import UsageError
from core.redact import register_secret

HANDOVER_ORIGIN = "standard input (--secrets-stdin)"
MAX_HANDOVER_BYTES = 64 * 1024  # far above any set of credentials; bounds what a runaway pipe can cost

_EXAMPLE = '{"client_id": "my-app", "client_secret": "..."}'
_lock = threading.Lock()
_handed_over: Mapping[str, Any] = MappingProxyType({})


def read_handover(read_byte: Callable[[], bytes], *, limit: int = MAX_HANDOVER_BYTES) -> dict[str, Any]:
    """Read one JSON object of settings, byte by byte, up to its end (or the end of input), and check it.

    `read_byte` returns the next byte, or b"" at the end of input. Byte-wise reading never takes
    input meant for whoever reads the pipe after docrelay.
    """
    buffer = bytearray()
    while True:
        byte = read_byte()
        if not byte:
            break
        buffer += byte
        if len(buffer) > limit:
            raise UsageError(
                f"--secrets-stdin: more than {limit // 1024} KiB on standard input",
                hint=f"Pipe one small JSON object of settings, e.g. {_EXAMPLE}.",
            )
        if byte == b"\n" and buffer.rstrip().endswith(b"}") and _is_complete_object(buffer):
            break
    return parse_handover(bytes(buffer))


def read_handover_from_fd(fd: int, *, limit: int = MAX_HANDOVER_BYTES) -> dict[str, Any]:
    """read_handover() on a file descriptor (the CLI passes standard input's)."""
    return read_handover(lambda: os.read(fd, 1), limit=limit)


def parse_handover(raw: bytes) -> dict[str, Any]:
    """The settings of one JSON object (UTF-8, a BOM allowed), checked; secret values registered."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            "--secrets-stdin: standard input is not UTF-8 text",
            hint=f"Write the settings as UTF-8 JSON, e.g. {_EXAMPLE}.",
        ) from None
    if not text.strip():
        raise UsageError(
            "--secrets-stdin was given but nothing came on standard input",
            hint=f"Pipe a JSON object of settings into docrelay, e.g. {_EXAMPLE}.",
        )
    try:
        data = json.loads(text)
    except RecursionError:
        raise UsageError(
            "--secrets-stdin: standard input is nested too deeply to be a JSON object of settings",
            hint=f"Pipe one flat JSON object, e.g. {_EXAMPLE}.",
        ) from None
    except json.JSONDecodeError as exc:
        # The position only: the text itself may hold a secret.
        raise UsageError(
            f"--secrets-stdin: standard input is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno})",
            hint=f"Pipe one JSON object, e.g. {_EXAMPLE}.",
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"--secrets-stdin: standard input must hold a JSON object, not {_json_type(data)}",
            hint=f"Pipe one JSON object of settings, e.g. {_EXAMPLE}.",
        )
    return _checked(data)


def use_handover(settings: Mapping[str, Any]) -> None:
    """Make `settings` (from parse_handover) a source of every later resolve_settings() in this process."""
    global _handed_over
    with _lock:
        _handed_over = MappingProxyType(dict(settings))


def handed_over() -> Mapping[str, Any]:
    """The settings handed over to this process; empty unless use_handover() was called."""
    return _handed_over


def clear_handover() -> None:
    use_handover({})


# -- checks ---------------------------------------------------------------------------------------
def _is_complete_object(buffer: bytearray) -> bool:
    try:
        return isinstance(json.loads(buffer.decode("utf-8-sig")), dict)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    specs = all_specs()
    known = {name for spec in specs for name in spec.settings} | set(TUNING_SETTINGS)
    secret_names = {name for spec in specs for name in spec.secrets}
    for key, value in data.items():  # masked first, whatever else is wrong with the input
        if key in secret_names and isinstance(value, str):
            register_secret(value.strip("\r\n"))
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key in GLOBAL_SETTINGS and key not in TUNING_SETTINGS:
            raise UsageError(
                f"--secrets-stdin: {key!r} cannot be handed over on standard input",
                hint=f"Give --{key} on the command line or in the arguments file.",
            )
        if key not in known:
            raise UsageError(
                f"--secrets-stdin: unknown setting {key!r}",
                hint="Use the setting names of `docrelay config show`, e.g. client_id, client_secret, "
                "api_key, token, timeout.",
            )
        if isinstance(value, (dict, list)):
            raise UsageError(
                f"--secrets-stdin: setting {key!r} must be one text or number, not "
                f"{'an object' if isinstance(value, dict) else 'an array'}",
                hint='Give each setting one value, e.g. "client_secret": "...".',
            )
        if value is not None:
            settings[key] = value
    return settings
