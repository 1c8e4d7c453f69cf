"""Cradl shapes and the API calls the CLI does not reach: normalization, pagination, ground truth, tokens."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from core.models import DocumentInfo
from core.providers.cradl.auth import token_request_style
from core.providers.cradl.credentials import auth_url_from_endpoint, cradl_fallbacks
from core.providers.cradl.normalize import merge_pages, normalize_prediction, to_v2
from core.providers.cradl.provider import CradlProvider
from core.sources import DocumentSource
from tests.cli_helpers import SAMPLES
from tests.emulators.cradl import CradlEmulator

DOCUMENT = DocumentInfo(name="a.pdf", sha256="0" * 64, content_type="application/pdf")

V1 = [
    {"label": "total_amount", "value": "15.00", "confidence": 0.41, "page": 0},
    {"label": "total_amount", "value": "150.00", "confidence": 0.95, "page": 1, "rawValue": "150,00",
     "location": [0.61, 0.80, 0.72, 0.83], "source": "model"},
    {"label": "due_date", "value": None, "confidence": 0.3},
    {"label": "line_items", "page": 0, "value": [
        [{"label": "description", "value": "Widget", "confidence": 0.88},
         {"label": "line_amount", "value": "100.00", "confidence": 0.97},
         {"label": "line_amount", "value": "10.00", "confidence": 0.20}],
        [{"label": "description", "value": "Gadget", "confidence": 0.90},
         {"label": "line_amount", "value": "50.00", "confidence": 0.93}]]},
]  # fmt: skip

V2 = {
    "total_amount": [
        {"value": "150.00", "confidence": 0.95, "page": 1, "rawValue": "150,00",
         "location": [0.61, 0.80, 0.72, 0.83], "source": "model"},
        {"value": "15.00", "confidence": 0.41, "page": 0},
    ],
    "due_date": [{"value": None, "confidence": 0.3}],
    "line_items": [
        {"description": [{"value": "Widget", "confidence": 0.88}],
         "line_amount": [{"value": "100.00", "confidence": 0.97}, {"value": "10.00", "confidence": 0.2}]},
        {"description": [{"value": "Gadget", "confidence": 0.90}],
         "line_amount": [{"value": "50.00", "confidence": 0.93}]},
    ],
}  # fmt: skip


def _prediction(predictions: object, **extra: object) -> dict[str, object]:
    return {
        "predictionId": "las:prediction:" + "a" * 32,
        "documentId": "las:document:" + "b" * 32,
        "modelId": "las:model:invoice",
        "status": "succeeded",
        "predictions": predictions,
        **extra,
    }


@pytest.mark.parametrize("shape", [V1, V2], ids=["v1", "v2"])
def test_both_shapes_normalize_alike(shape: object) -> None:
    result = normalize_prediction(_prediction(shape), DOCUMENT)
    total = result.fields["total_amount"]
    assert (total.value, total.confidence, total.page, total.raw_value) == ("150.00", 0.95, 1, "150,00")
    assert total.box == (0.61, 0.80, 0.72, 0.83)
    assert total.source == "model", "v1 and v2 keep what produced the value"
    assert result.fields["due_date"].source is None
    assert [c.value for c in total.candidates] == ["150.00", "15.00"], (
        "repeated labels become ranked candidates"
    )
    assert result.fields["due_date"].value is None and result.fields["due_date"].confidence == 0.3
    rows = [{k: cell.value for k, cell in row.items()} for row in result.tables["line_items"]]
    assert rows == [
        {"description": "Widget", "line_amount": "100.00"},
        {"description": "Gadget", "line_amount": "50.00"},
    ]
    assert result.raw["predictions"] == shape, "raw kept untouched"
    assert result.document.id == "las:document:" + "b" * 32


def test_v1_and_v2_give_identical_results() -> None:
    assert (
        normalize_prediction(_prediction(V1), DOCUMENT).fields
        == normalize_prediction(_prediction(V2), DOCUMENT).fields
    )


def test_failed_and_pending_predictions() -> None:
    failed = normalize_prediction(_prediction(None, status="failed", error="Unreadable document"), DOCUMENT)
    assert failed.status == "failed" and failed.error is not None and "Unreadable" in failed.error.message
    assert normalize_prediction(_prediction(None, status="pending"), DOCUMENT).status == "pending"


def test_v2_candidates_with_a_label_key_and_odd_values_are_tolerated() -> None:
    odd = {"total": [{"label": "total", "value": 12.5, "confidence": 1.7}], "junk": "not a list", "empty": []}
    result = normalize_prediction(_prediction(odd), DOCUMENT)
    assert result.fields["total"].value == "12.5" and result.fields["total"].confidence == 1.0
    assert "junk" not in result.fields and "empty" not in result.fields and "empty" not in result.tables


def test_pages_of_a_walk_are_joined() -> None:
    assert merge_pages([V1[:1], V1[1:]]) == V1
    joined = merge_pages([{"total_amount": V2["total_amount"][:1]}, {"total_amount": V2["total_amount"][1:]}])
    assert to_v2(joined)["total_amount"] == V2["total_amount"]


def test_token_request_style_follows_the_host() -> None:
    assert token_request_style("https://auth.lucidtech.ai/oauth2/token")[0] == "basic"
    style, audience, _ = token_request_style("https://auth.cradl.ai/oauth2/token")
    assert (style, audience) == ("form", "https://api.cradl.ai/v1")
    style, audience, url = token_request_style("http://127.0.0.1:1/oauth2/token?audience=https://x/v1")
    assert (style, audience, url) == ("form", "https://x/v1", "http://127.0.0.1:1/oauth2/token")


def test_sdk_conventions(tmp_path: object) -> None:
    assert auth_url_from_endpoint("auth.lucidtech.ai") == "https://auth.lucidtech.ai/token"
    found = cradl_fallbacks({"LAS_CLIENT_ID": "las-id", "CRADL_CLIENT_ID": "cradl-id", "HOME": str(tmp_path)})
    assert found["client_id"] == ("cradl-id", "env CRADL_CLIENT_ID"), "CRADL_* wins over LAS_*"
    ini = tmp_path / ".lucidtech" / "credentials.cfg"  # type: ignore[operator]
    ini.parent.mkdir()
    ini.write_text(
        "[default]\nclient_secret = s3\napi_endpoint = https://api.lucidtech.ai\n", encoding="utf-8"
    )
    found = cradl_fallbacks({"HOME": str(tmp_path)})
    assert found["client_secret"][0] == "s3" and found["api_url"][0] == "https://api.lucidtech.ai/v1"


# -- against the emulator, in process ---------------------------------------------------------------
def _provider(emu: CradlEmulator) -> CradlProvider:
    return CradlProvider(
        {
            "api_url": emu.base_url,
            "auth_url": emu.token_url,
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        }
    )


def test_documents_listing_pages_through_next_token(
    make_cradl_emulator: Callable[..., CradlEmulator],
) -> None:
    emu = make_cradl_emulator()
    source = DocumentSource.from_path(SAMPLES / "invoice.pdf")
    with _provider(emu) as provider:
        created = [
            provider.api.create_document(source, description=f"copy {n}", metadata={"n": n}) for n in range(5)
        ]
        listed = list(provider.api.list_documents(maxResults=2))
        assert {d["documentId"] for d in created} <= {d["documentId"] for d in listed}
        assert emu.requests_to("GET /documents") >= 3, "followed nextToken"
        assert len(list(provider.api.list_documents(maxResults=2, limit=3))) == 3
    emu.assert_no_violations()


def test_ground_truth_feedback_and_delete(make_cradl_emulator: Callable[..., CradlEmulator]) -> None:
    emu = make_cradl_emulator()
    source = DocumentSource.from_path(SAMPLES / "invoice.pdf")
    with _provider(emu) as provider:
        document = provider.api.create_document(source, retentionInDays=7, datasetId=None)
        truth = [{"label": "total_amount", "value": "1836.60"}]
        updated = provider.api.update_document(document["documentId"], groundTruth=truth)
        assert updated["groundTruth"] == truth
        assert provider.api.get_document(document["documentId"])["documentId"] == document["documentId"]
        provider.api.delete_document(document["documentId"])
        assert emu.stats["documents"] == 0
        assert provider.api.get_model("las:organization:cradl/las:model:invoice")["modelId"]
    emu.assert_no_violations()


def test_unknown_document_fields_are_refused() -> None:
    from core.errors import InputError
    from core.providers.cradl.api import CradlApi

    api = CradlApi(http=None)  # type: ignore[arg-type]  # refused before any call
    with pytest.raises(InputError, match="Unknown Cradl document fields: colour"):
        api.create_document(DocumentSource.from_path(SAMPLES / "invoice.pdf"), colour="blue")


def test_concurrent_workers_fetch_one_token(make_cradl_emulator: Callable[..., CradlEmulator]) -> None:
    emu = make_cradl_emulator()
    with _provider(emu) as provider:
        threads = [threading.Thread(target=lambda: list(provider.api.list_models())) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert emu.requests_to("POST /oauth2/token") == 1


@pytest.mark.parametrize("option", ["async", "collapse", "walk_pages", "auto_rotate"])
def test_a_true_false_option_with_a_typo_is_refused_not_read_as_false(option: str) -> None:
    from core.errors import UsageError
    from core.providers.base import PredictOptions
    from core.providers.cradl.provider import prediction_body

    extra = {option: "ture", "strategy": "BEST_N_PAGES"}
    with pytest.raises(UsageError, match=f"{option}='ture' is not true or false"):
        prediction_body("las:document:1", "las:model:invoice", PredictOptions(extra=extra))
    accepted = prediction_body("d", "m", PredictOptions(extra={option: "Yes", "strategy": "BEST_N_PAGES"}))
    assert accepted  # the same words as everywhere else: 1/true/yes/on, 0/false/no/off
