"""Review, feedback and deletion over one provider: the steps every front end shares.

`core.services.Client` calls these; front ends never do. A result goes to review when the policy
finds reasons (core.review.policy), or when the service itself waits for a person (a Cradl agent run
at its validation task, a DeepOpinion HITL review): it becomes `needs_review` with a review handle
and link. `reviewed()` turns a finished review into a normalized result whose fields say whether a
person changed them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import JobFailedError, UsageError
from core.hints import setting
from core.models import DocumentInfo, JobHandle, Result, ReviewInfo
from core.providers.base import Provider
from core.review.handle import ReviewHandle, is_review_handle
from core.review.outcome import NOT_STARTED, REJECTED, ReviewState, predicted_values
from core.review.policy import ReviewPolicy

log = logging.getLogger("docrelay.review")


def require_review(provider: Provider) -> None:
    """Before anything is sent: a provider without human review cannot route to one."""
    if not provider.capabilities.human_review:
        raise UsageError(
            f"Provider {provider.title or provider.name} has no human review",
            hint=f"Leave out {setting('review_below')}, or use cradl, contractfit or deepopinion.",
            provider=provider.name,
        )


def require_delete(provider: Provider) -> None:
    if not provider.capabilities.delete:
        provider.delete_document(DocumentInfo(name="-"))  # raises its own "not supported"


def route(
    provider: Provider,
    result: Result,
    job: JobHandle | None,
    policy: ReviewPolicy | None,
    *,
    profile: str | None = None,
    awaiting: bool = False,
) -> Result:
    """`result` as needs_review (review started) when the policy or the service asks for a person;
    unchanged otherwise. `awaiting`: the service already waits for a person (its own review step)."""
    if result.status not in ("succeeded", "pending") or (policy is None and not awaiting):
        return result
    if awaiting:
        result.status = "succeeded"  # the values are there; the policy reads them like any others
    reasons = policy.reasons(result) if policy is not None else []
    service_waits = awaiting or bool(result.extras.get("review_required"))
    if service_waits:
        reasons.insert(0, f"{provider.title or provider.name} asks for a review")
    if not reasons:
        return result
    return _under_review(provider, result, job, profile=profile, reasons=reasons)


def open_for(provider: Provider, result: Result, *, profile: str | None, reason: str | None) -> Result:
    """Send a finished result to review whatever its confidences (Start Review)."""
    require_review(provider)
    if result.status == "needs_review" and result.review is not None and result.review.id:
        return result  # already under review: never a second one
    if result.status != "succeeded":
        raise UsageError(
            f"Only a finished result can go to review; {result.document.name} is {result.status}",
            hint="Wait for the result first (Wait For Result / `docrelay result JOB --wait`).",
            provider=provider.name,
        )
    routed = result.model_copy(deep=True)
    return _under_review(provider, routed, None, profile=profile, reasons=[reason or "sent to review"])


def _under_review(
    provider: Provider, result: Result, job: JobHandle | None, *, profile: str | None, reasons: list[str]
) -> Result:
    """Open the service's review of `result` and mark it needs_review, with a handle once it started."""
    ticket = provider.open_review(result, job, title=result.document.name)
    handle = ReviewHandle(
        provider=provider.name,
        profile=profile,
        kind=ticket.kind,
        ref=ticket.ref,
        model=result.model,
        document=result.document,
        link=ticket.link,
        predicted=predicted_values(result),
    )
    started = ticket.status != NOT_STARTED
    result.status = "needs_review"
    result.review = ReviewInfo(
        id=handle.encode() if started else None, link=ticket.link, status=ticket.status, reasons=reasons
    )
    return result


def reviewed(state: ReviewState, handle: ReviewHandle) -> Result:
    """The reviewed result of a finished review; a rejected or failed review is a JobFailedError."""
    if state.status == REJECTED or state.result is None:
        raise JobFailedError(
            f"The review of {handle.document.name} ended without values: {state.detail or state.status}",
            hint="Look at the document in the service; send it again if it should be processed.",
            provider=handle.provider,
        )
    return state.result


def pending_result(state: ReviewState, handle: ReviewHandle) -> Result:
    """A look at a review that has not finished: the document as needs_review, nothing more."""
    return Result(
        provider=handle.provider,
        model=handle.model,
        status="needs_review",
        document=handle.document,
        review=ReviewInfo(id=handle.encode(), link=handle.link, status=state.status),
        extras={"review_detail": state.detail} if state.detail else {},
    )


