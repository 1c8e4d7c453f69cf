"""The DeepOpinion emulator's models, and its extraction answers built from an engine result.

Extraction answers follow the reference's sample: per uploaded file one document with labelled
quads under `bboxes[page][label group][box]` (the nesting's meaning is the emulator's reading),
`matches` as `{label, text}` (untyped in the reference), HITL `pending` with percentages when a value
is below the model's confidence threshold, credits per page.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.models import Candidate, FieldValue, Result

ORGANIZATION_ID = 1
CREATED = "2024-01-02T03:04:05Z"
CREDITS_PER_PAGE = 8
DEFAULT_CONFIDENCE = 0.5
# A 1x1 transparent PNG: what `return_annotated_pages=true` returns for every page.
BLANK_PAGE = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8cfc0f01f0005000201e2d1f2f50000000049454e44ae426082"
    )
).decode("ascii")


@dataclass(frozen=True)
class EmulatedModel:
    id: int
    name: str
    project_id: int
    type: str  # "EXTRACTION" (documents) or "ABSA" (text)
    engine_model: str = ""
    threshold: float = 0.9  # values below it need human review (HITL "pending")
    required: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_document_model(self) -> bool:
        return self.type == "EXTRACTION"

    def to_json(self) -> dict[str, Any]:
        return {
            "base": "Document Extraction" if self.is_document_model else "Hotels Pre-Trained",
            "created": CREATED,
            "display_name": self.name,
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"deepopinion-emulator/{self.id}")),
            "id": self.id,
            "language": "en",
            "long_description": f"Emulated {self.name}",
            "name": self.name.lower().replace(" ", "-"),
            "owner": "Emulator",
            "progress": 100.0,
            "project_id": self.project_id,
            "score": 0.91,
            "short_description": f"Emulated {self.type.lower()} model",
            "status": "READY",
            "type": self.type,
        }


DEFAULT_MODELS = (
    EmulatedModel(
        7, "Invoice Extraction v1", 1, "EXTRACTION", "invoice", 0.9, ("invoice_number", "total_amount")
    ),
    EmulatedModel(387, "Hotels Pre-Trained", 2, "ABSA"),
)


def _quad(box: tuple[float, float, float, float]) -> dict[str, float]:
    x1, y1, x2, y2 = box
    return {"TLx": x1, "TLy": y1, "TRx": x2, "TRy": y1, "BRx": x2, "BRy": y2, "BLx": x1, "BLy": y2}


def _stand_in_box(index: int) -> tuple[float, float, float, float]:
    """A deterministic box for a value the engine placed nowhere."""
    top = min(0.9, 0.05 + 0.04 * index)
    return (0.1, top, 0.4, top + 0.03)


def _confidence(value: float | None) -> float:
    return DEFAULT_CONFIDENCE if value is None else value


def _candidates(field_value: FieldValue) -> list[tuple[Candidate, tuple[float, float, float, float] | None]]:
    best = Candidate(value=field_value.value, confidence=field_value.confidence, page=field_value.page)
    others = [c for c in field_value.candidates if (c.value, c.page) != (best.value, best.page)]
    return [(best, field_value.box)] + [(c, None) for c in others]


def extraction_response(
    result: Result,
    *,
    file_name: str,
    model: EmulatedModel,
    pages: int,
    bboxes: bool,
    annotated_pages: bool,
) -> dict[str, Any]:
    page_count = max(1, pages)
    page_groups: list[list[list[dict[str, Any]]]] = [[] for _ in range(page_count)]
    low: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    for index, (label, field_value) in enumerate(result.fields.items()):
        if field_value.value is None:
            continue
        groups: dict[int, list[dict[str, Any]]] = {}
        for candidate, box in _candidates(field_value):
            if candidate.value is None:
                continue
            page = min(candidate.page or 0, page_count - 1)
            groups.setdefault(page, []).append(
                {
                    **_quad(box or _stand_in_box(index)),
                    "text": candidate.value,
                    "label": label,
                    "confidence": _confidence(candidate.confidence),
                }
            )
        for page, boxes in groups.items():
            page_groups[page].append(boxes)
        confidence = _confidence(field_value.confidence)
        matches.append({"label": label, "text": field_value.value})
        if confidence < model.threshold:
            low.append(
                {
                    "label": label,
                    "value": field_value.value,
                    "expected_confidence": round(model.threshold * 100),
                    "found": round(confidence * 100),
                }
            )
    required_found = all(result.fields.get(name) and result.fields[name].value for name in model.required)
    credits = CREDITS_PER_PAGE * page_count
    flags = {
        "all_required_fields_found": bool(required_found),
        "all_confidence_thresholds_met": not low,
        "all_data_conversion_passed": True,
    }
    document: dict[str, Any] = {"name": file_name, **flags, "credits_used": credits, "matches": matches}
    if bboxes:
        document["bboxes"] = page_groups
    if annotated_pages:
        document["annotated_pages"] = [BLANK_PAGE] * page_count
    if low:
        document["hitl"] = {"status": "pending", "result": [{"confidences": low}]}
    return {"model": model.name, **flags, "total_credits_used": credits, "documents": [document]}
