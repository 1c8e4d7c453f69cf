"""HITL (human in the loop) of the DeepOpinion emulator: a project's HITLs and their reviews.

An extraction whose document has values below the model's threshold (`hitl.status` "pending") opens one
review per such label in the live HITL of that model's project. A scripted reviewer (`human_review`)
completes them (approving or correcting values) or rejects them. The review states beyond PENDING and
the `data` of `with_full_data` are inferences (tests/specs/deepopinion-schema.json, HitlReview).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tests.emulators.base import ApiError
from tests.emulators.deepopinion.shapes import EmulatedModel
from tests.emulators.server import HttpRequest, HttpResponse

HITL_ID = 3
REVIEWER_ID = 42


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ReviewItem:
    review_id: int
    document_id: int
    document_name: str
    label: str
    value: str | None
    confidence: float
    threshold: float
    hitl_id: int
    status: str = "PENDING"
    reviewed_value: str | None = None
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)

    def to_json(self, full: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "review_id": self.review_id,
            "task_id": self.review_id,
            "document_id": self.document_id,
            "document_name": self.document_name,
            "page_num": 0,
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
            "user_id": REVIEWER_ID if self.status != "PENDING" else None,
            "label": self.label,
            "confidence_threshold": round(self.threshold * 100),
            "ls_annotation_id": None,
            "hitl_id": self.hitl_id,
        }
        if full:
            item["data"] = {
                "value": self.value,
                "confidence": self.confidence,
                "reviewed_value": self.reviewed_value,
            }
        return item


class Hitls:
    def __init__(self, models: dict[int, EmulatedModel]) -> None:
        self.lock = threading.Lock()
        self.hitls = {
            model.project_id: {
                "id": HITL_ID + index,
                "name": f"Review of {model.name}",
                "description": "Values below the model's threshold",
                "project_id": model.project_id,
                "created_at": "2024-01-02T03:04:05Z",
                "updated_at": "2024-01-02T03:04:05Z",
                "assigned_user_id": REVIEWER_ID,
                "model_id": model.id,
                "is_live": True,
                "webhook_url": None,
                "labels": {},
            }
            for index, model in enumerate(m for m in models.values() if m.is_document_model)
        }
        self.items: list[ReviewItem] = []
        self._documents = itertools.count(1001)
        self._reviews = itertools.count(1)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    def open(self, model: EmulatedModel, document_name: str, low: list[dict[str, Any]]) -> None:
        """The reviews an extraction with low-confidence values opens (one per label)."""
        hitl = self.hitls.get(model.project_id)
        if hitl is None or not low:
            return
        with self.lock:
            document_id = next(self._documents)
            for entry in low:
                self.items.append(
                    ReviewItem(
                        review_id=next(self._reviews),
                        document_id=document_id,
                        document_name=document_name,
                        label=str(entry["label"]),
                        value=entry.get("value"),
                        confidence=float(entry.get("found", 0)) / 100,
                        threshold=model.threshold,
                        hitl_id=int(hitl["id"]),
                    )
                )

    def human_review(self, action: str, fields: dict[str, Any], document: str | None) -> dict[str, Any]:
        """Finish every review of the oldest document waiting (of `document`, a name or id, if given)."""
        with self.lock:
            waiting = [
                i
                for i in self.items
                if i.status == "PENDING"
                and (not document or document in (i.document_name, str(i.document_id)))
            ]
            if not waiting:
                raise ValueError("no HITL review is waiting" + (f" for {document}" if document else ""))
            document_id = waiting[0].document_id
            for item in self.items:
                if item.document_id != document_id:
                    continue
                item.status = "REJECTED" if action == "reject" else "COMPLETED"
                item.reviewed_value = None if action == "reject" else str(fields.get(item.label, item.value))
                item.updated = _now()
            # A correction of a label that had no review: the reviewer changed it anyway.
            known = {i.label for i in self.items if i.document_id == document_id}
            template = waiting[0]
            for label, value in fields.items():
                if action != "reject" and label not in known:
                    self.items.append(
                        ReviewItem(
                            review_id=next(self._reviews),
                            document_id=document_id,
                            document_name=template.document_name,
                            label=label,
                            value=None,
                            confidence=0.0,
                            threshold=template.threshold,
                            hitl_id=template.hitl_id,
                            status="COMPLETED",
                            reviewed_value=str(value),
                        )
                    )
        return {"review": document_id, "status": "rejected" if action == "reject" else "completed"}

    # -- handlers --------------------------------------------------------------------------------
    def list_hitls(self, request: HttpRequest) -> HttpResponse:
        project = int(request.path_params["project_id"])
        hitl = self.hitls.get(project)
        return HttpResponse.json(200, [hitl] if hitl else [])

    def list_reviews(self, request: HttpRequest) -> HttpResponse:
        project, hitl_id = int(request.path_params["project_id"]), int(request.path_params["hitl_id"])
        hitl = self.hitls.get(project)
        if hitl is None or hitl["id"] != hitl_id:
            raise ApiError(404, f"HITL {hitl_id} not found in project {project}.")
        full = request.arg("with_full_data") == "true"
        with self.lock:
            items = [i.to_json(full) for i in self.items if i.hitl_id == hitl_id]
        return HttpResponse.json(200, items)
