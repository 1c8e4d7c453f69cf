"""The `docrelay` command: parse arguments, call core, print exactly one JSON document.

Thin on purpose: every decision about documents, providers and results lives in core. This module
only turns argv (or an --args-file) into a core call and the outcome into the CONTRACT section 5
envelope and exit code. Heavy modules are imported inside the commands so `--version` stays fast.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core._version import __version__
from core.envelope import (
    check_output_path,
    emit,
    envelope,
    failure_envelope,
    setup_logging,
    utf8_console,
    version_envelope,
)
from core.errors import UsageError
from core.hints import use_front_end
from uipath_activity.args import PROG, ArgumentsError, build_parser, expand_args_file
from uipath_activity.commands import COMMANDS

__all__ = ["build_parser", "main"]


def _hand_over_stdin_settings(args: Any) -> None:
    """--secrets-stdin: read the piped JSON object and hand it to core's configuration (never argv)."""
    from core.config import read_handover_from_fd, use_handover

    if getattr(args, "stdin", False) or "-" in getattr(args, "files_from", []):
        raise UsageError(
            "--secrets-stdin cannot share standard input with --stdin or --files-from -",
            hint="Hand the settings over on standard input, and give the other input as a file.",
        )
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(
            "--secrets-stdin was given, but standard input is a terminal, not a pipe",
            hint='Pipe the settings into docrelay, e.g. {"client_secret": "..."}; docrelay never prompts.',
        )
    use_handover(read_handover_from_fd(sys.stdin.fileno()))


def _print_text(text: str) -> int:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    utf8_console()
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw in (["--version"], ["-V"]):  # fast path: no parser, no core import
        if sys.stdout.isatty():
            return _print_text(f"{PROG} {__version__}")
        return _print_text(json.dumps(version_envelope()))
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
            return emit(envelope("version", started, {"version": __version__}))
        if not args.command:
            raise UsageError(
                "No command given", hint="Run `docrelay --help`; e.g. `docrelay extract invoice.pdf`."
            )
        command = args.command
        if args.command in ("config", "review"):
            command += " " + getattr(args, f"{args.command}_command")
        if args.output:
            output = check_output_path(args.output)
        setup_logging(args.verbose)
        if args.secrets_stdin:
            _hand_over_stdin_settings(args)
        data = COMMANDS[args.command](args)
        # The process ends after this line: spare the interpreter its final collection, a walk over
        # every object left (about 0.1 s after a large batch).
        gc.freeze()
        return emit(envelope(command, started, data), output)
    except (KeyboardInterrupt, Exception) as exc:  # anything else is a bug: logged, reported as one
        return emit(failure_envelope(command, started, exc, program=PROG), output)


if __name__ == "__main__":
    sys.exit(main())
