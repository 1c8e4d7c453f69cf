"""Cradl prediction shapes (v1 list, v2 map, `lines` fields, repeated labels) -> the normalized result.

v1 is first grouped by label into the v2 form; from there each label's candidates are sorted by
confidence, the best becomes the field's value and all of them are kept as candidates. `lines`
fields become tables with the best candidate per column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.models import Candidate, Cell, DocumentInfo, FieldValue, Result, ResultError, TableRow

V2 = dict[str, list[Any]]


def _is_candidate(item: Any) -> bool:
    return isinstance(item, Mapping) and "value" in item and not isinstance(item.get("value"), list)


def _is_line_item(item: Any) -> bool:
    """A v2 line: a map of column -> candidate list (a candidate has a scalar `value`)."""
    return (
        isinstance(item, Mapping)
        and not _is_candidate(item)
        and all(isinstance(v, list) for v in item.values())
    )


def _group_v1(items: Iterable[Mapping[str, Any]]) -> V2:
    """v1 flat list -> v2 map. A lines item's value (a list of lines, each a v1 list) becomes line maps."""
    grouped: V2 = {}
    for item in items:
        label = str(item.get("label", ""))
        if not label:
            continue
        value = item.get("value")
        if isinstance(value, list):
            lines = grouped.setdefault(label, [])
            for line in value:
                if isinstance(line, list):
                    lines.append(_group_v1(line))
                elif isinstance(line, Mapping):
                    lines.append(_group_v1([line]))
            continue
        candidate = {k: v for k, v in item.items() if k != "label"}
        grouped.setdefault(label, []).append(candidate)
    return grouped


def to_v2(predictions: Any) -> V2:
    """Either shape, as the v2 map (copies; never mutates the raw response)."""
    if isinstance(predictions, list):
        return _group_v1(p for p in predictions if isinstance(p, Mapping))
    if isinstance(predictions, Mapping):
        out: V2 = {}
        for label, value in predictions.items():
            if isinstance(value, list):
                out[str(label)] = list(value)
            elif isinstance(value, Mapping):
                out[str(label)] = [value]
        return out
    return {}


def merge_pages(pages: Iterable[Any]) -> Any:
    """Join the `predictions` of a nextPage walk into one, keeping the shape they came in."""
    collected = list(pages)
    if collected and all(isinstance(p, list) for p in collected):
        return [item for page in collected for item in page]
    merged: V2 = {}
    for page in collected:
        for label, values in to_v2(page).items():
            merged.setdefault(label, []).extend(values)
    return merged


def _confidence(item: Mapping[str, Any]) -> float | None:
    value = item.get("confidence")
    if isinstance(value, (int, float)):
        return min(1.0, max(0.0, float(value)))
    return None


def _page(item: Mapping[str, Any]) -> int | None:
    page = item.get("page")
    return page if isinstance(page, int) and page >= 0 else None


def _box(item: Mapping[str, Any]) -> tuple[float, float, float, float] | None:
    location = item.get("location")
    if (
        isinstance(location, list)
        and len(location) == 4
        and all(isinstance(c, (int, float)) for c in location)
    ):
        x1, y1, x2, y2 = (float(c) for c in location)
        return (x1, y1, x2, y2)
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _source(item: Mapping[str, Any]) -> str | None:
    """`llm` or `model` (v1 and v2 items carry it since the LLM models); anything else is dropped."""
    value = item.get("source")
    return value if isinstance(value, str) and value else None


def _ranked(candidates: list[Any]) -> list[Mapping[str, Any]]:
    usable = [c for c in candidates if _is_candidate(c)]
    return sorted(usable, key=lambda c: -(_confidence(c) or 0.0))


def _field(candidates: list[Any]) -> FieldValue | None:
    ranked = _ranked(candidates)
    if not ranked:
        return None
    best = ranked[0]
    return FieldValue(
        value=_text(best.get("value")),
        confidence=_confidence(best),
        page=_page(best),
        raw_value=_text(best.get("rawValue")),
        box=_box(best),
        source=_source(best),
        candidates=[
            Candidate(value=_text(c.get("value")), confidence=_confidence(c), page=_page(c)) for c in ranked
        ],
    )


def _row(line: Mapping[str, Any]) -> TableRow:
    row: TableRow = {}
    for column, candidates in line.items():
        ranked = _ranked(candidates if isinstance(candidates, list) else [candidates])
        if ranked:
            best = ranked[0]
            row[str(column)] = Cell(
                value=_text(best.get("value")),
                confidence=_confidence(best),
                page=_page(best),
                raw_value=_text(best.get("rawValue")),
                box=_box(best),
                source=_source(best),
            )
    return row


def normalize_prediction(
    prediction: Mapping[str, Any], document: DocumentInfo, *, raw: Any | None = None
) -> Result:
    """A Cradl `Prediction` object (either output format) as the normalized result."""
    status = str(prediction.get("status") or "succeeded")
    if status not in ("pending", "succeeded", "failed"):
        status = "pending" if status in ("running", "queued") else "failed"
    fields: dict[str, FieldValue] = {}
    tables: dict[str, list[TableRow]] = {}
    for label, values in to_v2(prediction.get("predictions")).items():
        if values and all(_is_line_item(v) for v in values):
            tables[label] = [_row(line) for line in values]
            continue
        field = _field(values)
        if field is not None:
            fields[label] = field
    error = prediction.get("error")
    return Result(
        provider="cradl",
        model=_text(prediction.get("modelId")),
        status=status,
        error=ResultError(type="job_failed", message=str(error)) if status == "failed" else None,
        document=document.model_copy(update={"id": prediction.get("documentId") or document.id}),
        prediction_id=_text(prediction.get("predictionId")),
        fields=fields,
        tables=tables,
        extras={k: prediction[k] for k in ("inferenceTime", "nextPage") if prediction.get(k) is not None},
        raw=prediction if raw is None else raw,
    )
