"""The normalized result (CONTRACT section 4) and the other shapes docrelay hands to its users.

One shape for every provider: a front end never sees a provider's own format except under `raw`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.errors import DocRelayError, UsageError
from core.sources import DocumentSource

RESULT_SCHEMA_ID: Literal["docrelay.result/1"] = "docrelay.result/1"
JOB_PREFIX = "drjob1."

Status = Literal["pending", "succeeded", "failed", "needs_review"]
Box = tuple[float, float, float, float]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Candidate(_Model):
    """One possible value of a field, as the service ranked it."""

    value: str | None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    page: int | None = Field(default=None, ge=0, description="0-based page index")


class FieldValue(_Model):
    """A field's best value, where it was found, and how sure the service is."""

    value: str | None = Field(description="Normalized value: ISO 8601 dates, dot-decimal amounts")
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, description="0..1, null if none given")
    page: int | None = Field(default=None, ge=0, description="0-based page index")
    raw_value: str | None = Field(default=None, description="The text as it stands in the document")
    box: Box | None = Field(default=None, description="[x1, y1, x2, y2] normalized to 0..1")
    source: str | None = Field(
        default=None, description='What produced the value, when the service says: "model" or "llm" (Cradl)'
    )
    candidates: list[Candidate] = Field(default_factory=list)
    edited: bool | None = Field(
        default=None, description="After a human review: whether the reviewer changed the value; else null"
    )

    @field_validator("box")
    @classmethod
    def _box_in_unit_square(cls, box: Box | None) -> Box | None:
        if box is None:
            return None
        clamped = tuple(min(1.0, max(0.0, round(float(c), 6))) for c in box)
        x1, y1, x2, y2 = clamped
        return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


class Cell(_Model):
    """One cell of a table row."""

    value: str | None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    page: int | None = Field(default=None, ge=0)
    raw_value: str | None = None
    box: Box | None = None
    source: str | None = Field(default=None, description='"model" or "llm", when the service says')
    edited: bool | None = Field(
        default=None, description="After a human review: whether the reviewer changed the value; else null"
    )


TableRow = dict[str, Cell]


class DocumentInfo(_Model):
    source: str | None = Field(default=None, description="Path the document was read from, if any")
    name: str
    sha256: str | None = Field(
        default=None, description="SHA-256 of the content; null if it could not be read"
    )
    content_type: str | None = None
    size: int | None = Field(default=None, ge=0, description="Bytes")
    pages: int | None = Field(default=None, ge=0)
    id: str | None = Field(default=None, description="The service's id of the uploaded document")

    @classmethod
    def from_source(cls, source: DocumentSource, **known: Any) -> DocumentInfo:
        """What a checked source tells about itself; `known` adds what a provider learned (id, pages)."""
        return cls(
            source=source.source,
            name=source.name,
            sha256=source.sha256,
            content_type=source.content_type,
            size=source.size,
            **known,
        )


class ResultError(_Model):
    type: str
    message: str


class ReviewInfo(_Model):
    """Where a result stands in human review (set when it was routed to review, or came back from one)."""

    id: str | None = Field(
        default=None, description="Handle for `docrelay review wait` ('drrev1.'...); null if none was started"
    )
    link: str | None = Field(default=None, description="Where a person reviews the document")
    status: str = Field(description="waiting, reviewed, rejected or not_started")
    reasons: list[str] = Field(default_factory=list, description="Why it needs a look: fields and checks")


class Result(_Model):
    """The normalized prediction for one document."""

    schema_: Literal["docrelay.result/1"] = Field(default=RESULT_SCHEMA_ID, alias="schema")
    provider: str
    model: str | None
    status: Status
    error: ResultError | None = None
    document: DocumentInfo
    prediction_id: str | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    tables: dict[str, list[TableRow]] = Field(default_factory=dict)
    extras: dict[str, Any] = Field(
        default_factory=dict,
        description="Provider facts beyond fields and tables (human review state, credits used, ...)",
    )
    raw: Any = Field(default=None, description="The service's response, untouched")
    review: ReviewInfo | None = Field(
        default=None, description="Set when the result was routed to human review (status needs_review)"
    )

    @classmethod
    def failed(
        cls,
        provider: str,
        model: str | None,
        document: DocumentInfo,
        error: DocRelayError,
        *,
        prediction_id: str | None = None,
    ) -> Result:
        """The result of a document that failed with `error` (its type and full message are kept)."""
        return cls(
            provider=provider,
            model=model,
            status="failed",
            error=ResultError(type=error.type, message=error.full_message),
            document=document,
            prediction_id=prediction_id,
        )

    @classmethod
    def pending(
        cls,
        provider: str,
        model: str | None,
        document: DocumentInfo,
        *,
        prediction_id: str | None = None,
        extras: dict[str, Any] | None = None,
    ) -> Result:
        """The result of a document whose job has not finished yet."""
        return cls(
            provider=provider,
            model=model,
            status="pending",
            document=document,
            prediction_id=prediction_id,
            extras=extras or {},
        )

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def field_value(self, name: str) -> str | None:
        field = self.fields.get(name)
        return field.value if field else None


