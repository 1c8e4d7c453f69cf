"""Facts the docs state, checked against the code (issue 13, items 16, 19, 21)."""

from __future__ import annotations

import re

import pytest

from core.errors import EXIT_CODES
from tests.cli_helpers import REPO


def text(relative: str) -> str:
    return (REPO / relative).read_text(encoding="utf-8")


@pytest.mark.parametrize("page", ["README.md", "docs/rpa.md"])
def test_exit_code_tables_list_every_exit_code(page: str) -> None:
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", text(page), flags=re.MULTILINE)}
    assert listed == set(EXIT_CODES)


def test_no_file_cites_a_contract_section_that_the_project_does_not_hold() -> None:
    for relative in ("docs/architecture.md", "tests/emulators/README.md", "README.md"):
        assert "CONTRACT section" not in text(relative), relative


def test_contractfit_page_options_are_usage_errors_and_no_max_pages_flag() -> None:
    page = text("docs/providers/contractfit.md")
    assert "--max-pages" not in page and "| an unknown `--option`, `--pages` | 2 |" in page


def test_extract_of_several_files_documents_exit_11() -> None:
    assert "exit code is 11 when some of them failed" in text("README.md")
    assert "an `extract` of several files" in text("docs/rpa.md")


def test_readme_names_the_extras_and_the_line_items_csv() -> None:
    readme = text("README.md")
    assert 'pip install ".[build]"' in readme and 'pip install ".[robot]"' in readme
    assert "`--csv out.csv` writes `out.csv` and `out.line_items.csv`" in readme
    assert "FILE.line_items.csv" not in readme


def test_readme_says_local_takes_no_option() -> None:
    assert "`local` takes no `--option`" in text("README.md")
