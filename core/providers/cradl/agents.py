"""Cradl Agents: a run per document, its status, and its output as the normalized result.

The flow follows the official `cradl` SDK 0.6.8 and the vendor's integrations (what is inferred is
marked in docs/providers/cradl.md): `POST /agents/{agentId}/runs`, then the document created with
`agentRunId = "<agentId>/<runId>"`; the agent predicts, may wait for a human review, and exports.
The run's `variablesFileUrl` holds `{"output": {<groupId>: [row, ...]}, ...}`, each row
`{<fieldId>: {value, rawValue, confidence, page, name}}`: a group with one row holds header fields,
a group with several rows is a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.models import Cell, DocumentInfo, FieldValue, Result, ResultError, TableRow

# Run statuses (the vendor's 2025-08 spec draft). Finished ones are those the vendor's Zapier
# trigger lists as done, plus `exported`; `ready-for-review` waits for a person.
RUNNING = ("pending-predictions", "succeeded-predictions", "ready-for-review")
SUCCEEDED = ("pending-export", "exported", "review-completed")
FAILED = ("error",)
REVIEW_STATES = {"ready-for-review": "awaiting review", "review-completed": "reviewed"}
AWAITING_REVIEW = "ready-for-review"


def is_agent_id(value: str | None) -> bool:
    return bool(value) and ":agent:" in str(value)


def split_run_id(full_id: str) -> tuple[str, str]:
    """`cradl:agent:X/cradl:run:Y` -> (agent id, run id)."""
    agent_id, _, run_id = full_id.rpartition("/")
    if not agent_id or not run_id:
        from core.errors import UsageError

        raise UsageError(f"{full_id!r} is not an agent run id", hint="Submit the document again.")
    return agent_id, run_id


def run_full_id(run: Mapping[str, Any]) -> str | None:
    """`<agentId>/<runId>`: the id a document names its run by (built so by the vendor's integrations)."""
    if run.get("agentId") and run.get("runId"):
        return f"{run['agentId']}/{run['runId']}"
    return _text(run.get("id"))


def run_outcome(run: Mapping[str, Any]) -> str:
    """ "pending" | "succeeded" | "failed" for a run's status."""
    status = str(run.get("status") or "")
    if status in SUCCEEDED:
        return "succeeded"
    if status in FAILED:
        return "failed"
    if status == "archived":  # archived after it finished, or before (then nothing to read)
        return "succeeded" if run.get("variablesFileUrl") else "failed"
    return "pending"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _confidence(cell: Mapping[str, Any]) -> float | None:
    value = cell.get("confidence")
    return min(1.0, max(0.0, float(value))) if isinstance(value, (int, float)) else None


def _page(cell: Mapping[str, Any]) -> int | None:
    page = cell.get("page")
    return page if isinstance(page, int) and page >= 0 else None


def _cells(row: Any) -> dict[str, Mapping[str, Any]]:
    """A row's cells by display name (the field id when a cell has no name)."""
    if not isinstance(row, Mapping):
        return {}
    return {str(cell.get("name") or key): cell for key, cell in row.items() if isinstance(cell, Mapping)}


def output_groups(variables: Any) -> dict[str, list[Any]]:
    """The output groups of a run's variables file (tolerant of the output at the top level)."""
    output = variables.get("output") if isinstance(variables, Mapping) else None
    if output is None and isinstance(variables, Mapping):
        output = {k: v for k, v in variables.items() if isinstance(v, list)}
    if not isinstance(output, Mapping):
        return {}
    return {str(k): v for k, v in output.items() if isinstance(v, list)}


def normalize_run(run: Mapping[str, Any], variables: Any, document: DocumentInfo) -> Result:
    outcome = run_outcome(run)
    fields: dict[str, FieldValue] = {}
    tables: dict[str, list[TableRow]] = {}
    for group, rows in output_groups(variables).items():
        if len(rows) == 1:
            for name, cell in _cells(rows[0]).items():
                fields[name] = FieldValue(
                    value=_text(cell.get("value")),
                    confidence=_confidence(cell),
                    page=_page(cell),
                    raw_value=_text(cell.get("rawValue")),
                )
            continue
        tables[group] = [
            {
                name: Cell(
                    value=_text(cell.get("value")),
                    confidence=_confidence(cell),
                    page=_page(cell),
                    raw_value=_text(cell.get("rawValue")),
                )
                for name, cell in _cells(row).items()
            }
            for row in rows
        ]
    status = str(run.get("status") or "")
    extras: dict[str, Any] = {"agent_run_status": status}
    if status in REVIEW_STATES:
        extras["review"] = REVIEW_STATES[status]
    documents = [r for r in run.get("resourceIds") or [] if ":document:" in str(r)]
    return Result(
        provider="cradl",
        model=_text(run.get("agentId")),
        status=outcome if outcome != "pending" else "pending",
        error=ResultError(type="job_failed", message=f"The agent run ended with status {status}")
        if outcome == "failed"
        else None,
        document=document.model_copy(update={"id": document.id or (documents[0] if documents else None)}),
        prediction_id=run_full_id(run),
        fields=fields,
        tables=tables,
        extras=extras,
        raw={"run": dict(run), "variables": variables},
    )
