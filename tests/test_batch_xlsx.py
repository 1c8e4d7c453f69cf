"""`docrelay batch --xlsx BOOK`: the batch's results upserted into a workbook with the same planner and
applier as docrelay-excel, run as a real program with the local provider."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli_helpers import SAMPLES, isolated_env, run_docrelay
from tests.workbook_helpers import sheet_rows


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("invoice.pdf", "rechnung-mueller-de.pdf"):
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def test_batch_fills_a_new_workbook_and_a_rerun_updates_the_same_rows(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    env = isolated_env(tmp_path)
    book = tmp_path / "book.xlsx"
    args = (
        "batch",
        str(folder),
        "--provider",
        "local",
        "--journal",
        str(tmp_path / "j"),
        "--xlsx",
        str(book),
    )
    first = run_docrelay(*args, env=env)
    assert first.exit_code == 0, first.stdout
    xlsx = first.document["data"]["xlsx"]
    assert xlsx["workbook_updated"] and Path(xlsx["written_to"]) == book and xlsx["rows_added"] == 2
    second = run_docrelay(*args, env=env)
    assert second.document["data"]["xlsx"]["rows_updated"] == 2
    rows = sheet_rows(book, "Documents")
    assert [r["invoice_number"] for r in rows] == ["INV-2026-0042", "RE-2026-0117"]
    assert rows[1]["total_amount"] == 859.06
    assert [r["documents"] for r in sheet_rows(book, "Runs")] == [2, 2]
    assert {r["doc_key"] for r in sheet_rows(book, "LineItems")} == {r["doc_key"] for r in rows}


def test_a_workbook_target_that_cannot_be_used_fails_before_any_work(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    env = isolated_env(tmp_path)
    not_a_book = tmp_path / "notes.xlsx"
    not_a_book.write_text("just text", encoding="utf-8")
    run = run_docrelay(
        "batch",
        str(folder),
        "--provider",
        "local",
        "--journal",
        str(tmp_path / "j"),
        "--xlsx",
        str(not_a_book),
        env=env,
    )
    assert run.exit_code == 4 and run.error["type"] == "input_error"
    assert not (tmp_path / "j").exists()  # nothing was sent
    missing_folder = run_docrelay(
        "batch", str(folder), "--provider", "local", "--xlsx", str(tmp_path / "nowhere" / "b.xlsx"), env=env
    )
    assert missing_folder.exit_code == 2 and "does not exist" in missing_folder.error["message"]
