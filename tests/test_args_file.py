"""--args-file as RPA tools write it (issue 13, items 8, 12, 17, 18): lists, 0, UTF-16, the command line
winning, and every malformed file a usage error (exit 2), never a crash."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import UsageError
from tests.cli_helpers import SAMPLES, isolated_env, run_docrelay
from uipath_activity.args import COMMA_LIST_KEYS, REPEATABLE_KEYS, build_parser, expand_args_file

INVOICE = str(SAMPLES / "invoice.pdf")


def write(tmp_path: Path, data: Any, *, encoding: str = "utf-8") -> str:
    path = tmp_path / "args.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding=encoding)
    return str(path)


def parsed(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(expand_args_file(argv))


def test_lists_of_repeatable_options_and_pages(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"command": "extract", "files": ["a.pdf"], "option": ["a=b", "c=d"], "pages": [0, -1]}
    )
    args = parsed(["--args-file", path])
    assert args.option == ["a=b", "c=d"] and args.pages == "0,-1" and args.files == ["a.pdf"]


def test_every_repeatable_option_of_the_parser_takes_a_list() -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    appended = {
        action.dest
        for sub in subcommands.choices.values()
        for action in sub._actions
        if isinstance(action, argparse._AppendAction)
    }
    assert appended == set(REPEATABLE_KEYS) and {"pages"} == COMMA_LIST_KEYS


def test_zero_is_a_value(tmp_path: Path) -> None:
    args = parsed(["--args-file", write(tmp_path, {"command": "batch", "paths": ["in"], "concurrency": 0})])
    assert args.concurrency == 0
    args = parsed(["--args-file", write(tmp_path, {"command": "extract", "files": ["a.pdf"], "pages": 0})])
    assert args.pages == "0"


@pytest.mark.parametrize(
    ("given", "files"),
    [
        (["a.pdf"], ["a.pdf"]),
        (["extract", "a.pdf"], ["a.pdf"]),
        (["extract", "--pages", "1", "a.pdf", "b.pdf"], ["a.pdf", "b.pdf"]),
        ([], ["from-file.pdf"]),
        (["extract", "--pages", "1"], ["from-file.pdf"]),
    ],
)
def test_files_on_the_command_line_replace_the_files_of_the_args_file(
    tmp_path: Path, given: list[str], files: list[str]
) -> None:
    path = write(tmp_path, {"command": "extract", "files": ["from-file.pdf"], "option": ["x=1"]})
    assert parsed([*given[:1], "--args-file", path, *given[1:]]).files == files


def test_an_option_on_the_command_line_replaces_the_file_s(tmp_path: Path) -> None:
    path = write(tmp_path, {"command": "extract", "files": ["a.pdf"], "option": ["a=1", "b=2"], "pages": "3"})
    args = parsed(["--args-file", path, "--option", "c=3"])
    assert args.option == ["c=3"] and args.pages == "3"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ({"command": 5}, 'gives "command" a int'),
        ({"command": "extract", "files": ["a.pdf"], "model": {"x": 1}}, "gives 'model' a dict"),
        ({"command": "extract", "files": ["a.pdf"], "option": [["a=b"]]}, "gives 'option' a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("\ufeff{bad", "is not valid JSON"),
        ([1, 2], "must hold a JSON object"),
    ],
)
def test_a_malformed_args_file_is_a_usage_error(tmp_path: Path, content: Any, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        expand_args_file(["--args-file", write(tmp_path, content)])


def test_utf16_with_a_bom_is_read_and_invalid_utf8_is_refused(tmp_path: Path) -> None:
    data = {"command": "extract", "files": ["fäktura.pdf"]}
    path = write(tmp_path, json.dumps(data, ensure_ascii=False), encoding="utf-16")  # with a BOM
    assert parsed(["--args-file", path]).files == ["fäktura.pdf"]
    (tmp_path / "bad.json").write_bytes(b'{"command": "extract\xff"}')
    with pytest.raises(UsageError, match="not UTF-8 or UTF-16 text"):
        expand_args_file(["--args-file", str(tmp_path / "bad.json")])


def test_args_file_through_the_cli_with_lists_and_page_zero(tmp_path: Path) -> None:
    path = write(tmp_path, {"command": "extract", "files": ["nothing.pdf"], "pages": [0]})
    run = run_docrelay("--args-file", path, INVOICE, env=isolated_env(tmp_path))
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["document"]["name"] == "invoice.pdf"


def test_local_refuses_an_unknown_option_like_the_cloud_providers(tmp_path: Path) -> None:
    run = run_docrelay("extract", INVOICE, "--option", "strategy=fast", env=isolated_env(tmp_path))
    assert run.exit_code == 2 and "Unknown local options: strategy" in run.error["message"]


def test_help_says_where_the_line_items_csv_goes(tmp_path: Path) -> None:
    help_text = build_parser()._subparsers._group_actions[0].choices["batch"].format_help()  # type: ignore[union-attr]
    assert "out.csv -> out.line_items.csv" in " ".join(help_text.split())
