"""Tests of the contract.fit emulator itself, with plain HTTP calls (no docrelay code involved)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.cli_helpers import REPO
from tests.emulators.contractfit import ContractfitEmulator
from tests.emulators.contractfit.wire import apply_mask, parse_mask

INVOICE = (REPO / "samples" / "invoice.pdf").read_bytes()
Make = Callable[..., ContractfitEmulator]


class Api:
    """A minimal hand-written client: enough to drive the emulator."""

    def __init__(self, emu: ContractfitEmulator, headers: dict[str, str] | None = None) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.auth = headers if headers is not None else {"X-API-Key": emu.api_key}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.session.request(method, self.emu.base_url + path, headers=headers, timeout=10, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def upload(
        self, data: bytes = INVOICE, *, inbox: str | None = None, name: str = "doc.pdf", **form: str
    ) -> requests.Response:
        path = f"/documents/{inbox or self.emu.inbox_id()}"
        return self.call("POST", path, data=form, files={"file": (name, data, "application/pdf")})

    def wait_done(self, document_id: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            document: dict[str, Any] = self.ok("GET", f"/documents/{document_id}")
            if document["timings"].get("done_time"):
                return document
            time.sleep(0.05)
        raise AssertionError("the document was not processed in time")


@pytest.fixture
def api(contractfit_emulator: ContractfitEmulator) -> Iterator[Api]:
    yield Api(contractfit_emulator)
    contractfit_emulator.assert_no_violations()
    assert contractfit_emulator.stats["errors"] == []


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# -- authentication ------------------------------------------------------------------------------
def test_the_three_credentials(api: Api) -> None:
    emu = api.emu
    assert Api(emu, {}).call("GET", "/inboxes").json() == {"message": "Authentication required"}
    assert Api(emu, {"X-API-Key": "nope"}).call("GET", "/inboxes").status_code == 401
    assert Api(emu).call("GET", "/inboxes").status_code == 200
    assert Api(emu, basic(emu.username, emu.password)).call("GET", "/inboxes").status_code == 200
    wrong = Api(emu, basic(emu.username, "wrong")).call("GET", "/inboxes")
    assert wrong.status_code == 401 and wrong.json()["message"] == "Wrong credentials"
    login = requests.post(
        emu.base_url + "/auth", json={"username": emu.username, "password": emu.password}, timeout=5
    )
    token = login.json()["authentication_token"]
    assert Api(emu, {"Authorization": f"Bearer {token}"}).call("GET", "/inboxes").status_code == 200
    assert Api(emu, {"Authorization": token}).call("GET", "/inboxes").status_code == 401, "Bearer expected"
    refused = requests.post(
        emu.base_url + "/auth", json={"username": emu.username, "password": "x"}, timeout=5
    )
    assert refused.status_code == 401 and refused.json() == {"message": "Wrong credentials"}


def test_bare_token_mode_and_expiry(make_contractfit_emulator: Make) -> None:
    emu = make_contractfit_emulator(token_prefix="", token_ttl=0.3)
    token = emu.issue_token()
    assert Api(emu, {"Authorization": token}).call("GET", "/inboxes").status_code == 200
    assert Api(emu, {"Authorization": f"Bearer {token}"}).call("GET", "/inboxes").status_code == 401
    time.sleep(0.4)
    expired = Api(emu, {"Authorization": token}).call("GET", "/inboxes")
    assert expired.status_code == 401 and expired.json()["message"] == "Token expired"
    emu.revoke_tokens()
    assert Api(emu, {"Authorization": emu.issue_token()}).call("GET", "/inboxes").status_code == 200
    emu.assert_no_violations()


@pytest.mark.violations_expected
def test_login_body_is_checked_against_the_spec(contractfit_emulator: ContractfitEmulator) -> None:
    emu = contractfit_emulator
    reply = requests.post(emu.base_url + "/auth", json={"username": emu.username}, timeout=5)
    assert reply.status_code == 400 and "password" in reply.json()["message"]
    assert [v.endpoint for v in emu.violations] == ["POST /auth"]


@pytest.mark.violations_expected
def test_api_key_in_the_query_string_is_a_violation(contractfit_emulator: ContractfitEmulator) -> None:
    emu = contractfit_emulator
    reply = Api(emu, {}).call("GET", "/inboxes", params={"api_key": emu.api_key})
    assert reply.status_code == 400 and "X-API-Key" in reply.json()["message"]
    assert len(emu.violations) == 1


# -- uploads and documents ----------------------------------------------------------------------
def test_async_upload_then_processing(api: Api) -> None:
    reply = api.upload(sync="false")
    assert reply.status_code == 200
    document_id = reply.json()["id"]
    pending = api.ok("GET", f"/documents/{document_id}")
    assert "done_time" not in pending["timings"] and pending["status_data"]["success"] is False
    assert "prediction" not in pending and pending["original_filename"] == "doc.pdf"
    done = api.wait_done(document_id)
    assert done["status_data"] == {**done["status_data"], "success": True, "data": True}
    assert done["last_version"] == "predicted" and done["versions"][0]["name"] == "predicted"
    annotations = done["prediction"]["annotations"]
    assert annotations["invoice_number"][0]["gold"] == "INV-2026-0042"
    assert 0 < annotations["invoice_number"][0]["confidence"] <= 1
    assert done["prediction"]["lines"]["line_items"][0]["description"]["gold"]
    assert done["page_count"] >= 1 and done["inbox"] == api.emu.inbox_id()


def test_x_fields_masks_the_document(api: Api) -> None:
    document_id = api.upload(sync="false").json()["id"]
    api.wait_done(document_id)
    masked = api.ok(
        "GET",
        f"/documents/{document_id}",
        headers={"X-Fields": "id,inbox,original_filename,page_count,timings{done_time}"},
    )
    assert set(masked) == {"id", "inbox", "original_filename", "page_count", "timings"}
    assert set(masked["timings"]) == {"done_time"}
    bad = api.call("GET", f"/documents/{document_id}", headers={"X-Fields": "id,{"})
    assert bad.status_code == 400 and "Mask parse error" in bad.json()["message"]


def test_sync_upload_answers_with_the_processed_document(api: Api) -> None:
    document = api.upload(sync="true", key_value_flag="true").json()
    assert document["timings"]["done_time"] and document["status_data"]["success"] is True
    assert document["prediction"]["invoice_number"] == "INV-2026-0042", "key-value: a flat mapping"
    assert isinstance(document["prediction"]["line_items"][0]["description"], str)


def test_simple_upload_defaults(api: Api) -> None:
    reply = api.call("POST", "/documents/", files={"file": ("a.pdf", INVOICE, "application/pdf")})
    document = reply.json()
    assert document["inbox"] == api.emu.invoice_inbox, "the invoice inbox"
    assert isinstance(document["prediction"]["invoice_number"], str), "key_value_flag defaults to true"
    other = api.emu.inbox_id("purchases")
    chosen = api.call(
        "POST",
        "/documents/",
        data={"inbox_id": other, "key_value_flag": "false"},
        files={"file": ("a.pdf", INVOICE)},
    ).json()
    assert chosen["inbox"] == other and "annotations" in chosen["prediction"]


@pytest.mark.violations_expected
def test_upload_refusals(contractfit_emulator: ContractfitEmulator) -> None:
    emu = contractfit_emulator
    api = Api(emu)
    unknown = api.upload(inbox="0" * 24)
    assert unknown.status_code == 404 and "Inbox" in unknown.json()["message"]
    garbage = api.upload(b"%PDF-1.4 garbage " * 20)
    assert garbage.status_code == 415 and garbage.json()["message"].startswith("Image Recognition Error")
    assert emu.violations == []
    bad_flag = api.upload(sync="maybe")
    assert bad_flag.status_code == 400 and "spec violation" in bad_flag.json()["message"]
    no_file = api.call("POST", f"/documents/{emu.inbox_id()}", files={"other": ("a.pdf", INVOICE)})
    assert no_file.status_code == 400
    non_ascii = api.upload(name="Rechnung für März.pdf")
    assert non_ascii.status_code == 400 and "not ASCII" in non_ascii.json()["message"]
    assert len(emu.violations) == 3


def test_processing_failure_and_unknown_document(api: Api) -> None:
    api.emu.fail_next_documents()
    failed = api.wait_done(api.upload(sync="false").json()["id"])
    assert failed["status_data"]["success"] is False and "prediction" not in failed
    missing = api.call("GET", "/documents/" + "f" * 24)
    assert missing.status_code == 404 and missing.json() == {"message": f"Document {'f' * 24} not found"}


def test_bare_string_reply(make_contractfit_emulator: Make) -> None:
    emu = make_contractfit_emulator(upload_reply="string")
    reply = Api(emu).upload(sync="false").json()
    assert isinstance(reply, str) and len(reply) == 24
    emu.assert_no_violations()


def test_reprocess(api: Api) -> None:
    document_id = api.upload(sync="false").json()["id"]
    first = api.wait_done(document_id)
    scheduled = api.ok("POST", f"/documents/{document_id}/reprocess", params={"name": "again"})
    assert "done_time" not in scheduled["timings"], "a new run is pending"
    second = api.wait_done(document_id)
    assert second["timings"]["done_time"] != first["timings"]["done_time"]
    assert [v["name"] for v in second["versions"]] == ["predicted", "again"]
    human = api.ok("POST", f"/documents/{document_id}/reprocess", params={"name": "ok", "reviewer": "Human"})
    assert human["last_version"] == "ok" and human["timings"]["done_time"] == second["timings"]["done_time"]
    bad = api.call("POST", f"/documents/{document_id}/reprocess", params={"reviewer": "Robot"})
    assert bad.status_code == 400
    api.emu.reset(state=False)  # the bad reviewer was a violation on purpose


def test_inboxes(api: Api) -> None:
    inboxes = api.ok("GET", "/inboxes")
    assert {i["id"] for i in inboxes} == {api.emu.inbox_id("invoices"), api.emu.inbox_id("purchases")}
    assert api.ok("GET", "/inboxes", headers={"X-Fields": "id"}) == [{"id": i["id"]} for i in inboxes]
    assert api.ok("GET", f"/inboxes/{inboxes[0]['id']}")["name"] == "Invoices"
    assert api.call("GET", "/inboxes/" + "0" * 24).status_code == 404


# -- faults, scripted replies, the command line ------------------------------------------------------
def test_faults_and_scripted_replies(api: Api) -> None:
    emu = api.emu
    emu.script_fault("GET /inboxes", status=503)
    assert api.call("GET", "/inboxes").status_code == 503
    emu.script_fault("GET /inboxes", status=429, retry_after=0.5)
    limited = api.call("GET", "/inboxes")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "0.5"
    emu.script_reply("GET /inboxes", "<html>maintenance</html>")
    odd = api.call("GET", "/inboxes")
    assert odd.status_code == 200 and odd.text == "<html>maintenance</html>"
    assert api.call("GET", "/inboxes").headers["Content-Type"] == "application/json"
    emu.set_faults(rate_limit=2, rate_burst=1)
    statuses = [api.call("GET", "/inboxes").status_code for _ in range(3)]
    assert 429 in statuses
    assert emu.stats["faults"]["scripted"] == 2


def test_masks() -> None:
    assert parse_mask("id,status_data{success,data},timings") == {
        "id": None,
        "status_data": {"success": None, "data": None},
        "timings": None,
    }
    data = {
        "id": 1,
        "status_data": {"success": True, "data": False, "lock": False},
        "versions": [{"name": "a", "x": 1}],
    }
    assert apply_mask(data, parse_mask("{id,versions{name}}")) == {"id": 1, "versions": [{"name": "a"}]}
    assert apply_mask(data, parse_mask("status_data{success},*")) == {
        "status_data": {"success": True},
        "id": 1,
        "versions": [{"name": "a", "x": 1}],
    }


def test_the_patched_spec_still_checks_responses(contractfit_emulator: ContractfitEmulator) -> None:
    spec = contractfit_emulator.spec
    assert spec is not None
    assert spec.check_response("GET", "/inboxes", 200, b'[{"id": "x"}]', "application/json") is not None
    document = b'{"id": "a", "inbox": "%s", "original_filename": "a.pdf", "page_count": 1}' % (b"0" * 24)
    assert spec.check_response("GET", "/documents/{document_id}", 200, document, "application/json") is None
    assert spec.check_response("GET", "/documents/{document_id}", 200, b'{"id": "a"}', "application/json")
