"""Tests of the DeepOpinion emulator and its JSON Schema, with plain HTTP calls (no docrelay code)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.cli_helpers import REPO
from tests.emulators.deepopinion import EXTRACT_ENDPOINT, DeepopinionEmulator
from tests.emulators.deepopinion.reference import REFERENCE_SAMPLES
from tests.emulators.deepopinion.schema import SchemaValidator, parse_multipart
from tests.emulators.deepopinion.textmodel import analyse_text

SERVICE = "deepopinion"  # the `emu` fixture (tests/conftest.py) gives its emulator

INVOICE = (REPO / "samples" / "invoice.pdf").read_bytes()
EXTRACT_PATH = "/organizations/1/projects/1/models/7"
Make = Callable[..., DeepopinionEmulator]


class Api:
    def __init__(self, emu: DeepopinionEmulator, token: str | None = None, prefix: str = "Bearer ") -> None:
        self.emu = emu
        self.session = requests.Session()
        self.token = token if token is not None else emu.issue_token()
        self.prefix = prefix

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": self.prefix + self.token, **kwargs.pop("headers", {})}
        return self.session.request(method, self.emu.base_url + path, headers=headers, timeout=10, **kwargs)

    def extract(self, data: bytes = INVOICE, path: str = EXTRACT_PATH, **params: str) -> requests.Response:
        query = {"return_bboxes": "true", "return_annotated_pages": "false", **params}
        return self.call("POST", path, params=query, files={"file": ("invoice.pdf", data, "application/pdf")})


@pytest.fixture
def api(emu: DeepopinionEmulator) -> Iterator[Api]:
    yield Api(emu)
    emu.assert_no_violations()


# -- the schema itself -------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", sorted(REFERENCE_SAMPLES))
def test_the_references_samples_satisfy_the_schema(operation: str) -> None:
    method, template = operation.split(" ", 1)
    body = json.dumps(REFERENCE_SAMPLES[operation]).encode()
    problem = SchemaValidator.load().check_response(method, template, 200, body, "application/json")
    assert problem is None, problem


def test_schema_rejects_what_the_reference_rules_out() -> None:
    schema = SchemaValidator.load()
    template = "/organizations/{organization_id}/projects/{project_id}/models/{model_id}"
    headers = {"authorization": "Bearer abc.def.ghi", "content-type": "application/json"}
    problem = schema.check_request(
        "POST", "/organizations/1/projects/1/models/7", template, {}, headers, b"{}"
    )
    assert problem is not None and "multipart/form-data" in problem
    problem = schema.check_request(
        "POST", "/organizations/x/projects/1/models/7", template, {}, headers, b"{}"
    )
    assert problem is not None
    bad_box = {"documents": [{"bboxes": [[[{"TLx": 2, "label": "x"}]]]}]}
    problem = schema.check_response("POST", template, 200, json.dumps(bad_box).encode(), "application/json")
    assert problem is not None
    assert schema.check_request("GET", "/nowhere", None, {}, {}, b"").startswith("not in the spec")  # type: ignore[union-attr]


def test_multipart_parser_keeps_binary_content_intact() -> None:
    data = b"%PDF-1.4\r\n\x00\xff--not-a-boundary\r\n\r\nend"
    prepared = requests.Request(
        "POST", "http://x/", files={"file": ("a.pdf", data, "application/pdf")}, data={"note": "hi"}
    ).prepare()
    assert isinstance(prepared.body, bytes)
    parts = parse_multipart(prepared.body, prepared.headers["Content-Type"])
    assert parts["file"].data == data and parts["file"].filename == "a.pdf"
    assert parts["note"].filename is None and parts["note"].data == b"hi"
    with pytest.raises(ValueError):
        parse_multipart(b"garbage", "multipart/form-data; boundary=xyz")


# -- login and tokens ----------------------------------------------------------------------------------
def test_login_issues_a_jwt_that_the_api_accepts(emu: DeepopinionEmulator) -> None:
    reply = requests.post(
        emu.base_url + "/auth/login", json={"email": emu.email, "password": emu.password}, timeout=5
    )
    assert reply.status_code == 200 and reply.json()["status"] == "OK"
    token = reply.json()["auth_token"]
    assert token.count(".") == 2
    assert Api(emu, token).call("GET", "/models").status_code == 200
    emu.assert_no_violations()


def test_wrong_password_is_401(emu: DeepopinionEmulator) -> None:
    reply = requests.post(
        emu.base_url + "/auth/login", json={"email": emu.email, "password": "nope"}, timeout=5
    )
    assert reply.status_code == 401 and reply.json() == {"message": "Wrong email or password."}


@pytest.mark.violations_expected
def test_login_without_password_is_a_violation(emu: DeepopinionEmulator) -> None:
    reply = requests.post(emu.base_url + "/auth/login", json={"email": emu.email}, timeout=5)
    assert reply.status_code == 400 and "spec violation" in reply.json()["message"]
    assert [v.kind for v in emu.violations] == ["request"]


@pytest.mark.parametrize(
    ("accept", "prefix", "status"),
    [
        ("any", "Bearer ", 200),
        ("any", "", 200),
        ("bearer", "", 401),
        ("raw", "Bearer ", 401),
        ("raw", "", 200),
    ],
)
def test_header_forms(make_deepopinion_emulator: Make, accept: str, prefix: str, status: int) -> None:
    emu = make_deepopinion_emulator(accept_header=accept)
    assert Api(emu, prefix=prefix).call("GET", "/models").status_code == status


def test_expired_and_forged_tokens_are_401(emu: DeepopinionEmulator) -> None:
    expired = Api(emu, emu.issue_token(ttl=0.2))
    time.sleep(0.3)
    reply = expired.call("GET", "/models")
    assert reply.status_code == 401 and "expired" in reply.json()["message"]
    assert Api(emu, "abc.def.ghi").call("GET", "/models").status_code == 401
    assert Api(emu, "", prefix="").call("GET", "/models").status_code == 401


# -- extraction ------------------------------------------------------------------------------------------
def test_extraction_answer_has_the_references_shape(api: Api) -> None:
    reply = api.extract()
    assert reply.status_code == 200, reply.text
    body = reply.json()
    document = body["documents"][0]
    assert document["name"] == "invoice.pdf" and body["model"] == "Invoice Extraction v1"
    boxes = [box for page in document["bboxes"] for group in page for box in group]
    labels = {box["label"] for box in boxes}
    assert {"invoice_number", "total_amount"} <= labels
    assert all(0 <= box["confidence"] <= 1 and box["TLx"] <= box["BRx"] for box in boxes)
    assert body["total_credits_used"] == document["credits_used"] > 0
    assert "annotated_pages" not in document
    assert api.emu.stats["extractions"] == 1


def test_hitl_pending_lists_values_below_the_threshold(api: Api) -> None:
    document = api.extract().json()["documents"][0]
    low = [b for page in document["bboxes"] for g in page for b in g[:1] if b["confidence"] < 0.9]
    if not low:
        pytest.skip("every value of this sample is above the threshold")
    assert document["hitl"]["status"] == "pending" and document["all_confidence_thresholds_met"] is False
    reported = document["hitl"]["result"][0]["confidences"]
    assert {c["label"] for c in reported} == {b["label"] for b in low}
    assert all(c["expected_confidence"] == 90 and c["found"] < 90 for c in reported)


def test_optional_parts_follow_the_query_flags(api: Api) -> None:
    document = api.extract(return_bboxes="false", return_annotated_pages="true").json()["documents"][0]
    assert "bboxes" not in document and len(document["annotated_pages"]) >= 1


@pytest.mark.violations_expected
def test_query_flag_that_is_not_true_or_false_is_a_violation(emu: DeepopinionEmulator) -> None:
    reply = Api(emu).extract(return_bboxes="1")
    assert reply.status_code == 400 and "return_bboxes" in reply.json()["message"]
    assert emu.violations and emu.violations[0].endpoint == EXTRACT_ENDPOINT


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/organizations/2/projects/1/models/7", 404, "Workspace 2 not found."),
        ("/organizations/1/projects/9/models/7", 404, "Model 7 not found in project 9."),
        ("/organizations/1/projects/1/models/99", 404, "Model 99 not found."),
        ("/organizations/1/projects/2/models/387", 400, "Model 387 cannot be used for document extraction."),
    ],
)
def test_extraction_refusals(api: Api, path: str, status: int, message: str) -> None:
    reply = api.extract(path=path)
    assert reply.status_code == status and reply.json() == {"message": message}


def test_unsupported_file_is_415(api: Api) -> None:
    reply = api.call(
        "POST",
        EXTRACT_PATH,
        params={"return_bboxes": "true"},
        files={"file": ("notes.pdf", b"just text", "application/pdf")},
    )
    assert reply.status_code == 415


def test_quota_answers_402(make_deepopinion_emulator: Make) -> None:
    emu = make_deepopinion_emulator(quota=1)
    api = Api(emu)
    assert api.extract().status_code == 200
    assert api.extract().status_code == 402


def test_scripted_faults_and_raw_bodies(api: Api) -> None:
    api.emu.script_fault(EXTRACT_ENDPOINT, status=503)
    api.emu.script_body(EXTRACT_ENDPOINT, "<html><title>Gateway</title></html>", content_type="text/html")
    assert api.extract().status_code == 503
    raw = api.extract()
    assert raw.status_code == 200 and raw.text.startswith("<html>")
    assert api.extract().status_code == 200 and api.emu.stats["extractions"] == 1


def test_extraction_delay(make_deepopinion_emulator: Make) -> None:
    emu = make_deepopinion_emulator(extraction_delay=0.4)
    began = time.monotonic()
    assert Api(emu).extract().status_code == 200
    assert time.monotonic() - began >= 0.4


# -- analysis and models ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/analyze", "/organizations/1/analyze"])
def test_ad_hoc_analysis(api: Api, path: str) -> None:
    body = {
        "documents": [{"text": "Great breakfast. The room was dirty!", "id": 0}],
        "model_id": 387,
        "split": True,
    }
    reply = api.call("POST", path, json=body)
    assert reply.status_code == 200, reply.text
    segments = reply.json()["documents"][0]["segments"]
    assert [(s["text"], s["span"], s["tags"]) for s in segments] == [
        ("Great breakfast.", [0, 16], [{"class": "Food", "label": "POS"}]),
        ("The room was dirty!", [17, 36], [{"class": "Comfort", "label": "NEG"}]),
    ]


def test_analysis_refusals(api: Api) -> None:
    document = [{"text": "hi", "id": 0}]
    assert api.call("POST", "/analyze", json={"documents": document, "model_id": 7}).status_code == 400
    assert api.call("POST", "/analyze", json={"documents": document, "model_id": 5}).status_code == 404
    assert (
        api.call(
            "POST", "/organizations/3/analyze", json={"documents": document, "model_id": 387}
        ).status_code
        == 404
    )


@pytest.mark.violations_expected
def test_analysis_request_with_a_string_model_id_is_a_violation(emu: DeepopinionEmulator) -> None:
    reply = Api(emu).call("POST", "/analyze", json={"documents": [{"text": "x"}], "model_id": "387"})
    assert reply.status_code == 400 and "model_id" in reply.json()["message"]


def test_text_model_without_split_keeps_one_segment() -> None:
    segments = analyse_text("  Nice staff. Bad food.", split=False)
    assert len(segments) == 1 and segments[0]["span"] == [2, 23]
    assert {t["class"] for t in segments[0]["tags"]} == {"Staff", "Food"}
    assert segments[0]["tags"][0]["label"] == "NEU"  # both sentiments


def test_models_page_with_offset_and_limit(api: Api) -> None:
    first = api.call("GET", "/models", params={"offset": 0, "limit": 1}).json()
    second = api.call("GET", "/models", params={"offset": 1, "limit": 1}).json()
    assert first["has_more"] is True and second["has_more"] is False
    assert [m["id"] for m in first["models"] + second["models"]] == [7, 387]
