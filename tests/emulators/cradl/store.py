"""The Cradl emulator's state: documents (with their files on disk), predictions, workflow executions."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from tests.emulators.base import ApiError

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def new_id(kind: str) -> str:
    return f"las:{kind}:{secrets.token_hex(16)}"


def paginate(items: list[T], max_results: str | None, next_token: str | None) -> tuple[list[T], str | None]:
    """One page of `items`; tokens are opaque to clients (here: the offset, prefixed)."""
    try:
        size = int(max_results) if max_results not in (None, "") else DEFAULT_PAGE_SIZE
    except ValueError:
        raise ApiError(400, f"maxResults must be an integer, not {max_results!r}") from None
    if size < 1:
        raise ApiError(400, "maxResults must be at least 1")
    offset = 0
    if next_token:
        if not next_token.startswith("emu-") or not next_token[4:].isdigit():
            raise ApiError(400, f"Invalid nextToken {next_token!r}")
        offset = int(next_token[4:])
    page = items[offset : offset + size]
    end = offset + size
    return page, f"emu-{end}" if end < len(items) else None


@dataclass
class DocumentRecord:
    document_id: str
    file_id: str
    created_by: str
    content_type: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    ground_truth: list[Any] | None = None
    retention_in_days: int = 1825
    dataset_id: str | None = None
    consent_id: str = field(default_factory=lambda: new_id("consent"))
    created_time: str = field(default_factory=now_text)
    updated_time: str | None = None
    updated_by: str | None = None
    file_path: Path | None = None
    size: int = 0
    sha256: str | None = None
    content_md5: str | None = None
    agent_run_id: str | None = None

    def to_json(self, file_url: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "documentId": self.document_id,
            "fileUrl": file_url,
            "contentType": self.content_type,
            "name": self.name,
            "description": self.description,
            "metadata": self.metadata,
            "retentionInDays": self.retention_in_days,
            "createdTime": self.created_time,
            "createdBy": self.created_by,
            "updatedTime": self.updated_time,
            "updatedBy": self.updated_by,
            "contentMD5": self.content_md5,
        }
        # Inferred: both official SDKs' tests read consentId and groundTruth from every document, so
        # the service is taken to always answer them (a consent of its own, an empty ground truth).
        body["groundTruth"] = self.ground_truth if self.ground_truth is not None else []
        body["consentId"] = self.consent_id
        if self.dataset_id:
            body["datasetId"] = self.dataset_id
        if self.agent_run_id:
            body["agentRunId"] = self.agent_run_id
        return body


@dataclass
class PredictionRecord:
    prediction_id: str
    document_id: str
    model_id: str
    engine_model: str
    created_by: str
    preprocess: dict[str, Any]
    postprocess: dict[str, Any] | None
    ready_at: float
    status: str = "pending"
    predictions: Any = None
    next_page: int | None = None
    error: str | None = None
    inference_time: float | None = None
    created_time: str = field(default_factory=now_text)
    agent_run_id: str | None = None
    file_id: str = field(default_factory=lambda: new_id("file"))

    def to_json(self, file_url: str | None = None) -> dict[str, Any]:
        """`file_url`: answer with `predictions: null` and the predictions behind this URL, as the
        service does for large results (the official SDK then fetches them)."""
        body: dict[str, Any] = {
            "predictionId": self.prediction_id,
            "documentId": self.document_id,
            "modelId": self.model_id,
            "status": self.status,
            "predictions": self.predictions,
            "nextPage": self.next_page,
            "inferenceTime": self.inference_time,
            "createdTime": self.created_time,
            "createdBy": self.created_by,
            "preprocessConfig": self.preprocess or None,
        }
        if self.postprocess is not None:  # the spec's nullable oneOf rejects an explicit null
            body["postprocessConfig"] = self.postprocess
        if self.error is not None:
            body["error"] = self.error[:4096]
        if self.agent_run_id:
            body["agentRunId"] = self.agent_run_id
        if file_url is not None and self.status == "succeeded":
            body["predictions"], body["fileUrl"] = None, file_url
        return body


@dataclass
class ExecutionRecord:
    execution_id: str
    workflow_id: str
    input: dict[str, Any]
    created_by: str
    ready_at: float
    status: str = "running"
    output: dict[str, Any] | None = None
    start_time: str = field(default_factory=now_text)
    end_time: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "executionId": self.execution_id,
            "workflowId": self.workflow_id,
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "transitionExecutions": None,
            "createdBy": self.created_by,
        }


class CradlStore:
    """Thread-safe records; files live in a private temporary directory removed by close()."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.directory = Path(tempfile.mkdtemp(prefix="cradl-emulator-"))
        self.documents: dict[str, DocumentRecord] = {}
        self.by_file_id: dict[str, DocumentRecord] = {}
        self.predictions: dict[str, PredictionRecord] = {}
        self.prediction_files: dict[str, PredictionRecord] = {}
        self.executions: dict[str, ExecutionRecord] = {}
        self.predictions_accepted = 0

    def clear(self) -> None:
        with self.lock:
            self.documents.clear()
            self.by_file_id.clear()
            self.predictions.clear()
            self.prediction_files.clear()
            self.executions.clear()
            self.predictions_accepted = 0
            for child in self.directory.iterdir():
                child.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def add_document(self, record: DocumentRecord) -> None:
        with self.lock:
            self.documents[record.document_id] = record
            self.by_file_id[record.file_id] = record

    def document(self, document_id: str) -> DocumentRecord:
        with self.lock:
            record = self.documents.get(document_id)
        if record is None:
            raise ApiError(404, f"Document {document_id} not found")
        return record

    def delete_document(self, document_id: str) -> DocumentRecord:
        with self.lock:
            record = self.document(document_id)
            del self.documents[document_id]
            self.by_file_id.pop(record.file_id, None)
        if record.file_path is not None:
            record.file_path.unlink(missing_ok=True)
        return record

    def receive_file(self, record: DocumentRecord, chunks: Iterable[bytes], limit: int) -> tuple[int, str]:
        """Stream an upload to disk while hashing it; replaces the previous file only when complete."""
        sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        handle, temp_name = tempfile.mkstemp(dir=self.directory, prefix="upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                for piece in chunks:
                    size += len(piece)
                    if size > limit:
                        raise ApiError(413, f"The file is larger than the {limit // (1024 * 1024)} MB limit")
                    sha256.update(piece)
                    md5.update(piece)
                    out.write(piece)
            if size == 0:
                raise ApiError(400, "The file is empty")
            target = self.directory / record.file_id.replace(":", "_")
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        with self.lock:
            record.file_path, record.size = target, size
            record.sha256 = sha256.hexdigest()
            record.content_md5 = base64.b64encode(md5.digest()).decode("ascii")
            record.updated_time = now_text()
        return size, record.sha256
