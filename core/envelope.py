"""The JSON envelope every docrelay program prints (CONTRACT section 5), and its exit code.

    {"ok": true,  "command": "extract", "data": {...},                    "meta": {...}}
    {"ok": false, "command": "extract", "error": {...}, "data": {...}?,   "meta": {...}}

Shared by the `docrelay` command and `docrelay-excel`, so both answer a bot the same way. Front ends
call `failure_envelope` for whatever stopped them: a docrelay error keeps its type and exit code, Ctrl+C
becomes `interrupted` (130), and anything else is reported as a bug (1) with its traceback in a log file,
never on the console.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from core._version import __version__
from core.errors import DocRelayError, InternalError, Interrupted, UsageError
from core.files import regular_file_target, write_text_atomic

Envelope = dict[str, Any]


def _meta(started: float) -> dict[str, Any]:
    return {"version": __version__, "elapsed_ms": round((time.perf_counter() - started) * 1000)}


def envelope(command: str, started: float, data: Any = None, error: DocRelayError | None = None) -> Envelope:
    """The document for one command: `data` on success, else `error` (its details become `data`)."""
    if error is None:
        return {"ok": True, "command": command, "data": data, "meta": _meta(started)}
    out: Envelope = {"ok": False, "command": command, "error": error.to_dict()}
    details = out["error"].pop("details", None)
    if details:
        out["data"] = details
    out["meta"] = _meta(started)
    return out


def version_envelope() -> Envelope:
    """`--version` as JSON, without timing (the fast path imports nothing else)."""
    return {
        "ok": True,
        "command": "version",
        "data": {"version": __version__},
        "meta": {"version": __version__, "elapsed_ms": 0},
    }


def failure_envelope(command: str, started: float, exc: BaseException, *, program: str) -> Envelope:
    """The envelope for whatever stopped a command; an unexpected exception is logged as a bug."""
    if isinstance(exc, KeyboardInterrupt):
        exc = Interrupted("Interrupted", hint="Run the same command again to continue.")
    if not isinstance(exc, DocRelayError):
        log_path = log_internal_error(exc, program=program)
        exc = InternalError(
            f"{program} hit an internal error (a bug): {type(exc).__name__}",
            hint=f"The details are in {log_path}; please report it with that file.",
        )
    return envelope(command, started, error=exc)


def exit_code_of(document: Envelope) -> int:
    return 0 if document["ok"] else int(document["error"]["exit_code"])


def emit(document: Envelope, output: Path | None = None, *, stream: TextIO | None = None) -> int:
    """Print the document as one line of ASCII JSON (safe whatever code page the caller decodes with),
    after writing it to `output` if given (atomically); return the exit code."""
    exit_code = exit_code_of(document)
    if output is not None:
        try:
            write_text_atomic(output, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        except OSError as exc:
            error = UsageError(
                f"Cannot write --output {output}: {exc.strerror or exc}",
                hint="Choose a path in a folder you can write to; no partial file was left.",
            )
            document = {
                "ok": False,
                "command": document["command"],
                "error": error.to_dict(),
                "meta": document["meta"],
            }
            exit_code = error.exit_code
    out = stream or sys.stdout
    out.write(json.dumps(document, ensure_ascii=True) + "\n")
    out.flush()
    return exit_code


def check_output_path(path: str) -> Path:
    """Where --output goes, checked before any work: a link is followed to its file; a folder, pipe or
    device is refused (replacing it would break it). A UsageError when it cannot be written."""
    shown = Path(path).expanduser()
    try:
        target = regular_file_target(shown)
    except OSError as exc:
        raise UsageError(
            f"Cannot write --output {path}: {exc.strerror or exc}",
            hint="Give the name of a regular file for the JSON output (or leave --output out: "
            "the JSON is always printed).",
        ) from None
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(
            f"Cannot write --output {path}: the folder {shown.parent} does not exist",
            hint="Create the folder first or choose another path.",
        )
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(
            f"Cannot write --output {path}: permission denied",
            hint="Choose a path in a folder you can write to.",
        )
    return target


def log_internal_error(exc: BaseException, *, program: str = "docrelay") -> str:
    """Append the (redacted) traceback of a bug to docrelay.log; return the log's path."""
    import logging
    import traceback

    from core.redact import redact_text

    try:
        from platformdirs import user_log_dir

        folder = Path(os.environ.get("DOCRELAY_LOG_DIR") or user_log_dir("docrelay", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        log_path = folder / "docrelay.log"
        with log_path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {program} {__version__}\n")
            handle.write(redact_text("".join(traceback.format_exception(exc))))
        return str(log_path)
    except OSError:
        logging.getLogger("docrelay").debug("could not write the error log", exc_info=True)
        return "(no log file could be written)"


def setup_logging(verbose: bool) -> None:
    """Warnings (or everything, with --verbose) to stderr, redacted."""
    import logging

    from core.redact import RedactingFilter

    logger = logging.getLogger("docrelay")
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)


def utf8_console() -> None:
    """stdout and stderr as UTF-8 (a file name in a message must not crash a cp1252 console)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(encoding="utf-8", errors="replace")
