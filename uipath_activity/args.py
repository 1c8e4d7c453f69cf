"""The `docrelay` command line: the parser, and --args-file expanded into arguments."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any, NoReturn

from core.errors import UsageError

PROG = "docrelay"


class ArgumentsError(Exception):
    """argparse's complaint, carried to main() so it becomes a JSON usage error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise ArgumentsError(message.strip())
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
        "--secrets-stdin",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help='read settings (secrets) as one JSON object from standard input, e.g. {"client_secret": "..."}',
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
    _add_agent_option(p)
    _add_review_options(p)

    p = command("submit", "start a job and return its handle at once")
    p.add_argument("file", metavar="FILE")
    _add_prediction_options(p)
    _add_agent_option(p)

    p = command("status", "the state of a submitted job")
    p.add_argument("job", metavar="JOB", help="the job handle printed by submit")

    p = command("result", "the result of a submitted job, or of a document a batch journaled")
    p.add_argument(
        "job",
        metavar="JOB|FILE",
        help="the job handle printed by submit, or a document: its result is read from the journal",
    )
    p.add_argument("--wait", action="store_true", help="wait until the job finishes (up to --timeout)")
    p.add_argument("--model", help="FILE: the model the batch used (as given to batch)")
    p.add_argument(
        "--journal",
        metavar="FILE|URL",
        help="FILE: the batch's journal, a file or postgresql://USER@HOST/DB (default: setting journal)",
    )

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
    p.add_argument(
        "--journal",
        metavar="FILE|URL",
        help="journal file, or postgresql://USER@HOST/DB shared by many robots "
        "(default: setting journal, else a file in the user data folder)",
    )
    p.add_argument("--rate-limit", type=float, default=None, metavar="RPS", help="requests per second")
    p.add_argument("--ndjson", action="store_true", help="one JSON line per document as each finishes")
    p.add_argument(
        "--csv",
        metavar="FILE",
        help="one row per document to FILE; line items beside it (out.csv -> out.line_items.csv)",
    )
    p.add_argument(
        "--xlsx",
        metavar="BOOK",
        help="upsert the results into an Excel workbook, created if missing (the docrelay-excel layout)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    _add_prediction_options(p)
    _add_review_options(p)

    p = command("review", "human review: start, wait, get, list, complete")
    review_sub = p.add_subparsers(
        dest="review_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    q = review_sub.add_parser(
        "start",
        help="send a result to review (--result FILE), or upload FILE into a Cradl workflow (--workflow)",
        parents=[common],
    )
    q.add_argument("file", metavar="FILE", nargs="?")
    q.add_argument("--workflow", help="cradl: workflow id, with FILE")
    q.add_argument("--result", metavar="RESULT", help="a result JSON file docrelay wrote (extract --output)")
    q.add_argument("--title", help="title shown to the reviewer (default: the file name)")
    q.add_argument("--reason", help="with --result: why it goes to review (kept in review.reasons)")
    q = review_sub.add_parser(
        "wait",
        help="wait for a review (a result's review.id) and print the reviewed result",
        parents=[common],
    )
    q.add_argument("review_id", metavar="REVIEW")
    q.add_argument("--delete-after", action="store_true", help="then delete the document on the service")
    q = review_sub.add_parser(
        "get",
        help="one review: a result's review.id, or the id `review start --workflow` printed",
        parents=[common],
    )
    q.add_argument("review_id", metavar="ID")
    q.add_argument("--wait", action="store_true", help="wait until the review finishes (up to --timeout)")
    q = review_sub.add_parser("list", help="reviews of a workflow", parents=[common])
    q.add_argument("--workflow", required=True)
    q.add_argument("--status", help="e.g. succeeded, running, failed, completed")
    q.add_argument("--max", type=int, default=100, help="at most this many (default 100)")
    q = review_sub.add_parser("complete", help="mark a finished review as consumed", parents=[common])
    q.add_argument("review_id", metavar="ID")

    p = command("feedback", "send corrected values (ground truth) for a document back to the service")
    p.add_argument("target", metavar="JOB_OR_RESULT", help="a job or review handle, or a result JSON file")
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a corrected value, repeatable (an empty VALUE clears the field)",
    )

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


def _add_review_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--review-below",
        type=float,
        metavar="X",
        help="send a result to human review when a field's confidence is below X (0..1) or a sum is broken",
    )
    parser.add_argument(
        "--review-field",
        action="append",
        default=[],
        metavar="NAME=X",
        help="a field's own review threshold, repeatable",
    )
    parser.add_argument(
        "--delete-after",
        action="store_true",
        help="delete each document on the service once its result is in hand (cradl, contractfit)",
    )


def _add_agent_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent", metavar="AGENT_ID", help="cradl: run the document through this Cradl Agent, not a model"
    )


