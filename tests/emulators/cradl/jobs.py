"""Predictions (sync, async, page walk, v1/v2) and workflow executions of the Cradl emulator.

Behaviour the spec leaves open, chosen to be plausible and documented in the README:
- a document whose file cannot be processed: sync -> 400 {"message": "Could not process ..."};
  async -> status "failed" with `error` once the async delay has passed;
- predicting a document with no uploaded file -> 400 at once (sync and async);
- quota (`--quota N`): the N+1th accepted POST /predictions gets 429 {"message": "Limit Exceeded"}.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tests.emulators.base import ApiError
from tests.emulators.cradl.shapes import output_values, page_window, to_v1, to_v2
from tests.emulators.cradl.store import (
    DocumentRecord,
    ExecutionRecord,
    PredictionRecord,
    new_id,
    now_text,
    paginate,
)
from tests.emulators.server import Handler, HttpRequest, HttpResponse

if TYPE_CHECKING:
    from tests.emulators.cradl.emulator import CradlEmulator

LEGACY_PREPROCESS = ("autoRotate", "maxPages", "imageQuality", "rotation")
EXECUTION_STATUSES = ("running", "succeeded", "failed", "rejected", "retry", "error", "completed")


def _moment(text: str) -> datetime:
    """An ISO 8601 time (`Z` or an offset; naive means UTC) as an aware datetime; 400 if unreadable."""
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Jobs:
    def __init__(self, emulator: CradlEmulator) -> None:
        self.emu = emulator
        self.store = emulator.store

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/predictions", self.post_prediction),
            ("GET", "/predictions", self.list_predictions),
            ("GET", "/predictions/{predictionId}", self.get_prediction),
            ("POST", "/workflows/{workflowId}/executions", self.post_execution),
            ("GET", "/workflows/{workflowId}/executions", self.list_executions),
            ("GET", "/workflows/{workflowId}/executions/{executionId}", self.get_execution),
            ("PATCH", "/workflows/{workflowId}/executions/{executionId}", self.patch_execution),
        ]

    @property
    def _caller(self) -> str:
        return f"las:app-client:{self.emu.client_id}"

    # -- predictions ---------------------------------------------------------------------------
    def post_prediction(self, request: HttpRequest) -> HttpResponse:
        body = request.json()
        quota = self.emu.faults.quota
        with self.store.lock:
            if quota is not None and self.store.predictions_accepted >= quota:
                raise ApiError(429, "Limit Exceeded")
        document = self.store.document(body["documentId"])
        model = self.emu.catalog.resolve(body["modelId"])
        if model is None:
            raise ApiError(404, f"Model {body['modelId']} not found")
        if document.file_path is None or document.sha256 is None:
            raise ApiError(
                400, f"Document {document.document_id} has no content: PUT the file to its fileUrl first"
            )
        preprocess = {key: body[key] for key in LEGACY_PREPROCESS if key in body}
        preprocess.update(body.get("preprocessConfig") or {})
        record = PredictionRecord(
            prediction_id=new_id("prediction"),
            document_id=document.document_id,
            model_id=body["modelId"],
            engine_model=model.name,
            created_by=self._caller,
            preprocess=preprocess,
            # Without one in the request, the model's own postprocessing applies and is answered.
            postprocess=body.get("postprocessConfig") or model.postprocess,
            ready_at=time.monotonic() + self.emu.faults.async_delay,
            agent_run_id=body.get("agentRunId"),
        )
        start = preprocess.get("pages") or preprocess.get("startPage", 0)
        self.emu.count_event("page_predictions_by_sha256_page", f"{document.sha256}@{start}")
        if start == 0:  # a fresh prediction of the document, not a later step of a page walk
            self.emu.count_event("predictions_by_sha256", document.sha256)
        if not body.get("async"):
            self._complete(record, document, sync=True)
        with self.store.lock:
            self.store.predictions_accepted += 1
            self.store.predictions[record.prediction_id] = record
            self.store.prediction_files[record.file_id] = record
        return HttpResponse.json(200, self.prediction_json(record))

    def prediction_json(self, record: PredictionRecord) -> dict[str, Any]:
        if not self.emu.predictions_in_file:
            return record.to_json()
        return record.to_json(
            f"{self.emu.scheme}://{self.emu.file_host}:{self.emu.port}/files/{record.file_id}"
        )

    def prediction_file(self, record: PredictionRecord, output_format: str | None) -> HttpResponse:
        """GET of a prediction's fileUrl: its predictions, in `predictionsFormat` (default: as made)."""
        predictions = record.predictions
        if output_format == "v2" and isinstance(predictions, list):
            predictions = to_v2(predictions)
        elif output_format not in (None, "", "v1", "v2"):
            raise ApiError(400, f"predictionsFormat must be v1 or v2, not {output_format}")
        return HttpResponse.json(200, predictions)

    def _complete(self, record: PredictionRecord, document: DocumentRecord, *, sync: bool) -> None:
        path, sha256 = document.file_path, document.sha256
        assert path is not None and sha256 is not None
        name = document.name or document.document_id
        analysis = self.emu.engine.analyse(path.read_bytes, sha256, name, record.engine_model)
        outcome: dict[str, Any] = {"inference_time": round(analysis.seconds, 4)}
        try:
            if analysis.result is None:
                raise ApiError(400, f"Could not process document {document.document_id}: {analysis.error}")
            postprocess = record.postprocess or {}
            pages, next_page = page_window(
                analysis.pages, record.preprocess, postprocess, self.emu.pages_per_call
            )
            collapse = postprocess.get("strategy") == "BEST_N_PAGES" and bool(
                postprocess.get("parameters", {}).get("collapse")
            )
            items = to_v1(analysis.result, pages, collapse)
            predictions: Any = to_v2(items) if postprocess.get("outputFormat") == "v2" else items
            outcome.update(status="succeeded", predictions=predictions, next_page=next_page)
        except ApiError as error:
            if sync:
                raise
            outcome.update(status="failed", error=error.message, predictions=None)
        with self.store.lock:
            for key, value in outcome.items():
                setattr(record, key, value)

    def _resolve(self, record: PredictionRecord) -> PredictionRecord:
        if record.status != "pending" or time.monotonic() < record.ready_at:
            return record
        with self.store.lock:
            document = self.store.documents.get(record.document_id)
        if document is None or document.file_path is None:
            with self.store.lock:
                record.status, record.error = "failed", f"Document {record.document_id} was deleted"
            return record
        self._complete(record, document, sync=False)
        return record

    def get_prediction(self, request: HttpRequest) -> HttpResponse:
        prediction_id = request.path_params["predictionId"]
        with self.store.lock:
            record = self.store.predictions.get(prediction_id)
        if record is None:
            raise ApiError(404, f"Prediction {prediction_id} not found")
        return HttpResponse.json(200, self.prediction_json(self._resolve(record)))

    def list_predictions(self, request: HttpRequest) -> HttpResponse:
        with self.store.lock:
            records = list(self.store.predictions.values())
        model_id = request.arg("modelId")
        if model_id:
            records = [r for r in records if r.model_id == model_id]
        if request.arg("order") == "descending":
            records.reverse()
        page, token = paginate(records, request.arg("maxResults"), request.arg("nextToken"))
        return HttpResponse.json(
            200, {"predictions": [self.prediction_json(self._resolve(r)) for r in page], "nextToken": token}
        )

    # -- workflow executions -------------------------------------------------------------------
    def _workflow(self, request: HttpRequest) -> str:
        workflow_id = request.path_params["workflowId"]
        if workflow_id not in self.emu.catalog.workflows:
            raise ApiError(404, f"Workflow {workflow_id} not found")
        return workflow_id

    def _execution(self, request: HttpRequest) -> ExecutionRecord:
        workflow_id = self._workflow(request)
        execution_id = request.path_params["executionId"]
        with self.store.lock:
            record = self.store.executions.get(execution_id)
        if record is None or record.workflow_id != workflow_id:
            raise ApiError(404, f"Execution {execution_id} not found in workflow {workflow_id}")
        return self._resolve_execution(record)

    def _resolve_execution(self, record: ExecutionRecord) -> ExecutionRecord:
        if record.status != "running" or time.monotonic() < record.ready_at:
            return record
        if record.workflow_id in self.emu.catalog.human_workflows:
            return record  # waits for human_review()
        self._run_engine(record)
        return record

    def _document_of(self, record: ExecutionRecord) -> DocumentRecord | None:
        document_id = record.input.get("documentId")
        with self.store.lock:
            return self.store.documents.get(document_id) if isinstance(document_id, str) else None

    def human_review(
        self, action: str, fields: dict[str, Any], document: str | None
    ) -> dict[str, Any] | None:
        """A reviewer finishes the oldest waiting execution of a review workflow (of `document`, a
        document id or name, if given): approve, correct `fields`, or reject. None if none waits."""
        with self.store.lock:
            waiting = [
                r
                for r in self.store.executions.values()
                if r.status == "running" and r.workflow_id in self.emu.catalog.human_workflows
            ]
        for record in waiting:
            found = self._document_of(record)
            if document and (found is None or document not in (found.document_id, found.name)):
                continue
            if action == "reject":
                with self.store.lock:
                    record.status, record.output, record.end_time = "rejected", {}, now_text()
            else:
                self._run_engine(record)
                with self.store.lock:
                    if record.status == "succeeded" and record.output is not None:
                        record.output["values"].update(fields)
            return {"review": record.execution_id, "status": record.status}
        return None

    def _run_engine(self, record: ExecutionRecord) -> None:
        document = self._document_of(record)
        document_id = record.input.get("documentId")
        status, output = (
            "failed",
            {"error": {"message": f"Document {document_id} not found or without content"}},
        )
        if document is not None and document.file_path is not None and document.sha256 is not None:
            model = self.emu.catalog.workflows[record.workflow_id]
            name = document.name or document.document_id
            analysis = self.emu.engine.analyse(document.file_path.read_bytes, document.sha256, name, model)
            if analysis.result is None:
                output = {"error": {"message": f"Could not process the document: {analysis.error}"}}
            else:
                status, output = "succeeded", {"values": output_values(analysis.result)}
        with self.store.lock:
            if record.status == "running":
                record.status, record.output, record.end_time = status, output, now_text()

    def post_execution(self, request: HttpRequest) -> HttpResponse:
        workflow_id = self._workflow(request)
        record = ExecutionRecord(
            execution_id=new_id("workflow-execution"),
            workflow_id=workflow_id,
            input=request.json()["input"],
            created_by=self._caller,
            ready_at=time.monotonic() + self.emu.faults.async_delay,
        )
        with self.store.lock:
            self.store.executions[record.execution_id] = record
        return HttpResponse.json(200, record.to_json())

    def list_executions(self, request: HttpRequest) -> HttpResponse:
        workflow_id = self._workflow(request)
        wanted = [s for value in request.query.get("status", []) for s in value.split(",") if s]
        unknown = sorted(set(wanted) - set(EXECUTION_STATUSES))
        if unknown:
            raise ApiError(
                400, f"Unknown status {', '.join(unknown)}; use one of {', '.join(EXECUTION_STATUSES)}"
            )
        with self.store.lock:
            records = [r for r in self.store.executions.values() if r.workflow_id == workflow_id]
        records = [self._resolve_execution(r) for r in records]
        if wanted:
            records = [r for r in records if r.status in wanted]
        sort_by = request.arg("sortBy") or "startTime"
        if sort_by not in ("startTime", "endTime"):
            raise ApiError(400, "sortBy must be startTime or endTime")
        after, before = request.arg("fromStartTime"), request.arg("toStartTime")
        if after:
            records = [r for r in records if _moment(r.start_time) >= _moment(after)]
        if before:
            records = [r for r in records if _moment(r.start_time) <= _moment(before)]
        records.sort(key=lambda r: (r.start_time if sort_by == "startTime" else r.end_time) or "")
        if request.arg("order") == "descending":
            records.reverse()
        page, token = paginate(records, request.arg("maxResults"), request.arg("nextToken"))
        payload: dict[str, Any] = {
            "executions": [r.to_json() for r in page],
            "nextToken": token,
            "workflowId": workflow_id,
        }
        if wanted:
            payload["status"] = wanted
        return HttpResponse.json(200, payload)

    def get_execution(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(200, self._execution(request).to_json())

    def patch_execution(self, request: HttpRequest) -> HttpResponse:
        record = self._execution(request)
        body = request.json()
        if "status" not in body:
            raise ApiError(501, "Only status changes are emulated")
        with self.store.lock:
            if record.status not in ("succeeded", "completed"):
                message = (
                    f"Execution {record.execution_id} is {record.status}; only succeeded ones change status"
                )
                raise ApiError(400, message)
            record.status = body["status"]
        return HttpResponse.json(200, record.to_json())
