"""Typed calls of the Cradl REST API v1 that docrelay uses, over one HttpClient.

Returns the service's JSON objects (dicts) unchanged; normalizing is normalize.py's job. Lists are
iterators that follow `nextToken`, so callers never see pagination.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from core.errors import InputError, QuotaExceededError
from core.sources import DocumentSource
from core.transport import HttpClient, scaled_read_timeout

PUBLIC_OWNER = "las:organization:cradl"
# Files up to this size go inline (base64 `content`) in POST /documents: one call instead of two.
# Larger ones are streamed to `fileUrl`, never held whole in memory. The spec allows 6,250,000
# base64 characters inline (about 4.5 MB); bench/cradl_inline_threshold.py measured the choice
# (docs/benchmarks.md).
INLINE_MAX_BYTES = 512 * 1024
DOCUMENT_FIELDS = (
    "name",
    "description",
    "metadata",
    "consentId",
    "datasetId",
    "retentionInDays",
    "groundTruth",
    "agentRunId",
)


def classify(response: Any) -> QuotaExceededError | Any:
    """Cradl tells a monthly quota from a rate limit only by the 429 body text."""
    if response.status_code == 429 and "limit exceeded" in response.text.lower():
        return QuotaExceededError(
            "Cradl's monthly quota for this organization is used up (HTTP 429 Limit Exceeded)",
            hint="Upgrade the plan or wait for the next month; retrying will not help.",
            provider="cradl",
            status=429,
        )
    return None


def _path_id(value: str) -> str:
    # Public model ids hold a "/" (las:organization:cradl/las:model:x) that must stay one path segment.
    return quote(value, safe=":")


class CradlApi:
    def __init__(self, http: HttpClient, *, inline_max_bytes: int = INLINE_MAX_BYTES) -> None:
        self.http = http
        self.inline_max_bytes = inline_max_bytes

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        reply = self.http.request_json(method, path, **kwargs)
        return reply if isinstance(reply, dict) else {}

    def _pages(
        self, path: str, key: str, params: Mapping[str, Any], limit: int | None
    ) -> Iterator[dict[str, Any]]:
        query = {k: v for k, v in params.items() if v is not None}
        count = 0
        while True:
            page = self._json("GET", path, params=query)
            for item in page.get(key) or []:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            token = page.get("nextToken")
            if not token:
                return
            query["nextToken"] = token

    # -- documents ---------------------------------------------------------------------------
    def create_document(self, source: DocumentSource, **fields: Any) -> dict[str, Any]:
        """A small file: one `POST /documents` with the content inline. A larger one: `POST /documents`
        (metadata only), then the content streamed to `fileUrl`; if that upload fails the created
        record is deleted, so no empty document is left behind.
        """
        body: dict[str, Any] = {"name": source.name, "contentType": source.content_type}
        for key in DOCUMENT_FIELDS:
            if fields.get(key) is not None:
                body[key] = fields[key]
        unknown = set(fields) - set(DOCUMENT_FIELDS)
        if unknown:
            raise InputError(
                f"Unknown Cradl document fields: {', '.join(sorted(unknown))}",
                hint=f"Use {', '.join(DOCUMENT_FIELDS)}.",
            )
        if source.size <= self.inline_max_bytes:
            body["content"] = base64.b64encode(source.read_bytes()).decode("ascii")
            return self._json("POST", "/documents", json=body)
        document = self._json("POST", "/documents", json=body)
        try:
            self.http.put(
                document["fileUrl"],
                body=source.open_stream,
                headers={"Content-Type": source.content_type},
                send_auth=True,
                idempotent=True,
                read_timeout=scaled_read_timeout(source.size),
            )
        except BaseException:
            self._delete_quietly(str(document.get("documentId", "")))
            raise
        return document

    def _delete_quietly(self, document_id: str) -> None:
        if not document_id:
            return
        try:
            self.delete_document(document_id)
        except Exception:  # the upload's own error is the one to report
            import logging

            logging.getLogger("docrelay.cradl").warning("could not delete the half-created %s", document_id)

    def get_document(self, document_id: str) -> dict[str, Any]:
        return self._json("GET", f"/documents/{_path_id(document_id)}")

    def delete_document(self, document_id: str) -> dict[str, Any]:
        return self._json("DELETE", f"/documents/{_path_id(document_id)}")

    def update_document(self, document_id: str, **fields: Any) -> dict[str, Any]:
        """`PATCH /documents/{id}`: ground truth for feedback loops, metadata, dataset."""
        body = {k: v for k, v in fields.items() if v is not None}
        return self._json("PATCH", f"/documents/{_path_id(document_id)}", json=body)

    def list_documents(self, *, limit: int | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        return self._pages("/documents", "documents", filters, limit)

    # -- predictions -------------------------------------------------------------------------
    def create_prediction(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._with_predictions(self._json("POST", "/predictions", json=dict(body)))

    def get_prediction(self, prediction_id: str) -> dict[str, Any]:
        return self._with_predictions(self._json("GET", f"/predictions/{_path_id(prediction_id)}"))

    def _with_predictions(self, prediction: dict[str, Any]) -> dict[str, Any]:
        """A finished prediction may leave `predictions` null and keep them at its `fileUrl` (large
        results); fetch them from there, in the output format the prediction was made in."""
        file_url = prediction.get("fileUrl")
        if prediction.get("status") != "succeeded" or prediction.get("predictions") is not None:
            return prediction
        if not isinstance(file_url, str) or not file_url:
            return prediction
        output_format = (prediction.get("postprocessConfig") or {}).get("outputFormat")
        params = {"predictionsFormat": output_format} if output_format else None
        stored = self.http.request_json("GET", file_url, params=params, send_auth=True)
        return {**prediction, "predictions": stored}

    def list_predictions(self, *, limit: int | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        return self._pages("/predictions", "predictions", filters, limit)

    # -- models ------------------------------------------------------------------------------
    def list_models(self, *, owner: str | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
        return self._pages("/models", "models", {"owner": owner}, limit)

    def get_model(self, model_id: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{_path_id(model_id)}")

    # -- agents (the newer Cradl app; not in the 2024 spec, see docs/providers/cradl.md) ------------
    def list_agents(self, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
        return self._pages("/agents", "agents", {}, limit)

    def create_agent_run(self, agent_id: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = {"variables": dict(variables)} if variables else {}
        return self._json("POST", f"/agents/{_path_id(agent_id)}/runs", json=body)

    def get_agent_run(self, agent_id: str, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"/agents/{_path_id(agent_id)}/runs/{_path_id(run_id)}")

    def delete_agent_run(self, agent_id: str, run_id: str) -> dict[str, Any]:
        return self._json("DELETE", f"/agents/{_path_id(agent_id)}/runs/{_path_id(run_id)}")

    def agent_run_variables(self, run: Mapping[str, Any]) -> Any:
        """The run's variables file (its output once predicted), or None when it has none yet."""
        url = run.get("variablesFileUrl")
        if not isinstance(url, str) or not url:
            return None
        return self.http.request_json("GET", url, send_auth=True)

    # -- workflows (human in the loop) ---------------------------------------------------------
    def start_execution(self, workflow_id: str, document_id: str, title: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"documentId": document_id}
        if title:
            payload["title"] = title
        return self._json("POST", f"/workflows/{_path_id(workflow_id)}/executions", json={"input": payload})

    def get_execution(self, workflow_id: str, execution_id: str) -> dict[str, Any]:
        return self._json("GET", f"/workflows/{_path_id(workflow_id)}/executions/{_path_id(execution_id)}")

    def list_executions(
        self, workflow_id: str, *, status: str | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._pages(
            f"/workflows/{_path_id(workflow_id)}/executions", "executions", {"status": status}, limit
        )

    def complete_execution(self, workflow_id: str, execution_id: str) -> dict[str, Any]:
        path = f"/workflows/{_path_id(workflow_id)}/executions/{_path_id(execution_id)}"
        return self._json("PATCH", path, json={"status": "completed"})