# -- arguments files ------------------------------------------------------------------------------
_POSITIONAL_KEYS = ("files", "file", "paths", "job", "review_id", "target", "key", "value")
# Options that may be given several times: a list in the file becomes one flag per item.
REPEATABLE_KEYS = frozenset({"option", "text", "files_from", "field", "review_field"})
# Options that take one comma-separated value: a list in the file is joined with commas.
COMMA_LIST_KEYS = frozenset({"pages"})
ARGS_FILE_LIMIT = 1024 * 1024
_ARGS_HINT = 'Write one JSON object, e.g. {"command": "extract", "files": ["invoice.pdf"]}.'


@dataclass
class _FileArguments:
    command: list[str]
    options: list[tuple[str, list[str]]]  # (flag, its tokens): one group per option
    positionals: list[str]


def _scalar(path: str, key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise UsageError(
            f"The arguments file {path} gives {key!r} a {type(value).__name__} where a value belongs",
            hint="Give a string or a number (lists only for repeatable options and pages).",
        )
    return str(value)


def _read_args_file(path: str) -> _FileArguments:
    from core.files import parse_json_text, read_small_text

    text = read_small_text(
        path,
        limit=ARGS_FILE_LIMIT,
        what="the arguments file",
        error=UsageError,
        hint="Check the --args-file path.",
    )
    try:
        data = parse_json_text(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"The arguments file {path} is not valid JSON: {exc.msg} "
            f"at line {exc.lineno}, column {exc.colno}",
            hint=_ARGS_HINT,
        ) from None
    except ValueError as exc:
        raise UsageError(f"The arguments file {path} is not usable: {exc}", hint=_ARGS_HINT) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"The arguments file {path} must hold a JSON object, not {type(data).__name__}", hint=_ARGS_HINT
        )
    command = data.pop("command", None)
    if isinstance(command, str):
        words = command.split()
    elif isinstance(command, list) and all(isinstance(c, str) for c in command):
        words = list(command)
    elif command is None:
        words = []
    else:
        raise UsageError(
            f'The arguments file {path} gives "command" a {type(command).__name__}',
            hint='Give the command as text, e.g. "extract" or "config set".',
        )
    positionals: list[str] = []
    for key in _POSITIONAL_KEYS:
        value = data.pop(key, None)
        if value is not None:
            items = value if isinstance(value, list) else [value]
            positionals.extend(_scalar(path, key, item) for item in items)
    options: list[tuple[str, list[str]]] = []
    for key, value in data.items():
        name = str(key).replace("-", "_")
        flag = "--" + name.replace("_", "-")
        if value is True:
            options.append((flag, [flag]))
        elif value is False or value is None:  # 0 is a value (page 0), not "not given"
            continue
        elif isinstance(value, list) and name in REPEATABLE_KEYS:
            options.append((flag, [token for item in value for token in (flag, _scalar(path, key, item))]))
        elif isinstance(value, list) and name in COMMA_LIST_KEYS:
            options.append((flag, [flag, ",".join(_scalar(path, key, item) for item in value)]))
        else:
            options.append((flag, [flag, _scalar(path, key, value)]))
    return _FileArguments(words, options, positionals)


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action.choices, dict):  # the subcommands
            return set(action.choices)
    return set()


def _gives_positionals(parser: argparse.ArgumentParser, tokens: list[str]) -> bool:
    """Whether `tokens` (a command and the command line's own arguments) name files, a job or a key."""
    if any(t in ("-h", "--help") for t in tokens):
        return False
    try:
        parsed = parser.parse_args(tokens)
    except (ArgumentsError, SystemExit):
        return False  # e.g. the required files are missing: they come from the file
    return any(getattr(parsed, key, None) not in (None, []) for key in _POSITIONAL_KEYS)


def expand_args_file(argv: list[str], parser: argparse.ArgumentParser | None = None) -> list[str]:
    """Replace `--args-file F` with the arguments it holds. The command line wins: an option given on
    the command line replaces the file's (all of a repeatable one's), and files (or a job, or a key)
    named on the command line replace the file's."""
    for index, token in enumerate(argv):
        if token == "--args-file" or token.startswith("--args-file="):
            if "=" in token:
                path, rest = token.split("=", 1)[1], argv[index + 1 :]
            elif index + 1 < len(argv):
                path, rest = argv[index + 1], argv[index + 2 :]
            else:
                raise ArgumentsError("argument --args-file: expected one argument")
            given = argv[:index] + rest
            from_file = _read_args_file(path)
            words = from_file.command
            parser = parser or build_parser()
            if given and given[0] in _command_names(parser):
                words = given[:2] if given[0] in ("config", "review") and len(given) > 1 else given[:1]
                given = given[len(words) :]
            flags_given = {t.split("=", 1)[0] for t in given if t.startswith("--")}
            options = [t for flag, tokens in from_file.options if flag not in flags_given for t in tokens]
            if from_file.positionals and _gives_positionals(parser, words + given):
                return words + options + given
            return words + options + given + from_file.positionals
    return argv
