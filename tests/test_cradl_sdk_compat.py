"""The Cradl emulator driven by the vendor's own client: the official `cradl` SDK, pinned in pyproject's
test extra (cradl==0.6.8), so that the emulator keeps answering what that client expects.

The SDK posts documents without a content type, uploads files without a Content-Type, reads
`postprocessConfig` from every prediction, fetches predictions from `fileUrl` when they are not
inline, and runs documents through agents; the emulator must take all of it without a violation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cradl.client import Client  # a missing SDK fails the run: the test extra installs it
from cradl.credentials import Credentials

from tests.cli_helpers import SAMPLES
from tests.emulators.cradl import CradlEmulator
from tests.emulators.cradl.agents import DEFAULT_AGENT_ID

INVOICE = SAMPLES / "invoice.pdf"
MODEL = "las:model:invoice"
SDK_VERSION = "0.6.8"
MakeEmulator = Callable[..., CradlEmulator]


@pytest.fixture(autouse=True)
def quiet_sdk() -> Iterator[None]:
    """The SDK attaches a stream handler at import and logs every HTTP error at ERROR."""
    sdk_log = logging.getLogger("cradl")
    level = sdk_log.level
    sdk_log.setLevel(logging.CRITICAL)
    yield
    sdk_log.setLevel(level)


def sdk_client(emu: CradlEmulator) -> Any:
    # Ready-token mode: the SDK builds https:// token URLs, which a loopback emulator does not serve.
    credentials = Credentials(
        emu.client_id, emu.client_secret, "auth.example", emu.base_url, access_token=emu.issue_token()
    )
    return Client(credentials=credentials)


@pytest.fixture
def emu(make_cradl_emulator: MakeEmulator) -> Iterator[CradlEmulator]:
    emulator = make_cradl_emulator(allow_untyped_put=True, async_delay=0.1)  # the SDK sends no type
    yield emulator
    emulator.assert_no_violations()


def test_the_pinned_sdk_is_installed() -> None:
    from importlib.metadata import version

    assert version("cradl") == SDK_VERSION


def test_document_predict_get_list_delete(emu: CradlEmulator) -> None:
    client = sdk_client(emu)
    document = client.create_document(INVOICE, name="invoice.pdf")
    document_id = document["documentId"]
    stored = client.get_document(document_id)
    assert stored["contentType"] == "application/pdf", "typed from the bytes of the untyped upload"
    assert stored["consentId"] and stored["groundTruth"] == []

    prediction = client.create_prediction(document_id, MODEL)  # synchronous, no postprocessConfig
    assert prediction["status"] == "succeeded"
    assert prediction["postprocessConfig"] == {"strategy": "BEST_FIRST", "outputFormat": "v1"}
    labels = {item["label"] for item in prediction["predictions"]}
    assert {"invoice_number", "total_amount", "line_items"} <= labels

    v2 = client.create_prediction(
        document_id,
        MODEL,
        postprocess_config={"strategy": "BEST_FIRST", "outputFormat": "v2"},
        run_async=True,
    )
    assert v2["status"] == "pending"
    fetched = client.get_prediction(v2["predictionId"])
    assert fetched["predictionId"] == v2["predictionId"]

    listed = client.list_predictions(model_id=MODEL)["predictions"]
    assert {p["predictionId"] for p in listed} == {prediction["predictionId"], v2["predictionId"]}
    assert [d["documentId"] for d in client.list_documents()["documents"]] == [document_id]

    client.delete_document(document_id)
    assert client.list_documents()["documents"] == []


def test_predictions_kept_at_file_url(make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(allow_untyped_put=True, predictions_in_file=True)
    client = sdk_client(emu)
    document = client.create_document(INVOICE.read_bytes(), name="invoice.pdf")
    prediction = client.create_prediction(
        document["documentId"], MODEL, postprocess_config={"strategy": "BEST_FIRST", "outputFormat": "v2"}
    )
    assert prediction["predictions"]["invoice_number"][0]["value"] == "INV-2026-0042"
    emu.assert_no_violations()


def test_agent_run(emu: CradlEmulator) -> None:
    client = sdk_client(emu)
    assert DEFAULT_AGENT_ID in {a["agentId"] for a in client.list_agents()["agents"]}
    run = client.create_agent_run(DEFAULT_AGENT_ID, variables={"source": "test"})
    full_id = f"{run['agentId']}/{run['runId']}"
    assert run["id"] == full_id and run["status"] == "pending-predictions"
    client.create_document(INVOICE, name="invoice.pdf", agent_run_id=full_id)

    import time

    deadline = time.monotonic() + 10
    while (run := client.get_agent_run(DEFAULT_AGENT_ID, run["runId"]))["status"] == "pending-predictions":
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    assert run["status"] == "pending-export"
    read = client.get_agent_run(DEFAULT_AGENT_ID, run["runId"], get_variables=True)
    groups = read["variables"]["output"]
    names = {cell["name"] for rows in groups.values() for row in rows for cell in row.values()}
    assert {"invoice_number", "total_amount", "description"} <= names
    listed = client.list_agent_runs(DEFAULT_AGENT_ID)["runs"]
    assert [r["runId"] for r in listed] == [run["runId"]]
    client.update_agent_run(DEFAULT_AGENT_ID, run["runId"], "archived")
    client.delete_agent_run(DEFAULT_AGENT_ID, run["runId"])
    assert client.list_agent_runs(DEFAULT_AGENT_ID)["runs"] == []