class JobHandle(_Model):
    """What is needed to find a submitted job again, later and from another process."""

    provider: str
    model: str | None
    document_id: str | None = None
    prediction_id: str | None = None
    profile: str | None = None
    document: DocumentInfo
    state: dict[str, Any] = Field(default_factory=dict, description="Provider-specific, secret-free")

    def encode(self) -> str:
        """A compact, copy-pasteable token: `drjob1.` + base64url(JSON)."""
        return encode_token(JOB_PREFIX, self)

    @classmethod
    def decode(cls, token: str) -> JobHandle:
        text = token.strip()
        try:
            if text.startswith(JOB_PREFIX):
                data = decode_token(JOB_PREFIX, text)
            else:
                data = json.loads(text)
                if isinstance(data, dict) and isinstance(data.get("job"), str):
                    return cls.decode(data["job"])
            return cls.model_validate(data)
        except (ValueError, TypeError, RecursionError) as exc:
            raise UsageError(
                "That is not a docrelay job handle",
                hint="Pass the `job` value printed by `docrelay submit` (it starts with 'drjob1.').",
            ) from exc


def encode_token(prefix: str, model: BaseModel) -> str:
    """`prefix` + base64url of the model's compact JSON: a handle one can copy and paste anywhere."""
    payload = json.dumps(model.model_dump(mode="json"), separators=(",", ":"), sort_keys=True)
    return prefix + base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(prefix: str, text: str) -> Any:
    """The JSON inside a handle `encode_token` made; ValueError when `text` is not one."""
    if not text.startswith(prefix):
        raise ValueError("no prefix")
    body = text[len(prefix) :]
    body += "=" * (-len(body) % 4)
    return json.loads(base64.urlsafe_b64decode(body.encode("ascii")).decode("utf-8"))


def is_job_handle(text: str) -> bool:
    """Whether `text` is meant as a job handle (as `submit` prints it, or its JSON), not a file name."""
    stripped = text.strip()
    return stripped.startswith((JOB_PREFIX, "{"))


class ModelInfo(_Model):
    id: str
    name: str | None = None
    description: str | None = None
    provider: str
    fields: list[str] = Field(default_factory=list)
    field_types: dict[str, str] = Field(
        default_factory=dict,
        description="Type per field as the model declares it (string, amount, date, lines...); a table's "
        "columns as 'table.column'",
    )
    extras: dict[str, Any] = Field(default_factory=dict)


class Review(_Model):
    """A document's trip through a human-review workflow (Cradl workflow executions)."""

    id: str = Field(description="Handle for get/wait/complete: '<workflow>/<execution>'")
    provider: str
    workflow: str | None = None
    status: str = Field(description="running, succeeded, failed, rejected, error, completed or retry")
    finished: bool
    document_id: str | None = None
    started: str | None = None
    ended: str | None = None
    values: dict[str, Any] = Field(default_factory=dict, description="The reviewed values, if finished")
    raw: Any = None


class CheckResult(_Model):
    """One line of `docrelay doctor`; a failed check names the error type it stands for."""

    name: str
    ok: bool
    detail: str
    error_type: str | None = None


def result_json_schema() -> dict[str, Any]:
    """The published JSON Schema of the normalized result."""
    schema = Result.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://docrelay.dev/schema/result.schema.json"
    return schema


def summarize(results: Iterable[Result]) -> dict[str, int]:
    """Counts for a batch or multi-file extract: total, succeeded, failed, pending; and needs_review
    when any result waits for a human review (a result routed to review is not a failure)."""
    counts = {"total": 0, "succeeded": 0, "failed": 0, "pending": 0}
    for result in results:
        counts["total"] += 1
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts
