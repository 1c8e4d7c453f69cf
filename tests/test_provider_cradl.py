"""The Cradl provider end to end: the `docrelay` program against the spec-validating Cradl emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_helpers import SAMPLES, Run, emulator_env, isolated_env, run_docrelay
from tests.emulators.cradl import CradlEmulator

SERVICE = "cradl"  # the `emu` fixture (tests/conftest.py) gives its emulator

INVOICE = SAMPLES / "invoice.pdf"
MODEL = "las:model:invoice"
MakeEmulator = Callable[..., CradlEmulator]


def extract(env: dict[str, str], *args: str, document: Path = INVOICE) -> Run:
    return run_docrelay("extract", str(document), "--model", MODEL, *args, env=env)


def multi_page_sample() -> Path:
    from core.sources import DocumentSource

    for pdf in sorted(SAMPLES.glob("*.pdf")):
        import pypdfium2

        if len(pypdfium2.PdfDocument(str(pdf))) > 1:
            DocumentSource.from_path(pdf)
            return pdf
    raise AssertionError("samples/ needs a multi-page invoice")


# -- the whole flow -----------------------------------------------------------------------------------
def test_extract_through_the_emulator(tmp_path: Path, emu: CradlEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    result = run.document["data"]
    assert result["provider"] == "cradl" and result["status"] == "succeeded" and result["model"] == MODEL
    assert re.fullmatch(r"las:document:[0-9a-f]{32}", result["document"]["id"])
    assert re.fullmatch(r"las:prediction:[0-9a-f]{32}", result["prediction_id"])
    assert result["raw"]["predictions"], "raw response kept"
    stats = emu.stats
    assert stats["requests"]["POST /documents"] == 1
    assert "PUT /files/{fileId}" not in stats["requests"], "a small file goes inline: one call fewer"
    assert stats["requests"]["POST /predictions"] == 1
    assert stats["requests"]["POST /oauth2/token"] == 1
    assert stats["counters"]["uploads_by_sha256"] == {result["document"]["sha256"]: 1}


def test_v1_and_v2_give_the_same_result(tmp_path: Path, emu: CradlEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    v1 = extract(env, "--option", "output_format=v1").document["data"]
    v2 = extract(env, "--option", "output_format=v2").document["data"]
    assert isinstance(v1["raw"]["predictions"], list) and isinstance(v2["raw"]["predictions"], dict)
    assert v1["fields"] == v2["fields"] and v1["tables"] == v2["tables"]


def test_sync_prediction(tmp_path: Path, emu: CradlEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu), "--option", "async=false")
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("GET /predictions/{predictionId}") <= 1


def test_multi_page_walk(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(pages_per_call=1)
    document = multi_page_sample()
    env = emulator_env(tmp_path, emu)
    walked = extract(env, "--option", "walk_pages=true", document=document)
    assert walked.exit_code == 0, walked.stdout
    pages = len(walked.document["data"]["raw"]["pages"])
    assert pages >= 2 and emu.requests_to("POST /predictions") == pages
    local = run_docrelay("extract", str(document), "--provider", "local", env=env).document["data"]
    assert len(walked.document["data"]["tables"]["line_items"]) == len(local["tables"]["line_items"])
    emu.assert_no_violations()


def test_submit_then_result_in_another_process(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(async_delay=1.5)
    env = emulator_env(tmp_path, emu)
    submitted = run_docrelay("submit", str(INVOICE), "--model", MODEL, env=env)
    assert submitted.exit_code == 0, submitted.stdout
    job = submitted.document["data"]["job"]
    status = run_docrelay("status", job, env=env)
    assert status.document["data"]["status"] == "pending"
    result = run_docrelay("result", job, "--wait", env=env)
    assert result.exit_code == 0 and result.document["data"]["status"] == "succeeded"


# -- tokens -------------------------------------------------------------------------------------------
def test_token_expiring_mid_run_is_renewed(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(token_ttl=2, async_delay=3)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /oauth2/token") >= 2
    assert emu.stats["statuses"].get("GET /predictions/{predictionId}", {}).get("401", 0) == 0


def test_a_401_renews_the_token_once_and_retries(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("POST /predictions", status=401, message="The incoming token has expired")
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /oauth2/token") == 2
    assert emu.requests_to("POST /predictions") == 2


def test_ready_token_mode_makes_no_token_request(tmp_path: Path, emu: CradlEmulator) -> None:
    env = emulator_env(tmp_path, emu, DOCRELAY_CRADL_ACCESS_TOKEN=emu.issue_token())
    del env["DOCRELAY_CRADL_CLIENT_ID"], env["DOCRELAY_CRADL_CLIENT_SECRET"]
    assert extract(env).exit_code == 0
    assert emu.requests_to("POST /oauth2/token") == 0


def test_form_style_token_endpoint_with_audience(tmp_path: Path, emu: CradlEmulator) -> None:
    env = emulator_env(
        tmp_path, emu, DOCRELAY_CRADL_AUTH_URL=emu.token_url + "?audience=https://api.cradl.ai/v1"
    )
    assert extract(env).exit_code == 0
    assert emu.requests_to("POST /oauth2/token") == 1


def test_official_sdk_variables_and_files_are_fallbacks(tmp_path: Path, emu: CradlEmulator) -> None:
    env = isolated_env(tmp_path, DOCRELAY_PROVIDER="cradl", CRADL_CLIENT_ID=emu.client_id)
    credentials = tmp_path / "home" / ".cradl" / "credentials.json"
    credentials.parent.mkdir(parents=True)
    credentials.write_text(
        json.dumps(
            {
                "default": {
                    "client_secret": emu.client_secret,
                    "auth_endpoint": emu.token_url,
                    "api_endpoint": emu.base_url,
                }
            }
        ),
        encoding="utf-8",
    )
    run = extract(env)
    assert run.exit_code == 0, run.stdout
    shown = run_docrelay("config", "show", env=env).document["data"]
    assert shown["origins"]["client_id"] == "env CRADL_CLIENT_ID"
    assert str(credentials) in shown["origins"]["client_secret"]


def test_wrong_client_secret_is_an_auth_error(tmp_path: Path, emu: CradlEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_CRADL_CLIENT_SECRET="not-the-secret"))
    assert run.exit_code == 5
    assert "refused the client credentials" in run.error["message"]
    assert "not-the-secret" not in run.stdout + run.stderr


def test_missing_credentials_is_a_config_error(tmp_path: Path, emu: CradlEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    del env["DOCRELAY_CRADL_CLIENT_SECRET"]
    run = extract(env)
    assert run.exit_code == 3
    assert "client_secret" in run.error["message"] and "DOCRELAY_CRADL_CLIENT_SECRET" in run.error["message"]


# -- rate limits, quota, faults ---------------------------------------------------------------------
def test_a_429_storm_is_ridden_out(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("POST /predictions", status=429, message="Too Many Requests", retry_after=0.2, count=3)
    emu.script_fault(
        "GET /predictions/{predictionId}", status=429, message="Too Many Requests", retry_after=0.2
    )
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /predictions") == 4


def test_rate_limit_that_never_ends_exits_7(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("POST /documents", status=429, message="Too Many Requests", retry_after=0.1, count=50)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 7 and run.error["type"] == "rate_limited"


def test_quota_exhausted_fails_at_once(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(quota=0)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 7
    assert run.error["type"] == "quota_exceeded" and "quota" in run.error["message"]
    assert emu.requests_to("POST /predictions") == 1


def large_invoice(tmp_path: Path) -> Path:
    """The sample invoice padded past the inline limit, so it is streamed to fileUrl."""
    from core.providers.cradl.api import INLINE_MAX_BYTES

    path = tmp_path / "large-invoice.pdf"
    path.write_bytes(INVOICE.read_bytes() + b"\n%" + b"x" * INLINE_MAX_BYTES + b"\n")
    return path


def test_a_large_file_is_streamed_to_file_url(tmp_path: Path, emu: CradlEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu), document=large_invoice(tmp_path))
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["fields"]["invoice_number"]["value"] == "INV-2026-0042"
    assert emu.requests_to("POST /documents") == 1 and emu.requests_to("PUT /files/{fileId}") == 1


def test_5xx_then_success(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("POST /documents", status=503, retry_after=0.1, count=2)
    emu.script_fault("PUT /files/{fileId}", status=502, retry_after=0.1)
    emu.script_fault("PUT /files/{fileId}", action="drop")
    run = extract(emulator_env(tmp_path, emu), document=large_invoice(tmp_path))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /documents") == 3
    assert emu.requests_to("PUT /files/{fileId}") == 3
    assert emu.stats["counters"]["uploads_by_sha256"] == {run.document["data"]["document"]["sha256"]: 1}


def test_5xx_that_persists_exits_8(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("GET /predictions/{predictionId}", status=500, retry_after=0.05, count=50)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 8 and run.error["type"] == "service_error"
    assert run.error["http_status"] == 500


def test_failed_put_leaves_no_document_behind(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("PUT /files/{fileId}", status=500, retry_after=0.05, count=50)
    run = extract(emulator_env(tmp_path, emu), document=large_invoice(tmp_path))
    assert run.exit_code == 8
    assert emu.requests_to("DELETE /documents/{documentId}") == 1
    assert emu.stats["documents"] == 0


# -- error mapping --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint", "status", "message", "code", "error_type"),
    [
        ("POST /predictions", 400, "preprocessConfig is invalid", 4, "input_error"),
        ("POST /predictions", 415, "Unsupported media type", 4, "input_error"),
    ],
)
def test_error_mapping(
    tmp_path: Path, emu: CradlEmulator, endpoint: str, status: int, message: str, code: int, error_type: str
) -> None:
    emu.script_fault(endpoint, status=status, message=message)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == code, run.stdout
    assert run.error["type"] == error_type and message in run.error["message"]


def test_a_403_renews_the_token_once_and_retries(tmp_path: Path, emu: CradlEmulator) -> None:
    """The spec documents 403 (not 401) for a refused token."""
    emu.script_fault("POST /documents", status=403, message="Forbidden")
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to("POST /oauth2/token") == 2, "one token, then one renewal"
    assert emu.requests_to("POST /documents") == 2


def test_a_403_after_renewal_exits_5(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("POST /documents", status=403, message="Forbidden", count=2)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 5, run.stdout
    assert run.error["type"] == "auth_error" and "Forbidden" in run.error["message"]
    assert emu.requests_to("POST /oauth2/token") == 2, "renewed once, not again"


def test_unknown_model_is_not_found(tmp_path: Path, emu: CradlEmulator) -> None:
    run = run_docrelay(
        "extract", str(INVOICE), "--model", "las:model:nosuch", env=emulator_env(tmp_path, emu)
    )
    assert run.exit_code == 6 and "las:model:nosuch" in run.error["message"]


def test_missing_model_is_a_usage_error(tmp_path: Path, emu: CradlEmulator) -> None:
    run = run_docrelay("extract", str(INVOICE), env=emulator_env(tmp_path, emu))
    assert run.exit_code == 2 and "docrelay models" in run.error["message"]
    assert emu.stats["total_requests"] == 0


def test_unreachable_service_is_a_network_error(tmp_path: Path, emu: CradlEmulator) -> None:
    env = emulator_env(tmp_path, emu, DOCRELAY_CRADL_API_URL="http://127.0.0.1:9/v1")
    run = extract(env)
    assert run.exit_code == 9 and run.error["type"] == "network_error"


def test_timeout_returns_a_resumable_handle(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(async_delay=3)
    env = emulator_env(tmp_path, emu)
    run = extract(env, "--timeout", "0.5")
    assert run.exit_code == 10 and run.error["job"].startswith("drjob1.")
    resumed = run_docrelay("result", run.error["job"], "--wait", "--timeout", "20", env=env)
    assert resumed.exit_code == 0 and resumed.document["data"]["status"] == "succeeded"
    assert emu.requests_to("POST /predictions") == 1


# -- models, doctor, reviews ----------------------------------------------------------------------------
def test_models_lists_own_and_public(tmp_path: Path, emu: CradlEmulator) -> None:
    run = run_docrelay("models", env=emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    models = {m["id"]: m for m in run.document["data"]["models"]}
    assert MODEL in models and "las:organization:cradl/las:model:invoice" in models
    assert models[MODEL]["extras"]["owner"] == "own"


def test_public_model_id_works(tmp_path: Path, emu: CradlEmulator) -> None:
    run = run_docrelay(
        "extract",
        str(INVOICE),
        "--model",
        "las:organization:cradl/las:model:invoice",
        env=emulator_env(tmp_path, emu),
    )
    assert run.exit_code == 0, run.stdout


def test_doctor(tmp_path: Path, emu: CradlEmulator) -> None:
    good = run_docrelay("doctor", env=emulator_env(tmp_path, emu))
    assert good.exit_code == 0, good.stdout
    bad = run_docrelay("doctor", env=emulator_env(tmp_path, emu, DOCRELAY_CRADL_CLIENT_SECRET="wrong-secret"))
    assert bad.exit_code == 5
    assert any(not c["ok"] for c in bad.document["data"]["checks"])


def test_review_workflow(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(async_delay=0.5)
    env = emulator_env(tmp_path, emu)
    started = run_docrelay("review", "start", str(INVOICE), "--workflow", emu.workflow_id, env=env)
    assert started.exit_code == 0, started.stdout
    review = started.document["data"]
    assert review["status"] == "running" and review["finished"] is False
    done = run_docrelay("review", "get", review["id"], "--wait", env=env)
    assert done.exit_code == 0 and done.document["data"]["status"] == "succeeded"
    listed = run_docrelay("review", "list", "--workflow", emu.workflow_id, "--status", "succeeded", env=env)
    assert review["id"] in [r["id"] for r in listed.document["data"]["reviews"]]
    completed = run_docrelay("review", "complete", review["id"], env=env)
    assert completed.exit_code == 0 and completed.document["data"]["status"] == "completed"
    local = run_docrelay("review", "get", review["id"], "--provider", "local", env=env)
    assert local.exit_code == 2 and "no human-review workflows" in local.error["message"]
