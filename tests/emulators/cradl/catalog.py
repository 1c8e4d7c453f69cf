"""Models and workflows the Cradl emulator knows.

Own models belong to the emulator's organization ("las:model:invoice"); public ones to Cradl
("las:organization:cradl/las:model:invoice", listed with GET /models?owner=las:organization:cradl).
Each model id maps to the engine model of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.emulators.cradl.tokens import ORGANIZATION_ID

PUBLIC_ORGANIZATION = "las:organization:cradl"
CREATED_TIME = "2024-01-02T03:04:05.000000+00:00"
DEFAULT_WORKFLOW_ID = "las:workflow:" + "e0" * 16
# A workflow with a human validation step: its executions wait until a (scripted) reviewer finishes them.
REVIEW_WORKFLOW_ID = "las:workflow:" + "e1" * 16
_MODEL_ID = re.compile(r"^(?:(las:organization:[a-z0-9-_]+)/)?las:model:([a-z0-9-_]+)$")

_FIELDS: dict[str, dict[str, Any]] = {
    "invoice": {
        "invoice_number": {"type": "string", "description": "Invoice number"},
        "invoice_date": {"type": "date", "description": "Date of issue"},
        "due_date": {"type": "date", "description": "Payment due date"},
        "supplier_name": {"type": "string", "description": "Seller"},
        "total_amount": {"type": "amount", "description": "Amount due, tax included"},
        "currency": {"type": "string", "description": "ISO 4217 code"},
        "line_items": {
            "type": "lines",
            "fields": {"description": {"type": "string"}, "amount": {"type": "amount"}},
        },
    },
    "receipt": {
        "merchant_name": {"type": "string", "description": "Shop"},
        "purchase_date": {"type": "date", "description": "Date of purchase"},
        "total_amount": {"type": "amount", "description": "Amount paid"},
        "currency": {"type": "string", "description": "ISO 4217 code"},
    },
}


# A model's own postprocessing, applied when a prediction request names none (the service does this,
# and the official cradl SDK reads `postprocessConfig` from every prediction). The receipt model
# answers in v2 so that both formats are exercised without asking.
_POSTPROCESS: dict[str, dict[str, Any]] = {
    "invoice": {"strategy": "BEST_FIRST", "outputFormat": "v1"},
    "receipt": {"strategy": "BEST_FIRST", "outputFormat": "v2"},
}
DEFAULT_POSTPROCESS: dict[str, Any] = {"strategy": "BEST_FIRST", "outputFormat": "v1"}


@dataclass(frozen=True)
class ModelEntry:
    organization_id: str
    name: str  # "invoice": the engine model and the id's last part

    @property
    def postprocess(self) -> dict[str, Any]:
        return dict(_POSTPROCESS.get(self.name, DEFAULT_POSTPROCESS))

    @property
    def model_id(self) -> str:
        return f"las:model:{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "modelId": self.model_id,
            "organizationId": self.organization_id,
            "name": self.name.replace("_", " ").title(),
            "description": f"Emulated {self.name} model",
            "fieldConfig": _FIELDS.get(self.name, {}),
            "metadata": {},
            "numberOfDataBundles": 0,
            "numberOfRunningTrainings": 0,
            "preprocessConfig": {"imageQuality": "HIGH"},
            "postprocessConfig": self.postprocess,
            "status": "active",
            "trainingId": None,
            "createdBy": "las:app-client:emulator",
            "createdTime": CREATED_TIME,
            "updatedBy": None,
            "updatedTime": None,
        }


class Catalog:
    def __init__(self, model_names: tuple[str, ...], workflows: dict[str, str]) -> None:
        self.models = [
            ModelEntry(org, name) for org in (ORGANIZATION_ID, PUBLIC_ORGANIZATION) for name in model_names
        ]
        self.workflows = dict(workflows)  # workflow id -> engine model
        self.workflows.setdefault(REVIEW_WORKFLOW_ID, model_names[0])
        self.human_workflows = frozenset({REVIEW_WORKFLOW_ID})

    def resolve(self, model_id: str) -> ModelEntry | None:
        """The model a (possibly organization-qualified) id names, or None."""
        found = _MODEL_ID.match(model_id)
        if found is None:
            return None
        organization = found.group(1) or ORGANIZATION_ID
        return next(
            (m for m in self.models if (m.organization_id, m.name) == (organization, found.group(2))), None
        )

    def owned_by(self, owner: str | None) -> list[ModelEntry]:
        return [m for m in self.models if m.organization_id == (owner or ORGANIZATION_ID)]
