"""The review handle: what is needed to find a review again, later and from another process.

`drrev1.` + base64url(JSON), like job handles. It carries no secret; it does carry the values the
service predicted (header fields only), so that the reviewed result can say which fields a person
changed without asking the service for the prediction again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.errors import UsageError
from core.models import DocumentInfo, decode_token, encode_token

REVIEW_PREFIX = "drrev1."


class ReviewHandle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str
    profile: str | None = None
    kind: str = Field(
        description="workflow (Cradl), agent (Cradl), document (contract.fit), hitl (DeepOpinion)"
    )
    ref: dict[str, Any] = Field(default_factory=dict, description="The service's ids of the review")
    model: str | None = None
    document: DocumentInfo
    link: str | None = None
    predicted: dict[str, str | None] = Field(default_factory=dict)

    def encode(self) -> str:
        return encode_token(REVIEW_PREFIX, self)

    @classmethod
    def decode(cls, token: str) -> ReviewHandle:
        text = str(token).strip()
        try:
            return cls.model_validate(decode_token(REVIEW_PREFIX, text))
        except (ValueError, TypeError, RecursionError) as exc:
            raise UsageError(
                "That is not a docrelay review handle",
                hint="Pass the `review.id` of a result with status needs_review (it starts with 'drrev1.').",
            ) from exc


def is_review_handle(text: str) -> bool:
    return str(text).strip().startswith(REVIEW_PREFIX)
