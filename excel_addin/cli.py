"""The `docrelay-excel` command: workbooks that fill themselves.

    docrelay-excel new BOOK.xlsx [--provider P] [--model M] [--folder DIR]
    docrelay-excel run BOOK.xlsx [--folder DIR] [--provider P] [--model M] [--concurrency N]
                                 [--rerun failed|all]
    docrelay-excel serve [--port N]     the local HTTPS bridge of the Office add-in (127.0.0.1 only)
    docrelay-excel install-addin [--uninstall] [--autostart] [--port N]
    docrelay-excel BOOK.xlsx            (a workbook dropped on docrelay-excel.exe: the same as `run`)

Stdout carries the same JSON envelope as `docrelay`, with the same exit codes, so bots can call it too;
people read the summary on stderr (and a progress bar on a terminal). Thin on purpose: the layout, the
planning and the file handling live in core.workbook.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

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
from core.errors import BatchFailedError, Interrupted, UsageError
from core.hints import use_front_end

PROG = "docrelay-excel"
COMMANDS = ("new", "run", "serve", "install-addin")


class _ArgumentsError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _ArgumentsError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Fill an Excel workbook with document-AI predictions: one row per document.",
        epilog="Exit codes as docrelay: 0 ok, 2 usage, 3 config, 4 input (not a usable workbook), "
        "5 auth, 7 rate/quota, 8 service, 9 network, 11 some documents failed, 130 interrupted.",
    )
    parser.add_argument("--version", action="store_true", help="print the version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    new = sub.add_parser("new", help="create a ready workbook (Documents, LineItems, Runs, Settings)")
    run = sub.add_parser("run", help="send the workbook's documents and write the predictions into it")
    for command in (new, run):
        command.add_argument("workbook", metavar="BOOK.xlsx")
        command.add_argument("--provider", help="cradl, contractfit, deepopinion or local")
        command.add_argument("--model", help="the model (default: the Settings sheet, then the provider's)")
        command.add_argument("--folder", metavar="DIR", help="a folder whose documents get rows")
        command.add_argument("--profile", help="profile in docrelay.toml")
        command.add_argument("--output", metavar="FILE", help="also write the JSON document to FILE")
        command.add_argument("--verbose", action="store_true", help="log to stderr")
    run.add_argument("--concurrency", type=int, metavar="N", help="documents in flight (default 4)")
    run.add_argument("--rerun", choices=("failed", "all"), help="send failed rows again, or every row")
    run.add_argument(
        "--journal",
        metavar="FILE|URL",
        help="batch journal: a file, or postgresql://USER@HOST/DB shared by robots (default: setting)",
    )
    run.add_argument("--timeout", type=float, metavar="S", help="seconds to wait for each job")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--review-below",
        type=float,
        metavar="X",
        help="send results with a field below X (0..1) or broken sums to the service's human review; "
        "the row gets status needs_review and a review_link, and is pulled again once reviewed",
    )
    run.add_argument(
        "--delete-after",
        action="store_true",
        help="delete each document on the service once its result is in",
    )
    serve = sub.add_parser("serve", help="the local HTTPS bridge of the Office add-in (127.0.0.1 only)")
    serve.add_argument("--port", type=int, metavar="N", help="port (default: the installed one, 47180)")
    serve.add_argument("--provider", help="cradl, contractfit, deepopinion or local (default: settings)")
    serve.add_argument("--model", help="the model pushes use (default: the provider's)")
    serve.add_argument("--profile", help="profile in docrelay.toml")
    serve.add_argument("--journal", metavar="FILE", help="batch journal (default: the user's data folder)")
    serve.add_argument("--concurrency", type=int, metavar="N", help="documents in flight (default 4)")
    serve.add_argument("--output", metavar="FILE", help="also write the JSON document to FILE")
    serve.add_argument("--verbose", action="store_true", help="log requests to stderr")
    addin = sub.add_parser("install-addin", help="manifest, certificate trust, sideloading (current user)")
    addin.add_argument("--uninstall", action="store_true", help="undo every step of the install")
    addin.add_argument("--autostart", action="store_true", help="start the bridge at login")
    addin.add_argument("--port", type=int, metavar="N", help="the bridge's port (default 47180)")
    addin.add_argument("--output", metavar="FILE", help="also write the JSON document to FILE")
    addin.add_argument("--verbose", action="store_true", help="log to stderr")
    return parser


def _cmd_new(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.services import Client
    from core.workbook.run import model_fields
    from core.workbook.xlsx import create_workbook

    with Client(args.provider, profile=args.profile) as client:
        fields, line_fields = model_fields(client, args.model)
        provider = client.provider_name
    settings = {"provider": provider, "model": args.model, "folder": args.folder}
    outcome = create_workbook(args.workbook, fields=fields, line_fields=line_fields, settings=settings)
    data = {
        "workbook": str(outcome.workbook),
        "provider": provider,
        "model": args.model,
        "folder": args.folder,
        "fields": [f.name for f in fields if f.type != "lines"],
        "line_item_columns": [f.name for f in line_fields],
    }
    note = "" if data["fields"] else " (field columns are added by the first run)"
    summary = f"Created {outcome.workbook}{note}.\nNext: docrelay-excel run {_quoted(outcome.workbook)}"
    return data, summary


def _cmd_run(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.batch.progress import ProgressBar
    from core.workbook.run import run_workbook

    bar: list[ProgressBar] = []

    def total(count: int) -> None:
        bar.append(ProgressBar(count, enabled=False if args.quiet else None))

    try:
        outcome = run_workbook(
            args.workbook,
            folder=args.folder,
            provider=args.provider,
            model=args.model,
            profile=args.profile,
            timeout=args.timeout,
            concurrency=args.concurrency,
            rerun=args.rerun,
            journal=args.journal,
            on_total=total,
            on_result=lambda result: bar[0].update(result),
            review_below=args.review_below,
            delete_after=args.delete_after or None,
        )
    finally:
        for progress in bar:
            progress.close()
    data = outcome.to_dict()
    if outcome.interrupted:
        raise Interrupted(
            f"Stopped with {outcome.summary['pending']} of {outcome.summary['total']} documents unfinished",
            hint="Run the same command again: nothing finished is sent again",
            details=data,
        )
    return data, _run_summary(data)


def _cmd_serve(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from excel_addin.bridge.serve import serve

    def ready(url: str, health: dict[str, Any]) -> None:
        model = f", model {health['model']}" if health.get("model") else ""
        _tell(
            f"docrelay bridge on {url} (provider {health['provider']}{model}; journal {health['journal']}).\n"
            "Open Excel, Home > docrelay. Ctrl+C stops the bridge; unfinished pushes resume at its next "
            "start."
        )

    data = serve(
        port=args.port,
        provider=args.provider,
        model=args.model,
        profile=args.profile,
        journal=args.journal,
        concurrency=args.concurrency,
        verbose=args.verbose,
        on_ready=ready,
    )
    return data, "docrelay bridge stopped."


def _cmd_install(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from excel_addin.bridge.install import install, uninstall

    if args.uninstall:
        if args.autostart or args.port:
            raise UsageError("--uninstall takes no other option", hint="Run install-addin --uninstall alone.")
        outcome = uninstall()
    else:
        outcome = install(port=args.port, autostart=args.autostart)
    lines = [
        f"{'Installed' if not args.uninstall else 'Uninstalled'} the docrelay add-in ({outcome.platform}):"
    ]
    lines += [f"  - {step}" for step in outcome.steps]
    lines += ["Next:"] + [f"  - {item}" for item in outcome.todo] if outcome.todo else []
    return outcome.to_dict(), "\n".join(lines)


def _run_summary(data: dict[str, Any]) -> str:
    summary = data["summary"]
    statuses = data.get("statuses", {})
    if not summary["total"]:
        return "Nothing to send: every row has its result (use --rerun all to send them again)."
    lines = [
        f"{summary['total']} document(s): {statuses.get('done', 0)} done, "
        f"{statuses.get('needs_review', 0)} need review, {summary['failed']} failed"
        + (f" ({data['from_journal']} from earlier runs, not paid again)" if data["from_journal"] else "")
    ]
    if data["workbook_updated"]:
        lines.append(f"Written to {data['written_to']}.")
    else:
        lines.append(f"Results written to {data['written_to']}")
        lines.append(f"because {data['reason']}.")
        lines.append("Close the workbook and run again: the results are kept and will be filled in.")
    return "\n".join(lines)


def _quoted(path: Path) -> str:
    text = str(path)
    return f'"{text}"' if " " in text else text


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    utf8_console()
    use_front_end("excel")  # hints say `--model (or model on the workbook's Settings sheet)`
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw in (["--version"], ["-V"]):
        sys.stdout.write(f"{PROG} {__version__}\n" if sys.stdout.isatty() else _json_line(version_envelope()))
        return 0
    if raw and raw[0] not in COMMANDS and not raw[0].startswith("-"):
        raw = ["run", *raw]  # a workbook dropped on the program
    command = PROG
    output: Path | None = None
    try:
        try:
            args = build_parser().parse_args(raw)
        except SystemExit as exc:  # --help
            return int(exc.code or 0)
        except _ArgumentsError as exc:
            raise UsageError(
                str(exc), hint=f"Run `{PROG} --help` for the commands and their options."
            ) from None
        if args.version:
            return emit(envelope("version", started, {"version": __version__}))
        if not args.command:
            raise UsageError("No command given", hint=f"E.g. `{PROG} new invoices.xlsx --folder invoices`.")
        command = args.command
        if args.output:
            output = check_output_path(args.output)
        setup_logging(args.verbose)
        handlers = {"new": _cmd_new, "run": _cmd_run, "serve": _cmd_serve, "install-addin": _cmd_install}
        data, summary = handlers[command](args)
        _tell(summary)
        if command == "run":
            BatchFailedError.raise_if_any(data["summary"], data)  # exit 11, as docrelay batch
        return _done(emit(envelope(command, started, data), output))
    except (KeyboardInterrupt, Exception) as exc:  # anything not a DocRelayError is a bug: logged as one
        document = failure_envelope(command, started, exc, program=PROG)
        _tell(f"{PROG}: {document['error']['message']}")
        return _done(emit(document, output))


def _json_line(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document) + "\n"


def _tell(text: str) -> None:
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.stderr.flush()


def _done(exit_code: int) -> int:
    """Started from Explorer (a workbook dropped on the exe), the console window would close at once:
    wait for Enter so the user can read the summary."""
    if _own_console_window():
        with contextlib.suppress(EOFError, OSError):
            input("Press Enter to close this window.")
    return exit_code


def _own_console_window() -> bool:
    """True on Windows when this process is the only one attached to its console (Explorer made it)."""
    if sys.platform != "win32" or not sys.stdin or not sys.stdin.isatty():
        return False
    import ctypes

    processes = (ctypes.c_uint * 4)()
    count = ctypes.windll.kernel32.GetConsoleProcessList(processes, 4)
    return bool(count == 1)


if __name__ == "__main__":
    sys.exit(main())
