"""contract.fit review states and feedback, as docrelay reviews.

A processed document waits in its inbox until a person submits it in the portal (`submitted.value`
true, with a human version holding the submitted values) or rejects it (`reject.value`). docrelay
starts nothing: routing a result to review only records where it waits. Feedback is the service's own
call (`POST /documents/{id}/feedback`, a `VersionPost`), which also submits the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import ServiceError
from core.providers.contractfit.normalize import parse_prediction
from core.review.handle import ReviewHandle
from core.review.outcome import REJECTED, REVIEWED, WAITING, ReviewState, mark_edits

# Fields of a poll for the review state (an X-Fields mask).
REVIEW_FIELDS = "id,submitted,reject,status_data,last_version"
# Where a person reviews: the portal's document page, an inference (the review_url setting overrides).
DOCUMENT_LINK = "{portal}/documents/{document_id}"
FEEDBACK_VERSION = "docrelay-feedback"


def portal_url(api_url: str) -> str:
    """The portal in front of the API: `https://host/api` -> `https://host`."""
    base = api_url.rstrip("/")
    return base[: -len("/api")] if base.endswith("/api") else base


def _state(document: Mapping[str, Any], name: str) -> bool:
    state = document.get(name)
    return isinstance(state, Mapping) and state.get("value") is True


def review_state(handle: ReviewHandle, document: Mapping[str, Any], version: Any | None) -> ReviewState:
    """`document` is the masked poll; `version` the human version once the document is submitted."""
    if _state(document, "reject"):
        return ReviewState(REJECTED, detail="the reviewer rejected the document")
    if not _state(document, "submitted"):
        return ReviewState(WAITING, detail="waiting in the inbox for a person to submit it")
    if not isinstance(version, Mapping):
        raise ServiceError(
            f"contract.fit reports {handle.document.name} as submitted but gave no submitted version",
            hint="Try again in a moment; if it persists, read the document in the portal",
            provider="contractfit",
        )
    fields, tables = parse_prediction(version)
    from core.models import Result

    for found in fields.values():  # a person's value: vouched for
        found.confidence = 1.0 if found.confidence is None and found.value is not None else found.confidence
    result = Result(
        provider="contractfit",
        model=handle.model,
        status="succeeded",
        document=handle.document,
        fields=fields,
        tables=tables,
        raw=dict(version),
    )
    return ReviewState(REVIEWED, mark_edits(result, handle))


def feedback_version(values: Mapping[str, str | None]) -> dict[str, Any]:
    """A `VersionPost` with one `EvaluationAtom` per field (no coordinates known: zeros)."""
    annotations = {
        name: [{"gold": value or "", "text": value or "", "textual_coord": [0, 0, 0, 0, 0, 0]}]
        for name, value in values.items()
    }
    return {"name": FEEDBACK_VERSION, "evaluate": True, "annotations": annotations}
