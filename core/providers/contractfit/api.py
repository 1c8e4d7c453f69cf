"""Typed calls of the contract.fit API that docrelay uses, over one HttpClient.

Paths keep the spec's trailing slashes exactly (`/documents/` is the simple upload,
`/documents/{inbox_id}` the inbox upload): the flask-restx backend may redirect or 404 otherwise.
Replies are returned as the service's JSON (dicts); shapes the spec leaves open are checked here, so a
malformed answer becomes a ServiceError that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from core.errors import AuthError, InputError, NotFoundError, ServiceError
from core.hints import setting
from core.sources import DocumentSource
from core.transport import HttpClient, scaled_read_timeout

# The X-Fields mask of every poll: the spec's required fields plus what the completion rule reads.
POLL_FIELDS = "id,inbox,original_filename,page_count,last_version,status_data,timings"
INBOX_FIELDS = "id,name,project"

# The permission each call needs ("Permission required: X" in the spec), for 403 hints.
_PERMISSIONS = (  # the first match wins: specific paths first
    ("POST", "/feedback", "submit"),
    ("POST", "/status_data", "review"),
    ("POST", "/reprocess", "upload"),
    ("POST", "/documents/", "upload"),
    ("DELETE", "/documents/", "review"),
    ("GET", "/documents/", "review"),
    ("GET", "/inboxes", "view_list"),
)


def _form_bool(value: bool) -> str:
    return "true" if value else "false"


def _segment(value: str) -> str:
    return quote(value, safe="")


def classify(response: Any) -> InputError | AuthError | None:
    """contract.fit's own readings of 415 and 403; everything else follows the standard mapping."""
    from core.transport import describe_target, service_message

    request = getattr(response, "request", None)
    method = str(getattr(request, "method", "") or "").upper()
    target = describe_target(method or "?", response.url or "")
    if response.status_code == 415:
        return InputError(
            f"contract.fit could not read the document (HTTP 415 Image Recognition Error, {target}): "
            f"{service_message(response)}",
            hint="Check that the file is a legible PDF or image (not password-protected, not blank); "
            "sending it again will not help",
            provider="contractfit",
        )
    if response.status_code == 403:
        path = response.url or ""
        needed = next((p for m, part, p in _PERMISSIONS if m == method and part in path), None)
        permission = f" (this call needs the `{needed}` permission)" if needed else ""
        return AuthError(
            f"contract.fit refused access (HTTP 403 Permission insufficient, {target}){permission}: "
            f"{service_message(response)}",
            hint="Ask a contract.fit admin for a role with that permission on this inbox; an API key "
            "only works for the inboxes and roles it was created with",
            provider="contractfit",
        )
    return None


def document_id_from_reply(reply: Any) -> str | None:
    """The document id in an upload's reply: a bare string, or an object with `id` (or `document_id`)."""
    if isinstance(reply, str) and reply.strip():
        return reply.strip()
    if isinstance(reply, Mapping):
        for key in ("id", "document_id", "_id"):
            value = reply.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()
        nested = reply.get("document")
        if isinstance(nested, Mapping):
            return document_id_from_reply(nested)
    return None


