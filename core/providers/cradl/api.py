"""Typed calls of the Cradl REST API v1 that docrelay uses, over one HttpClient.

Returns the service's JSON objects (dicts) unchanged; normalizing is normalize.py's job. Lists are
iterators that follow `nextToken`, so callers never see pagination.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from core.errors import InputError, QuotaExceededError
from core.sources import DocumentSource
from core.transport import HttpClient, scaled_read_timeout

PUBLIC_OWNER = "las:organization:cradl"
DOCUMENT_FIELDS = (
    "name",
    "description",
    "metadata",
    "consentId",
    "datasetId",
    "retentionInDays",
    "groundTruth",
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
    def __init__(self, http: HttpClient) -> None:
        self.http = http

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
        """`POST /documents` (metadata only), then the content streamed to `fileUrl`.

        If the upload fails the created record is deleted, so no empty document is left behind.
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
        return self._json("POST", "/predictions", json=dict(body))

    def get_prediction(self, prediction_id: str) -> dict[str, Any]:
        return self._json("GET", f"/predictions/{_path_id(prediction_id)}")

    def list_predictions(self, *, limit: int | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        return self._pages("/predictions", "predictions", filters, limit)

    # -- models ------------------------------------------------------------------------------
    def list_models(self, *, owner: str | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
        return self._pages("/models", "models", {"owner": owner}, limit)

    def get_model(self, model_id: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{_path_id(model_id)}")

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
