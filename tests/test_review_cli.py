"""Human review end to end, per provider, as an RPA tool runs `docrelay`: route to review with
--review-below, a scripted reviewer at the emulator, `docrelay review wait` for the reviewed result (each
field saying whether a person changed it), `review complete`, feedback, and --delete-after."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import SAMPLES, Run, emulator_env, run_docrelay
from tests.emulators.base import Emulator

INVOICE = SAMPLES / "invoice.pdf"
CORRECTED = "1999.99"


@dataclass(frozen=True)
class Service:
    name: str
    fixture: str
    args: tuple[str, ...]  # what `extract` needs beyond the file
    completes: bool  # `review complete` has something to do
    feedback: bool
    deletes: bool

    def env(self, tmp_path: Path, emu: Any) -> dict[str, str]:
        extra = {"DOCRELAY_PROVIDER": self.name}
        if self.name == "cradl":
            extra["DOCRELAY_CRADL_REVIEW_WORKFLOW"] = emu.review_workflow_id
        if self.name == "contractfit":
            extra["DOCRELAY_CONTRACTFIT_INBOX"] = emu.inbox_id()
        return emulator_env(tmp_path, emu, **extra)


SERVICES = [
    Service("cradl", "make_cradl_emulator", ("--model", "las:model:invoice"), True, True, True),
    Service("contractfit", "make_contractfit_emulator", (), True, True, True),
    Service("deepopinion", "make_deepopinion_emulator", ("--model", "7"), False, False, False),
]


@pytest.fixture(params=SERVICES, ids=lambda s: s.name)
def service(request: pytest.FixtureRequest) -> tuple[Service, Emulator, dict[str, str]]:
    spec: Service = request.param
    make: Callable[..., Emulator] = request.getfixturevalue(spec.fixture)
    emu = make(async_delay=0.1) if spec.name != "deepopinion" else make()
    return spec, emu, spec.env(request.getfixturevalue("tmp_path"), emu)


def extract(spec: Service, env: dict[str, str], *args: str) -> Run:
    return run_docrelay("extract", str(INVOICE), *spec.args, *args, env=env)


def test_a_result_below_the_threshold_goes_to_review_and_comes_back_corrected(
    service: tuple[Service, Emulator, dict[str, str]],
) -> None:
    spec, emu, env = service
    routed = extract(spec, env, "--review-below", "0.8")
    assert routed.exit_code == 0, routed.stdout
    result = routed.document["data"]
    assert result["status"] == "needs_review"
    review = result["review"]
    assert review["id"].startswith("drrev1.") and review["link"].startswith("http")
    assert "currency: confidence 0.76 below 0.8" in review["reasons"]
    assert result["fields"]["currency"]["value"] == "GBP"  # the values are there while a person looks

    looked = run_docrelay("review", "get", review["id"], env=env)
    assert looked.exit_code == 0 and looked.document["data"]["status"] == "needs_review"

    emu.human_review("correct", {"total_amount": CORRECTED})
    reviewed = run_docrelay("review", "wait", review["id"], env=env)
    assert reviewed.exit_code == 0, reviewed.stdout
    data = reviewed.document["data"]
    assert data["schema"] == "docrelay.result/1" and data["status"] == "succeeded"
    assert data["fields"]["total_amount"] == {
        **data["fields"]["total_amount"],
        "value": CORRECTED,
        "edited": True,
    }
    assert data["fields"]["invoice_number"]["edited"] is False
    assert data["review"]["status"] == "reviewed"

    completed = run_docrelay("review", "complete", review["id"], env=env)
    if spec.completes:
        assert completed.exit_code == 0, completed.stdout
    else:
        assert completed.exit_code == 2 and "nothing to complete" in completed.error["message"]
    emu.assert_no_violations()


def test_a_confident_result_goes_straight_through(service: tuple[Service, Emulator, dict[str, str]]) -> None:
    spec, _emu, env = service
    run = extract(spec, env, "--review-below", "0.5")
    assert run.exit_code == 0, run.stdout
    result = run.document["data"]
    if spec.name == "deepopinion":  # its own threshold (0.9) opened HITL reviews: it asks for a person
        assert result["status"] == "needs_review"
        assert result["review"]["reasons"] == ["DeepOpinion asks for a review"]
    else:
        assert result["status"] == "succeeded" and result["review"] is None


def test_a_rejected_review_is_a_failed_job(service: tuple[Service, Emulator, dict[str, str]]) -> None:
    spec, emu, env = service
    routed = extract(spec, env, "--review-below", "0.99")
    emu.human_review("reject")
    rejected = run_docrelay("review", "wait", routed.document["data"]["review"]["id"], env=env)
    assert rejected.exit_code == 8, rejected.stdout
    assert "ended without values" in rejected.error["message"]


def test_a_review_not_finished_in_time_exits_10_with_its_handle(
    service: tuple[Service, Emulator, dict[str, str]],
) -> None:
    spec, _emu, env = service
    routed = extract(spec, env, "--review-below", "0.99")
    handle = routed.document["data"]["review"]["id"]
    waited = run_docrelay("review", "wait", handle, "--timeout", "1", env=env)
    assert waited.exit_code == 10, waited.stdout
    assert waited.error["job"] == handle and "docrelay review wait" in waited.error["message"]


def extract_saved(spec: Service, env: dict[str, str], tmp_path: Path) -> tuple[Run, Path]:
    """`docrelay extract`, its result saved to a file as a robot would keep it."""
    done = extract(spec, env)
    saved = tmp_path / "result.json"
    saved.write_text(done.stdout, encoding="utf-8")
    return done, saved


def test_feedback_goes_back_or_is_refused_clearly(
    service: tuple[Service, Emulator, dict[str, str]], tmp_path: Path
) -> None:
    spec, emu, env = service
    done, saved = extract_saved(spec, env, tmp_path)
    sent = run_docrelay("feedback", str(saved), "--field", f"total_amount={CORRECTED}", env=env)
    if not spec.feedback:
        assert sent.exit_code == 2 and "does not take feedback" in sent.error["message"]
        return
    assert sent.exit_code == 0, sent.stdout
    assert sent.document["data"]["corrected"] == ["total_amount"]
    assert sent.document["data"]["sent"] == len(done.document["data"]["fields"])
    emu.assert_no_violations()


def test_delete_after_deletes_the_document_once_its_result_is_in_hand(
    service: tuple[Service, Emulator, dict[str, str]],
) -> None:
    spec, emu, env = service
    run = extract(spec, env, "--delete-after")
    if not spec.deletes:
        assert run.exit_code == 2 and "no call to delete" in run.error["message"]
        assert emu.stats["total_requests"] == 0, "refused before anything was sent"
        return
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["extras"]["deleted"] is True
    assert (
        emu.requests_to(
            "DELETE /documents/{documentId}" if spec.name == "cradl" else "DELETE /documents/{document_id}"
        )
        == 1
    )
    emu.assert_no_violations()


def test_review_start_sends_a_saved_result_to_review(
    service: tuple[Service, Emulator, dict[str, str]], tmp_path: Path
) -> None:
    spec, emu, env = service
    _, saved = extract_saved(spec, env, tmp_path)
    started = run_docrelay("review", "start", "--result", str(saved), "--reason", "spot check", env=env)
    assert started.exit_code == 0, started.stdout
    result = started.document["data"]
    assert result["status"] == "needs_review" and result["review"]["reasons"] == ["spot check"]
    if spec.name == "deepopinion":  # its HITL had opened reviews for this extraction
        assert result["review"]["id"]
    emu.human_review("approve")
    reviewed = run_docrelay("review", "wait", result["review"]["id"], env=env)
    assert reviewed.exit_code == 0, reviewed.stdout
    assert not any(f["edited"] for f in reviewed.document["data"]["fields"].values())
