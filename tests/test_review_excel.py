"""Human review in the Excel workbook, as a clerk runs `docrelay-excel`: uncertain documents get status
needs_review and a review_link hyperlink, the next run pulls the reviewed values in, and the Settings
sheet's review_below and delete_after rows work like the command's flags."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl

from tests.cli_helpers import SAMPLES, emulator_env
from tests.emulators.cradl import CradlEmulator
from tests.test_excel_cli import run_excel
from tests.workbook_helpers import sheet_rows

MakeCradl = Callable[..., CradlEmulator]
MODEL = "las:model:invoice"


def clerk(tmp_path: Path, emu: CradlEmulator) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "Rechnungen"
    (folder / "invoices").mkdir(parents=True)
    shutil.copy(SAMPLES / "invoice.pdf", folder / "invoices" / "invoice.pdf")
    env = emulator_env(
        tmp_path,
        emu,
        DOCRELAY_PROVIDER="cradl",
        DOCRELAY_CRADL_REVIEW_WORKFLOW=emu.review_workflow_id,
        DOCRELAY_JOURNAL=str(tmp_path / "journal.sqlite3"),
    )
    created = run_excel("new", "book.xlsx", "--folder", "invoices", "--model", MODEL, env=env, cwd=folder)
    assert created.exit_code == 0, created.stdout
    return folder, env


def test_a_document_under_review_links_to_it_and_is_pulled_again_once_reviewed(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    folder, env = clerk(tmp_path, emu)
    first = run_excel("run", "book.xlsx", "--review-below", "0.99", env=env, cwd=folder)
    assert first.exit_code == 0, first.stdout
    assert "1 need review" in first.stderr
    (row,) = sheet_rows(folder / "book.xlsx", "Documents")
    assert row["status"] == "needs_review" and row["review_link"].startswith("https://app.cradl.ai/")
    assert row["total_amount"] == 1836.6  # the service's values meanwhile
    book = openpyxl.load_workbook(folder / "book.xlsx")
    cell = next(c for c in book["Documents"][2] if c.value == row["review_link"])
    assert cell.hyperlink is not None and cell.hyperlink.target == row["review_link"]

    waiting = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert waiting.exit_code == 0 and waiting.document["data"]["from_journal"] == 1  # nothing paid again
    assert sheet_rows(folder / "book.xlsx", "Documents")[0]["status"] == "needs_review"

    emu.human_review("correct", {"total_amount": "1999.99"})
    pulled = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert pulled.exit_code == 0, pulled.stdout
    (row,) = sheet_rows(folder / "book.xlsx", "Documents")
    assert row["status"] == "done" and row["total_amount"] == 1999.99
    assert row["review_link"].startswith("https://app.cradl.ai/")  # where it was reviewed, for the record
    assert (
        emu.requests_to("POST /predictions") == 1
        and emu.requests_to("POST /workflows/{workflowId}/executions") == 1
    )
    again = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert again.document["data"]["summary"]["total"] == 0, "a reviewed row is done: nothing to send"
    emu.assert_no_violations()


def test_the_settings_sheet_asks_for_review_and_deletion(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    folder, env = clerk(tmp_path, emu)
    book = openpyxl.load_workbook(folder / "book.xlsx")
    settings = book["Settings"]
    assert settings["A2"].value is None and settings["A7"].value is None  # the free rows
    settings["A2"], settings["B2"] = "review_below", 0.99
    settings["A7"], settings["B7"] = "delete_after", "yes"
    book.save(folder / "book.xlsx")
    run = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["documents"][0]["status"] == "needs_review"
    assert emu.requests_to("DELETE /documents/{documentId}") == 0, "kept for the reviewer"
    emu.human_review("approve")
    pulled = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert pulled.exit_code == 0 and sheet_rows(folder / "book.xlsx", "Documents")[0]["status"] == "done"


def test_review_below_for_a_provider_without_review_is_a_usage_error(tmp_path: Path) -> None:
    from tests.cli_helpers import isolated_env

    folder = tmp_path / "f"
    (folder / "invoices").mkdir(parents=True)
    shutil.copy(SAMPLES / "invoice.pdf", folder / "invoices" / "invoice.pdf")
    env = isolated_env(tmp_path)
    assert run_excel("new", "book.xlsx", "--folder", "invoices", env=env, cwd=folder).exit_code == 0
    run = run_excel("run", "book.xlsx", "--review-below", "0.8", env=env, cwd=folder)
    assert run.exit_code == 2 and "has no human review" in run.error["message"]
    assert "--review-below" in run.error["message"]
