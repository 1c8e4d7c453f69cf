"""Agents and agent runs of the Cradl emulator (the newer Cradl app).

The 2024 spec the emulator validates against predates Agents. The calls and shapes here come from the
official `cradl` SDK 0.6.8 (`create_agent_run`, `get_agent_run(get_variables=True)`, `list_agent_runs`,
`update_agent_run`, `delete_agent_run`, `create_document(agent_run_id=...)`), the vendor's Zapier
integration (agent run id = `<agentId>/<runId>`; finished runs listed by status; results read from the
run's `variablesFileUrl`) and the vendor's 2025-08 OpenAPI draft (`CradlAI/cradl-docs`
`api-reference/openapi.json` @ 69019e1: id patterns, the run status enum). What none of them states,
and the emulator therefore chose, is listed in docs/providers/cradl.md ("What is inferred").

Behaviour: a run starts `pending-predictions`; a document created with its `agentRunId` is predicted
by the agent's model once the async delay has passed; the run then becomes `pending-export`, or
`ready-for-review` for an agent with a validation (a test completes the review with
`complete_review`, and the run becomes `review-completed`); a document the model cannot read makes
it `error`. The run's variables file holds `{"output": {<groupId>: [row, ...]}, "context": {...}}`,
each row `{<fieldId>: {value, rawValue, confidence, page, name}}`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.models import Result
from tests.emulators.base import ApiError
from tests.emulators.cradl.store import DocumentRecord, now_text, paginate
from tests.emulators.server import Handler, HttpRequest, HttpResponse

if TYPE_CHECKING:
    from tests.emulators.cradl.emulator import CradlEmulator

DEFAULT_AGENT_ID = "cradl:agent:" + "a0" * 16
REVIEW_AGENT_ID = "cradl:agent:" + "b0" * 16
RUN_STATUSES = (
    "archived",
    "exported",
    "pending-export",
    "pending-predictions",
    "ready-for-review",
    "review-completed",
    "succeeded-predictions",
    "error",
)
DEFAULT_AGENTS: dict[str, dict[str, Any]] = {
    DEFAULT_AGENT_ID: {"name": "Invoice agent", "model": "invoice", "review": False},
    REVIEW_AGENT_ID: {"name": "Invoice agent with review", "model": "invoice", "review": True},
}


def _hex_id(kind: str) -> str:
    return f"cradl:{kind}:{secrets.token_hex(16)}"


def stable_key(*parts: str) -> str:
    """The stable random-looking id the service gives a field or a group."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:12]


@dataclass
class AgentEntry:
    agent_id: str
    name: str
    model: str
    review: bool

    def resource_ids(self) -> list[str]:
        ids = [f"cradl:action:{stable_key(self.agent_id, 'export')}"]
        if self.review:
            ids.append(f"cradl:validation:{stable_key(self.agent_id, 'validation')}")
        return ids

    def to_json(self) -> dict[str, Any]:
        return {
            "agentId": self.agent_id,
            "name": self.name,
            "description": f"Emulated agent predicting with the {self.model} model",
            "metadata": {},
            "resourceIds": self.resource_ids(),
            "createdBy": "cradl:user:emulator",
            "createdTime": "2025-06-01T08:00:00.000000+00:00",
            "updatedBy": None,
            "updatedTime": None,
        }


@dataclass
class RunRecord:
    agent_id: str
    run_id: str
    created_by: str
    variables: dict[str, Any]
    status: str = "pending-predictions"
    document_id: str | None = None
    ready_at: float | None = None
    output: dict[str, Any] | None = None
    file_id: str = field(default_factory=lambda: f"cradl:file:{secrets.token_hex(16)}")
    created_time: str = field(default_factory=now_text)
    updated_time: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full_id(self) -> str:
        return f"{self.agent_id}/{self.run_id}"

    def to_json(self, variables_url: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "agentId": self.agent_id,
            "runId": self.run_id,
            "id": self.full_id,
            "status": self.status,
            "resourceIds": [self.document_id] if self.document_id else [],
            "events": list(self.events),
            "createdBy": self.created_by,
            "createdTime": self.created_time,
            "updatedBy": self.created_by if self.updated_time else None,
            "updatedTime": self.updated_time,
        }
        if variables_url is not None:
            body["variablesFileUrl"] = variables_url
        return body

    def set_status(self, status: str) -> None:
        self.status, self.updated_time = status, now_text()
        self.events.append({"status": status, "time": self.updated_time})


