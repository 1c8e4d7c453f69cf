"""The `docrelay` program run as a subprocess: envelopes, exit codes, bad input, files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.files import write_text_atomic
from tests.cli_helpers import SAMPLES, isolated_env, run_docrelay

INVOICE = SAMPLES / "invoice.pdf"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path)


def expected_values() -> dict[str, object]:
    data: dict[str, object] = json.loads((SAMPLES / "invoice.expected.json").read_text(encoding="utf-8"))
    fields = data.get("fields", data)
    assert isinstance(fields, dict)
    return fields


# -- success paths --------------------------------------------------------------------------------
def test_version_is_json_when_stdout_is_not_a_terminal(env: dict[str, str]) -> None:
    run = run_docrelay("--version", env=env)
    assert run.exit_code == 0
    assert run.document["ok"] is True
    assert run.document["data"]["version"]


def test_extract_sample_with_local_provider(env: dict[str, str]) -> None:
    run = run_docrelay("extract", str(INVOICE), env=env)
    assert run.exit_code == 0, run.stdout
    doc = run.document
    assert doc["ok"] is True and doc["command"] == "extract"
    assert doc["meta"]["version"] and isinstance(doc["meta"]["elapsed_ms"], int)
    result = doc["data"]
    assert result["schema"] == "docrelay.result/1"
    assert result["provider"] == "local" and result["status"] == "succeeded"
    assert result["document"]["content_type"] == "application/pdf"
    expected = expected_values()
    assert result["fields"]["invoice_number"]["value"] == expected["invoice_number"]
    assert result["fields"]["total_amount"]["value"] == expected["total_amount"]
    assert result["tables"]["line_items"], "line items expected"


def test_global_options_work_before_and_after_the_command(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    before = run_docrelay("--provider", "local", "--output", str(out), "extract", str(INVOICE), env=env)
    after = run_docrelay("extract", str(INVOICE), "--provider", "local", "--timeout", "30", env=env)
    assert before.exit_code == after.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == before.document


def test_non_ascii_names_and_spaces_in_paths(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "Fakturaer på vent"
    folder.mkdir()
    target = folder / "Faktura Ærø nr 7 – 東京.pdf"
    shutil.copy(INVOICE, target)
    out = folder / "résultat é.json"
    run = run_docrelay("extract", str(target), "--output", str(out), env=env)
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["document"]["name"] == target.name
    assert json.loads(out.read_text(encoding="utf-8"))["data"]["document"]["name"] == target.name
    assert run.stdout.isascii()  # ASCII JSON survives any code page a caller decodes with


def test_submit_status_result_round_trip(env: dict[str, str]) -> None:
    submitted = run_docrelay("submit", str(INVOICE), env=env)
    assert submitted.exit_code == 0, submitted.stdout
    job = submitted.document["data"]["job"]
    assert job.startswith("drjob1.")
    status = run_docrelay("status", job, env=env)
    assert status.exit_code == 0 and status.document["data"]["status"] == "succeeded"
    result = run_docrelay("result", job, "--wait", env=env)
    extracted = run_docrelay("extract", str(INVOICE), env=env)
    assert result.document["data"]["fields"] == extracted.document["data"]["fields"]


def test_args_file_carries_command_and_options(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "via args.json"
    args = tmp_path / "args.json"
    args.write_text(
        json.dumps({"command": "extract", "files": [str(INVOICE)], "model": "invoice", "output": str(out)}),
        encoding="utf-8",
    )
    run = run_docrelay("--args-file", str(args), env=env)
    assert run.exit_code == 0, run.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["data"]["model"] == "invoice"


def test_batch_folder_all_good(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(INVOICE, folder / "a.pdf")
    shutil.copy(INVOICE, folder / "sub" / "b.pdf")
    (folder / "notes.txt").write_text("not a document", encoding="utf-8")
    run = run_docrelay("batch", str(folder), env=env)
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["summary"] == {"total": 2, "succeeded": 2, "failed": 0, "pending": 0}


def test_models_and_doctor(env: dict[str, str]) -> None:
    models = run_docrelay("models", env=env)
    assert models.exit_code == 0
    assert "invoice" in [m["id"] for m in models.document["data"]["models"]]
    doctor = run_docrelay("doctor", env=env)
    assert doctor.exit_code == 0, doctor.stdout
    assert all(check["ok"] for check in doctor.document["data"]["checks"])


def test_config_set_and_secret_never_stored_in_plain_text(env: dict[str, str], tmp_path: Path) -> None:
    assert run_docrelay("config", "set", "provider", "local", env=env).exit_code == 0
    stored = run_docrelay(
        "config",
        "set-secret",
        "client_secret",
        "--provider",
        "cradl",
        "--stdin",
        env=env,
        stdin="s3cr3t-value-123\n",
    )
    assert stored.exit_code == 0, stored.stdout
    config_text = (tmp_path / "config" / "docrelay.toml").read_text(encoding="utf-8")
    assert "s3cr3t-value-123" not in config_text
    shown = run_docrelay("config", "show", env=env)
    assert shown.exit_code == 0, shown.stdout
    assert "s3cr3t-value-123" not in shown.stdout + shown.stderr
    assert shown.document["data"]["provider"] == "local"


# -- usage errors (2) -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "No command given"),
        (("frobnicate",), "invalid choice"),
        (("extract",), "required"),
        (("extract", "x.pdf", "--bogus"), "unrecognized arguments"),
        (("status", "not-a-handle"), "not a docrelay job handle"),
        (("config", "set-secret", "client_secret", "--provider", "cradl"), "never prompts"),
    ],
)
def test_usage_errors(env: dict[str, str], args: tuple[str, ...], needle: str) -> None:
    run = run_docrelay(*args, env=env)
    assert run.exit_code == 2
    assert run.error["type"] == "usage_error"
    assert needle in run.error["message"]


def test_malformed_args_file(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "args.json"
    bad.write_text('{"command": "extract", "files": ["a.pdf",]}', encoding="utf-8")
    run = run_docrelay("--args-file", str(bad), env=env)
    assert run.exit_code == 2
    assert "not valid JSON" in run.error["message"] and "line 1" in run.error["message"]
    missing = run_docrelay("--args-file", str(tmp_path / "nope.json"), env=env)
    assert missing.exit_code == 2 and "Cannot read the arguments file" in missing.error["message"]
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    assert "must hold a JSON object" in run_docrelay("--args-file", str(listed), env=env).error["message"]


def test_unwritable_output_leaves_no_file(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "out.json"
    run = run_docrelay("extract", str(INVOICE), "--output", str(target), env=env)
    assert run.exit_code == 2
    assert "Cannot write --output" in run.error["message"]
    assert not target.exists()
    folder_target = tmp_path / "missing-folder" / "out.json"
    run = run_docrelay("extract", str(INVOICE), "--output", str(folder_target), env=env)
    assert run.exit_code == 2 and "does not exist" in run.error["message"]
    assert not folder_target.parent.exists()


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text('{"good": true}', encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, '{"half": "written \ud800"}')
    assert target.read_text(encoding="utf-8") == '{"good": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


# -- configuration errors (3) ---------------------------------------------------------------------
def test_unknown_provider(env: dict[str, str]) -> None:
    run = run_docrelay("extract", str(INVOICE), "--provider", "nosuch", env=env)
    assert run.exit_code == 3
    assert "Unknown provider 'nosuch'" in run.error["message"] and "local" in run.error["message"]


def test_invalid_timeout_in_environment(tmp_path: Path) -> None:
    run = run_docrelay("extract", str(INVOICE), env=isolated_env(tmp_path, DOCRELAY_TIMEOUT="soon"))
    assert run.exit_code == 3
    assert "DOCRELAY_TIMEOUT" in run.error["message"]


# -- input errors (4) -------------------------------------------------------------------------------
def _make(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    run = run_docrelay("extract", str(tmp_path / "nope.pdf"), env=env)
    assert run.exit_code == 4 and "File not found" in run.error["message"]


def test_directory_instead_of_file(env: dict[str, str], tmp_path: Path) -> None:
    run = run_docrelay("extract", str(tmp_path), env=env)
    assert run.exit_code == 4 and "is a folder" in run.error["message"] and "batch" in run.error["message"]


def test_empty_file(env: dict[str, str], tmp_path: Path) -> None:
    run = run_docrelay("extract", str(_make(tmp_path, "empty.pdf", b"")), env=env)
    assert run.exit_code == 4 and "empty" in run.error["message"]


def test_docx_is_unsupported(env: dict[str, str], tmp_path: Path) -> None:
    docx = _make(tmp_path, "letter.docx", b"PK\x03\x04" + b"\x00" * 200)
    run = run_docrelay("extract", str(docx), env=env)
    assert run.exit_code == 4
    assert "Unsupported file type" in run.error["message"] and "PDF" in run.error["message"]


def test_exe_renamed_to_pdf_is_unsupported(env: dict[str, str], tmp_path: Path) -> None:
    exe = _make(tmp_path, "invoice.pdf", b"MZ\x90\x00" + b"\x00" * 500)
    run = run_docrelay("extract", str(exe), env=env)
    assert run.exit_code == 4 and "a program, not a document" in run.error["message"]


def test_corrupt_pdf(env: dict[str, str], tmp_path: Path) -> None:
    corrupt = _make(tmp_path, "broken.pdf", INVOICE.read_bytes()[:300])
    run = run_docrelay("extract", str(corrupt), env=env)
    assert run.exit_code == 4
    assert "damaged" in run.error["message"].lower() or "corrupt" in run.error["message"].lower()


def test_encrypted_pdf(env: dict[str, str], tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "locked.pdf"
    pdf = canvas.Canvas(str(path), encrypt="open-sesame")
    pdf.drawString(72, 720, "Invoice No. 1")
    pdf.save()
    run = run_docrelay("extract", str(path), env=env)
    assert run.exit_code == 4 and "password" in run.error["message"].lower()


def test_file_over_the_size_limit(env: dict[str, str], tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(65 * 1024 * 1024)
    run = run_docrelay("extract", str(big), env=env)
    assert run.exit_code == 4 and "too large" in run.error["message"]


def test_damaged_image(env: dict[str, str], tmp_path: Path) -> None:
    png = _make(tmp_path, "scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    run = run_docrelay("extract", str(png), env=env)
    assert run.exit_code == 4 and "scan.png is not a readable image" in run.error["message"]


def test_batch_with_a_bad_document_exits_11(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(INVOICE, folder / "good.pdf")
    _make(folder, "bad.pdf", b"%PDF-1.4 garbage")
    run = run_docrelay("batch", str(folder), env=env)
    assert run.exit_code == 11
    doc = run.document
    assert doc["ok"] is False and doc["error"]["type"] == "batch_failed"
    assert doc["data"]["summary"]["failed"] == 1 and doc["data"]["summary"]["succeeded"] == 1
    failed = [r for r in doc["data"]["results"] if r["status"] == "failed"]
    assert failed[0]["document"]["name"] == "bad.pdf" and failed[0]["error"]["type"] == "input_error"


# -- not found (6) ----------------------------------------------------------------------------------
def test_unknown_model(env: dict[str, str]) -> None:
    run = run_docrelay("extract", str(INVOICE), "--model", "receipts-v9", env=env)
    assert run.exit_code == 6
    assert "receipts-v9" in run.error["message"] and "invoice" in run.error["message"]


# -- the remaining codes, through test providers ---------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "command", "code", "error_type"),
    [
        ("auth-refused", "extract", 5, "auth_error"),
        ("rate-limited", "extract", 7, "rate_limited"),
        ("service-down", "models", 8, "service_error"),
        ("job-fails", "extract", 8, "job_failed"),
        ("unreachable", "extract", 9, "network_error"),
    ],
)
def test_provider_failures_map_to_exit_codes(
    env: dict[str, str], provider: str, command: str, code: int, error_type: str
) -> None:
    args = ("extract", str(INVOICE)) if command == "extract" else (command,)
    run = run_docrelay(*args, "--provider", provider, env=env)
    assert run.exit_code == code, run.stdout
    assert run.error["type"] == error_type
    assert run.error["exit_code"] == code


def test_timeout_carries_the_job_handle(env: dict[str, str]) -> None:
    run = run_docrelay("extract", str(INVOICE), "--provider", "never-done", "--timeout", "0.3", env=env)
    assert run.exit_code == 10
    job = run.error["job"]
    assert job.startswith("drjob1.")
    again = run_docrelay("result", job, env=env)  # the handle names its provider
    assert again.exit_code == 10 and "still running" in again.error["message"]


def test_internal_error_says_it_is_a_bug_and_where_the_log_is(env: dict[str, str], tmp_path: Path) -> None:
    run = run_docrelay("extract", str(INVOICE), "--provider", "crashing", env=env)
    assert run.exit_code == 1
    assert "internal error (a bug)" in run.error["message"]
    log = tmp_path / "logs" / "docrelay.log"
    assert str(log) in run.error["message"] and "KeyError" in log.read_text(encoding="utf-8")
