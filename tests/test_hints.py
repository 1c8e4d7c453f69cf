"""Hints name arguments in the words of the front end that runs (issue 13, item 22)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import hints
from core.errors import UsageError
from core.services import Client
from tests.cli_helpers import SAMPLES, isolated_env, run_docrelay


@pytest.fixture(autouse=True)
def _restore_words() -> Iterator[None]:
    yield
    hints.use_front_end("python")


@pytest.mark.parametrize(
    ("front_end", "expected"),
    [
        ("cli", "Pass --model 12 or raise --timeout."),
        ("robot", "Pass model=12 or raise timeout=."),
        ("excel", "Pass --model 12 (or model on the workbook's Settings sheet) or raise --timeout."),
    ],
)
def test_each_front_end_words_a_hint_its_own_way(front_end: str, expected: str) -> None:
    hints.use_front_end(front_end)
    error = UsageError(
        "Nope", hint=f"Pass {hints.setting('model', '12')} or raise {hints.setting('timeout')}."
    )
    assert error.hint == expected


def test_core_hints_name_no_command_line_flag_for_python_and_robot_callers(tmp_path: Path) -> None:
    env = {"DOCRELAY_CONFIG_FILE": str(tmp_path / "none.toml")}
    with pytest.raises(UsageError) as missing, Client("cradl", settings={"access_token": "t"}, env=env) as c:
        c.provider.resolve_model(None)
    assert "model=" in missing.value.full_message and "--model" not in missing.value.full_message


def test_the_command_line_says_flags(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, DOCRELAY_PROVIDER="cradl", DOCRELAY_CRADL_ACCESS_TOKEN="t")
    run = run_docrelay("extract", str(SAMPLES / "invoice.pdf"), env=env)
    assert run.exit_code == 2 and "Pass --model (e.g." in run.error["message"]


def test_the_excel_wording_knows_the_settings_sheet_rows() -> None:
    from core.workbook.layout import SETTINGS_ROWS, THRESHOLD_NAME

    assert set(SETTINGS_ROWS) - {THRESHOLD_NAME} == hints.WORKBOOK_SETTINGS


def test_docrelay_excel_names_the_settings_sheet(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = isolated_env(tmp_path, DOCRELAY_PROVIDER="cradl", DOCRELAY_CRADL_ACCESS_TOKEN="t")
    book = tmp_path / "book.xlsx"
    for args in (["new", str(book), "--provider", "cradl"], ["run", str(book), "--folder", str(SAMPLES)]):
        run = subprocess.run(
            [sys.executable, "-m", "excel_addin", *args], env=env, capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "--model (or model on the workbook's Settings sheet)" in run.stdout
