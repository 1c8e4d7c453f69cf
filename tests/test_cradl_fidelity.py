"""Cradl as the service and its official SDKs behave (issue 15): postprocessing, predictions kept at a
fileUrl, the token endpoint's spurious 400s, which API host goes with which app, the SDKs' endpoint
conversion, inline uploads, and the emulator's own fidelity fixes."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from core.errors import AuthError, UsageError
from core.providers.base import PredictOptions
from core.providers.cradl.auth import CradlClientCredentials
from core.providers.cradl.credentials import auth_url_from_endpoint
from core.providers.cradl.provider import CradlProvider, postprocess_config, prediction_body
from core.transport import HttpClient
from tests.batch_support import cradl_client
from tests.cli_helpers import SAMPLES
from tests.emulators.cradl import CradlEmulator

INVOICE = SAMPLES / "invoice.pdf"
MODEL = "las:model:invoice"
MakeEmulator = Callable[..., CradlEmulator]


@pytest.fixture
def emu(make_cradl_emulator: MakeEmulator) -> Iterator[CradlEmulator]:
    emulator = make_cradl_emulator()
    yield emulator
    emulator.assert_no_violations()


def options(**extra: Any) -> PredictOptions:
    return PredictOptions(extra={k: str(v) for k, v in extra.items()})


# -- 1. postprocessConfig only when asked -----------------------------------------------------------
def test_no_postprocess_config_unless_asked() -> None:
    body = prediction_body("las:document:" + "a" * 32, MODEL, PredictOptions())
    assert "postprocessConfig" not in body, "the model's own postprocessing must apply"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"n": 5}, {"strategy": "BEST_N_PAGES", "parameters": {"n": 5, "collapse": True}}),
        ({"collapse": "false"}, {"strategy": "BEST_N_PAGES", "parameters": {"n": 3, "collapse": False}}),
        ({"output_format": "v2"}, {"strategy": "BEST_FIRST", "outputFormat": "v2"}),
        ({"strategy": "best_first"}, {"strategy": "BEST_FIRST"}),
        (
            {"strategy": "BEST_N_PAGES", "n": 2, "output_format": "v1"},
            {"strategy": "BEST_N_PAGES", "outputFormat": "v1", "parameters": {"n": 2, "collapse": True}},
        ),
    ],
)
def test_postprocess_options_are_never_dropped(extra: dict[str, Any], expected: dict[str, Any]) -> None:
    assert postprocess_config(options(**extra).extra) == expected


@pytest.mark.parametrize("extra", [{"strategy": "BEST_FIRST", "n": 5}, {"strategy": "TOP"}])
def test_contradicting_postprocess_options_are_refused(extra: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        postprocess_config(options(**extra).extra)


def test_the_models_own_postprocessing_is_answered(tmp_path: Path, emu: CradlEmulator) -> None:
    with cradl_client(emu, tmp_path) as client:
        invoice = client.extract(INVOICE, model=MODEL)
        asked = client.extract(INVOICE, model=MODEL, options=options(n=2))
    assert invoice.raw["postprocessConfig"] == {"strategy": "BEST_FIRST", "outputFormat": "v1"}
    assert isinstance(invoice.raw["predictions"], list), "v1: the model's default format"
    assert invoice.fields["invoice_number"].value == "INV-2026-0042"
    assert asked.raw["postprocessConfig"]["parameters"]["n"] == 2
    assert asked.fields["invoice_number"].value == "INV-2026-0042"


# -- 2. succeeded with predictions null: read them from fileUrl ---------------------------------------
@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
def test_predictions_kept_at_file_url_are_fetched(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, sync: bool
) -> None:
    emu = make_cradl_emulator(predictions_in_file=True)
    extra = {"async": "false", "output_format": "v2"} if sync else {}
    with cradl_client(emu, tmp_path) as client:
        result = client.extract(INVOICE, model=MODEL, options=options(**extra))
    assert result.status == "succeeded"
    assert result.fields["invoice_number"].value == "INV-2026-0042"
    assert result.tables["line_items"], "tables too"
    assert emu.requests_to("GET /files/{fileId}") == 1
    emu.assert_no_violations()


# -- 3. the Cradl app: token 400s and the API host -----------------------------------------------------
def _form_credentials(emu: CradlEmulator, secret: str | None = None) -> CradlClientCredentials:
    client = HttpClient(emu.token_url + "?audience=https://api.cradl.ai/v1", provider="cradl")
    return CradlClientCredentials(
        client, emu.client_id, secret or emu.client_secret, bad_request_waits=(0.01, 0.01, 0.01)
    )


def test_spurious_token_400s_are_retried(emu: CradlEmulator) -> None:
    emu.script_fault("POST /oauth2/token", status=400, message="invalid_request", count=3)
    assert _form_credentials(emu).token()
    assert emu.requests_to("POST /oauth2/token") == 4


def test_token_400s_that_persist_are_refused_credentials(emu: CradlEmulator) -> None:
    emu.script_fault("POST /oauth2/token", status=400, message="invalid_request", count=10)
    with pytest.raises(AuthError) as caught:
        _form_credentials(emu).token()
    assert caught.value.exit_code == 5
    assert emu.requests_to("POST /oauth2/token") == 4, "bounded: four tries, as the official SDK"


def test_wrong_secret_in_the_cradl_app_is_refused(emu: CradlEmulator) -> None:
    with pytest.raises(AuthError, match="refused"):
        _form_credentials(emu, secret="wrong").token()


@pytest.mark.parametrize(
    ("settings", "api_url"),
    [
        ({}, "https://api.lucidtech.ai/v1"),
        ({"auth_url": "https://auth.lucidtech.ai/oauth2/token"}, "https://api.lucidtech.ai/v1"),
        ({"auth_url": "https://auth.cradl.ai/oauth2/token"}, "https://api.cradl.ai/v1"),
        ({"auth_url": "https://acme.kinde.com/oauth2/token"}, "https://api.cradl.ai/v1"),
        (
            {"auth_url": "https://auth.cradl.ai/oauth2/token", "api_url": "https://proxy.example/v1"},
            "https://proxy.example/v1",
        ),
    ],
)
def test_the_api_host_goes_with_the_app(settings: dict[str, str], api_url: str) -> None:
    assert CradlProvider(settings).service_url() == api_url


# -- 5. the SDKs' endpoint conversion --------------------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("auth.lucidtech.ai", "https://auth.lucidtech.ai/token"),
        ("auth.lucidtech.ai/oauth2", "https://auth.lucidtech.ai/oauth2/token"),
        ("auth.lucidtech.ai/oauth2/", "https://auth.lucidtech.ai/oauth2/token"),
        ("https://auth.cradl.ai/oauth2/token", "https://auth.cradl.ai/oauth2/token"),
    ],
)
def test_credentials_file_endpoints_convert_as_the_sdk_does(endpoint: str, url: str) -> None:
    assert auth_url_from_endpoint(endpoint) == url


# -- one call fewer: small files inline ------------------------------------------------------------
def test_a_small_file_costs_one_call_to_upload(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(async_delay=0)
    with cradl_client(emu, tmp_path) as client:
        result = client.extract(INVOICE, model=MODEL)
    assert result.document.content_type == "application/pdf"
    assert emu.requests_to("POST /documents") == 1
    assert emu.requests_to("PUT /files/{fileId}") == 0
    counts = emu.stats["requests"]
    assert sum(counts.values()) == 3, f"create document, create prediction, one poll: {counts}"
    stored = requests.get(
        f"{emu.base_url}/documents/{result.document.id}",
        headers={"Authorization": f"Bearer {emu.issue_token()}"},
        timeout=10,
    ).json()
    assert stored["contentType"] == "application/pdf"
    emu.assert_no_violations()


# -- the emulator held to what the SDKs and the spec say --------------------------------------------
def _api(emu: CradlEmulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emu.issue_token()}"
    return session


def test_untyped_upload_is_accepted_and_typed_from_the_bytes(make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(allow_untyped_put=True)
    api = _api(emu)
    document = api.post(f"{emu.base_url}/documents", json={"name": "a.pdf"}, timeout=10).json()
    assert document["contentType"] is None, "no type given, none answered"
    put = api.put(document["fileUrl"], data=INVOICE.read_bytes(), timeout=10)
    assert put.status_code == 200
    stored = api.get(f"{emu.base_url}/documents/{document['documentId']}", timeout=10).json()
    assert stored["contentType"] == "application/pdf"
    emu.assert_no_violations()


def test_strict_mode_refuses_an_untyped_upload(emu: CradlEmulator) -> None:
    api = _api(emu)
    document = api.post(f"{emu.base_url}/documents", json={"name": "a.pdf"}, timeout=10).json()
    put = api.put(document["fileUrl"], data=INVOICE.read_bytes(), timeout=10)
    assert put.status_code == 415
    emu.reset()  # the refused upload is recorded as a violation on purpose


def test_documents_answer_consent_and_ground_truth(emu: CradlEmulator) -> None:
    api = _api(emu)
    content = base64.b64encode(INVOICE.read_bytes()).decode()
    document = api.post(
        f"{emu.base_url}/documents",
        json={"content": content, "contentType": "application/pdf"},
        timeout=10,
    ).json()
    assert document["groundTruth"] == []
    assert document["consentId"].startswith("las:consent:")
    listed = api.get(f"{emu.base_url}/documents", timeout=10).json()["documents"]
    assert listed[0]["consentId"] == document["consentId"]


def test_execution_lists_filter_by_start_time(emu: CradlEmulator) -> None:
    api = _api(emu)
    content = base64.b64encode(INVOICE.read_bytes()).decode()
    document = api.post(
        f"{emu.base_url}/documents", json={"content": content, "contentType": "application/pdf"}, timeout=10
    ).json()
    executions = f"{emu.base_url}/workflows/{emu.workflow_id}/executions"
    started = api.post(executions, json={"input": {"documentId": document["documentId"]}}, timeout=10).json()
    moment = started["startTime"]

    def listed(**query: str) -> int:
        return len(api.get(executions, params=query, timeout=10).json()["executions"])

    assert listed() == 1
    assert listed(fromStartTime=moment) == 1 and listed(toStartTime=moment) == 1
    assert listed(fromStartTime="2999-01-01T00:00:00Z") == 0
    assert listed(toStartTime="2000-01-01T00:00:00+00:00") == 0
