"""The `docrelay` command: parse arguments, call core, print exactly one JSON document.

Thin on purpose: every decision about documents, providers and results lives in core. This module
only turns argv (or an --args-file) into a core call and the outcome into the CONTRACT section 5
envelope and exit code. Heavy modules are imported inside the commands so `--version` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from core._version import __version__
from core.errors import BatchFailedError, DocRelayError, InternalError, Interrupted, UsageError
from core.files import write_text_atomic

if TYPE_CHECKING:
    from core.providers.base import PredictOptions
    from core.services import Client

PROG = "docrelay"


class _ArgumentError(Exception):
    """argparse's complaint, carried to main() so it becomes a JSON usage error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _ArgumentError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise _ArgumentError(message.strip())
        raise SystemExit(status)


def _add_globals(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument("--provider", default=default, help="cradl, contractfit, deepopinion or local")
    group.add_argument("--profile", default=default, help="profile in docrelay.toml")
    group.add_argument(
        "--output", default=default, metavar="FILE", help="also write the JSON document to FILE"
    )
    group.add_argument("--args-file", default=default, metavar="FILE", help="JSON file of arguments")
    group.add_argument(
        "--timeout", default=default, type=float, metavar="S", help="seconds to wait for a job"
    )
    group.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="log to stderr",
    )


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    _add_globals(common, suppress=True)
    parser = _Parser(
        prog=PROG,
        description="Send documents to document-AI services and get predictions back as JSON.",
        epilog="Exit codes: 0 ok, 2 usage, 3 config, 4 input, 5 auth, 6 not found, 7 rate/quota, "
        "8 service, 9 network, 10 timeout, 11 batch with failures, 1 internal.",
    )
    _add_globals(parser, suppress=False)
    parser.add_argument("--version", action="store_true", help="print the version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    p = command("extract", "upload, predict and wait; one result per file")
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_prediction_options(p)

    p = command("submit", "start a job and return its handle at once")
    p.add_argument("file", metavar="FILE")
    _add_prediction_options(p)

    p = command("status", "the state of a submitted job")
    p.add_argument("job", metavar="JOB", help="the job handle printed by submit")

    p = command("result", "the result of a submitted job")
    p.add_argument("job", metavar="JOB", help="the job handle printed by submit")
    p.add_argument("--wait", action="store_true", help="wait until the job finishes (up to --timeout)")

    p = command("batch", "process many documents: files, folders, or lists")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, or folders searched recursively")
    p.add_argument("--glob", default="*", help="file name pattern inside folders (default: all documents)")
    p.add_argument(
        "--files-from",
        action="append",
        default=[],
        metavar="LIST",
        help="file of paths, one a line (-: stdin)",
    )
    p.add_argument("--concurrency", type=int, default=None, metavar="N", help="calls in flight (default 4)")
    p.add_argument("--journal", metavar="FILE", help="journal file (default: in the user data folder)")
    p.add_argument("--rate-limit", type=float, default=None, metavar="RPS", help="requests per second")
    p.add_argument("--ndjson", action="store_true", help="one JSON line per document as each finishes")
    p.add_argument("--csv", metavar="FILE", help="one row per document; line items to FILE.line_items.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    _add_prediction_options(p)

    p = command("review", "human review workflows (cradl): start, get, list, complete")
    review_sub = p.add_subparsers(
        dest="review_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    q = review_sub.add_parser("start", help="upload a document and start a review workflow", parents=[common])
    q.add_argument("file", metavar="FILE")
    q.add_argument("--workflow", required=True, help="workflow id")
    q.add_argument("--title", help="title shown to the reviewer (default: the file name)")
    q = review_sub.add_parser("get", help="one review, by the id `review start` printed", parents=[common])
    q.add_argument("review_id", metavar="ID")
    q.add_argument("--wait", action="store_true", help="wait until the review finishes (up to --timeout)")
    q = review_sub.add_parser("list", help="reviews of a workflow", parents=[common])
    q.add_argument("--workflow", required=True)
    q.add_argument("--status", help="e.g. succeeded, running, failed, completed")
    q.add_argument("--max", type=int, default=100, help="at most this many (default 100)")
    q = review_sub.add_parser("complete", help="mark a finished review as consumed", parents=[common])
    q.add_argument("review_id", metavar="ID")

    command("models", "list the models the credentials can use")
    command("doctor", "check configuration, credentials, network and TLS")

    p = command("analyze", "tag texts with a text model (deepopinion): segments of class and label")
    p.add_argument("files", nargs="*", metavar="FILE", help=".txt (one text) or .csv (one text per row)")
    p.add_argument("--text", action="append", default=[], metavar="TEXT", help="a text, repeatable")
    p.add_argument("--model", help="text model id")
    p.add_argument("--column", help="CSV column with the text: name or 0-based position (default: 'text')")
    p.add_argument("--per-line", action="store_true", help="each non-empty line of a .txt file is one text")
    p.add_argument("--no-split", action="store_true", help="do not cut texts into sentences")

    p = command("config", "show or change settings")
    config_sub = p.add_subparsers(
        dest="config_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    config_sub.add_parser("show", help="resolved settings, secrets masked", parents=[common])
    q = config_sub.add_parser("set", help="store a setting in the profile", parents=[common])
    q.add_argument("key")
    q.add_argument("value")
    q = config_sub.add_parser(
        "set-secret", help="store a secret in the OS credential store", parents=[common]
    )
    q.add_argument("key")
    q.add_argument("value", nargs="?", help="the secret (prefer --stdin: command lines end up in logs)")
    q.add_argument("--stdin", action="store_true", help="read the secret from standard input")
    return parser


def _add_prediction_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model id, or a fieldConfig JSON file for the local provider")
    parser.add_argument("--pages", help="only these pages, 0-based, e.g. 0,1,-1")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a provider option, repeatable (see the provider's docs)",
    )


# -- arguments files ------------------------------------------------------------------------------
_POSITIONAL_KEYS = ("files", "file", "paths", "job", "key", "value")


def _args_file_tokens(path: str) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(
            f"Cannot read the arguments file {path}: {exc.strerror or exc}",
            hint="Check the --args-file path.",
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"The arguments file {path} is not valid JSON: {exc.msg} "
            f"at line {exc.lineno}, column {exc.colno}",
            hint='Write one JSON object, e.g. {"command": "extract", "files": ["invoice.pdf"]}.',
        ) from exc
    if not isinstance(data, dict):
        raise UsageError(
            f"The arguments file {path} must hold a JSON object, not {type(data).__name__}",
            hint='Write e.g. {"command": "extract", "files": ["invoice.pdf"]}.',
        )
    tokens: list[str] = []
    command = data.pop("command", None)
    if command is not None:
        tokens.extend(command.split() if isinstance(command, str) else [str(c) for c in command])
    positionals: list[str] = []
    for key in _POSITIONAL_KEYS:
        value = data.pop(key, None)
        if value is None:
            continue
        positionals.extend(str(v) for v in value) if isinstance(value, list) else positionals.append(
            str(value)
        )
    for key, value in data.items():
        option = "--" + str(key).replace("_", "-")
        if value is True:
            tokens.append(option)
        elif value in (False, None):
            continue
        elif isinstance(value, (list, dict)):
            raise UsageError(
                f"The arguments file {path} gives {key!r} a {type(value).__name__}",
                hint="Options take one value: a string or a number.",
            )
        else:
            tokens.extend([option, str(value)])
    return tokens + positionals


def _expand_args_file(argv: list[str]) -> list[str]:
    """Replace `--args-file F` with the arguments it holds; the command line wins where both give one."""
    for index, token in enumerate(argv):
        if token == "--args-file" or token.startswith("--args-file="):
            if "=" in token:
                path, rest = token.split("=", 1)[1], argv[index + 1 :]
            elif index + 1 < len(argv):
                path, rest = argv[index + 1], argv[index + 2 :]
            else:
                raise _ArgumentError("argument --args-file: expected one argument")
            before = argv[:index]
            from_file = _args_file_tokens(path)
            if before and not before[0].startswith("-"):
                # A command on the command line: drop the file's copy of it.
                command_words = [before[0]] + (
                    [before[1]] if before[0] == "config" and len(before) > 1 else []
                )
                if from_file[: len(command_words)] == command_words:
                    from_file = from_file[len(command_words) :]
                return command_words + from_file + before[len(command_words) :] + rest
            return from_file + before + rest
    return argv


# -- commands -----------------------------------------------------------------------------------
def _options(args: argparse.Namespace) -> PredictOptions:
    from core.providers.base import PredictOptions

    return PredictOptions.parse(pages=args.pages, options=args.option)


def _client(args: argparse.Namespace) -> Client:
    from core.services import Client

    return Client(provider=args.provider, profile=args.profile, timeout=args.timeout)


def _cmd_extract(args: argparse.Namespace) -> tuple[Any, int]:
    from core.services import summarize

    with _client(args) as client:
        if len(args.files) == 1:
            return client.extract(args.files[0], model=args.model, options=_options(args)).to_dict(), 0
        results = client.extract_many(args.files, model=args.model, options=_options(args))
    summary = summarize(results)
    return {"summary": summary, "results": [r.to_dict() for r in results]}, (11 if summary["failed"] else 0)


def _cmd_submit(args: argparse.Namespace) -> tuple[Any, int]:
    with _client(args) as client:
        job = client.submit(args.file, model=args.model, options=_options(args))
    return {
        "job": job.encode(),
        "status": "pending",
        "provider": job.provider,
        "model": job.model,
        "prediction_id": job.prediction_id,
        "document": job.document.model_dump(mode="json"),
    }, 0


def _job_client(args: argparse.Namespace) -> Client:
    """The handle knows its provider and profile: --provider is needed only to override them."""
    if args.provider:
        return _client(args)
    from core.services import Client

    return Client.for_job(args.job, profile=args.profile, timeout=args.timeout)


def _cmd_status(args: argparse.Namespace) -> tuple[Any, int]:
    with _job_client(args) as client:
        return client.status(args.job).to_dict(), 0


def _cmd_result(args: argparse.Namespace) -> tuple[Any, int]:
    from core.services import raise_if_failed

    with _job_client(args) as client:
        result = client.result(args.job, wait=args.wait)
    raise_if_failed(result)
    return result.to_dict(), 0


def _cmd_batch(args: argparse.Namespace) -> tuple[Any, int]:
    from core.batch import collect_paths
    from core.batch.progress import ProgressBar
    from core.services import Client
    from core.tabular import check_csv_target, write_results_csv

    if args.csv:
        check_csv_target(args.csv)
    paths = collect_paths(args.paths, pattern=args.glob, files_from=args.files_from)
    progress = ProgressBar(len(paths), enabled=False if args.quiet else None)

    def finished(result: Any) -> None:
        progress.update(result)
        if args.ndjson:  # one line per document now; the envelope still comes last
            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=True) + "\n")
            sys.stdout.flush()

    tuning = {"rate_limit": args.rate_limit} if args.rate_limit is not None else None
    try:
        with Client(args.provider, profile=args.profile, timeout=args.timeout, settings=tuning) as client:
            outcome = client.batch(
                paths,
                model=args.model,
                options=_options(args),
                concurrency=args.concurrency,
                journal=args.journal,
                on_result=finished,
            )
    finally:
        progress.close()
    data: dict[str, Any] = {
        "summary": outcome.summary,
        "from_journal": outcome.from_journal,
        "journal": outcome.journal,
    }
    if args.csv:
        documents, lines = write_results_csv(outcome.results, args.csv)
        data["csv"] = {"documents": str(documents), "line_items": str(lines)}
    if not args.ndjson:
        data["results"] = [r.to_dict() for r in outcome.results]
    if outcome.interrupted:
        summary = outcome.summary
        raise Interrupted(
            f"Stopped with {summary['pending']} of {summary['total']} documents unfinished",
            hint="Run the same command again: nothing finished is sent again, unfinished documents resume",
            details=data,
        )
    return data, (11 if outcome.summary["failed"] else 0)


def _cmd_review(args: argparse.Namespace) -> tuple[Any, int]:
    with _client(args) as client:
        action = args.review_command
        if action == "start":
            review = client.review_start(args.file, workflow=args.workflow, title=args.title)
        elif action == "get":
            review = client.review_wait(args.review_id) if args.wait else client.review(args.review_id)
        elif action == "complete":
            review = client.review_complete(args.review_id)
        else:
            found = client.reviews(args.workflow, status=args.status, limit=args.max)
            return {"reviews": [r.model_dump(mode="json") for r in found]}, 0
    return review.model_dump(mode="json"), 0


def _cmd_models(args: argparse.Namespace) -> tuple[Any, int]:
    with _client(args) as client:
        return {
            "provider": client.provider_name,
            "models": [m.model_dump(mode="json") for m in client.models()],
        }, 0


def _cmd_analyze(args: argparse.Namespace) -> tuple[Any, int]:
    if not args.files and not args.text:
        raise UsageError("Nothing to analyze", hint='Give .txt or .csv files, or --text "..." (repeatable).')
    with _client(args) as client:
        result = client.analyze(
            args.files,
            texts=args.text,
            model=args.model,
            column=args.column,
            per_line=args.per_line,
            split=not args.no_split,
        )
    return result.to_dict(), 0


def _cmd_doctor(args: argparse.Namespace) -> tuple[Any, int]:
    from core.errors import error_class_for_type

    with _client(args) as client:
        checks = client.doctor()
    data = {"provider": client.provider_name, "checks": [c.model_dump(mode="json") for c in checks]}
    failed = [c for c in checks if not c.ok]
    if failed:
        error_cls = error_class_for_type(failed[0].error_type)
        raise error_cls(
            f"{len(failed)} of {len(checks)} checks failed; first: {failed[0].name}: {failed[0].detail}",
            details=data,
        )
    return data, 0


def _cmd_config(args: argparse.Namespace) -> tuple[Any, int]:
    from core import config

    if args.config_command == "show":
        # Display only: keyring references are shown, not read, so a locked store cannot break `show`.
        settings = config.resolve_settings(
            args.provider, args.profile, {"timeout": args.timeout}, read_keyring=False
        )
        return settings.shown(), 0
    if args.config_command == "set":
        return config.set_value(args.key, args.value, profile=args.profile, provider=args.provider), 0
    secret = args.value
    if args.stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise UsageError(
            f"No value given for secret {args.key!r}",
            hint=f"Use `docrelay config set-secret {args.key} --stdin` and pipe the value in "
            "(docrelay never prompts).",
        )
    return config.set_secret(args.key, secret, profile=args.profile, provider=args.provider), 0


COMMANDS: dict[str, Callable[[argparse.Namespace], tuple[Any, int]]] = {
    "extract": _cmd_extract,
    "submit": _cmd_submit,
    "status": _cmd_status,
    "result": _cmd_result,
    "batch": _cmd_batch,
    "review": _cmd_review,
    "models": _cmd_models,
    "doctor": _cmd_doctor,
    "analyze": _cmd_analyze,
    "config": _cmd_config,
}


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
    target = Path(path).expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"--output {path} is a folder", hint="Give a file name for the JSON output.")
    if not folder.is_dir():
        raise UsageError(
            f"Cannot write --output {path}: the folder {folder} does not exist",
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
    command = "docrelay"
    output: Path | None = None
    try:
        try:
            parser = build_parser()
            if any(a in ("-h", "--help") for a in raw) and sys.stdout.isatty():
                parser.parse_args(raw)  # argparse prints the help and exits 0
            expanded = _expand_args_file(raw)
            args = parser.parse_args(expanded)
        except SystemExit as exc:  # --help printed by argparse
            return int(exc.code or 0)
        except _ArgumentError as exc:
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
        data, exit_code = COMMANDS[args.command](args)
        document = _envelope(command, started, data)
        if exit_code:
            failed = BatchFailedError(
                f"{data['summary']['failed']} of {data['summary']['total']} documents failed",
                hint="Each failure's error is in data.results; fix those documents and run again.",
            )
            document = _envelope(command, started, error=failed)
            document["data"] = data
        return _emit(document, output)
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