class ContractfitApi:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    # -- uploads -------------------------------------------------------------------------------------
    def _files(self, source: DocumentSource) -> Any:
        # A fresh stream per attempt; the multipart file name is ASCII-safe, the real name stays ours.
        return lambda: {"file": (source.upload_name, source.open_stream(), source.content_type)}

    def upload_to_inbox(
        self,
        inbox_id: str,
        source: DocumentSource,
        *,
        sync: bool = False,
        key_value: bool = False,
        experimental: bool | None = None,
        wait_seconds: float = 300.0,
    ) -> Any:
        """`POST /documents/{inbox_id}`: with sync=False the reply carries the new document's id."""
        form = {"sync": _form_bool(sync), "key_value_flag": _form_bool(key_value)}
        if experimental is not None:
            form["experimental"] = _form_bool(experimental)
        read_timeout = scaled_read_timeout(source.size)
        if sync:  # the call blocks while the document is processed
            read_timeout = max(read_timeout, wait_seconds)
        try:
            return self.http.request_json(
                "POST",
                f"/documents/{_segment(inbox_id)}",
                data=form,
                files=self._files(source),
                read_timeout=read_timeout,
            )
        except NotFoundError as exc:
            raise NotFoundError(
                f"contract.fit has no inbox {inbox_id!r} (HTTP 404 on upload): {exc.message}",
                hint="`docrelay models --provider contractfit` lists the inboxes these credentials can use; "
                f"pass one with {setting('model')} or set DOCRELAY_CONTRACTFIT_INBOX",
                provider="contractfit",
                status=exc.status,
                request_id=exc.request_id,
            ) from None

    def simple_upload(
        self,
        source: DocumentSource,
        *,
        inbox_id: str | None = None,
        key_value: bool = False,
        experimental: bool | None = None,
        wait_seconds: float = 300.0,
    ) -> Any:
        """`POST /documents/`: synchronous only; without an inbox the service uses its invoice inbox."""
        form = {"key_value_flag": _form_bool(key_value)}
        if inbox_id:
            form["inbox_id"] = inbox_id
        if experimental is not None:
            form["experimental"] = _form_bool(experimental)
        return self.http.request_json(
            "POST",
            "/documents/",
            data=form,
            files=self._files(source),
            read_timeout=max(scaled_read_timeout(source.size), wait_seconds),
        )

    # -- documents -----------------------------------------------------------------------------------
    def get_document(self, document_id: str, *, fields: str | None = None) -> dict[str, Any]:
        """`GET /documents/{document_id}`, optionally trimmed by an X-Fields mask."""
        headers = {"X-Fields": fields} if fields else None
        try:
            reply = self.http.request_json("GET", f"/documents/{_segment(document_id)}", headers=headers)
        except NotFoundError as exc:
            raise NotFoundError(
                f"contract.fit has no document {document_id!r} (HTTP 404): {exc.message}",
                hint="It may have been deleted, or belong to another tenant; submit the file again",
                provider="contractfit",
                status=exc.status,
                request_id=exc.request_id,
            ) from None
        return self._document(reply, f"GET /documents/{document_id}")

    def reprocess(
        self,
        document_id: str,
        *,
        name: str = "reprocessed",
        reviewer: str = "Machine",
        fields: str | None = None,
    ) -> dict[str, Any]:
        """`POST /documents/{document_id}/reprocess`: schedules a new run (no OCR) named `name`."""
        headers = {"X-Fields": fields} if fields else None
        reply = self.http.request_json(
            "POST",
            f"/documents/{_segment(document_id)}/reprocess",
            params={"name": name, "reviewer": reviewer},
            headers=headers,
        )
        return self._document(reply, f"POST /documents/{document_id}/reprocess")

    # -- review, feedback, deletion ------------------------------------------------------------------
    def last_version(self, document_id: str, *, name: str | None = None, source: str | None = None) -> Any:
        """`GET /documents/{id}/last_version`: the latest version (of that name / source: human|machine)."""
        params = {k: v for k, v in (("name", name), ("source", source)) if v}
        return self.http.request_json(
            "GET", f"/documents/{_segment(document_id)}/last_version", params=params
        )

    def send_feedback(self, document_id: str, version: Mapping[str, Any]) -> Any:
        """`POST /documents/{id}/feedback` with a `VersionPost` (the reviewer's values)."""
        return self.http.request_json(
            "POST", f"/documents/{_segment(document_id)}/feedback", json=dict(version)
        )

    def update_status(self, document_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /documents/{id}/status_data` (`StatusDataPost`): lock, escalate, reject, archive..."""
        reply = self.http.request_json(
            "POST",
            f"/documents/{_segment(document_id)}/status_data",
            json=dict(body),
            headers={"X-Fields": "id,status_data"},
        )
        return self._document(reply, f"POST /documents/{document_id}/status_data")

    def delete_document(self, document_id: str) -> None:
        """`DELETE /documents/{id}?how=FULL`: the document and its source files, permanently."""
        self.http.request_json("DELETE", f"/documents/{_segment(document_id)}", params={"how": "FULL"})

    @staticmethod
    def _document(reply: Any, call: str) -> dict[str, Any]:
        if not isinstance(reply, dict) or document_id_from_reply(reply) is None:
            shown = type(reply).__name__ if not isinstance(reply, dict) else "an object without an id"
            raise ServiceError(
                f"contract.fit answered {call} with {shown}, not a document",
                hint="Check that url points at the contract.fit API (it ends in /api)",
                provider="contractfit",
            )
        return reply

    # -- inboxes -------------------------------------------------------------------------------------
    def list_inboxes(self) -> list[dict[str, Any]]:
        reply = self.http.request_json("GET", "/inboxes", headers={"X-Fields": INBOX_FIELDS})
        if isinstance(reply, Mapping) and isinstance(reply.get("results"), list):
            reply = reply["results"]  # tolerate a paginated wrapper
        if not isinstance(reply, list):
            raise ServiceError(
                f"contract.fit answered GET /inboxes with {type(reply).__name__}, not a list of inboxes",
                hint="Check that url points at the contract.fit API (it ends in /api)",
                provider="contractfit",
            )
        return [item for item in reply if isinstance(item, dict) and item.get("id")]
