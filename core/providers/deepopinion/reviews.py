"""DeepOpinion HITL reviews as docrelay reviews.

DeepOpinion opens HITL reviews itself when an extraction has values below the model's thresholds
(`hitl.status` "pending"), one per label, in the project's live HITL for that model; a person completes
them in Studio. docrelay finds the reviews of the document it extracted (the newest document of that
name with pending reviews), waits until none is pending, and reads the reviewed values. It cannot open a
review DeepOpinion did not: such a result is needs_review with no review id (status not_started).
Finished review states and reviewed values are inferences (docs/providers/deepopinion.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import ConfigError
from core.review.handle import ReviewHandle
from core.review.outcome import REJECTED, REVIEWED, WAITING, ReviewState, result_from_values

# Where a person reviews (an inference; the review_url setting overrides it).
HITL_LINK = "https://app.deepopinion.ai/projects/{project}/hitl/{hitl}"


def choose_hitl(
    hitls: Sequence[Mapping[str, Any]], model: str | None, wanted: str | None
) -> Mapping[str, Any]:
    """The HITL of `wanted` (the hitl setting), else the live one of the model; a ConfigError if none."""
    if wanted:
        found = [h for h in hitls if str(h.get("id")) == str(wanted)]
    else:
        found = [h for h in hitls if h.get("is_live") and str(h.get("model_id")) == str(model)]
    if not found:
        what = f"HITL {wanted}" if wanted else f"live HITL for model {model}"
        raise ConfigError(
            f"DeepOpinion has no {what} in this project",
            hint="Add a HITL to the model in Studio, or set DOCRELAY_DEEPOPINION_HITL to its id "
            "(`docrelay config set hitl ID --provider deepopinion`)",
            provider="deepopinion",
        )
    return found[0]


def document_under_review(reviews: Sequence[Mapping[str, Any]], name: str) -> int | None:
    """The newest document of this name with a pending review (the one just extracted)."""
    pending = [
        int(r["document_id"])
        for r in reviews
        if r.get("document_name") == name
        and r.get("status") == "PENDING"
        and isinstance(r.get("document_id"), int)
    ]
    return max(pending) if pending else None


def review_state(handle: ReviewHandle, reviews: Sequence[Mapping[str, Any]]) -> ReviewState:
    mine = [r for r in reviews if str(r.get("document_id")) == str(handle.ref.get("document_id"))]
    if not mine:
        return ReviewState(WAITING, detail="DeepOpinion lists no review of this document yet")
    statuses = {str(r.get("status")) for r in mine}
    if "PENDING" in statuses:
        done = sum(1 for r in mine if r.get("status") != "PENDING")
        return ReviewState(WAITING, detail=f"{done} of {len(mine)} values reviewed")
    if "REJECTED" in statuses:
        return ReviewState(REJECTED, detail="the reviewer rejected the document")
    values: dict[str, Any] = dict(handle.predicted)
    for review in mine:
        data = review.get("data")
        if isinstance(data, Mapping) and "reviewed_value" in data:
            values[str(review.get("label"))] = data.get("reviewed_value")
    return ReviewState(REVIEWED, result_from_values(handle, values, raw={"reviews": list(mine)}))
