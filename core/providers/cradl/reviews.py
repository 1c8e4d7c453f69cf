"""Cradl workflow executions as docrelay `Review`s, with one handle string per execution."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import UsageError
from core.models import Review
from core.providers.cradl.agents import FAILED as FAILED_RUN
from core.providers.cradl.agents import normalize_run
from core.review.handle import ReviewHandle
from core.review.outcome import REJECTED, REVIEWED, WAITING, ReviewState, mark_edits, result_from_values
from core.review.outcome import review_link as review_link

FINISHED = frozenset({"succeeded", "failed", "rejected", "error", "completed"})


def review_id(workflow: str, execution: str) -> str:
    return f"{workflow}/{execution}"


def split_review_id(value: str) -> tuple[str, str]:
    workflow, sep, execution = value.strip().partition("/")
    if not sep or not workflow or not execution:
        raise UsageError(
            f"{value!r} is not a review id",
            hint="Pass the `id` printed by `docrelay review start` (<workflow id>/<execution id>).",
            provider="cradl",
        )
    return workflow, execution


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def review_from_execution(execution: dict[str, Any], workflow: str) -> Review:
    workflow_id = str(execution.get("workflowId") or workflow)
    execution_id = str(execution.get("executionId") or "")
    status = str(execution.get("status") or "running")
    given = _mapping(execution.get("input"))
    values = _mapping(_mapping(execution.get("output")).get("values"))
    return Review(
        id=review_id(workflow_id, execution_id),
        provider="cradl",
        workflow=workflow_id,
        status=status,
        finished=status in FINISHED,
        document_id=given.get("documentId"),
        started=execution.get("startTime"),
        ended=execution.get("endTime"),
        values=values,
        raw=execution,
    )


# -- results routed to review (core.review.service) ------------------------------------------------
# Where a person reviews: an inference from the Cradl app's URLs; the review_url setting overrides it
# (placeholders {workflow}, {execution}, {agent}, {run}, {document_id}).
WORKFLOW_LINK = "https://app.cradl.ai/workflows/{workflow}/executions/{execution}"
AGENT_LINK = "https://app.cradl.ai/agents/{agent}/runs/{run}"
_LABEL = re.compile(r"^[0-9A-Za-z_-]{1,36}$")


def workflow_review_state(handle: ReviewHandle, execution: dict[str, Any]) -> ReviewState:
    status = str(execution.get("status") or "running")
    if status in ("succeeded", "completed"):
        values = _mapping(_mapping(execution.get("output")).get("values"))
        return ReviewState(REVIEWED, result_from_values(handle, values, raw=execution))
    if status == "rejected":
        return ReviewState(REJECTED, detail="the reviewer rejected the document")
    if status in ("failed", "error"):
        error = _mapping(_mapping(execution.get("output")).get("error"))
        return ReviewState("failed", detail=str(error.get("message") or f"the workflow ended {status}"))
    return ReviewState(WAITING, detail=f"the workflow execution is {status}")


def agent_review_state(handle: ReviewHandle, run: dict[str, Any], variables: Any) -> ReviewState:
    status = str(run.get("status") or "")
    if status in FAILED_RUN:
        return ReviewState(REJECTED, detail=f"the agent run ended with status {status}")
    if variables is None:
        return ReviewState(WAITING, detail=f"the agent run is {status}")
    result = normalize_run(run, variables, handle.document)
    return ReviewState(REVIEWED, mark_edits(result, handle))


def ground_truth(values: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Cradl's groundTruth items ({label, value}); a label Cradl cannot take is a usage error."""
    items: list[dict[str, Any]] = []
    for label, value in values.items():
        if not _LABEL.match(label):
            raise UsageError(
                f"Cradl ground truth labels are 1-36 letters, digits, - or _, not {label!r}",
                hint="Use the field names the model predicts, e.g. --field total_amount=1836.60.",
                provider="cradl",
            )
        items.append({"label": label, "value": value})
    return items
