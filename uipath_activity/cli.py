"""The `docrelay` command: parse arguments, call core, print exactly one JSON document.

Thin on purpose: every decision about documents, providers and results lives in core. This module
only turns argv (or an --args-file) into a core call and the outcome into the CONTRACT section 5
envelope and exit code. Heavy modules are imported inside the commands so `--version` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core._version import __version__
from core.errors import DocRelayError, InternalError, Interrupted, UsageError
from core.files import regular_file_target, write_text_atomic
from core.hints import use_front_end
from uipath_activity.args import PROG, ArgumentsError, build_parser, expand_args_file
from uipath_activity.commands import COMMANDS

__all__ = ["build_parser", "main"]


# -- output -------------------------------------------------------------------------------------
def _envelope(
    command: str, started: float, data: Any = None, error: DocRelayError | None = None
) -> dict[str, Any]:
    meta = {"version": __version__, "elapsed_ms": round((time.perf_counter() - started) * 1000)}
    if error is None:
        return {"ok": True, "command": command, "data": data, "meta": meta}
    out: dict[str, Any] = {"ok": False, "command": command, "error": error.to_dict()}
    details = out["error"].pop("details", None)
    if details:
        out["data"] = details
    out["meta"] = meta
    return out


def _check_output_path(path: str) -> Path:
    """Where --output goes, checked before any work: a link is followed to its file; a folder, pipe or
    device is refused (replacing it would break it)."""
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


def _emit(document: dict[str, Any], output: Path | None) -> int:
    exit_code = 0 if document["ok"] else int(document["error"]["exit_code"])
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
    # ASCII JSON: safe whatever code page the calling RPA tool decodes stdout with.
    sys.stdout.write(json.dumps(document, ensure_ascii=True) + "\n")
    sys.stdout.flush()
    return exit_code


def _setup_logging(verbose: bool) -> None:
    """Warnings (or everything, with --verbose) to stderr; tracebacks of bugs to a log file. Both redacted."""
    import logging

    from core.redact import RedactingFilter

    logger = logging.getLogger("docrelay")
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)


def _log_internal_error(exc: BaseException) -> str:
    import logging
    import traceback

    from core.redact import redact_text

    try:
        from platformdirs import user_log_dir

        folder = Path(os.environ.get("DOCRELAY_LOG_DIR") or user_log_dir("docrelay", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        log_path = folder / "docrelay.log"
        with log_path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} docrelay {__version__}\n")
            handle.write(redact_text("".join(traceback.format_exception(exc))))
        return str(log_path)
    except OSError:
        logging.getLogger("docrelay").debug("could not write the error log", exc_info=True)
        return "(no log file could be written)"


def _print_text(text: str) -> int:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(encoding="utf-8", errors="replace")
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw in (["--version"], ["-V"]):  # fast path: no parser, no core import
        if sys.stdout.isatty():
            return _print_text(f"{PROG} {__version__}")
        return _print_text(
            json.dumps(
                {
                    "ok": True,
                    "command": "version",
                    "data": {"version": __version__},
                    "meta": {"version": __version__, "elapsed_ms": 0},
                }
            )
        )
    use_front_end("cli")  # hints say `--model`, not `model=`
    command = "docrelay"
    output: Path | None = None
    try:
        try:
            parser = build_parser()
            if any(a in ("-h", "--help") for a in raw) and sys.stdout.isatty():
                parser.parse_args(raw)  # argparse prints the help and exits 0
            expanded = expand_args_file(raw, parser)
            args = parser.parse_args(expanded)
        except SystemExit as exc:  # --help printed by argparse
            return int(exc.code or 0)
        except ArgumentsError as exc:
            raise UsageError(
                str(exc), hint="Run `docrelay --help` for the commands and their options."
            ) from None
        if args.version:
            return _emit(_envelope("version", started, {"version": __version__}), None)
        if not args.command:
            raise UsageError(
                "No command given", hint="Run `docrelay --help`; e.g. `docrelay extract invoice.pdf`."
            )
        command = args.command
        if args.command in ("config", "review"):
            command += " " + getattr(args, f"{args.command}_command")
        if args.output:
            output = _check_output_path(args.output)
        _setup_logging(args.verbose)
        data = COMMANDS[args.command](args)
        return _emit(_envelope(command, started, data), output)
    except KeyboardInterrupt:
        interrupted = Interrupted("Interrupted", hint="Run the same command again to continue.")
        return _emit(_envelope(command, started, error=interrupted), output)
    except DocRelayError as exc:
        return _emit(_envelope(command, started, error=exc), output)
    except Exception as exc:  # a bug: report it as one, with the log's location
        log_path = _log_internal_error(exc)
        bug = InternalError(
            f"docrelay hit an internal error (a bug): {type(exc).__name__}",
            hint=f"The details are in {log_path}; please report it with that file.",
        )
        return _emit(_envelope(command, started, error=bug), output)


if __name__ == "__main__":
    sys.exit(main())