def agent_output(result: Result, agent_id: str) -> dict[str, Any]:
    """A prediction as agent output groups: header fields in one single-row group, a table per group."""

    def cell(name: str, value: Any, confidence: float | None, page: int | None, raw: str | None) -> Any:
        return {"value": value, "rawValue": raw, "confidence": confidence, "page": page, "name": name}

    header = {
        stable_key(agent_id, "field", name): cell(name, f.value, f.confidence, f.page, f.raw_value)
        for name, f in result.fields.items()
    }
    groups: dict[str, list[dict[str, Any]]] = {stable_key(agent_id, "group", "header"): [header]}
    for table, rows in result.tables.items():
        groups[stable_key(agent_id, "group", table)] = [
            {
                stable_key(agent_id, "field", table, column): cell(
                    column, c.value, c.confidence, c.page, c.raw_value
                )
                for column, c in row.items()
            }
            for row in rows
        ]
    return groups


class Agents:
    def __init__(self, emulator: CradlEmulator, agents: dict[str, dict[str, Any]] | None) -> None:
        self.emu = emulator
        self.store = emulator.store
        self.entries = {
            agent_id: AgentEntry(agent_id, str(spec["name"]), str(spec["model"]), bool(spec.get("review")))
            for agent_id, spec in (agents or DEFAULT_AGENTS).items()
        }
        self.runs: dict[str, RunRecord] = {}
        self.by_file_id: dict[str, RunRecord] = {}

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/agents", self.list_agents),
            ("GET", "/agents/{agentId}", self.get_agent),
            ("POST", "/agents/{agentId}/runs", self.post_run),
            ("GET", "/agents/{agentId}/runs", self.list_runs),
            ("GET", "/agents/{agentId}/runs/{runId}", self.get_run),
            ("PATCH", "/agents/{agentId}/runs/{runId}", self.patch_run),
            ("DELETE", "/agents/{agentId}/runs/{runId}", self.delete_run),
        ]

    def clear(self) -> None:
        with self.store.lock:
            self.runs.clear()
            self.by_file_id.clear()

    # -- for the emulator and tests ------------------------------------------------------------
    def check_run(self, full_id: str) -> RunRecord:
        """The run a document names in `agentRunId` (`<agentId>/<runId>`); 400 if unknown."""
        agent_id, _, run_id = full_id.partition("/")
        with self.store.lock:
            run = self.runs.get(run_id)
        if run is None or run.agent_id != agent_id:
            raise ApiError(400, f"Agent run {full_id} not found")
        if run.document_id is not None:
            raise ApiError(400, f"Agent run {full_id} already has a document")
        return run

    def attach_document(self, record: DocumentRecord) -> None:
        assert record.agent_run_id is not None
        run = self.check_run(record.agent_run_id)
        with self.store.lock:
            run.document_id = record.document_id
            run.ready_at = time.monotonic() + self.emu.faults.async_delay

    def complete_review(self, run_id: str, corrections: dict[str, Any] | None = None) -> None:
        """A reviewer accepts a run that is `ready-for-review`, optionally correcting header values."""
        run = self._resolve(self._run(run_id.rpartition("/")[2]))
        with self.store.lock:
            if run.status != "ready-for-review":
                raise ValueError(f"run {run.run_id} is {run.status}, not ready-for-review")
            output = copy.deepcopy(run.output or {})
            for rows in output.values():
                for row in rows:
                    for value in row.values():
                        if value.get("name") in (corrections or {}):
                            value.update(value=corrections[value["name"]], confidence=1.0)  # type: ignore[index]
            run.output = output
            run.set_status("review-completed")

    def human_review(
        self, action: str, fields: dict[str, Any], document: str | None
    ) -> dict[str, Any] | None:
        """The scripted reviewer of the oldest run ready for review (of `document`, an id, if given)."""
        with self.store.lock:
            runs = list(self.runs.values())
        for run in runs:
            run = self._resolve(run)
            if run.status != "ready-for-review" or (document and run.document_id != document):
                continue
            if action == "reject":
                with self.store.lock:
                    run.set_status("error")
            else:
                self.complete_review(run.full_id, fields)
            return {"review": run.full_id, "status": run.status}
        return None

    def variables_file(self, file_id: str) -> HttpResponse | None:
        with self.store.lock:
            run = self.by_file_id.get(file_id)
        if run is None:
            return None
        payload = {
            "output": run.output or {},
            "context": {"runId": run.full_id, "documentId": run.document_id},
            "variables": run.variables,
        }
        return HttpResponse(200, json.dumps(payload).encode(), "application/json")

    # -- handlers ------------------------------------------------------------------------------
    def _agent(self, request: HttpRequest) -> AgentEntry:
        agent_id = request.path_params["agentId"]
        entry = self.entries.get(agent_id)
        if entry is None:
            raise ApiError(404, f"Agent {agent_id} not found")
        return entry

    def _run(self, run_id: str, agent_id: str | None = None) -> RunRecord:
        with self.store.lock:
            run = self.runs.get(run_id)
        if run is None or (agent_id is not None and run.agent_id != agent_id):
            raise ApiError(404, f"Run {run_id} not found")
        return run

    def _url(self, run: RunRecord) -> str | None:
        if run.output is None:
            return None
        return f"{self.emu.scheme}://{self.emu.file_host}:{self.emu.port}/files/{run.file_id}"

    def _json(self, run: RunRecord) -> dict[str, Any]:
        return run.to_json(self._url(run))

    def _resolve(self, run: RunRecord) -> RunRecord:
        if run.status != "pending-predictions" or run.ready_at is None or time.monotonic() < run.ready_at:
            return run
        entry = self.entries[run.agent_id]
        with self.store.lock:
            document = self.store.documents.get(run.document_id or "")
        if document is None or document.file_path is None or document.sha256 is None:
            with self.store.lock:
                run.set_status("error")
            return run
        name = document.name or document.document_id
        analysis = self.emu.engine.analyse(document.file_path.read_bytes, document.sha256, name, entry.model)
        with self.store.lock:
            if run.status != "pending-predictions":
                return run
            if analysis.result is None:
                run.set_status("error")
                return run
            run.output = agent_output(analysis.result, run.agent_id)
            self.by_file_id[run.file_id] = run
            run.set_status("succeeded-predictions")
            run.set_status("ready-for-review" if entry.review else "pending-export")
        return run

    def list_agents(self, request: HttpRequest) -> HttpResponse:
        entries = list(self.entries.values())
        page, token = paginate(entries, request.arg("maxResults"), request.arg("nextToken"))
        return HttpResponse.json(200, {"agents": [e.to_json() for e in page], "nextToken": token})

    def get_agent(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(200, self._agent(request).to_json())

    def post_run(self, request: HttpRequest) -> HttpResponse:
        entry = self._agent(request)
        body = request.json() if request.body() else {}
        variables = body.get("variables") or {}
        run = RunRecord(
            agent_id=entry.agent_id,
            run_id=_hex_id("run"),
            created_by=f"cradl:app-client:{self.emu.client_id}",
            variables=variables,
        )
        with self.store.lock:
            self.runs[run.run_id] = run
        return HttpResponse.json(200, self._json(run))

    def list_runs(self, request: HttpRequest) -> HttpResponse:
        entry = self._agent(request)
        wanted = [s for value in request.query.get("status", []) for s in value.split(",") if s]
        unknown = sorted(set(wanted) - set(RUN_STATUSES))
        if unknown:
            raise ApiError(400, f"Unknown status {', '.join(unknown)}; use one of {', '.join(RUN_STATUSES)}")
        with self.store.lock:
            runs = [r for r in self.runs.values() if r.agent_id == entry.agent_id]
        runs = [self._resolve(r) for r in runs]
        if wanted:
            runs = [r for r in runs if r.status in wanted]
        if (request.arg("sort") or "createdTime:desc").endswith(":desc"):
            runs.reverse()
        page, token = paginate(runs, request.arg("maxResults"), request.arg("nextToken"))
        return HttpResponse.json(200, {"runs": [self._json(r) for r in page], "nextToken": token})

    def get_run(self, request: HttpRequest) -> HttpResponse:
        entry = self._agent(request)
        run = self._resolve(self._run(request.path_params["runId"], entry.agent_id))
        return HttpResponse.json(200, self._json(run))

    def patch_run(self, request: HttpRequest) -> HttpResponse:
        entry = self._agent(request)
        run = self._run(request.path_params["runId"], entry.agent_id)
        with self.store.lock:
            run.set_status(request.json()["status"])
        return HttpResponse.json(200, self._json(run))

    def delete_run(self, request: HttpRequest) -> HttpResponse:
        entry = self._agent(request)
        run = self._run(request.path_params["runId"], entry.agent_id)
        with self.store.lock:
            self.runs.pop(run.run_id, None)
            self.by_file_id.pop(run.file_id, None)
        return HttpResponse.json(200, self._json(run))


# -- the spec for what the 2024 spec predates ------------------------------------------------------
_TIME = {"type": "string", "nullable": True}
_AGENT_ID = {"type": "string", "pattern": "^cradl:agent:[a-f0-9]{32}$"}
_RUN_FULL_ID = {
    "type": "string",
    "pattern": "^((cradl|las):organization:[a-z0-9-_]+/)?cradl:agent:[a-z0-9-_]+/cradl:run:[a-z0-9-_]+$",
}
_AGENT = {
    "type": "object",
    "required": ["agentId", "createdBy", "createdTime", "description", "metadata", "name"],
    "additionalProperties": False,
    "properties": {
        "agentId": _AGENT_ID,
        "name": {"type": "string", "nullable": True, "maxLength": 4096},
        "description": {"type": "string", "nullable": True, "maxLength": 4096},
        "metadata": {"type": "object", "nullable": True},
        "resourceIds": {"type": "array", "items": {"type": "string"}},
        "createdBy": {"type": "string"},
        "createdTime": {"type": "string"},
        "updatedBy": {"type": "string", "nullable": True},
        "updatedTime": _TIME,
    },
}
_RUN = {
    "type": "object",
    "required": ["agentId", "runId"],
    "additionalProperties": False,
    "properties": {
        "agentId": _AGENT_ID,
        "runId": {"type": "string", "pattern": "^cradl:run:[a-f0-9]{32}$"},
        "id": _RUN_FULL_ID,
        "status": {"type": "string", "enum": list(RUN_STATUSES)},
        "resourceIds": {"type": "array", "items": {"type": "string"}},
        "events": {"type": "array", "items": {"type": "object"}},
        # Not in the 2025-08 draft; the SDK's get_agent_run(get_variables=True) and Zapier read it.
        "variablesFileUrl": {"type": "string", "pattern": "^http://localhost.*|^https://.*"},
        "createdBy": {"type": "string", "nullable": True},
        "createdTime": _TIME,
        "updatedBy": {"type": "string", "nullable": True},
        "updatedTime": _TIME,
    },
}


def _list(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key, "nextToken"],
        "additionalProperties": False,
        "properties": {
            key: {"type": "array", "items": item},
            "nextToken": {"type": "string", "nullable": True},
        },
    }


