"""What providers hand back about a review, and the reviewed result built from reviewed values.

A reviewed result is normalized like any other; each header field says whether the reviewer changed
it (`edited`), compared with the values the service predicted (kept in the review handle). A value a
person confirmed or typed has confidence 1.0 unless the service reports its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.models import Cell, FieldValue, Result, ReviewInfo, TableRow
from core.review.handle import ReviewHandle

WAITING, REVIEWED, REJECTED, NOT_STARTED = "waiting", "reviewed", "rejected", "not_started"


@dataclass(frozen=True)
class ReviewTicket:
    """A review a provider started (or found waiting) for one document."""

    kind: str
    ref: dict[str, Any]
    link: str | None = None
    status: str = WAITING


@dataclass(frozen=True)
class ReviewState:
    """One look at a review: `result` is the reviewed result once `status` is reviewed."""

    status: str  # waiting | reviewed | rejected | not_started
    result: Result | None = None
    detail: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in (REVIEWED, REJECTED)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def result_from_values(
    handle: ReviewHandle, values: Mapping[str, Any], *, raw: Any, confidence: float | None = 1.0
) -> Result:
    """A reviewed result from a flat `{field: value, table: [{column: value}]}` map."""
    fields: dict[str, FieldValue] = {}
    tables: dict[str, list[TableRow]] = {}
    for name, value in values.items():
        if isinstance(value, list):
            tables[str(name)] = [
                {str(k): Cell(value=_text(v), confidence=confidence) for k, v in row.items()}
                for row in value
                if isinstance(row, Mapping)
            ]
        elif not isinstance(value, Mapping):
            fields[str(name)] = FieldValue(value=_text(value), confidence=confidence)
    result = Result(
        provider=handle.provider,
        model=handle.model,
        status="succeeded",
        document=handle.document,
        fields=fields,
        tables=tables,
        raw=raw,
    )
    return mark_edits(result, handle)


def mark_edits(result: Result, handle: ReviewHandle) -> Result:
    """Set each header field's `edited` against the predicted values, and the result's review info."""
    for name, found in result.fields.items():
        if name in handle.predicted:
            found.edited = found.value != handle.predicted[name]
        else:
            found.edited = found.value is not None  # a field the reviewer added
    for name in handle.predicted:  # a field the reviewer cleared
        if name not in result.fields and handle.predicted[name] is not None:
            result.fields[name] = FieldValue(value=None, edited=True)
    result.review = ReviewInfo(id=handle.encode(), link=handle.link, status=REVIEWED)
    return result


def predicted_values(result: Result) -> dict[str, str | None]:
    return {name: found.value for name, found in result.fields.items()}


def review_link(template: str | None, default: str, **ids: Any) -> str:
    """The review link from `template` (the review_url setting) or `default`; unknown placeholders stay."""

    class _Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return (template or default).format_map(_Keep(ids))
