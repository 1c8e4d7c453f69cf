"""`docrelay-excel` as users and bots run it: a subprocess, the local provider, real files.

Same JSON envelope and exit codes as `docrelay`; the human summary on stderr."""

from __future__ import annotations

import io
import os
import resource
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import msoffcrypto.format.ooxml
import openpyxl
import pytest

from tests.batch_support import MODEL, make_documents, predictions_by_document
from tests.cli_helpers import SAMPLES, Run, emulator_env, isolated_env
from tests.emulators.cradl import CradlEmulator
from tests.workbook_helpers import libreoffice_convert, sheet_rows

SAMPLE_NAMES = ("invoice.pdf", "rechnung-mueller-de.pdf", "invoice-globex-us.pdf")


def excel_executable() -> str:
    candidate = Path(sys.executable).parent / ("docrelay-excel.exe" if os.name == "nt" else "docrelay-excel")
    if not candidate.exists():
        raise AssertionError(
            f"docrelay-excel is not installed beside {sys.executable}: run `pip install -e .`"
        )
    return str(candidate)


def _limit_memory() -> None:  # hostile files must not take the machine down
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run_excel(*args: str, env: dict[str, str], cwd: Path) -> Run:
    proc = subprocess.run(
        [excel_executable(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        stdin=subprocess.DEVNULL,
        preexec_fn=_limit_memory if os.name != "nt" else None,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A clerk's folder: invoices/ with three sample invoices, and a private docrelay setup."""
    folder = tmp_path / "Rechnungen 2026"
    (folder / "invoices").mkdir(parents=True)
    for name in SAMPLE_NAMES:
        shutil.copy(SAMPLES / name, folder / "invoices" / name)
    env = isolated_env(tmp_path, DOCRELAY_JOURNAL=str(tmp_path / "journal.sqlite3"))
    return folder, env


def test_new_then_run_fills_one_row_per_invoice(desk: tuple[Path, dict[str, str]]) -> None:
    folder, env = desk
    created = run_excel("new", "book.xlsx", "--folder", "invoices", env=env, cwd=folder)
    assert created.exit_code == 0, created.stdout
    data = created.document["data"]
    assert data["fields"][:4] == ["invoice_number", "invoice_date", "due_date", "total_amount"]
    assert "Next: docrelay-excel run book.xlsx" in created.stderr
    ran = run_excel("run", "book.xlsx", "--journal", "j.sqlite3", env=env, cwd=folder)
    assert ran.exit_code == 0, ran.stdout
    document = ran.document
    assert document["ok"] and document["command"] == "run"
    assert document["data"]["summary"] == {"total": 3, "succeeded": 3, "failed": 0, "pending": 0}
    assert document["data"]["from_folder"] == 3 and document["data"]["workbook_updated"]
    assert "3 document(s)" in ran.stderr and "Written to" in ran.stderr
    rows = {r["source"]: r for r in sheet_rows(folder / "book.xlsx", "Documents")}
    assert set(rows) == {f"invoices/{name}" for name in SAMPLE_NAMES}
    invoice = rows["invoices/invoice.pdf"]
    assert invoice["invoice_number"] == "INV-2026-0042" and invoice["total_amount"] == 1836.6
    assert rows["invoices/rechnung-mueller-de.pdf"]["total_amount"] == 859.06
    assert invoice["status"] in ("done", "needs_review")
    lines = sheet_rows(folder / "book.xlsx", "LineItems")
    assert any(r["description"] == "Office chair, ergonomic" and r["quantity"] == 4 for r in lines)


def test_a_second_run_predicts_nothing_again_and_adds_only_new_files(
    desk: tuple[Path, dict[str, str]],
) -> None:
    folder, env = desk
    run_excel("new", "book.xlsx", "--folder", "invoices", env=env, cwd=folder)
    assert run_excel("run", "book.xlsx", env=env, cwd=folder).exit_code == 0
    again = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert again.document["data"]["summary"]["total"] == 0
    assert "Nothing to send" in again.stderr
    shutil.copy(SAMPLES / "faktura-nordlys-no.pdf", folder / "invoices" / "new.pdf")
    loaded = openpyxl.load_workbook(folder / "book.xlsx")
    loaded["Documents"]["C2"] = "rerun"  # the clerk asks for the first row again
    loaded.save(folder / "book.xlsx")
    third = run_excel("run", "book.xlsx", env=env, cwd=folder)
    data = third.document["data"]
    assert data["summary"]["total"] == 2 and data["from_journal"] == 1  # the rerun row cost nothing
    assert data["rows_added"] == 1
    rows = sheet_rows(folder / "book.xlsx", "Documents")
    assert len(rows) == 4 and len({r["doc_key"] for r in rows}) == 4
    runs = sheet_rows(folder / "book.xlsx", "Runs")
    assert [r["documents"] for r in runs] == [3, 2]  # a run with nothing to send leaves the book alone


def test_paths_typed_into_rows_are_read_relative_to_the_workbook(desk: tuple[Path, dict[str, str]]) -> None:
    folder, env = desk
    run_excel("new", "book.xlsx", env=env, cwd=folder)
    loaded = openpyxl.load_workbook(folder / "book.xlsx")
    sheet = loaded["Documents"]
    sheet["A2"] = "invoices\\invoice.pdf"  # typed on Windows
    sheet["A3"] = str(folder / "invoices" / "rechnung-mueller-de.pdf")
    sheet["A4"] = "invoices/missing.pdf"
    loaded.save(folder / "book.xlsx")
    ran = run_excel("run", str(folder / "book.xlsx"), env=env, cwd=folder.parent)
    assert ran.exit_code == 11, ran.stdout
    assert ran.error["type"] == "batch_failed"
    rows = sheet_rows(folder / "book.xlsx", "Documents")
    assert [r["status"] for r in rows][:2] != ["failed", "failed"]
    assert rows[0]["invoice_number"] == "INV-2026-0042"
    assert rows[2]["status"] == "failed" and "missing.pdf" in rows[2]["error"]
    assert len(rows) == 3


def test_a_workbook_dropped_on_the_program_is_run(desk: tuple[Path, dict[str, str]]) -> None:
    folder, env = desk
    run_excel("new", "book.xlsx", "--folder", "invoices", env=env, cwd=folder)
    dropped = run_excel(str(folder / "book.xlsx"), env=env, cwd=folder.parent)
    assert dropped.exit_code == 0 and dropped.document["command"] == "run"
    assert dropped.document["data"]["summary"]["succeeded"] == 3


def test_the_open_workbook_gets_a_results_file_and_the_next_run_fills_it_in(
    desk: tuple[Path, dict[str, str]],
) -> None:
    folder, env = desk
    run_excel("new", "book.xlsx", "--folder", "invoices", env=env, cwd=folder)
    owner = folder / "~$book.xlsx"
    owner.write_bytes(b"Excel owner")
    ran = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert ran.exit_code == 0
    data = ran.document["data"]
    assert not data["workbook_updated"] and "open in Excel" in data["reason"]
    assert Path(data["written_to"]).name.startswith("book.results-")
    assert "Close the workbook and run again" in ran.stderr
    assert sheet_rows(folder / "book.xlsx", "Documents") == []
    owner.unlink()
    later = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert later.document["data"]["from_journal"] == 3  # kept by the journal, not paid again
    assert len(sheet_rows(folder / "book.xlsx", "Documents")) == 3


@pytest.fixture
def not_workbooks(tmp_path: Path) -> dict[str, Path]:
    """Files that are not usable workbooks, each as a user might have them."""
    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "hello"
    book.save(good)
    files = {}
    files["corrupt"] = tmp_path / "corrupt.xlsx"
    files["corrupt"].write_bytes(good.read_bytes()[:400])
    files["csv"] = tmp_path / "export.csv"
    files["csv"].write_text("source,status\na.pdf,done\n", encoding="utf-8")
    files["renamed text"] = tmp_path / "notes.xlsx"
    files["renamed text"].write_text("just some notes\n", encoding="utf-8")
    files["zip not a workbook"] = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(files["zip not a workbook"], "w") as package:
        package.writestr("readme.txt", "hello")
    encrypted = io.BytesIO()
    with good.open("rb") as handle:
        msoffcrypto.format.ooxml.OOXMLFile(handle).encrypt("secret", encrypted)
    files["password"] = tmp_path / "locked.xlsx"
    files["password"].write_bytes(encrypted.getvalue())
    return files


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("corrupt", "damaged"),
        ("csv", "not an Excel workbook"),
        ("renamed text", "text or CSV"),
        ("zip not a workbook", "damaged"),
        ("password", "password"),
    ],
)
def test_files_that_are_not_usable_workbooks_exit_4_with_a_clear_message(
    not_workbooks: dict[str, Path], tmp_path: Path, kind: str, words: str
) -> None:
    env = isolated_env(tmp_path)
    path = not_workbooks[kind]
    before = path.read_bytes()
    ran = run_excel("run", str(path), env=env, cwd=tmp_path)
    assert ran.exit_code == 4, ran.stdout
    assert ran.error["type"] == "input_error" and words in ran.error["message"]
    assert path.read_bytes() == before
    assert words.split()[0] in ran.stderr


def test_an_old_xls_workbook_exits_4_and_says_to_save_as_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "old.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "hello"
    book.save(good)
    converted = libreoffice_convert(good, "xls", tmp_path / "xls", tmp_path / "lo-profile")
    assert converted.returncode == 0, converted.stderr
    ran = run_excel("run", str(tmp_path / "xls" / "old.xls"), env=isolated_env(tmp_path), cwd=tmp_path)
    assert ran.exit_code == 4 and "97-2003 (.xls)" in ran.error["message"]


def test_a_workbook_without_a_documents_sheet_says_what_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Invoices"
    book.save(path)
    ran = run_excel("run", str(path), env=isolated_env(tmp_path), cwd=tmp_path)
    assert ran.exit_code == 4
    assert "no sheet named 'Documents'" in ran.error["message"] and "Invoices" in ran.error["message"]


@pytest.mark.parametrize(
    ("args", "exit_code", "error_type"),
    [
        (("new", "book.csv"), 2, "usage_error"),
        (("run",), 2, "usage_error"),
        (("run", "missing.xlsx"), 4, "input_error"),
        (("run", "book.xlsx", "--rerun", "some"), 2, "usage_error"),
        (("frobnicate", "--x"), 2, "usage_error"),
        (("run", "book.xlsx", "--folder", "nowhere"), 4, "input_error"),
    ],
)
def test_usage_and_input_errors_have_docrelays_exit_codes(
    tmp_path: Path, args: tuple[str, ...], exit_code: int, error_type: str
) -> None:
    env = isolated_env(tmp_path)
    run_excel("new", "book.xlsx", env=env, cwd=tmp_path)
    ran = run_excel(*args, env=env, cwd=tmp_path)
    assert ran.exit_code == exit_code, ran.stdout
    assert ran.error["type"] == error_type and ran.error["exit_code"] == exit_code
    assert ran.stdout.isascii()


def test_version_is_the_same_envelope_as_docrelays(tmp_path: Path) -> None:
    ran = run_excel("--version", env=isolated_env(tmp_path), cwd=tmp_path)
    assert ran.exit_code == 0 and ran.document["command"] == "version"


def test_a_cradl_run_fills_the_workbook_pays_once_and_never_stores_a_secret(
    tmp_path: Path, make_cradl_emulator: Callable[..., CradlEmulator]
) -> None:
    emu = make_cradl_emulator()
    folder = tmp_path / "desk"
    make_documents(folder / "invoices", 3)
    env = emulator_env(tmp_path, emu, DOCRELAY_PROVIDER="cradl")
    created = run_excel(
        "new",
        "book.xlsx",
        "--provider",
        "cradl",
        "--model",
        MODEL,
        "--folder",
        "invoices",
        env=env,
        cwd=folder,
    )
    assert created.exit_code == 0, created.stdout
    assert created.document["data"]["fields"][:3] == ["currency", "due_date", "invoice_date"]  # Cradl's order
    first = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert first.exit_code == 0, first.stdout
    assert first.document["data"]["summary"]["succeeded"] == 3
    shutil.copy(folder / "invoices" / "doc-000.pdf", folder / "invoices" / "copy-of-doc-000.pdf")
    second = run_excel("run", "book.xlsx", env=env, cwd=folder)
    assert second.document["data"]["from_journal"] == 1  # the copy: same content, not paid again
    assert set(predictions_by_document(emu).values()) == {1}
    rows = sheet_rows(folder / "book.xlsx", "Documents")
    assert len(rows) == 3 and len({r["doc_key"] for r in rows}) == 3  # the copy's content has its row
    assert all(r["provider"] == "cradl" and r["model"] == MODEL for r in rows)
    secret = emu.client_secret
    with zipfile.ZipFile(folder / "book.xlsx") as package:
        for name in package.namelist():
            assert secret.encode() not in package.read(name), name
    for run in (created, first, second):
        assert secret not in run.stdout + run.stderr
