"""The DeepOpinion provider end to end: the `docrelay` program against the schema-validating emulator."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import SAMPLES, Run, emulator_env, run_docrelay
from tests.emulators.deepopinion import EXTRACT_ENDPOINT, DeepopinionEmulator
from tests.emulators.deepopinion.reference import REFERENCE_SAMPLES
from tests.emulators.deepopinion.shapes import DEFAULT_MODELS

SERVICE = "deepopinion"  # the `emu` fixture (tests/conftest.py) gives its emulator

INVOICE = SAMPLES / "invoice.pdf"
MODEL = "7"
LOGIN = "POST /auth/login"
MakeEmulator = Callable[..., DeepopinionEmulator]


def extract(env: dict[str, str], *args: str, document: Path = INVOICE) -> Run:
    return run_docrelay("extract", str(document), "--model", MODEL, *args, env=env)


# -- the whole flow -------------------------------------------------------------------------------------
def test_extract_through_the_emulator(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    result = run.document["data"]
    assert (
        result["provider"] == "deepopinion" and result["status"] == "succeeded" and result["model"] == MODEL
    )
    assert re.fullmatch(r"deepopinion:extraction:[0-9a-f]{32}", result["prediction_id"])
    total = result["fields"]["total_amount"]
    assert total["value"] and 0 <= total["confidence"] <= 1 and total["page"] == 0
    x1, y1, x2, y2 = total["box"]
    assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1
    extras = result["extras"]
    assert extras["credits_used"] == emu.stats["credits_used"] > 0
    assert extras["model_name"] == "Invoice Extraction v1" and extras["all_required_fields_found"] is True
    assert extras["review_required"] == (extras["hitl_status"] == "pending")
    assert extras["review_required"] == bool(extras["low_confidence"])
    assert result["raw"]["documents"][0]["name"] == "invoice.pdf", "raw response kept"
    assert emu.requests_to(LOGIN) == 1 and emu.requests_to(EXTRACT_ENDPOINT) == 1
    assert not list((tmp_path / "cache").glob("deepopinion/*.json")), "extract keeps no result on disk"


def test_hitl_status_and_low_confidence_values(
    tmp_path: Path,
    make_deepopinion_emulator: MakeEmulator,
) -> None:

    strict = replace(DEFAULT_MODELS[0], threshold=0.99)  # every value needs review
    emu = make_deepopinion_emulator(models=(strict, DEFAULT_MODELS[1]))
    extras = extract(emulator_env(tmp_path, emu)).document["data"]["extras"]
    assert extras["hitl_status"] == "pending" and extras["review_required"] is True
    assert extras["all_confidence_thresholds_met"] is False
    low = extras["low_confidence"]
    assert low and all(item["expected_confidence"] == 0.99 and item["confidence"] < 0.99 for item in low)


def test_annotated_pages_only_when_asked(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    plain = extract(env).document["data"]["raw"]["documents"][0]
    asked = extract(env, "--option", "annotated_pages=true").document["data"]["raw"]["documents"][0]
    assert "annotated_pages" not in plain and asked["annotated_pages"]


def test_submit_then_result_in_another_process(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    submitted = run_docrelay("submit", str(INVOICE), "--model", MODEL, env=env)
    assert submitted.exit_code == 0, submitted.stdout
    job = submitted.document["data"]["job"]
    status = run_docrelay("status", job, env=env)
    assert status.exit_code == 0 and status.document["data"]["status"] == "succeeded"
    result = run_docrelay("result", job, env=env)
    assert result.exit_code == 0 and result.document["data"]["fields"] == status.document["data"]["fields"]
    assert emu.requests_to(EXTRACT_ENDPOINT) == 1, "the stored result is reused, not extracted again"
    assert "password" not in job and emu.password not in job


def test_a_handle_in_the_format_of_earlier_versions_still_resolves(
    tmp_path: Path, emu: DeepopinionEmulator
) -> None:
    from core.checks import with_arithmetic_checks
    from core.models import JobHandle, Result

    env = emulator_env(tmp_path, emu)
    job = JobHandle.decode(
        run_docrelay("submit", str(INVOICE), "--model", MODEL, env=env).document["data"]["job"]
    )
    # Before services kept these jobs, the provider wrote a handle with this state and no cache path.
    earlier = job.model_copy(update={"state": {"synchronous": True, "stored": True}}).encode()
    result = run_docrelay("result", earlier, env=env)
    assert result.exit_code == 0, result.stdout
    kept = next((tmp_path / "cache" / "deepopinion").glob("*.json"))
    expected = with_arithmetic_checks(Result.model_validate_json(kept.read_text(encoding="utf-8")))
    assert result.document["data"] == expected.to_dict()
    assert emu.requests_to(EXTRACT_ENDPOINT) == 1


def test_result_gone_from_the_cache_is_not_found(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    env = emulator_env(tmp_path, emu)
    job = run_docrelay("submit", str(INVOICE), "--model", MODEL, env=env).document["data"]["job"]
    for stored in (tmp_path / "cache" / "deepopinion").glob("*.json"):
        stored.unlink()
    run = run_docrelay("result", job, env=env)
    assert run.exit_code == 6 and "Extract the document again" in run.error["message"]


def test_unwritable_cache_still_extracts(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    env = emulator_env(tmp_path, emu, DOCRELAY_CACHE_DIR=str(blocker))
    assert extract(env).exit_code == 0
    submitted = run_docrelay("submit", str(INVOICE), "--model", MODEL, env=env)
    assert submitted.exit_code == 0
    later = run_docrelay("result", submitted.document["data"]["job"], env=env)
    assert later.exit_code == 6 and later.error["type"] == "not_found"


def test_handle_without_an_extraction_id_is_a_usage_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    from core.models import DocumentInfo, JobHandle

    handle = JobHandle(provider="deepopinion", model=MODEL, document=DocumentInfo(name="x.pdf")).encode()
    run = run_docrelay("result", handle, env=emulator_env(tmp_path, emu))
    assert run.exit_code == 2 and "no DeepOpinion extraction id" in run.error["message"]


# -- authentication -------------------------------------------------------------------------------------
def test_a_401_logs_in_once_more_and_retries_once(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    emu.script_fault(EXTRACT_ENDPOINT, status=401, message="Signature expired. Please log in again.")
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to(LOGIN) == 2 and emu.requests_to(EXTRACT_ENDPOINT) == 2


def test_a_401_after_the_new_login_is_an_auth_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    emu.script_fault(EXTRACT_ENDPOINT, status=401, message="Invalid token. Please log in again.", count=5)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 5 and run.error["type"] == "auth_error"
    assert "Invalid token" in run.error["message"] and "DOCRELAY_DEEPOPINION_EMAIL" in run.error["message"]
    assert emu.requests_to(LOGIN) == 2 and emu.requests_to(EXTRACT_ENDPOINT) == 2


def test_expired_given_token_is_replaced_by_a_login(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    env = emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_TOKEN=emu.issue_token(ttl=0))
    assert extract(env).exit_code == 0
    assert emu.requests_to(LOGIN) == 1 and emu.requests_to(EXTRACT_ENDPOINT) == 2


def test_ready_token_mode_makes_no_login(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    env = emulator_env(
        tmp_path,
        emu,
        DOCRELAY_DEEPOPINION_TOKEN=emu.issue_token(),
        DOCRELAY_DEEPOPINION_EMAIL="",
        DOCRELAY_DEEPOPINION_PASSWORD="",
    )
    assert extract(env).exit_code == 0
    assert emu.requests_to(LOGIN) == 0


def test_expired_token_without_login_details_fails_clearly(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    token = emu.issue_token(ttl=0)
    env = emulator_env(
        tmp_path,
        emu,
        DOCRELAY_DEEPOPINION_TOKEN=token,
        DOCRELAY_DEEPOPINION_EMAIL="",
        DOCRELAY_DEEPOPINION_PASSWORD="",
    )
    run = extract(env)
    assert run.exit_code == 5 and "expired" in run.error["message"]
    assert "DOCRELAY_DEEPOPINION_TOKEN" in run.error["message"] and token not in run.stdout + run.stderr
    assert emu.requests_to(LOGIN) == 0 and emu.requests_to(EXTRACT_ENDPOINT) == 1


@pytest.mark.parametrize(
    ("accept", "prefix", "code"), [("raw", "none", 0), ("raw", "Bearer", 5), ("bearer", "", 0)]
)
def test_token_prefix_setting(
    tmp_path: Path,
    make_deepopinion_emulator: MakeEmulator,
    accept: str,
    prefix: str,
    code: int,
) -> None:
    emu = make_deepopinion_emulator(accept_header=accept)
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_TOKEN_PREFIX=prefix))
    assert run.exit_code == code, run.stdout
    if code:
        assert "token_prefix=none" in run.error["message"]


def test_wrong_password_is_an_auth_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_PASSWORD="not-the-password"))
    assert run.exit_code == 5 and "refused the login of robot@example.com" in run.error["message"]
    assert "Wrong email or password" in run.error["message"]
    assert run.error["message"].count("refused") == 1  # said once, not wrapped again
    assert "not-the-password" not in run.stdout + run.stderr
    assert emu.requests_to(EXTRACT_ENDPOINT) == 0


@pytest.mark.parametrize(
    ("remove", "code", "words"),
    [
        ("DOCRELAY_DEEPOPINION_PASSWORD", 3, "password not set"),
        ("DOCRELAY_DEEPOPINION_ORGANIZATION", 3, "organization id"),
        ("DOCRELAY_DEEPOPINION_PROJECT", 3, "DOCRELAY_DEEPOPINION_PROJECT"),
    ],
)
def test_missing_settings_are_config_errors(
    tmp_path: Path, emu: DeepopinionEmulator, remove: str, code: int, words: str
) -> None:
    run = extract(emulator_env(tmp_path, emu, **{remove: ""}))
    assert run.exit_code == code and words in run.error["message"], run.stdout
    assert emu.stats["total_requests"] == 0


def test_invalid_token_prefix_is_a_config_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_TOKEN_PREFIX="Bearer please"))
    assert run.exit_code == 3 and "token_prefix" in run.error["message"]


def test_login_refused_with_400_is_an_auth_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    emu.script_fault(LOGIN, status=400, message="Invalid email address.")
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 5 and "Invalid email address" in run.error["message"]


def test_non_numeric_workspace_is_a_config_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_PROJECT="invoices"))
    assert run.exit_code == 3 and "numeric id" in run.error["message"]


@pytest.mark.parametrize(
    ("args", "words"), [((), "needs a model id"), (("--model", "invoice"), "are numbers")]
)
def test_model_usage_errors(
    tmp_path: Path, emu: DeepopinionEmulator, args: tuple[str, ...], words: str
) -> None:
    run = run_docrelay("extract", str(INVOICE), *args, env=emulator_env(tmp_path, emu))
    assert run.exit_code == 2 and words in run.error["message"]
    assert emu.stats["total_requests"] == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--pages", "0"), "no page selection"),
        (("--option", "walk_pages=true"), "Unknown DeepOpinion options"),
        (("--option", "annotated_pages=maybe"), "is not true or false"),
    ],
)
def test_unsupported_options_are_usage_errors(
    tmp_path: Path, emu: DeepopinionEmulator, args: tuple[str, ...], words: str
) -> None:
    run = extract(emulator_env(tmp_path, emu), *args)
    assert run.exit_code == 2 and words in run.error["message"]


# -- error mapping ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "message", "code", "error_type", "attempts"),
    [
        (400, "Bad request: file is broken", 4, "input_error", 1),
        (403, "You are not a member of this workspace", 5, "auth_error", 1),
        (404, "Model 7 not found.", 6, "not_found", 1),
        (415, "Unsupported document format", 4, "input_error", 1),
        (422, "Could not process document", 4, "input_error", 1),
        (402, "Not enough credits", 7, "quota_exceeded", 1),
        (500, "Internal Server Error", 8, "service_error", 1),  # a POST that may have run is not repeated
        (503, "Service Unavailable", 8, "service_error", 5),
        (429, "Too Many Requests", 7, "rate_limited", 5),
    ],
)
def test_error_mapping(
    tmp_path: Path,
    emu: DeepopinionEmulator,
    status: int,
    message: str,
    code: int,
    error_type: str,
    attempts: int,
) -> None:
    # A Retry-After lets even a POST be sent again; only 429 and 503 carry one here.
    retry_after = 0.05 if status in (429, 503) else None
    emu.script_fault(EXTRACT_ENDPOINT, status=status, message=message, retry_after=retry_after, count=50)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == code, run.stdout
    assert run.error["type"] == error_type and message in run.error["message"]
    assert run.error["http_status"] == status
    assert emu.requests_to(EXTRACT_ENDPOINT) == attempts


def test_unknown_model_is_not_found(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = run_docrelay("extract", str(INVOICE), "--model", "99", env=emulator_env(tmp_path, emu))
    assert run.exit_code == 6 and "Model 99 not found" in run.error["message"]


def test_429_and_503_are_ridden_out(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    emu.script_fault(EXTRACT_ENDPOINT, status=429, message="Too Many Requests", retry_after=0.1, count=2)
    emu.script_fault(EXTRACT_ENDPOINT, status=503, retry_after=0.1)
    emu.script_fault(LOGIN, status=503, retry_after=0.1)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert emu.requests_to(EXTRACT_ENDPOINT) == 4 and emu.stats["extractions"] == 1


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        ("<html><head><title>Bad Gateway</title></head></html>", "text/html", "not JSON"),
        ('{"documents": "none"', "application/json", "not JSON"),
        ('{"model": "Invoice Extraction v1"}', "application/json", "without a list of documents"),
        ("[1, 2]", "application/json", "not a JSON object"),
    ],
)
def test_malformed_extraction_bodies_are_service_errors(
    tmp_path: Path, emu: DeepopinionEmulator, body: str, content_type: str, words: str
) -> None:
    emu.script_body(EXTRACT_ENDPOINT, body, content_type=content_type)
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 8 and run.error["type"] == "service_error" and words in run.error["message"]


def test_login_reply_without_a_token_is_a_service_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    emu.script_body(LOGIN, '{"message": "Successfully logged in.", "status": "OK"}')
    run = extract(emulator_env(tmp_path, emu))
    assert run.exit_code == 8 and "without an auth_token" in run.error["message"]


def test_slow_extraction_hits_the_deadline(tmp_path: Path, make_deepopinion_emulator: MakeEmulator) -> None:
    emu = make_deepopinion_emulator(extraction_delay=3)
    run = extract(emulator_env(tmp_path, emu), "--timeout", "1")
    assert run.exit_code == 10 and run.error["type"] == "timeout"
    assert "within 1 s" in run.error["message"] and "--timeout" in run.error["message"]
    assert emu.requests_to(EXTRACT_ENDPOINT) == 1, "a synchronous extraction that may have run is not resent"


def test_unreachable_service_is_a_network_error(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = extract(emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_URL="http://127.0.0.1:9"))
    assert run.exit_code == 9 and run.error["type"] == "network_error"


# -- models, doctor, config --------------------------------------------------------------------------------
def test_models(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    run = run_docrelay("models", env=emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    models = {m["id"]: m for m in run.document["data"]["models"]}
    assert models["7"]["name"] == "Invoice Extraction v1" and models["7"]["extras"]["project_id"] == 1
    assert models["387"]["extras"]["type"] == "ABSA"


def test_doctor(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    good = run_docrelay("doctor", env=emulator_env(tmp_path, emu))
    assert good.exit_code == 0, good.stdout
    checks = {c["name"]: c for c in good.document["data"]["checks"]}
    assert checks["credentials"]["detail"] == f"logged in as {emu.email}"
    bad = run_docrelay(
        "doctor", env=emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_PASSWORD="wrong-password")
    )
    assert bad.exit_code == 5 and "wrong-password" not in bad.stdout
    no_project = run_docrelay("doctor", env=emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_PROJECT=""))
    assert no_project.exit_code == 3


def test_config_show_masks_secrets_and_knows_token_prefix(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    env = emulator_env(tmp_path, emu, DOCRELAY_DEEPOPINION_TOKEN=emu.issue_token())
    shown = run_docrelay("config", "show", env=env)
    assert shown.exit_code == 0, shown.stdout
    assert emu.password not in shown.stdout and env["DOCRELAY_DEEPOPINION_TOKEN"] not in shown.stdout
    assert "token_prefix" in shown.stdout
    saved = run_docrelay("config", "set", "token_prefix", "none", "--provider", "deepopinion", env=env)
    assert saved.exit_code == 0, saved.stdout


# -- the reference's own sample, normalized ------------------------------------------------------------------
def test_reference_sample_is_normalized() -> None:
    from core.models import DocumentInfo
    from core.providers.deepopinion.normalize import normalize_extraction

    sample: dict[str, Any] = REFERENCE_SAMPLES[
        "POST /organizations/{organization_id}/projects/{project_id}/models/{model_id}"
    ]
    result = normalize_extraction(sample, DocumentInfo(name="Invoice.pdf"), model="7", prediction_id="p")
    name = result.fields["First name"]
    assert name.value == "John Doe" and name.page == 0 and name.confidence == pytest.approx(0.99365, abs=1e-4)
    assert name.box == pytest.approx((0.058681, 0.03466, 0.064126, 0.058681), abs=1e-5)
    assert result.extras["credits_used"] == 24 and result.extras["hitl_status"] == "pending"
    assert result.extras["low_confidence"] == [
        {"label": "First name", "value": "John Doe", "expected_confidence": 0.9, "confidence": 0.7}
    ]
    assert result.raw == sample
