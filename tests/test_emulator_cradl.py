"""Tests of the Cradl emulator itself, with plain HTTP calls (no docrelay code involved)."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.cli_helpers import REPO
from tests.emulators.cradl import CradlEmulator
from tests.emulators.cradl.engine import Engine

Make = Callable[..., CradlEmulator]


def make_pdf(pages: list[list[str]]) -> bytes:
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setCreator("docrelay tests")
    for lines in pages:
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


INVOICE = make_pdf(
    [
        [
            "ACME Ltd",
            "Invoice number: INV-1001",
            "Invoice date: 2024-03-01",
            "Widget 100.00",
            "Total: 150.00 EUR",
        ]
    ]
)
THREE_PAGES = make_pdf(
    [
        ["ACME Ltd", "Invoice number: INV-2002", "Invoice date: 2024-04-01"],
        ["Gadget 50.00", "Widget 100.00"],
        ["Total: 150.00 EUR"],
    ]
)


class Api:
    """A minimal hand-written client: enough to drive the emulator."""

    def __init__(self, emu: CradlEmulator, token: str | None = None) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.token = token or emu.issue_token()

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        headers = self.headers(**kwargs.pop("headers", {}))
        return self.session.request(
            method, self.emu.base_url + path, json=json, headers=headers, timeout=10, **kwargs
        )

    def ok(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, json, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def upload(
        self, data: bytes, content_type: str = "application/pdf", name: str = "doc.pdf"
    ) -> dict[str, Any]:
        document = self.ok("POST", "/documents", {"contentType": content_type, "name": name})
        put = self.session.put(
            document["fileUrl"], data=data, headers=self.headers(**{"Content-Type": content_type}), timeout=10
        )
        assert put.status_code == 200, put.text
        return document  # type: ignore[no-any-return]

    def predict(self, document_id: str, **body: Any) -> requests.Response:
        return self.call(
            "POST", "/predictions", {"documentId": document_id, "modelId": "las:model:invoice", **body}
        )


@pytest.fixture
def api(cradl_emulator: CradlEmulator) -> Iterator[Api]:
    yield Api(cradl_emulator)
    cradl_emulator.assert_no_violations()
    assert cradl_emulator.stats["errors"] == []


def expected_result(data: bytes) -> Any:
    """What the emulator's engine makes of these bytes (local engine or stub, whichever it uses)."""
    analysis = Engine().analyse(lambda: data, hashlib.sha256(data).hexdigest(), "doc.pdf", "invoice")
    assert analysis.result is not None, analysis.error
    return analysis.result


# -- tokens ------------------------------------------------------------------------------------


