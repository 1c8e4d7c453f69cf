"""The failure paths of review, feedback and deletion: each with its documented exit code and a message
that says what to do; plus Cradl Agents' validation tasks, batches that resume a needs_review document,
and the emulators' scripted reviewer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.cli_helpers import SAMPLES, emulator_env, isolated_env, run_docrelay
from tests.emulators.contractfit import ContractfitEmulator
from tests.emulators.cradl import CradlEmulator
from tests.emulators.cradl.agents import REVIEW_AGENT_ID
from tests.emulators.deepopinion import DeepopinionEmulator

INVOICE = SAMPLES / "invoice.pdf"
MODEL = ("--model", "las:model:invoice")
MakeCradl = Callable[..., CradlEmulator]


def cradl_env(tmp_path: Path, emu: CradlEmulator, **extra: str) -> dict[str, str]:
    return emulator_env(
        tmp_path,
        emu,
        DOCRELAY_PROVIDER="cradl",
        DOCRELAY_CRADL_REVIEW_WORKFLOW=emu.review_workflow_id,
        **extra,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--review-below", "1.5"), "between 0 and 1"),
        (("--review-below", "0.8", "--review-field", "total_amount"), "NAME=THRESHOLD"),
        (("--review-field", "total_amount=high"), "must be a number"),
    ],
)
def test_bad_thresholds_are_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    run = run_docrelay("extract", str(INVOICE), *args, env=isolated_env(tmp_path))
    assert run.exit_code == 2 and message in run.error["message"]


def test_the_local_provider_has_no_review_and_says_so_before_reading(tmp_path: Path) -> None:
    run = run_docrelay(
        "extract", str(tmp_path / "missing.pdf"), "--review-below", "0.8", env=isolated_env(tmp_path)
    )
    assert run.exit_code == 2 and "has no human review" in run.error["message"]
    assert "--review-below" in run.error["message"]


def test_feedback_for_the_local_provider_is_not_supported(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    done = run_docrelay("extract", str(INVOICE), env=env)
    saved = tmp_path / "r.json"
    saved.write_text(done.stdout, encoding="utf-8")
    run = run_docrelay("feedback", str(saved), "--field", "total_amount=1", env=env)
    assert run.exit_code == 2 and "does not take feedback" in run.error["message"]


@pytest.mark.parametrize(
    ("target", "fields", "message"),
    [
        ("nothing-like-a-handle", ("--field", "a=1"), "neither a job or review handle nor a result file"),
        ("drrev1.!!!", ("--field", "a=1"), "not a docrelay review handle"),
        ("drjob1.e30", (), "No corrected values given"),
    ],
)
def test_feedback_without_a_document_or_values_is_a_usage_error(
    tmp_path: Path, target: str, fields: tuple[str, ...], message: str
) -> None:
    run = run_docrelay("feedback", target, *fields, env=isolated_env(tmp_path))
    assert run.exit_code == 2 and message in run.error["message"], run.stdout


def test_review_wait_refuses_what_is_not_a_review_handle(tmp_path: Path) -> None:
    run = run_docrelay(
        "review", "wait", "las:workflow:x/las:workflow-execution:y", env=isolated_env(tmp_path)
    )
    assert run.exit_code == 2 and "not a docrelay review handle" in run.error["message"]


def test_cradl_without_a_review_workflow_is_a_configuration_error(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    run = run_docrelay(
        "extract",
        str(INVOICE),
        *MODEL,
        "--review-below",
        "0.99",
        env=emulator_env(tmp_path, emu, DOCRELAY_PROVIDER="cradl"),
    )
    assert run.exit_code == 3 and "review_workflow is not set" in run.error["message"]
    assert "DOCRELAY_CRADL_REVIEW_WORKFLOW" in run.error["message"]
    assert emu.client_secret not in run.stdout + run.stderr


def test_cradl_feedback_with_a_label_cradl_cannot_take(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    env = cradl_env(tmp_path, emu)
    job = run_docrelay("submit", str(INVOICE), *MODEL, env=env).document["data"]["job"]
    run = run_docrelay("feedback", job, "--field", "total amount=1", env=env)
    assert run.exit_code == 2 and "ground truth labels" in run.error["message"]
    sent = run_docrelay("feedback", job, "--field", "total_amount=1836.60", env=env)
    assert sent.exit_code == 0, sent.stdout
    assert sent.document["data"]["ground_truth"] == 1  # a job handle knows no values: only the correction
    emu.assert_no_violations()


def test_feedback_for_a_deleted_document_is_not_found(tmp_path: Path, make_cradl_emulator: MakeCradl) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    env = cradl_env(tmp_path, emu)
    done = run_docrelay("extract", str(INVOICE), *MODEL, "--delete-after", env=env)
    saved = tmp_path / "r.json"
    saved.write_text(done.stdout, encoding="utf-8")
    run = run_docrelay("feedback", str(saved), "--field", "total_amount=1", env=env)
    assert run.exit_code == 6 and "not found" in run.error["message"]


def test_a_failed_deletion_reports_the_result_and_the_service_error(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    emu.script_fault("DELETE /documents/{documentId}", status=403, message="Forbidden", count=5)
    run = run_docrelay("extract", str(INVOICE), *MODEL, "--delete-after", env=cradl_env(tmp_path, emu))
    assert run.exit_code == 5, run.stdout
    error = run.error
    assert "was extracted, but deleting it on the service failed" in error["message"]
    assert run.document["data"]["result"]["fields"]["invoice_number"]["value"] == "INV-2026-0042"


def test_a_document_under_review_is_kept_until_the_review_is_read(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    env = cradl_env(tmp_path, emu)
    routed = run_docrelay(
        "extract", str(INVOICE), *MODEL, "--review-below", "0.99", "--delete-after", env=env
    )
    result = routed.document["data"]
    assert result["status"] == "needs_review" and result["extras"]["deleted"] is False
    assert emu.requests_to("DELETE /documents/{documentId}") == 0
    emu.human_review("approve")
    reviewed = run_docrelay("review", "wait", result["review"]["id"], "--delete-after", env=env)
    assert reviewed.exit_code == 0 and reviewed.document["data"]["extras"]["deleted"] is True
    assert emu.requests_to("DELETE /documents/{documentId}") == 1


def test_a_failing_review_poll_is_retried(tmp_path: Path, make_cradl_emulator: MakeCradl) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    env = cradl_env(tmp_path, emu)
    routed = run_docrelay("extract", str(INVOICE), *MODEL, "--review-below", "0.99", env=env)
    emu.human_review("approve")
    emu.script_fault("GET /workflows/{workflowId}/executions/{executionId}", status=503, count=2)
    reviewed = run_docrelay("review", "wait", routed.document["data"]["review"]["id"], env=env)
    assert reviewed.exit_code == 0, reviewed.stdout


def test_an_agent_waiting_at_its_validation_task_is_needs_review(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    env = cradl_env(tmp_path, emu)
    routed = run_docrelay(
        "extract", str(INVOICE), "--agent", REVIEW_AGENT_ID, "--review-below", "0.5", env=env
    )
    assert routed.exit_code == 0, routed.stdout
    result = routed.document["data"]
    assert result["status"] == "needs_review"
    assert result["review"]["reasons"] == ["cradl asks for a review"]
    assert "/agents/" in result["review"]["link"]
    emu.human_review("correct", {"invoice_number": "INV-2026-0043"})
    reviewed = run_docrelay("review", "wait", result["review"]["id"], env=env)
    assert reviewed.exit_code == 0, reviewed.stdout
    fields = reviewed.document["data"]["fields"]
    assert fields["invoice_number"]["value"] == "INV-2026-0043" and fields["invoice_number"]["edited"] is True
    assert fields["total_amount"]["edited"] is False
    done = run_docrelay("review", "complete", result["review"]["id"], env=env)
    assert done.exit_code == 2 and "nothing to complete" in done.error["message"]
    emu.assert_no_violations()


def test_a_batch_journals_needs_review_and_a_rerun_starts_no_second_review(
    tmp_path: Path, make_cradl_emulator: MakeCradl
) -> None:
    emu = make_cradl_emulator(async_delay=0.1)
    env = cradl_env(tmp_path, emu)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(INVOICE.read_bytes())
    journal = str(tmp_path / "journal.sqlite")
    args = (
        "batch",
        str(folder),
        *MODEL,
        "--journal",
        journal,
        "--review-below",
        "0.99",
        "--delete-after",
        "--quiet",
    )
    first = run_docrelay(*args, env=env)
    assert first.exit_code == 0, first.stdout
    data = first.document["data"]
    assert data["summary"] == {"total": 1, "succeeded": 0, "failed": 0, "pending": 0, "needs_review": 1}
    again = run_docrelay(*args, env=env)
    assert again.exit_code == 0 and again.document["data"]["from_journal"] == 1
    (result,) = again.document["data"]["results"]
    assert result["status"] == "needs_review" and result["review"] == data["results"][0]["review"]
    assert emu.requests_to("POST /workflows/{workflowId}/executions") == 1
    assert emu.requests_to("DELETE /documents/{documentId}") == 0, "kept for the reviewer"


def test_a_batch_deletes_each_document_after_journaling_it(
    tmp_path: Path, make_contractfit_emulator: Callable[..., ContractfitEmulator]
) -> None:
    emu = make_contractfit_emulator(async_delay=0.1)
    env = emulator_env(
        tmp_path, emu, DOCRELAY_PROVIDER="contractfit", DOCRELAY_CONTRACTFIT_INBOX=emu.inbox_id()
    )
    emu.script_fault(
        "DELETE /documents/{document_id}", status=403, message="Permission insufficient", count=1
    )
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.pdf", "b.pdf"):
        data = INVOICE.read_bytes() + (b"\n%" + name.encode())  # two different documents
        (folder / name).write_bytes(data)
    run = run_docrelay(
        "batch",
        str(folder),
        "--delete-after",
        "--quiet",
        "--concurrency",
        "1",
        "--journal",
        str(tmp_path / "j.sqlite"),
        env=env,
    )
    assert run.exit_code == 0, run.stdout
    extras = [r["extras"] for r in run.document["data"]["results"]]
    assert sorted(e["deleted"] for e in extras) == [False, True]
    refused = next(e for e in extras if not e["deleted"])
    assert "Permission insufficient" in refused["delete_error"]


def test_the_scripted_reviewer_answers_over_http_and_refuses_what_it_cannot_do(
    make_cradl_emulator: MakeCradl,
) -> None:
    emu = make_cradl_emulator()
    none = requests.post(f"{emu.root_url}/_emulator/review", json={"action": "approve"}, timeout=10)
    assert none.status_code == 400 and "no review is waiting" in none.json()["message"]
    bad = requests.post(f"{emu.root_url}/_emulator/review", json={"action": "shrug"}, timeout=10)
    assert bad.status_code == 400 and "approve, correct or reject" in bad.json()["message"]
    assert json.loads(bad.text)  # a JSON body, as every control answer


def test_contractfit_feedback_without_the_submit_permission_is_refused(
    tmp_path: Path, make_contractfit_emulator: Callable[..., ContractfitEmulator]
) -> None:
    emu = make_contractfit_emulator(async_delay=0.1)
    env = emulator_env(
        tmp_path, emu, DOCRELAY_PROVIDER="contractfit", DOCRELAY_CONTRACTFIT_INBOX=emu.inbox_id()
    )
    job = run_docrelay("submit", str(INVOICE), env=env).document["data"]["job"]
    emu.script_fault("POST /documents/{document_id}/feedback", status=403, message="Permission insufficient")
    run = run_docrelay("feedback", job, "--field", "total_amount=1", env=env)
    assert run.exit_code == 5, run.stdout
    assert "`submit` permission" in run.error["message"]
    assert emu.api_key not in run.stdout + run.stderr


def test_a_deepopinion_review_poll_that_fails_is_retried_then_reported(
    tmp_path: Path, make_deepopinion_emulator: Callable[..., DeepopinionEmulator]
) -> None:
    emu = make_deepopinion_emulator()
    env = emulator_env(tmp_path, emu, DOCRELAY_PROVIDER="deepopinion")
    routed = run_docrelay("extract", str(INVOICE), "--model", "7", "--review-below", "0.8", env=env)
    handle = routed.document["data"]["review"]["id"]
    emu.human_review("approve")
    emu.script_fault("GET /projects/{project_id}/hitls/{hitl_id}/reviews", status=503, count=1)
    reviewed = run_docrelay("review", "wait", handle, env=env)
    assert reviewed.exit_code == 0, reviewed.stdout
    emu.script_fault("GET /projects/{project_id}/hitls/{hitl_id}/reviews", status=503, count=50)
    failing = run_docrelay("review", "get", handle, env=env)
    assert failing.exit_code == 8, failing.stdout
    assert emu.password not in failing.stdout + failing.stderr


def test_a_deepopinion_model_without_a_hitl_is_a_configuration_error(
    tmp_path: Path, make_deepopinion_emulator: Callable[..., DeepopinionEmulator]
) -> None:
    emu = make_deepopinion_emulator()
    env = emulator_env(tmp_path, emu, DOCRELAY_PROVIDER="deepopinion", DOCRELAY_DEEPOPINION_HITL="99")
    run = run_docrelay("extract", str(INVOICE), "--model", "7", "--review-below", "0.8", env=env)
    assert run.exit_code == 3 and "DeepOpinion has no HITL 99" in run.error["message"]