def _operation(
    response: dict[str, Any], body: dict[str, Any] | None = None, query: tuple[str, ...] = ()
) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, Any] = {
        "200": {"description": "200", "content": {"application/json": {"schema": response}}}
    }
    responses.update(
        {status: {"description": status, **error} for status in ("400", "403", "404", "415", "500")}
    )
    operation: dict[str, Any] = {
        "responses": responses,
        "parameters": [{"in": "query", "name": name, "schema": {"type": "string"}} for name in query],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def patch_agents(document: dict[str, Any]) -> None:
    """Add the agent calls docrelay makes, and `agentRunId` where the SDK sends or reads it."""
    schemas = document["components"]["schemas"]
    for name in ("PostDocuments", "Document", "PostPredictions", "Prediction"):
        schemas[name]["properties"]["agentRunId"] = {**_RUN_FULL_ID, "nullable": True}
    items = schemas["Documents"]["properties"]["documents"]["items"]
    items["properties"]["agentRunId"] = {**_RUN_FULL_ID, "nullable": True}
    # A finished prediction may keep its predictions at a fileUrl (2025-08 draft; the SDK reads it).
    url = {"type": "string", "nullable": True, "pattern": "^http://localhost.*|^https://.*"}
    schemas["Prediction"]["properties"]["fileUrl"] = url
    predictions_item = schemas["Predictions"]["properties"]["predictions"]["items"]
    predictions_item["properties"]["fileUrl"] = url
    predictions_item["properties"]["agentRunId"] = {**_RUN_FULL_ID, "nullable": True}
    path = {"in": "path", "required": True, "schema": {"type": "string"}}
    agent_param = [{**path, "name": "agentId"}]
    run_params = [*agent_param, {**path, "name": "runId"}]
    post_run = {  # the draft allows no property; the SDK and Zapier send `variables`
        "type": "object",
        "additionalProperties": False,
        "properties": {"variables": {"type": "object"}},
    }
    patch_run = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"status": {"type": "string", "enum": ["archived"]}},
    }
    paths = document["paths"]
    paths["/agents"] = {"get": _operation(_list("agents", _AGENT), query=("maxResults", "nextToken"))}
    paths["/agents/{agentId}"] = {"parameters": agent_param, "get": _operation(_AGENT)}
    run_query = (
        "history",
        "status",
        "sort",
        "maxResults",
        "nextToken",
        "createdTimeAfter",
        "createdTimeBefore",
        "updatedTimeAfter",
        "updatedTimeBefore",
    )
    paths["/agents/{agentId}/runs"] = {
        "parameters": agent_param,
        "get": _operation(_list("runs", _RUN), query=run_query),
        "post": _operation(_RUN, post_run),
    }
    paths["/agents/{agentId}/runs/{runId}"] = {
        "parameters": run_params,
        "get": _operation(_RUN),
        "patch": _operation(_RUN, patch_run),
        "delete": _operation(_RUN),
    }
