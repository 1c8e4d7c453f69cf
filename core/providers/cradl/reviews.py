"""Cradl workflow executions as docrelay `Review`s, with one handle string per execution."""

from __future__ import annotations

from typing import Any

from core.errors import UsageError
from core.models import Review

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