def delete_after_use(provider: Provider, result: Result) -> Result:
    """Delete a finished result's document on the service; a document under review stays for the
    reviewer (`docrelay review wait --delete-after` deletes it then). Records the outcome in extras."""
    if result.status != "succeeded" or not result.document.id:
        if result.status == "needs_review":
            result.extras["deleted"] = False
            result.extras["delete_note"] = "kept for the review; delete it after `review wait`"
        return result
    provider.delete_document(result.document)
    result.extras["deleted"] = True
    return result


# -- feedback --------------------------------------------------------------------------------------
@dataclass
class FeedbackTarget:
    """What a feedback is about: the provider, the service's document, and the values known for it."""

    provider: str
    profile: str | None
    document: DocumentInfo
    known: dict[str, str | None] = field(default_factory=dict)


def feedback_target(value: str | Result) -> FeedbackTarget:
    """A review handle (drrev1.), a job handle (drjob1.), a result JSON file (docrelay's output), or a
    result itself."""
    if isinstance(value, Result):
        return FeedbackTarget(value.provider, None, value.document, predicted_values(value))
    text = str(value).strip()
    if is_review_handle(text):
        review = ReviewHandle.decode(text)
        return FeedbackTarget(review.provider, review.profile, review.document, dict(review.predicted))
    if text.startswith("drjob1."):
        job = JobHandle.decode(text)
        document = job.document.model_copy(update={"id": job.document.id or job.document_id})
        return FeedbackTarget(job.provider, job.profile, document)
    return _target_from_file(text)


def _target_from_file(path: str) -> FeedbackTarget:
    result = load_result_file(path)
    return FeedbackTarget(result.provider, None, result.document, predicted_values(result))


RESULT_FILE_HINT = (
    "Pass a job handle (drjob1...), a review handle (drrev1...) or the JSON file `docrelay extract` wrote."
)


def load_result_file(path: str) -> Result:
    """One result from a JSON file: docrelay's envelope (`--output`) or the bare result."""
    from core.files import parse_json_text, read_small_text

    if not Path(path).is_file():
        raise UsageError(
            f"{path!r} is neither a job or review handle nor a result file", hint=RESULT_FILE_HINT
        )
    text = read_small_text(path, limit=64 * 1024 * 1024, what="the result file", error=UsageError, hint="")
    try:
        data = parse_json_text(text)
    except (ValueError, json.JSONDecodeError) as exc:
        raise UsageError(f"The result file {path} is not valid JSON: {exc}", hint=RESULT_FILE_HINT) from None
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]  # the envelope docrelay prints
    try:
        return Result.model_validate(data)
    except ValueError:
        raise UsageError(
            f"The file {path} does not hold one docrelay result", hint=RESULT_FILE_HINT
        ) from None


def parse_corrections(pairs: Iterable[str] | Mapping[str, Any]) -> dict[str, str | None]:
    """NAME=VALUE texts (or a mapping) as corrected values; an empty value clears the field."""
    items = pairs.items() if isinstance(pairs, Mapping) else (_split(p) for p in pairs)
    values = {str(k).strip(): (None if v is None or str(v) == "" else str(v)) for k, v in items}
    if not values:
        raise UsageError("No corrected values given", hint="E.g. --field total_amount=1836.60 (repeatable).")
    return values


def _split(pair: str) -> tuple[str, str]:
    name, sep, value = str(pair).partition("=")
    if not sep or not name.strip():
        raise UsageError(
            f"A correction must be NAME=VALUE, not {pair!r}", hint="E.g. --field total_amount=1836.60."
        )
    return name, value


def send_feedback(
    provider: Provider, target: FeedbackTarget, corrections: Mapping[str, str | None]
) -> dict[str, Any]:
    """Send the known values with the corrections applied; the receipt names what was sent."""
    if not provider.capabilities.feedback:
        provider.send_feedback(target.document, corrections)  # raises its "not supported"
    if not target.document.id:
        raise UsageError(
            f"{target.document.name} has no document id on {provider.title or provider.name}",
            hint="Send feedback for a document the service holds: its job or review handle, or its result.",
            provider=provider.name,
        )
    values = {**target.known, **corrections}
    receipt = provider.send_feedback(target.document, values)
    return {
        "provider": provider.name,
        "document": target.document.model_dump(mode="json"),
        "corrected": sorted(corrections),
        "sent": len(values),
        **receipt,
    }