@pytest.mark.violations_expected
def test_token_endpoint_accepts_basic_and_form_credentials(cradl_emulator: CradlEmulator) -> None:
    emu = cradl_emulator
    basic = requests.post(
        emu.token_url,
        params={"grant_type": "client_credentials"},
        auth=("test-client", "test-secret"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    form = requests.post(
        emu.base_url + "/oauth2/token",  # CONTRACT: <base-url>/oauth2/token works as well
        data={
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": "test-secret",
            "audience": "https://api.cradl.ai/v1",
        },
        timeout=5,
    )
    for response in (basic, form):
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"access_token", "expires_in", "token_type"}
        assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"
        assert Api(emu, body["access_token"]).call("GET", "/models").status_code == 200
    assert emu.requests_to("POST /oauth2/token") == 2

    wrong_basic = requests.post(
        emu.token_url, params={"grant_type": "client_credentials"}, auth=("test-client", "nope"), timeout=5
    )
    assert wrong_basic.status_code == 401 and wrong_basic.json() == {"error": "invalid_client"}
    wrong_form = requests.post(
        emu.token_url,
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y", "audience": "a"},
        timeout=5,
    )
    assert wrong_form.status_code == 400 and wrong_form.json()["error"] == "invalid_client"
    assert emu.violations == []  # wrong credentials are not a contract breach

    no_grant = requests.post(emu.token_url, auth=("test-client", "test-secret"), timeout=5)
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "unsupported_grant_type"
    assert [v.message for v in emu.violations] == ["token request: grant_type must be client_credentials"]


def test_expired_missing_and_forged_tokens_get_401(make_cradl_emulator: Make) -> None:
    emu = make_cradl_emulator(token_ttl=0.3)
    token = requests.post(
        emu.token_url,
        params={"grant_type": "client_credentials"},
        auth=("test-client", "test-secret"),
        timeout=5,
    ).json()["access_token"]
    api = Api(emu, token)
    assert api.call("GET", "/models").status_code == 200
    time.sleep(0.4)
    expired = api.call("GET", "/models")
    assert expired.status_code == 401
    assert expired.json() == {"message": "The incoming token has expired"}
    missing = requests.get(emu.base_url + "/models", timeout=5)
    assert missing.status_code == 401 and missing.json() == {"message": "Unauthorized"}
    forged = Api(emu, token[:-4] + "AAAA").call("GET", "/models")
    assert forged.status_code == 401
    emu.assert_no_violations()


# -- documents and the file server ------------------------------------------------------------


def test_two_step_upload_stores_file_and_serves_it(api: Api) -> None:
    document = api.upload(INVOICE)
    assert document["fileUrl"].startswith(f"http://localhost:{api.emu.port}/files/las:file:")
    fetched = api.ok("GET", f"/documents/{document['documentId']}")
    assert fetched["contentMD5"] == base64.b64encode(hashlib.md5(INVOICE).digest()).decode()
    served = requests.get(document["fileUrl"], headers=api.headers(), timeout=5)
    assert served.content == INVOICE and served.headers["Content-Type"] == "application/pdf"
    sha = hashlib.sha256(INVOICE).hexdigest()
    assert api.emu.stats["counters"]["uploads_by_sha256"] == {sha: 1}
    unauthenticated = requests.put(document["fileUrl"], data=b"%PDF-1.4", timeout=5)
    assert unauthenticated.status_code == 401


@pytest.mark.violations_expected
def test_put_with_wrong_or_missing_content_type_is_refused(cradl_emulator: CradlEmulator) -> None:
    api = Api(cradl_emulator)
    document = api.ok("POST", "/documents", {"contentType": "application/pdf"})
    wrong = requests.put(
        document["fileUrl"], data=INVOICE, headers=api.headers(**{"Content-Type": "image/png"}), timeout=5
    )
    assert wrong.status_code == 415
    assert "does not match the document's contentType application/pdf" in wrong.json()["message"]
    missing = requests.put(document["fileUrl"], data=INVOICE, headers=api.headers(), timeout=5)
    assert missing.status_code == 415
    assert len(cradl_emulator.violations) == 2
    assert api.ok("GET", f"/documents/{document['documentId']}")["contentMD5"] is None


def test_uploads_stream_up_to_64_mb_and_larger_ones_get_413(cradl_emulator: CradlEmulator) -> None:
    api = Api(cradl_emulator)
    size = 64 * 1024 * 1024
    block = b"%PDF-1.4\n" + b"\0" * (1024 * 1024 - 9)
    document = api.ok("POST", "/documents", {"contentType": "application/pdf"})

    def chunks() -> Iterator[bytes]:  # no Content-Length: exercises chunked transfer coding
        for _ in range(size // len(block)):
            yield block

    put = requests.put(
        document["fileUrl"],
        data=chunks(),
        headers=api.headers(**{"Content-Type": "application/pdf"}),
        timeout=60,
    )
    assert put.status_code == 200, put.text
    expected = hashlib.sha256(block * (size // len(block))).hexdigest()
    assert cradl_emulator.stats["counters"]["uploads_by_sha256"] == {expected: 1}
    too_big = requests.put(
        document["fileUrl"],
        data=b"\0" * (size + 1),
        headers=api.headers(**{"Content-Type": "application/pdf"}),
        timeout=60,
    )
    assert too_big.status_code == 413 and "64 MB" in too_big.json()["message"]


def test_documents_list_paginates_and_patch_delete_work(api: Api) -> None:
    ids = [api.upload(INVOICE, name=f"d{i}.pdf")["documentId"] for i in range(3)]
    first = api.ok("GET", "/documents", params={"maxResults": "2"})
    assert [d["documentId"] for d in first["documents"]] == ids[:2] and first["nextToken"]
    second = api.ok("GET", "/documents", params={"maxResults": "2", "nextToken": first["nextToken"]})
    assert [d["documentId"] for d in second["documents"]] == ids[2:] and second["nextToken"] is None
    patched = api.ok(
        "PATCH",
        f"/documents/{ids[0]}",
        {"metadata": {"batch": "7"}, "groundTruth": [{"label": "total_amount", "value": "150.00"}]},
    )
    assert patched["metadata"] == {"batch": "7"} and patched["groundTruth"][0]["value"] == "150.00"
    assert api.ok("DELETE", f"/documents/{ids[1]}")["documentId"] == ids[1]
    gone = api.call("GET", f"/documents/{ids[1]}")
    assert gone.status_code == 404 and ids[1] in gone.json()["message"]


# -- spec validation ---------------------------------------------------------------------------


@pytest.mark.violations_expected
def test_spec_violations_are_answered_400_and_recorded(cradl_emulator: CradlEmulator) -> None:
    api = Api(cradl_emulator)
    unknown_property = api.predict("las:document:" + "a" * 32, bogus=1)
    assert unknown_property.status_code == 400
    assert unknown_property.json()["message"].startswith("spec violation: ")
    assert "'bogus' was unexpected" in unknown_property.json()["message"]
    no_content_type = api.session.post(
        cradl_emulator.base_url + "/documents", data=b"{}", headers=api.headers(), timeout=5
    )
    assert no_content_type.status_code == 400 and "Content-Type" in no_content_type.json()["message"]
    unknown_query = api.call("GET", "/documents", params={"max_results": "2"})
    assert unknown_query.status_code == 400 and "max_results" in unknown_query.json()["message"]
    unknown_path = api.call("GET", "/invoices")
    assert unknown_path.status_code == 400 and "not in the spec" in unknown_path.json()["message"]
    bad_id = api.call("POST", "/predictions", {"documentId": "doc-1", "modelId": "las:model:invoice"})
    assert bad_id.status_code == 400
    found = cradl_emulator.violations
    assert [v.endpoint for v in found] == [
        "POST /predictions",
        "POST /documents",
        "GET /documents",
        "GET /v1/invoices",
        "POST /predictions",
    ]
    assert all(v.kind == "request" for v in found)
    with pytest.raises(AssertionError, match="5 spec violation"):
        cradl_emulator.assert_no_violations()


def test_whole_flow_has_conforming_responses(api: Api) -> None:
    """Every endpoint once; the `api` fixture then checks no request or response broke the spec."""
    document = api.upload(INVOICE)
    document_id = document["documentId"]
    for output_format in ("v1", "v2"):
        config = {"strategy": "BEST_FIRST", "outputFormat": output_format}
        api.ok(
            "POST",
            "/predictions",
            {"documentId": document_id, "modelId": "las:model:invoice", "postprocessConfig": config},
        )
    public = "las:organization:cradl/las:model:invoice"
    api.ok(
        "POST",
        "/predictions",
        {"documentId": document_id, "modelId": public, "async": True, "preprocessConfig": {"startPage": 0}},
    )
    listed = api.ok("GET", "/predictions", params={"maxResults": "10", "modelId": "las:model:invoice"})
    assert len(listed["predictions"]) == 2
    assert api.ok("GET", "/models")["models"][0]["organizationId"] == "las:organization:emulator"
    public_models = api.ok("GET", "/models", params={"owner": "las:organization:cradl"})["models"]
    assert {m["modelId"] for m in public_models} == {"las:model:invoice", "las:model:receipt"}
    assert api.ok("GET", "/models/" + quote(public, safe=""))["organizationId"] == "las:organization:cradl"
    missing_model = api.call("GET", "/models/las:model:nothing")
    assert missing_model.status_code == 404 and "las:model:nothing" in missing_model.json()["message"]
    api.ok("GET", "/documents")
    api.ok("PATCH", f"/documents/{document_id}", {"name": "renamed.pdf"})
    assert api.emu.stats["validation"]["count"] > 20


def test_response_check_catches_answers_that_break_the_schema(cradl_emulator: CradlEmulator) -> None:
    spec = cradl_emulator.spec
    assert spec is not None
    check = spec.check_response
    missing = check(
        "GET", "/documents/{documentId}", 200, b'{"documentId": "las:document:1"}', "application/json"
    )
    assert missing is not None and missing.startswith("response body $:")
    wrong_type = check("GET", "/predictions/{predictionId}", 200, b'{"predictions": 5}', "application/json")
    assert wrong_type is not None
    assert check("GET", "/models", 200, b'{"models": [], "nextToken": null}', "application/json") is None
    assert check("GET", "/models", 200, b"{}", "text/html") == (
        "response content type text/html is not documented (spec: application/json)"
    )


def test_v1_and_v2_predictions_carry_the_engine_values(api: Api) -> None:
    document_id = api.upload(INVOICE)["documentId"]
    expected = expected_result(INVOICE)
    v1 = api.predict(document_id).json()
    assert v1["status"] == "succeeded" and v1["nextPage"] is None
    labels = {item["label"] for item in v1["predictions"]}
    assert set(expected.fields) | {table for table, rows in expected.tables.items() if rows} == labels
    v2 = api.predict(document_id, postprocessConfig={"strategy": "BEST_FIRST", "outputFormat": "v2"}).json()
    for name, field in expected.fields.items():
        candidates = v2["predictions"][name]
        assert candidates[0]["value"] == field.value
        assert [c["confidence"] for c in candidates] == sorted(
            (c["confidence"] for c in candidates), reverse=True
        )
    for table, rows in expected.tables.items():
        if not rows:  # an empty table is left out, as Cradl does for a lines field with no lines
            assert table not in v2["predictions"]
            continue
        lines = v2["predictions"][table]
        assert [{col: cells[0]["value"] for col, cells in line.items()} for line in lines] == [
            {col: cell.value for col, cell in row.items()} for row in rows
        ]
    sha = hashlib.sha256(INVOICE).hexdigest()
    assert api.emu.stats["counters"]["predictions_by_sha256"] == {sha: 2}
    assert api.emu.stats["duplicate_predictions"] == 1


def test_async_prediction_is_pending_then_succeeded(api: Api) -> None:
    document_id = api.upload(INVOICE)["documentId"]
    started = api.predict(document_id, **{"async": True}).json()
    assert started["status"] == "pending" and started["predictions"] is None
    path = f"/predictions/{started['predictionId']}"
    assert api.ok("GET", path)["status"] == "pending"
    time.sleep(0.25)
    done = api.ok("GET", path)
    assert done["status"] == "succeeded" and done["predictions"]
    assert done["predictions"] == api.predict(document_id).json()["predictions"]


def test_next_page_walk_covers_every_page_once(api: Api) -> None:
    document_id = api.upload(THREE_PAGES)["documentId"]
    walked: list[dict[str, Any]] = []
    start: int | None = 0
    steps = []
    while start is not None:
        answer = api.predict(document_id, preprocessConfig={"startPage": start}).json()
        assert {item["page"] for item in answer["predictions"]} <= {start}
        walked.extend(answer["predictions"])
        steps.append(answer["nextPage"])
        start = answer["nextPage"]
    assert steps == [1, 2, None]
    all_pages = api.predict(
        document_id,
        postprocessConfig={"strategy": "BEST_N_PAGES", "parameters": {"n": 3}, "outputFormat": "v1"},
    ).json()
    assert all_pages["nextPage"] is None
    key = lambda item: (item["label"], item["page"], str(item["value"]))  # noqa: E731
    assert sorted(walked, key=key) == sorted(all_pages["predictions"], key=key)
    out_of_range = api.predict(document_id, preprocessConfig={"startPage": 3})
    assert out_of_range.status_code == 400 and "out of range" in out_of_range.json()["message"]
    assert api.emu.stats["duplicate_predictions"] == 1  # the walk's later steps are not duplicates


def test_unreadable_document_fails_sync_400_and_async_failed(api: Api) -> None:
    document_id = api.upload(b"%PDF-1.4 this is not really a pdf")["documentId"]
    sync = api.predict(document_id)
    assert sync.status_code == 400 and sync.json()["message"].startswith(
        f"Could not process document {document_id}"
    )
    pending = api.predict(document_id, **{"async": True}).json()
    time.sleep(0.25)
    failed = api.ok("GET", f"/predictions/{pending['predictionId']}")
    assert failed["status"] == "failed" and "Could not process" in failed["error"]
    empty = api.ok("POST", "/documents", {"contentType": "application/pdf"})
    no_file = api.predict(empty["documentId"])
    assert no_file.status_code == 400 and "PUT the file" in no_file.json()["message"]
    unknown_model = api.call("POST", "/predictions", {"documentId": document_id, "modelId": "las:model:nope"})
    assert unknown_model.status_code == 404 and "las:model:nope" in unknown_model.json()["message"]


def test_workflow_execution_runs_and_can_be_marked_completed(api: Api) -> None:
    document_id = api.upload(INVOICE)["documentId"]
    base = f"/workflows/{api.emu.workflow_id}/executions"
    started = api.ok("POST", base, {"input": {"documentId": document_id, "title": "invoice"}})
    assert started["status"] == "running"
    assert api.ok("GET", base, params={"status": "succeeded"})["executions"] == []
    early = api.call("PATCH", f"{base}/{started['executionId']}", {"status": "completed"})
    assert early.status_code == 400 and "running" in early.json()["message"]
    time.sleep(0.25)
    finished = api.ok("GET", base, params={"status": "succeeded", "maxResults": "5"})["executions"]
    assert [e["executionId"] for e in finished] == [started["executionId"]]
    expected = expected_result(INVOICE)
    values = finished[0]["output"]["values"]
    assert {name: values[name] for name in expected.fields} == {
        n: f.value for n, f in expected.fields.items()
    }
    done = api.ok("PATCH", f"{base}/{started['executionId']}", {"status": "completed"})
    assert done["status"] == "completed"
    assert api.ok("GET", base, params={"status": "completed"})["executions"][0]["status"] == "completed"
    missing = api.call("GET", f"/workflows/las:workflow:{'0' * 32}/executions")
    assert missing.status_code == 404


# -- faults ------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(make_cradl_emulator: Make) -> None:
    emu = make_cradl_emulator(rate_limit=2, rate_burst=2)
    api = Api(emu)
    answers = [api.call("GET", "/models") for _ in range(5)]
    limited = [r for r in answers if r.status_code == 429]
    assert [r.status_code for r in answers[:2]] == [200, 200] and limited
    assert all(
        r.json() == {"message": "Too Many Requests"} and r.headers["Retry-After"] == "1" for r in limited
    )
    time.sleep(1.0)
    assert api.call("GET", "/models").status_code == 200
    assert emu.stats["faults"]["rate_limit"] == len(limited)


def test_quota_answers_limit_exceeded(make_cradl_emulator: Make) -> None:
    emu = make_cradl_emulator(quota=1)
    api = Api(emu)
    document_id = api.upload(INVOICE)["documentId"]
    assert api.predict(document_id).status_code == 200
    refused = api.predict(document_id)
    assert refused.status_code == 429 and refused.json() == {"message": "Limit Exceeded"}
    assert "Retry-After" not in refused.headers
    emu.set_faults(quota=None)
    assert api.predict(document_id).status_code == 200


def test_dropped_connections_and_lost_replies(make_cradl_emulator: Make) -> None:
    emu = make_cradl_emulator(drop_rate=1.0)
    api = Api(emu)
    with pytest.raises(requests.ConnectionError):
        api.call("GET", "/models")
    emu.set_faults(drop_rate=0.0)
    document_id = api.upload(INVOICE)["documentId"]
    emu.script_fault("POST /predictions", action="drop_after")
    with pytest.raises(requests.ConnectionError):
        api.predict(document_id)
    assert api.predict(document_id).status_code == 200  # the client's retry
    assert len(api.ok("GET", "/predictions")["predictions"]) == 2
    assert emu.stats["duplicate_predictions"] == 1
    assert emu.stats["faults"] == {"drop": 1, "scripted": 1}


def test_fail_rate_spares_the_token_endpoint_and_scripts_are_exact(make_cradl_emulator: Make) -> None:
    emu = make_cradl_emulator(fail_rate=1.0)
    token = requests.post(
        emu.token_url,
        params={"grant_type": "client_credentials"},
        auth=("test-client", "test-secret"),
        timeout=5,
    )
    assert token.status_code == 200
    api = Api(emu, token.json()["access_token"])
    failed = api.call("GET", "/models")
    assert failed.status_code == 503 and failed.json() == {"message": "Service Unavailable"}
    emu.set_faults(fail_rate=0.0)
    emu.script_fault("GET /models", status=429, count=2, retry_after=0.5)
    assert [api.call("GET", "/models").status_code for _ in range(3)] == [429, 429, 200]
    assert emu.stats["statuses"]["GET /models 429"] == 2


def test_concurrent_clients_are_served_in_parallel(make_cradl_emulator: Make) -> None:
    emu = make_cradl_emulator(latency_ms=100)
    token = emu.issue_token()
    statuses: list[int] = []

    def one() -> None:
        statuses.append(Api(emu, token).call("GET", "/models").status_code)

    threads = [threading.Thread(target=one) for _ in range(16)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 16
    assert time.perf_counter() - began < 1.0  # serial would take 1.6 s
    assert emu.requests_to("GET /models") == 16
    # The timeline a benchmark reads: each answered request's arrival and answer, the latency between.
    spans = requests.get(emu.root_url + "/_emulator/timeline", timeout=5).json()["spans"]
    assert len(spans) == 16 and all(0.1 <= answered - arrived < 1.0 for arrived, answered in spans)
    moments = sorted([(arrived, 1) for arrived, _ in spans] + [(answered, -1) for _, answered in spans])
    in_flight = [sum(step for _, step in moments[: i + 1]) for i in range(len(moments))]
    assert max(in_flight) >= 8  # they overlapped: served side by side, not one after another


def test_control_endpoints_steer_and_report(cradl_emulator: CradlEmulator) -> None:
    root = cradl_emulator.root_url
    faults = requests.post(root + "/_emulator/faults", json={"latency_ms": 5, "quota": 3}, timeout=5).json()
    assert faults["latency_ms"] == 5 and faults["quota"] == 3
    bad = requests.post(root + "/_emulator/faults", json={"nonsense": 1}, timeout=5)
    assert bad.status_code == 400 and "nonsense" in bad.json()["message"]
    requests.post(root + "/_emulator/script", json={"endpoint": "GET /models", "status": 500}, timeout=5)
    assert Api(cradl_emulator).call("GET", "/models").status_code == 500
    stats = requests.get(root + "/_emulator/stats", timeout=5).json()
    assert stats["requests"] == {"GET /models": 1} and stats["faults"] == {"scripted": 1}
    requests.post(root + "/_emulator/reset", json={"state": True}, timeout=5)
    assert requests.get(root + "/_emulator/stats", timeout=5).json()["total_requests"] == 0


# -- the command line --------------------------------------------------------------------------


def test_command_line_refuses_unknown_services() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.emulators", "nosuchservice"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2
    assert "nosuchservice" in run.stderr and "cradl" in run.stderr and run.stdout == ""
