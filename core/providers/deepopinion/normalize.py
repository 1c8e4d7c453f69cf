"""DeepOpinion extraction and ad-hoc analysis responses -> the normalized result.

Extraction: every box under `documents[].bboxes` carries `text`, `label` and a 0..1 `confidence`;
labels become fields (best confidence first, the others as candidates) and the quad
TLx..BLy becomes `box` [x1, y1, x2, y2] (min/max: the reference's sample has a slip in BLy, so the
quad's geometry is not checked). `bboxes` is nested three deep; the outer level is read as the page
(an inference: the reference does not say). HITL status, credits and the `all_*` flags go to `extras`.

Analysis: documents -> segments -> tags of class and label, one `segments` table row per tag.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from core.errors import ServiceError
from core.models import Candidate, Cell, DocumentInfo, FieldValue, Result, TableRow

QUAD_KEYS = ("TLx", "TLy", "TRx", "TRy", "BRx", "BRy", "BLx", "BLy")
FLAGS = ("all_required_fields_found", "all_confidence_thresholds_met", "all_data_conversion_passed")
SEGMENT_COLUMNS = ("document", "text", "span", "class", "label")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _unit(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else min(1.0, max(0.0, number))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def quad_box(box: Mapping[str, Any]) -> tuple[float, float, float, float] | None:
    """The axis-aligned [x1, y1, x2, y2] around a TLx..BLy quad; {x, y, w, h} is accepted too."""
    corners = [_number(box.get(key)) for key in QUAD_KEYS]
    if all(c is not None for c in corners):
        xs = [c for c in corners[0::2] if c is not None]
        ys = [c for c in corners[1::2] if c is not None]
        return (min(xs), min(ys), max(xs), max(ys))
    x, y, w, h = (_number(box.get(key)) for key in ("x", "y", "w", "h"))
    if x is not None and y is not None and w is not None and h is not None:
        return (x, y, x + w, y + h)
    return None


def _boxes(value: Any, page: int | None, depth: int = 0) -> Iterator[tuple[int | None, Mapping[str, Any]]]:
    """(page, box) for every labelled box, however deep; the outermost list index is the page."""
    if isinstance(value, Mapping):
        if "label" in value:
            yield page, value
        return
    if isinstance(value, list) and depth < 6:
        for index, item in enumerate(value):
            yield from _boxes(item, index if depth == 0 and isinstance(item, list) else page, depth + 1)


def _candidates_by_label(
    document: Mapping[str, Any],
) -> dict[str, list[tuple[int | None, Mapping[str, Any]]]]:
    found: dict[str, list[tuple[int | None, Mapping[str, Any]]]] = {}
    for page, box in _boxes(document.get("bboxes"), None):
        label = _text(box.get("label"))
        if label:
            found.setdefault(label, []).append((page, box))
    if not found:
        # Without boxes, take matches that look like labelled values (their shape is undocumented).
        for match in document.get("matches") or []:
            if isinstance(match, Mapping) and _text(match.get("label")):
                found.setdefault(str(match["label"]), []).append((None, match))
    return found


def _field(candidates: list[tuple[int | None, Mapping[str, Any]]]) -> FieldValue:
    ranked = sorted(candidates, key=lambda item: -(_unit(item[1].get("confidence")) or 0.0))
    page, best = ranked[0]
    value = _text(best.get("text", best.get("value")))
    return FieldValue(
        value=value,
        confidence=_unit(best.get("confidence")),
        page=page,
        raw_value=value,
        box=quad_box(best),
        candidates=[
            Candidate(
                value=_text(c.get("text", c.get("value"))), confidence=_unit(c.get("confidence")), page=p
            )
            for p, c in ranked
        ],
    )


def _hitl(document: Mapping[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """HITL status and the values below their threshold, percentages turned into 0..1."""
    hitl = document.get("hitl")
    if not isinstance(hitl, Mapping):
        return None, []
    low: list[dict[str, Any]] = []
    for entry in hitl.get("result") or []:
        for item in (entry.get("confidences") or []) if isinstance(entry, Mapping) else []:
            if not isinstance(item, Mapping):
                continue
            expected, found = _number(item.get("expected_confidence")), _number(item.get("found"))
            low.append(
                {
                    "label": _text(item.get("label")),
                    "value": _text(item.get("value")),
                    "expected_confidence": None if expected is None else min(1.0, max(0.0, expected / 100)),
                    "confidence": None if found is None else min(1.0, max(0.0, found / 100)),
                }
            )
    return _text(hitl.get("status")), low


def normalize_extraction(
    response: Mapping[str, Any], document: DocumentInfo, *, model: str, prediction_id: str
) -> Result:
    """A DeepOpinion extraction response as the normalized result of one uploaded file."""
    documents = response.get("documents")
    if not isinstance(documents, list) or not all(isinstance(d, Mapping) for d in documents):
        raise ServiceError(
            "DeepOpinion answered the extraction without a list of documents",
            hint="Check url and the model id; if they are right, try again later",
            provider="deepopinion",
        )
    labelled: dict[str, list[tuple[int | None, Mapping[str, Any]]]] = {}
    summaries: list[dict[str, Any]] = []
    statuses: list[str] = []
    low_confidence: list[dict[str, Any]] = []
    for item in documents:
        for label, candidates in _candidates_by_label(item).items():
            labelled.setdefault(label, []).extend(candidates)
        status, low = _hitl(item)
        if status:
            statuses.append(status)
        low_confidence.extend(low)
        summaries.append(
            {
                "name": _text(item.get("name")),
                "credits_used": _number(item.get("credits_used")),
                **{flag: item.get(flag) for flag in FLAGS if isinstance(item.get(flag), bool)},
                "hitl_status": status,
            }
        )
    credits = _number(response.get("total_credits_used"))
    if credits is None:
        per_document = [s["credits_used"] for s in summaries if s["credits_used"] is not None]
        credits = sum(per_document) if per_document else None
    hitl_status = "pending" if "pending" in statuses else (statuses[0] if statuses else None)
    extras: dict[str, Any] = {
        "model_name": _text(response.get("model")),
        "credits_used": int(credits) if credits is not None and credits.is_integer() else credits,
        **{flag: response.get(flag) for flag in FLAGS if isinstance(response.get(flag), bool)},
        "hitl_status": hitl_status,
        "review_required": hitl_status == "pending",
        "low_confidence": low_confidence,
        "documents": summaries,
    }
    return Result(
        provider="deepopinion",
        model=model,
        status="succeeded",
        document=document,
        prediction_id=prediction_id,
        fields={label: _field(candidates) for label, candidates in labelled.items()},
        extras=extras,
        raw=dict(response),
    )


# -- ad-hoc analysis ------------------------------------------------------------------------------
def _span(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 2 and all(_number(v) is not None for v in value):
        return f"{int(value[0])}-{int(value[1])}"
    return None


def segment_rows(documents: Any, ids: Sequence[str]) -> list[TableRow]:
    """One row per tag (a segment without tags gives one row with empty class and label)."""
    rows: list[TableRow] = []
    for index, item in enumerate(documents if isinstance(documents, list) else []):
        if not isinstance(item, Mapping):
            continue
        document_id = ids[index] if index < len(ids) else str(index)
        for segment in item.get("segments") or []:
            if not isinstance(segment, Mapping):
                continue
            tags = [t for t in segment.get("tags") or [] if isinstance(t, Mapping)] or [{}]
            for tag in tags:
                rows.append(
                    {
                        "document": Cell(value=document_id),
                        "text": Cell(value=_text(segment.get("text"))),
                        "span": Cell(value=_span(segment.get("span"))),
                        "class": Cell(value=_text(tag.get("class"))),
                        "label": Cell(value=_text(tag.get("label"))),
                    }
                )
    return rows


def normalize_analysis(
    replies: Sequence[Mapping[str, Any]], document: DocumentInfo, *, model: str, ids: Sequence[str]
) -> Result:
    """The replies of one or more `analyze` calls (in order) as one result with a `segments` table."""
    documents: list[Any] = []
    for reply in replies:
        part = reply.get("documents")
        if not isinstance(part, list):
            raise ServiceError(
                "DeepOpinion answered the analysis without a list of documents",
                hint="Check url and the model id (a text model); if they are right, try again later",
                provider="deepopinion",
            )
        documents.extend(part)
    rows = segment_rows(documents, ids)
    first = replies[0] if replies else {}
    return Result(
        provider="deepopinion",
        model=model,
        status="succeeded",
        document=document,
        tables={"segments": rows},
        extras={
            "model_name": _text(first.get("model")),
            "analysis_type": _text(first.get("type")),
            "documents": len(documents),
            "segments": len({(r["document"].value, r["span"].value, r["text"].value) for r in rows}),
        },
        raw=dict(first) if len(replies) == 1 else {"replies": [dict(r) for r in replies]},
    )
