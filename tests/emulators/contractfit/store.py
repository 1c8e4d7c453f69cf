"""The contract.fit emulator's state: inboxes, and documents with their processing runs.

A document is processed in runs (the upload, then each reprocess). A run is pending until its
`ready_at` (monotonic) has passed; then it is done: `timings.done_time` is set, and
`status_data.success` says whether it worked. Fields the spec types as non-nullable are left out
while unset (the real flask-restx service may send null instead; docrelay reads both).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from core.models import Result
from tests.emulators.base import ApiError
from tests.emulators.contractfit.shapes import full_prediction, key_value_prediction

REVIEWER_ID = "5e1f0c0ffee0000000000042"  # the user id a (scripted) reviewer acts as


def object_id(seed: str | None = None) -> str:
    """A 24-hex-digit id, like the MongoDB ObjectIds contract.fit uses (the spec's `inbox` pattern)."""
    if seed is None:
        return secrets.token_hex(12)
    return hashlib.sha256(seed.encode()).hexdigest()[:24]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Inbox:
    id: str
    name: str
    project: str
    model: str  # what the engine extracts for documents in this inbox ("invoice", "receipt")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "project": self.project}


@dataclass
class Run:
    version: str
    started: datetime
    ready_at: float  # time.monotonic()
    done: datetime
    fails: bool
    recorded: bool = False  # its version has been added to the document's versions


@dataclass
class DocumentRecord:
    id: str
    inbox: Inbox
    original_filename: str
    sha256: str
    size: int
    key_value: bool
    received: datetime
    pages: int = 1
    result: Result | None = None  # the engine's analysis; None when processing fails
    runs: list[Run] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    # Human review: the states a person (or POST .../feedback, .../status_data) sets, StateModelGet-shaped.
    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # submitted, reject, lock, escalate
    flags: dict[str, bool] = field(default_factory=dict)  # status_data booleans set by calls (archived...)
    human: dict[str, dict[str, Any]] = field(default_factory=dict)  # version name -> {annotations, lines}

    @property
    def waiting_for_human(self) -> bool:
        """Processed, and neither submitted nor rejected: it sits in the inbox's review queue."""
        finished = self._settle()
        done = finished is not None and finished is self.runs[-1] and not finished.fails
        return (
            done
            and self.result is not None
            and "submitted" not in self.states
            and "reject" not in self.states
        )

    def machine_prediction(self) -> dict[str, Any]:
        assert self.result is not None
        return full_prediction(self.result, self.inbox.model, self.pages)

    def add_human_version(self, name: str, annotations: dict[str, Any], lines: dict[str, Any] | None) -> None:
        self.versions.append({"name": name, "source": "human", "time": iso(datetime.now(timezone.utc))})
        self.human[name] = {"annotations": annotations, "lines": lines or {}}

    def version(self, name: str | None, source: str | None) -> dict[str, Any] | None:
        """The last version with this name and source (either when not given), with its values."""
        self._settle()
        for entry in reversed(self.versions):
            if (name and entry["name"] != name) or (source and entry.get("source") != source):
                continue
            if entry.get("source") == "human" and entry["name"] in self.human:
                return {**entry, **self.human[entry["name"]]}
            prediction = self.machine_prediction()
            return {**entry, "annotations": prediction["annotations"], "lines": prediction["lines"]}
        return None

    def set_state(self, name: str, value: bool) -> None:
        self.states[name] = {"value": value, "since": iso(datetime.now(timezone.utc)), "by": REVIEWER_ID}

    def start_run(self, version: str, delay: float, *, fails: bool = False) -> None:
        now = datetime.now(timezone.utc)
        self.runs.append(Run(version, now, time.monotonic() + delay, now + timedelta(seconds=delay), fails))

    def rename_last_version(self, name: str) -> None:
        """Reprocessing with reviewer=Human: the last version becomes `name`, nothing is processed."""
        if not self.versions:
            raise ApiError(400, f"Document {self.id} has no version to rename yet")
        self.versions.append({**self.versions[-1], "name": name, "source": "human"})

    def _settle(self) -> Run | None:
        """The last finished run, recording its version once it is done."""
        finished = [run for run in self.runs if time.monotonic() >= run.ready_at]
        for run in finished:
            if not run.recorded and not run.fails and self.result is not None:
                self.versions.append({"name": run.version, "source": "machine", "time": iso(run.done)})
            run.recorded = True
        return finished[-1] if finished else None

    def to_json(self) -> dict[str, Any]:
        current = self.runs[-1]
        finished = self._settle()
        done = finished is current
        succeeded = done and not current.fails and self.result is not None
        timings: dict[str, Any] = {"receive_time": iso(self.received), "start_time": iso(current.started)}
        if done:
            timings["done_time"] = iso(current.done)
            timings["processing_period"] = round((current.done - current.started).total_seconds(), 3)
        document: dict[str, Any] = {
            "id": self.id,
            "inbox": self.inbox.id,
            "original_filename": self.original_filename,
            "page_count": self.pages,
            "files": [
                {
                    "filename": self.original_filename,
                    "filehash": self.sha256,
                    "page": 0,
                    "page_count": self.pages,
                    "leaf": True,
                    "embedded_attachment": False,
                }
            ],
            "flag_for_review": False,
            "status_data": {
                "data": succeeded,
                "success": succeeded,
                "feedback": self.flags.get("feedback", False),
                "lock": self.flags.get("lock", False),
                "escalate": self.flags.get("escalate", False),
                "reject": "reject" in self.states,
                "archived": self.flags.get("archived", False),
                "sampling": False,
                "submit_accepted": "submitted" in self.states,
            },
            **{name: dict(state) for name, state in self.states.items()},
            "timings": timings,
            "versions": [dict(v) for v in self.versions],
        }
        if self.versions:
            document["last_version"] = self.versions[-1]["name"]
        if succeeded and self.result is not None:
            document["prediction"] = (
                key_value_prediction(self.result)
                if self.key_value
                else full_prediction(self.result, self.inbox.model, self.pages)
            )
        return document


class ContractfitStore:
    def __init__(self, inboxes: list[Inbox]) -> None:
        self.lock = threading.RLock()
        self.inboxes = {inbox.id: inbox for inbox in inboxes}
        self.documents: dict[str, DocumentRecord] = {}
        self.failures_scripted = 0

    def inbox(self, inbox_id: str) -> Inbox:
        found = self.inboxes.get(inbox_id)
        if found is None:
            raise ApiError(404, f"Inbox {inbox_id} not found")
        return found

    def document(self, document_id: str) -> DocumentRecord:
        with self.lock:
            found = self.documents.get(document_id)
        if found is None:
            raise ApiError(404, f"Document {document_id} not found")
        return found

    def add(self, record: DocumentRecord) -> None:
        with self.lock:
            self.documents[record.id] = record

    def take_failure(self) -> bool:
        """Whether the next processing run is scripted to fail."""
        with self.lock:
            if self.failures_scripted > 0:
                self.failures_scripted -= 1
                return True
            return False

    def remove(self, document_id: str) -> DocumentRecord:
        record = self.document(document_id)
        with self.lock:
            self.documents.pop(document_id, None)
        return record

    def clear(self) -> None:
        with self.lock:
            self.documents.clear()
            self.failures_scripted = 0
