"""Cradl Agents end to end: `docrelay extract FILE --agent AGENT_ID`, submit and resume, agents in
`docrelay models`, a run waiting for a person's review, and the failure paths."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import SAMPLES, Run, isolated_env, run_docrelay
from tests.emulators.cradl import CradlEmulator
from tests.emulators.cradl.agents import DEFAULT_AGENT_ID, REVIEW_AGENT_ID

INVOICE = SAMPLES / "invoice.pdf"
MakeEmulator = Callable[..., CradlEmulator]
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


@pytest.fixture
def emu(make_cradl_emulator: MakeEmulator) -> Iterator[CradlEmulator]:
    emulator = make_cradl_emulator(async_delay=0.1)
    yield emulator
    emulator.assert_no_violations()


def env_for(tmp_path: Path, emu: CradlEmulator) -> dict[str, str]:
    return isolated_env(
        tmp_path,
        DOCRELAY_PROVIDER="cradl",
        DOCRELAY_CRADL_API_URL=emu.base_url,
        DOCRELAY_CRADL_AUTH_URL=emu.token_url,
        DOCRELAY_CRADL_CLIENT_ID=emu.client_id,
        DOCRELAY_CRADL_CLIENT_SECRET=emu.client_secret,
    )


def extract(env: dict[str, str], *args: str, document: Path = INVOICE) -> Run:
    return run_docrelay("extract", str(document), *args, env=env)


def test_extract_through_an_agent(tmp_path: Path, emu: CradlEmulator) -> None:
    run = extract(env_for(tmp_path, emu), "--agent", DEFAULT_AGENT_ID)
    assert run.exit_code == 0, run.stdout
    result = run.document["data"]
    assert result["status"] == "succeeded" and result["model"] == DEFAULT_AGENT_ID
    assert result["prediction_id"].startswith(DEFAULT_AGENT_ID + "/cradl:run:")
    assert result["fields"]["invoice_number"]["value"] == "INV-2026-0042"
    assert result["fields"]["total_amount"]["confidence"] > 0.5
    (table,) = result["tables"].values()
    assert [row["amount"]["value"] for row in table] == ["580.00", "779.00", "76.50", "95.00"]
    assert result["extras"] == {"agent_run_status": "pending-export", "checks": []}
    assert result["document"]["id"].startswith("las:document:")
    requests = emu.stats["requests"]
    assert requests["POST /agents/{agentId}/runs"] == 1
    assert requests["POST /documents"] == 1 and "PUT /files/{fileId}" not in requests
    assert requests["GET /files/{fileId}"] == 1, "the run's variables file, read once"


def test_submit_to_an_agent_and_resume(tmp_path: Path, emu: CradlEmulator) -> None:
    env = env_for(tmp_path, emu)
    submitted = run_docrelay("submit", str(INVOICE), "--agent", DEFAULT_AGENT_ID, env=env)
    assert submitted.exit_code == 0, submitted.stdout
    job = submitted.document["data"]["job"]
    finished = run_docrelay("result", job, "--wait", env=env)
    assert finished.exit_code == 0, finished.stdout
    assert finished.document["data"]["fields"]["invoice_number"]["value"] == "INV-2026-0042"


def test_a_run_waiting_for_review_times_out_and_resumes_once_reviewed(
    tmp_path: Path, emu: CradlEmulator
) -> None:
    env = env_for(tmp_path, emu)
    waiting = extract(env, "--agent", REVIEW_AGENT_ID, "--timeout", "1")
    assert waiting.exit_code == 10, waiting.stdout
    job = waiting.error["job"]
    status = run_docrelay("status", job, env=env)
    assert status.document["data"]["status"] == "pending"
    (run_id,) = emu.agents.runs
    emu.agents.complete_review(run_id, {"invoice_number": "INV-2026-0043"})
    reviewed = run_docrelay("result", job, "--wait", env=env)
    assert reviewed.exit_code == 0, reviewed.stdout
    result = reviewed.document["data"]
    assert result["extras"] == {"agent_run_status": "review-completed", "review": "reviewed", "checks": []}
    assert result["fields"]["invoice_number"]["value"] == "INV-2026-0043"
    assert result["fields"]["invoice_number"]["confidence"] == 1.0


def test_models_lists_agents(tmp_path: Path, emu: CradlEmulator) -> None:
    run = run_docrelay("models", env=env_for(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    listed = run.document["data"]["models"]
    agents = {m["id"]: m for m in listed if m["extras"].get("kind") == "agent"}
    assert set(agents) == {DEFAULT_AGENT_ID, REVIEW_AGENT_ID}
    assert agents[DEFAULT_AGENT_ID]["name"] == "Invoice agent"
    assert "las:model:invoice" in {m["id"] for m in listed}, "models are still listed"


def test_an_unknown_agent_is_not_found(tmp_path: Path, emu: CradlEmulator) -> None:
    run = extract(env_for(tmp_path, emu), "--agent", "cradl:agent:" + "f" * 32)
    assert run.exit_code == 6, run.stdout
    assert "not found" in run.error["message"]
    assert emu.requests_to("POST /documents") == 0, "nothing uploaded"


def test_an_agent_that_cannot_read_the_document_fails(tmp_path: Path, emu: CradlEmulator) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(BLANK_PNG)
    run = extract(env_for(tmp_path, emu), "--agent", DEFAULT_AGENT_ID, document=blank)
    assert run.exit_code == 8, run.stdout
    assert "error" in run.error["message"]


def test_a_refused_upload_deletes_the_run(tmp_path: Path, emu: CradlEmulator) -> None:
    emu.script_fault("POST /documents", status=400, message="content is not valid")
    run = extract(env_for(tmp_path, emu), "--agent", DEFAULT_AGENT_ID)
    assert run.exit_code == 4, run.stdout
    assert emu.requests_to("DELETE /agents/{agentId}/runs/{runId}") == 1
    assert emu.agents.runs == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "las:model:invoice"), "not both"),
        (("--pages", "0"), "own settings"),
        (("--option", "n=2"), "own settings"),
    ],
)
def test_agent_usage_errors(tmp_path: Path, emu: CradlEmulator, args: tuple[str, ...], message: str) -> None:
    run = extract(env_for(tmp_path, emu), "--agent", DEFAULT_AGENT_ID, *args)
    assert run.exit_code == 2, run.stdout
    assert message in run.error["message"]
    assert emu.requests_to("POST /agents/{agentId}/runs") == 0


def test_providers_without_agents_say_so(tmp_path: Path) -> None:
    run = run_docrelay("extract", str(INVOICE), "--agent", DEFAULT_AGENT_ID, env=isolated_env(tmp_path))
    assert run.exit_code == 2, run.stdout
    assert "has no agents" in run.error["message"]


# -- the run's output as a result -----------------------------------------------------------------------
def _run(status: str, **extra: object) -> dict[str, object]:
    return {
        "agentId": DEFAULT_AGENT_ID,
        "runId": "cradl:run:" + "1" * 32,
        "id": f"{DEFAULT_AGENT_ID}/cradl:run:{'1' * 32}",
        "status": status,
        **extra,
    }


def _cell(name: str, value: object, confidence: float = 0.9) -> dict[str, object]:
    return {"value": value, "rawValue": str(value), "confidence": confidence, "page": 0, "name": name}


def test_output_groups_become_fields_and_tables() -> None:
    from core.models import DocumentInfo
    from core.providers.cradl.agents import normalize_run

    variables = {
        "output": {
            "g1": [{"f1": _cell("invoice_number", "INV-1"), "f2": _cell("total", 12.5, 2.0)}],
            "g2": [{"c1": _cell("amount", "1.00")}, {"c1": _cell("amount", "2.00")}],
        },
        "context": {"runId": "x"},
    }
    document = DocumentInfo(name="a.pdf", sha256="0" * 64, content_type="application/pdf")
    result = normalize_run(_run("exported"), variables, document)
    assert result.status == "succeeded"
    assert result.fields["invoice_number"].value == "INV-1"
    assert result.fields["total"].value == "12.5" and result.fields["total"].confidence == 1.0
    assert [row["amount"].value for row in result.tables["g2"]] == ["1.00", "2.00"]
    top_level = normalize_run(_run("pending-export"), variables["output"], document)
    assert top_level.fields == result.fields, "groups at the top level of the file are read too"


@pytest.mark.parametrize(
    ("status", "extra", "outcome"),
    [
        ("pending-predictions", {}, "pending"),
        ("succeeded-predictions", {}, "pending"),
        ("ready-for-review", {}, "pending"),
        ("review-completed", {}, "succeeded"),
        ("pending-export", {}, "succeeded"),
        ("exported", {}, "succeeded"),
        ("error", {}, "failed"),
        ("archived", {"variablesFileUrl": "https://files.example/x"}, "succeeded"),
        ("archived", {}, "failed"),
    ],
)
def test_run_statuses(status: str, extra: dict[str, object], outcome: str) -> None:
    from core.providers.cradl.agents import run_outcome

    assert run_outcome(_run(status, **extra)) == outcome
