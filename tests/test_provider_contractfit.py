"""The contract.fit provider end to end: the `docrelay` program against the spec-validating emulator,
plus the completion rule and the prediction shapes on their own."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.models import DocumentInfo
from core.providers.contractfit.normalize import FAILED_MESSAGE, document_state, normalize_document
from tests.cli_helpers import SAMPLES, Run, emulator_env, run_docrelay
from tests.emulators.contractfit import ContractfitEmulator

SERVICE = "contractfit"  # the `emu` fixture (tests/conftest.py) gives its emulator

INVOICE = SAMPLES / "invoice.pdf"
MakeEmulator = Callable[..., ContractfitEmulator]
POLL = "GET /documents/{document_id}"
UPLOAD = "POST /documents/{inbox_id}"
POLL_MASK = "id,inbox,original_filename,page_count,last_version,status_data,timings"


@pytest.fixture
def make_emu(make_contractfit_emulator: MakeEmulator) -> MakeEmulator:
    return make_contractfit_emulator


def login_env(tmp_path: Path, emu: ContractfitEmulator, **extra: str) -> dict[str, str]:
    """Username and password: a JWT from POST /auth unless auth_method says otherwise."""
    settings = {
        "DOCRELAY_CONTRACTFIT_API_KEY": "",
        "DOCRELAY_CONTRACTFIT_USERNAME": emu.username,
        "DOCRELAY_CONTRACTFIT_PASSWORD": emu.password,
        **extra,
    }
    return emulator_env(tmp_path, emu, **settings)


def extract(env: dict[str, str], emu: ContractfitEmulator, *args: str, document: Path = INVOICE) -> Run:
    return run_docrelay("extract", str(document), "--model", emu.inbox_id(), *args, env=env)


def values(result: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    fields = {name: field["value"] for name, field in result["fields"].items()}
    rows = [{c: cell["value"] for c, cell in row.items()} for row in result["tables"].get("line_items", [])]
    return fields, rows


# -- the whole flow -----------------------------------------------------------------------------------
def test_extract_uploads_async_polls_with_a_mask_and_reads_once(
    tmp_path: Path, emu: ContractfitEmulator
) -> None:
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 0, run.stdout
    result = run.document["data"]
    assert result["provider"] == "contractfit" and result["status"] == "succeeded"
    assert result["model"] == emu.inbox_id()
    assert re.fullmatch(r"[0-9a-f]{24}", result["document"]["id"])
    assert result["document"]["name"] == "invoice.pdf" and result["document"]["pages"] >= 1
    assert result["raw"]["prediction"]["annotations"], "raw document kept"
    assert result["extras"]["last_version"] == "predicted"
    assert result["fields"]["invoice_number"]["value"] == "INV-2026-0042"
    assert 0 < result["fields"]["invoice_number"]["confidence"] <= 1
    stats = emu.stats
    assert stats["requests"][UPLOAD] == 1 and "POST /auth" not in stats["requests"]
    reads = stats["counters"]["reads_by_mask"]
    assert reads[f"{POLL} [*]"] == 1, "one full read when done"
    assert reads[f"{POLL} [{POLL_MASK}]"] == stats["requests"][POLL] - 1, "every poll is masked"
    assert stats["counters"]["uploads_by_sha256"] == {result["document"]["sha256"]: 1}


def test_key_value_mode_gives_the_same_values_without_confidences(
    tmp_path: Path, emu: ContractfitEmulator
) -> None:
    env = emulator_env(tmp_path, emu)
    full = extract(env, emu).document["data"]
    flat = extract(env, emu, "--option", "key_value=true").document["data"]
    assert flat["raw"]["prediction"]["invoice_number"] == "INV-2026-0042", "a flat mapping"
    assert values(flat) == values(full)
    assert all(field["confidence"] is None for field in flat["fields"].values())


def test_inbox_setting_is_the_default_model(tmp_path: Path, emu: ContractfitEmulator) -> None:
    env = emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_INBOX=emu.inbox_id("purchases"))
    run = run_docrelay("extract", str(INVOICE), env=env)
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["model"] == emu.inbox_id("purchases")


def test_simple_sync_upload_option(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = run_docrelay(
        "extract", str(INVOICE), "--option", "sync_upload=true", env=emulator_env(tmp_path, emu)
    )
    assert run.exit_code == 0, run.stdout
    result = run.document["data"]
    assert result["model"] == emu.inbox_id("invoices"), "the service's invoice inbox by default"
    assert values(result)[0]["invoice_number"] == "INV-2026-0042"
    assert emu.requests_to("POST /documents/") == 1 and emu.requests_to(POLL) == 0
    assert "may not be suitable for real workload" in run.stderr


def test_sync_inbox_upload_option(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu), emu, "--option", "sync=true", "--option", "key_value=1")
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["fields"]["invoice_number"]["value"] == "INV-2026-0042"
    assert emu.requests_to(UPLOAD) == 1 and emu.requests_to(POLL) == 0


def test_bare_string_upload_reply(tmp_path: Path, make_emu: MakeEmulator) -> None:
    emu = make_emu(upload_reply="string")
    assert extract(emulator_env(tmp_path, emu), emu).exit_code == 0
    emu.assert_no_violations()


def test_non_ascii_file_name_is_sent_ascii_safe(tmp_path: Path, emu: ContractfitEmulator) -> None:
    document = tmp_path / "Rechnung für März.pdf"
    shutil.copy(INVOICE, document)
    run = extract(emulator_env(tmp_path, emu), emu, document=document)
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["document"]["name"] == "Rechnung für März.pdf"
    assert run.document["data"]["raw"]["original_filename"] == "Rechnung fur Marz.pdf"


def test_submit_then_result_in_another_process(tmp_path: Path, make_emu: MakeEmulator) -> None:
    emu = make_emu(async_delay=1.5)
    env = emulator_env(tmp_path, emu)
    submitted = run_docrelay("submit", str(INVOICE), "--model", emu.inbox_id(), env=env)
    assert submitted.exit_code == 0, submitted.stdout
    job = submitted.document["data"]["job"]
    assert run_docrelay("status", job, env=env).document["data"]["status"] == "pending"
    result = run_docrelay("result", job, "--wait", env=env)
    assert result.exit_code == 0 and result.document["data"]["status"] == "succeeded"
    emu.assert_no_violations()


def test_polling_deadline_returns_a_resumable_handle(tmp_path: Path, make_emu: MakeEmulator) -> None:
    emu = make_emu(async_delay=3)
    env = emulator_env(tmp_path, emu)
    run = extract(env, emu, "--timeout", "0.5")
    assert run.exit_code == 10 and run.error["type"] == "timeout"
    assert run.error["job"].startswith("drjob1.")
    resumed = run_docrelay("result", run.error["job"], "--wait", "--timeout", "20", env=env)
    assert resumed.exit_code == 0 and resumed.document["data"]["status"] == "succeeded"
    assert emu.requests_to(UPLOAD) == 1
    emu.assert_no_violations()


def test_failed_processing_exits_8(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.fail_next_documents()
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 8 and run.error["type"] == "job_failed"
    assert "status_data.success is false" in run.error["message"]


# -- authentication -------------------------------------------------------------------------------------
def test_jwt_login_with_username_and_password(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = extract(login_env(tmp_path, emu), emu)
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /auth") == 1


def test_http_basic(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = extract(login_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_AUTH_METHOD="basic"), emu)
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /auth") == 0


def test_bare_token_prefix(tmp_path: Path, make_emu: MakeEmulator) -> None:
    emu = make_emu(token_prefix="")
    assert extract(login_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_TOKEN_PREFIX="none"), emu).exit_code == 0
    wrong = extract(login_env(tmp_path, emu), emu)
    assert wrong.exit_code == 5 and wrong.error["type"] == "auth_error"
    assert emu.requests_to("POST /auth") == 3, "one login, then the refused Bearer run logs in once more"
    emu.assert_no_violations()


def test_a_401_logs_in_once_more_and_retries_once(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.script_fault(POLL, status=401, message="Token expired")
    run = extract(login_env(tmp_path, emu), emu)
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /auth") == 2


def test_token_revoked_mid_job_is_replaced(tmp_path: Path, make_emu: MakeEmulator) -> None:
    emu = make_emu(async_delay=2.5)
    timer = threading.Timer(1.2, emu.revoke_tokens)  # between two polls of the same run
    timer.start()
    try:
        run = extract(login_env(tmp_path, emu), emu)
    finally:
        timer.cancel()
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /auth") == 2
    assert emu.stats["statuses"].get(f"{POLL} 401") == 1
    emu.assert_no_violations()


def test_a_second_401_after_logging_in_again_is_final(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.script_fault(POLL, status=401, message="Token expired", count=2)
    run = extract(login_env(tmp_path, emu), emu)
    assert (
        run.exit_code == 5 and run.error["type"] == "auth_error" and "Token expired" in run.error["message"]
    )
    assert emu.requests_to("POST /auth") == 2


def test_wrong_password_is_an_auth_error_without_the_password(
    tmp_path: Path, emu: ContractfitEmulator
) -> None:
    run = extract(login_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_PASSWORD="not-the-password"), emu)
    assert run.exit_code == 5
    assert "refused the username and password" in run.error["message"]
    assert "not-the-password" not in run.stdout + run.stderr


def test_wrong_api_key_is_refused_at_once(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_API_KEY="wrong-key-123"), emu)
    assert run.exit_code == 5 and "Invalid API key" in run.error["message"]
    assert emu.requests_to(UPLOAD) == 1
    assert "wrong-key-123" not in run.stdout + run.stderr


def test_missing_credentials_is_a_config_error(tmp_path: Path, emu: ContractfitEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    del env["DOCRELAY_CONTRACTFIT_API_KEY"]
    run = extract(env, emu)
    assert run.exit_code == 3 and "DOCRELAY_CONTRACTFIT_API_KEY" in run.error["message"]
    bad_method = extract(emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_AUTH_METHOD="oauth"), emu)
    assert bad_method.exit_code == 3 and "api_key, jwt, basic" in bad_method.error["message"]
    assert emu.stats["total_requests"] == 0


def test_missing_inbox_is_a_config_error(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = run_docrelay("extract", str(INVOICE), env=emulator_env(tmp_path, emu))
    assert run.exit_code == 3 and "DOCRELAY_CONTRACTFIT_INBOX" in run.error["message"]
    assert emu.stats["total_requests"] == 0


# -- error mapping -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint", "status", "message", "code", "error_type", "said"),
    [
        (UPLOAD, 400, "Missing required parameter", 4, "input_error", "Missing required parameter"),
        (UPLOAD, 403, "Permission insufficient", 5, "auth_error", "needs the `upload` permission"),
        (POLL, 403, "Permission insufficient", 5, "auth_error", "needs the `review` permission"),
        (POLL, 404, "Document not found", 6, "not_found", "has no document"),
        (UPLOAD, 415, "Image Recognition Error", 4, "input_error", "could not read the document"),
        (UPLOAD, 422, "File input invalid", 4, "input_error", "File input invalid"),
    ],
)
def test_error_mapping(
    tmp_path: Path,
    emu: ContractfitEmulator,
    endpoint: str,
    status: int,
    message: str,
    code: int,
    error_type: str,
    said: str,
) -> None:
    emu.script_fault(endpoint, status=status, message=message)
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == code, run.stdout
    assert run.error["type"] == error_type and said in run.error["message"]
    assert run.error["http_status"] == status


def test_unreadable_pdf_is_a_415_input_error(tmp_path: Path, emu: ContractfitEmulator) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"not really a pdf " * 40)
    run = extract(emulator_env(tmp_path, emu), emu, document=broken)
    assert run.exit_code == 4 and "Image Recognition Error" in run.error["message"]
    assert run.error["http_status"] == 415


def test_unknown_inbox_is_not_found(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = run_docrelay("extract", str(INVOICE), "--model", "0" * 24, env=emulator_env(tmp_path, emu))
    assert run.exit_code == 6 and "no inbox '000000000000000000000000'" in run.error["message"]
    assert "docrelay models" in run.error["message"]


def test_a_429_storm_is_ridden_out(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.script_fault(UPLOAD, status=429, message="Too Many Requests", retry_after=0.1, count=2)
    emu.script_fault(POLL, status=429, message="Too Many Requests", retry_after=0.1)
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to(UPLOAD) == 3


def test_rate_limit_that_never_ends_exits_7(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.script_fault(UPLOAD, status=429, message="Too Many Requests", retry_after=0.1, count=50)
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 7 and run.error["type"] == "rate_limited"


def test_5xx_then_success(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.script_fault(UPLOAD, status=503, retry_after=0.1, count=2)
    emu.script_fault(POLL, status=502, retry_after=0.1)
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 0, run.stdout
    assert emu.stats["counters"]["uploads_by_sha256"] == {run.document["data"]["document"]["sha256"]: 1}


def test_5xx_that_persists_exits_8(tmp_path: Path, emu: ContractfitEmulator) -> None:
    emu.script_fault(POLL, status=500, retry_after=0.05, count=50)
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 8 and run.error["type"] == "service_error" and run.error["http_status"] == 500


def test_a_500_on_upload_is_not_resent(tmp_path: Path, emu: ContractfitEmulator) -> None:
    """A POST that may have been processed is never sent twice (no duplicate document)."""
    emu.script_fault(UPLOAD, status=500)  # no Retry-After: nothing says it was not processed
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 8 and emu.requests_to(UPLOAD) == 1


@pytest.mark.parametrize(
    ("endpoint", "body", "content_type", "said"),
    [
        (UPLOAD, "<html><title>Login</title></html>", "text/html", "not JSON"),
        (UPLOAD, '{"status": "ok"}', "application/json", "carries no document id"),
        (POLL, "[1, 2, 3]", "application/json", "with list, not a document"),
        (POLL, '{"message": "hello"}', "application/json", "an object without an id, not a document"),
    ],
)
def test_malformed_bodies_are_service_errors(
    tmp_path: Path, emu: ContractfitEmulator, endpoint: str, body: str, content_type: str, said: str
) -> None:
    emu.script_reply(endpoint, body, content_type=content_type)
    run = extract(emulator_env(tmp_path, emu), emu)
    assert run.exit_code == 8, run.stdout
    assert run.error["type"] == "service_error" and said in run.error["message"]


# -- options, models, doctor -----------------------------------------------------------------------------
def test_unknown_option_and_pages_are_usage_errors(tmp_path: Path, emu: ContractfitEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    unknown = extract(env, emu, "--option", "strategy=BEST_FIRST")
    assert unknown.exit_code == 2 and "sync_upload" in unknown.error["message"]
    assert "may not be suitable for real workload" in unknown.error["message"], "the help warns"
    pages = extract(env, emu, "--pages", "0")
    assert pages.exit_code == 2 and "whole documents" in pages.error["message"]
    not_bool = extract(env, emu, "--option", "key_value=maybe")
    assert not_bool.exit_code == 2
    assert emu.stats["total_requests"] == 0


def test_models_are_the_inboxes(tmp_path: Path, emu: ContractfitEmulator) -> None:
    run = run_docrelay("models", env=emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_INBOX=emu.inbox_id()))
    assert run.exit_code == 0, run.stdout
    models = {m["id"]: m for m in run.document["data"]["models"]}
    assert set(models) == {emu.inbox_id("invoices"), emu.inbox_id("purchases")}
    assert (
        models[emu.inbox_id()]["name"] == "Invoices" and models[emu.inbox_id()]["extras"]["default"] is True
    )
    assert emu.stats["counters"]["reads_by_mask"] == {"GET /inboxes [id,name,project]": 1}


def test_doctor(tmp_path: Path, emu: ContractfitEmulator) -> None:
    good = run_docrelay("doctor", env=emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_INBOX=emu.inbox_id()))
    assert good.exit_code == 0, good.stdout
    assert [c["name"] for c in good.document["data"]["checks"]] == [
        "configuration",
        "credentials",
        "service",
        "inbox",
    ]
    bad_key = run_docrelay(
        "doctor", env=emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_API_KEY="wrong-key-123")
    )
    assert bad_key.exit_code == 5
    no_inbox = run_docrelay("doctor", env=emulator_env(tmp_path, emu, DOCRELAY_CONTRACTFIT_INBOX="f" * 24))
    assert no_inbox.exit_code == 6 and "docrelay models" in no_inbox.error["message"]


# -- reprocessing (core API; the CLI does not expose it) -------------------------------------------------
def test_reprocess_waits_for_the_new_run(emu: ContractfitEmulator) -> None:
    from core.services import Client

    settings = {"url": emu.base_url, "api_key": emu.api_key, "inbox": emu.inbox_id()}
    with Client(
        "contractfit", settings=settings, env={"DOCRELAY_CONFIG_FILE": "/nonexistent.toml"}
    ) as client:
        first = client.extract(INVOICE)
        assert first.document.id is not None
        provider: Any = client.provider
        job = provider.reprocess(first.document.id, name="second-run")
        assert client.status(job).status == "pending", "the old done_time does not count"
        again = client.wait(job, timeout=20)
        assert again.status == "succeeded" and again.extras["last_version"] == "second-run"
        assert values(again.to_dict()) == values(first.to_dict())
        human = provider.reprocess(first.document.id, name="approved", reviewer="Human")
        assert client.wait(human, timeout=5).extras["last_version"] == "approved"
    assert emu.count("reads_by_mask", "POST /documents/{document_id}/reprocess [" + POLL_MASK + "]") == 2


# -- the completion rule and the shapes, without HTTP ------------------------------------------------------
DONE = {"done_time": "2024-05-01T10:00:00+00:00"}


@pytest.mark.parametrize(
    ("document", "previous", "expected"),
    [
        ({}, None, "pending"),
        ({"status_data": {"success": False, "data": False}, "timings": {"start_time": "x"}}, None, "pending"),
        ({"status_data": {"success": False}, "timings": {"done_time": None}}, None, "pending"),
        ({"status_data": {"success": True}}, None, "succeeded"),
        ({"status_data": {"success": True, "data": True}, "timings": DONE}, None, "succeeded"),
        ({"timings": DONE}, None, "succeeded"),
        ({"status_data": {"data": True}, "timings": DONE}, None, "succeeded"),
        ({"status_data": {"success": False, "data": True}, "timings": DONE}, None, "failed"),
        ({"status_data": {"data": False}, "timings": DONE}, None, "failed"),
        ({"status_data": {"success": True}, "timings": DONE}, DONE["done_time"], "pending"),
        ({"status_data": {"success": True}}, DONE["done_time"], "pending"),
        (
            {"status_data": {"success": True}, "timings": {"done_time": "2024-05-02"}},
            DONE["done_time"],
            "succeeded",
        ),
        ({"status_data": "garbage", "timings": ["garbage"]}, None, "pending"),
    ],
)
def test_completion_rule(document: dict[str, Any], previous: str | None, expected: str) -> None:
    assert document_state(document, previous_done_time=previous) == expected


def test_full_prediction_shape() -> None:
    document = {
        "id": "abc",
        "inbox": "i" * 24,
        "page_count": 2,
        "timings": DONE,
        "status_data": {"success": True},
        "prediction": {
            "annotations": {
                "total": [
                    {"gold": "10.00", "text": "10,00", "confidence": 0.4, "page": 1},
                    {
                        "gold": "150.00",
                        "text": "150,00",
                        "confidence": 93,
                        "page": 1,
                        "visual_coord": [1, 2, 3, 4, 5, 6],
                    },
                ],
                "vat_number": {"gold": "BE0123", "text": "BE 0123"},
                "missing": [],
            },
            "lines": {
                "line_items": [{"description": {"gold": "Chair", "confidence": 0.8}, "amount": "580.00"}]
            },
            "sections": [{"page": 0, "document_type": "invoice", "confidence": 97}],
        },
    }
    result = normalize_document(document, DocumentInfo(name="a.pdf"), model=None)
    total = result.fields["total"]
    assert (total.value, total.confidence, total.page, total.raw_value, total.box) == (
        "150.00",
        0.93,
        1,
        "150,00",
        None,
    )
    assert [c.value for c in total.candidates] == ["150.00", "10.00"]
    assert result.fields["vat_number"].value == "BE0123" and result.fields["vat_number"].confidence is None
    assert "missing" not in result.fields
    row = result.tables["line_items"][0]
    assert row["description"].value == "Chair" and row["amount"].value == "580.00"
    assert result.model == "i" * 24 and result.document.pages == 2 and result.document.id == "abc"
    assert result.raw == document


def test_key_value_prediction_shape() -> None:
    document = {
        "id": "abc",
        "timings": DONE,
        "prediction": {
            "total": "150.00",
            "paid": True,
            "due": None,
            "items": [{"d": "Chair", "qty": 4}],
            "tags": ["a", "b"],
        },
    }
    result = normalize_document(document, DocumentInfo(name="a.pdf"), model="m")
    assert result.fields["total"].value == "150.00" and result.fields["paid"].value == "true"
    assert result.fields["due"].value is None
    assert result.tables["items"][0]["qty"].value == "4"
    assert result.fields["tags"].value == "a" and [c.value for c in result.fields["tags"].candidates] == [
        "a",
        "b",
    ]


def test_failed_and_unreadable_documents() -> None:
    failed = normalize_document(
        {"id": "x", "timings": DONE, "status_data": {"success": False}, "prediction": {"a": "1"}},
        DocumentInfo(name="a.pdf"),
        model="m",
    )
    assert failed.status == "failed" and failed.error is not None and failed.error.message == FAILED_MESSAGE
    assert failed.fields == {}
    odd = normalize_document(
        {"id": "x", "timings": DONE, "prediction": "text"}, DocumentInfo(name="a.pdf"), model="m"
    )
    assert odd.status == "succeeded" and odd.fields == {} and odd.raw["prediction"] == "text"
