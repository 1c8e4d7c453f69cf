"""The contract.fit API emulator: login, inbox uploads (async and sync), the simple sync upload,
document reads with X-Fields masks, reprocessing and inboxes. See tests/emulators/README.md.

Base URL `http://127.0.0.1:PORT/api` (the spec's server is `//cfportal.contract-p.fit/api`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from tests.emulators.base import ApiError, Emulator
from tests.emulators.contractfit.spec_patch import patch_contractfit_spec
from tests.emulators.contractfit.store import ContractfitStore, DocumentRecord, Inbox, object_id
from tests.emulators.contractfit.wire import FilePart, apply_mask, form_bool, parse_mask, parse_multipart
from tests.emulators.cradl.engine import Engine
from tests.emulators.cradl.tokens import TokenIssuer
from tests.emulators.server import Handler, HttpRequest, HttpResponse, Route, Router

# (key, name, engine model): both read invoices, the one model the offline engine knows.
DEFAULT_INBOXES = (("invoices", "Invoices", "invoice"), ("purchases", "Purchase invoices", "invoice"))
SCRIPTED_HEADER = "X-Emulator-Scripted"
_PDFIUM = threading.Lock()  # pdfium is not thread-safe: page counts and engine runs take turns


@dataclass
class ScriptedReply:
    endpoint: str
    status: int
    body: bytes
    content_type: str | None
    count: int


def check_readable(data: bytes) -> tuple[str | None, int]:
    """(why contract.fit could not read it, or None; the page count)."""
    from core.sources import sniff_content_type

    content_type = sniff_content_type(data[:2048])
    if content_type is None:
        return "the file is not a PDF, JPEG, PNG, TIFF or WebP document", 0
    if content_type != "application/pdf":
        return None, 1
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium raises its own error classes
        return f"the PDF cannot be opened ({exc})", 0
    try:
        return None, max(1, len(document))
    finally:
        document.close()


class ContractfitEmulator(Emulator):
    name: ClassVar[str] = "contractfit"
    api_prefix: ClassVar[str] = "/api"
    spec_file: ClassVar[str | None] = "contractfit-openapi.yaml"
    patch_spec = staticmethod(patch_contractfit_spec)

    def __init__(
        self,
        *,
        api_key: str = "test-api-key",
        username: str = "test-user",
        password: str = "test-password",
        token_prefix: str = "Bearer",
        upload_reply: str = "object",
        engine: str = "auto",
        inboxes: tuple[tuple[str, str, str], ...] = DEFAULT_INBOXES,
        **options: Any,
    ) -> None:
        if upload_reply not in ("object", "string"):
            raise ValueError("upload_reply must be 'object' or 'string'")
        self.api_key = api_key
        self.username = username
        self.password = password
        self.token_prefix = token_prefix.strip()
        self.upload_reply = upload_reply
        self.engine = Engine(engine)
        project = object_id("project:emulator")
        self.store = ContractfitStore([Inbox(object_id(f"inbox:{k}"), n, project, m) for k, n, m in inboxes])
        self.tokens = TokenIssuer(audience="contractfit-emulator")
        self._replies: list[ScriptedReply] = []
        self._replies_lock = threading.Lock()
        self._unmasked: dict[int, bytes] = {}  # masked response -> the whole object, for the spec check
        super().__init__(**options)

    # -- for tests -----------------------------------------------------------------------------------
    def inbox_id(self, key: str = "invoices") -> str:
        """The id of an inbox by its key ("invoices" or "purchases" unless `inboxes` says otherwise)."""
        return object_id(f"inbox:{key}")

    def docrelay_env(self) -> dict[str, str]:
        """API-key credentials, the recommended bot setup."""
        return {
            **super().docrelay_env(),
            "DOCRELAY_CONTRACTFIT_URL": self.base_url,
            "DOCRELAY_CONTRACTFIT_API_KEY": self.api_key,
        }

    @property
    def invoice_inbox(self) -> str:
        """Where the simple upload goes without an inbox_id: the first inbox reading invoices."""
        return next(i.id for i in self.store.inboxes.values() if i.model == "invoice")

    def issue_token(self, ttl: float | None = None) -> str:
        return self.tokens.issue(self.username, self.faults.token_ttl if ttl is None else ttl)

    def revoke_tokens(self) -> None:
        """Forget every issued JWT (as after a key rotation): their next use is answered 401."""
        self.tokens = TokenIssuer(audience="contractfit-emulator")

    def fail_next_documents(self, count: int = 1) -> None:
        """The next `count` processing runs finish without success (status_data.success false)."""
        with self.store.lock:
            self.store.failures_scripted += count

    def script_reply(
        self,
        endpoint: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str | None = "text/html",
        count: int = 1,
    ) -> None:
        """Answer the next `count` authenticated, valid requests to `endpoint` with this raw body
        (malformed answers); not checked against the spec."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._replies_lock:
            self._replies.append(ScriptedReply(endpoint, status, data, content_type, count))

    def extra_stats(self) -> dict[str, Any]:
        with self.store.lock:
            return {"engine": self.engine.name, "documents": len(self.store.documents)}

    def reset_state(self) -> None:
        self.store.clear()
        with self._replies_lock:
            self._replies.clear()

    # -- routes --------------------------------------------------------------------------------------
    def register_routes(self, router: Router) -> None:
        api: list[tuple[str, str, Handler]] = [
            ("POST", "/auth", self._login),
            ("POST", "/documents/", self._simple_upload),
            ("POST", "/documents/{inbox_id}", self._upload),
            ("GET", "/documents/{document_id}", self._get_document),
            ("POST", "/documents/{document_id}/reprocess", self._reprocess),
            ("DELETE", "/documents/{document_id}", self._delete_document),
            ("POST", "/documents/{document_id}/feedback", self._feedback),
            ("POST", "/documents/{document_id}/status_data", self._status_data),
            ("GET", "/documents/{document_id}/last_version", self._last_version),
            ("GET", "/inboxes", self._list_inboxes),
            ("GET", "/inboxes/{inbox_id}", self._get_inbox),
        ]
        for method, template, handler in api:
            router.add(Route(method, self.api_prefix + template, self._scriptable(handler)))

    def _scriptable(self, handler: Handler) -> Handler:
        def run(request: HttpRequest) -> HttpResponse:
            with self._replies_lock:
                for reply in self._replies:
                    if reply.endpoint in (request.endpoint, "*"):
                        reply.count -= 1
                        if reply.count <= 0:
                            self._replies.remove(reply)
                        return HttpResponse(
                            reply.status, reply.body, reply.content_type, {SCRIPTED_HEADER: "1"}
                        )
            return handler(request)

        return run

    def _check_response(self, request: HttpRequest, template: str, response: HttpResponse) -> None:
        if SCRIPTED_HEADER in response.headers:  # a scripted malformed reply is off-spec on purpose
            return
        unmasked = self._unmasked.pop(id(response), None)
        if unmasked is not None:
            # flask-restx drops fields outside the mask, required ones too: check the whole object.
            response = HttpResponse(response.status, unmasked, response.content_type, response.headers)
        super()._check_response(request, template, response)

    # -- auth ----------------------------------------------------------------------------------------
    def authenticate(self, request: HttpRequest, group: str) -> HttpResponse | None:
        if request.endpoint == "POST /auth":
            return None
        if "api_key" in request.query:
            problem = "API key in the query string (api_key=...): query strings end up in logs; use X-API-Key"
            self.record_violation(request, problem)
            return self.error_response(400, f"spec violation: {problem}")
        key = request.header("x-api-key")
        if key is not None:
            return None if key == self.api_key else self.error_response(401, "Invalid API key")
        authorization = (request.header("authorization") or "").strip()
        if not authorization:
            return self.error_response(401, "Authentication required")
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(rest.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return self.error_response(401, "Malformed Basic credentials")
            if (user, password) != (self.username, self.password):
                return self.error_response(401, "Wrong credentials")
            return None
        if self.token_prefix:
            if scheme != self.token_prefix or not rest.strip():
                return self.error_response(401, f"Invalid token: expected '{self.token_prefix} <token>'")
            token = rest.strip()
        else:
            token = authorization
        state = self.tokens.check(token)
        if state == "expired":
            return self.error_response(401, "Token expired")
        if state == "invalid":
            return self.error_response(401, "Invalid token")
        return None

    def _login(self, request: HttpRequest) -> HttpResponse:
        body = request.json()
        if (body.get("username"), body.get("password")) != (self.username, self.password):
            raise ApiError(401, "Wrong credentials")
        return HttpResponse.json(200, {"authentication_token": self.issue_token()})

    # -- uploads -------------------------------------------------------------------------------------
    def _file(self, request: HttpRequest) -> tuple[FilePart, dict[str, str]]:
        form = parse_multipart(request.body(), request.header("content-type") or "")
        part = form.files.get("file")
        if part is None:
            raise ApiError(400, "Missing required parameter in multipart form: file")
        if not part.ascii_name:
            problem = f"multipart filename {part.filename!r} is not ASCII: send an ASCII-safe name"
            self.record_violation(request, problem)
            raise ApiError(400, f"spec violation: {problem}")
        return part, form.fields

    def _receive(self, inbox: Inbox, part: FilePart, *, key_value: bool) -> DocumentRecord:
        data = part.data
        sha256 = hashlib.sha256(data).hexdigest()
        self.count_event("uploads_by_sha256", sha256)
        with _PDFIUM:
            problem, pages = check_readable(data)
            if problem:
                raise ApiError(415, f"Image Recognition Error: {problem}")
            analysis = self.engine.analyse(lambda: data, sha256, part.filename, inbox.model)
        record = DocumentRecord(
            id=object_id(),
            inbox=inbox,
            original_filename=part.filename,
            sha256=sha256,
            size=len(data),
            key_value=key_value,
            received=datetime.now(timezone.utc),
            pages=analysis.pages or pages,
            result=analysis.result,
        )
        return record

    def _start_processing(self, record: DocumentRecord, *, sync: bool) -> HttpResponse:
        delay = self.faults.async_delay
        record.start_run("predicted", delay, fails=self.store.take_failure())
        self.store.add(record)
        if not sync:
            reply: Any = record.id if self.upload_reply == "string" else {"id": record.id}
            return HttpResponse.json(200, reply)
        time.sleep(delay)  # a sync upload blocks while the document is processed
        with self.store.lock:
            return HttpResponse.json(200, record.to_json())

    def _upload(self, request: HttpRequest) -> HttpResponse:
        inbox = self.store.inbox(request.path_params["inbox_id"])
        part, fields = self._file(request)
        record = self._receive(inbox, part, key_value=form_bool(fields.get("key_value_flag"), False))
        return self._start_processing(record, sync=form_bool(fields.get("sync"), True))

    def _simple_upload(self, request: HttpRequest) -> HttpResponse:
        part, fields = self._file(request)
        inbox_id = fields.get("inbox_id") or self.invoice_inbox
        inbox = self.store.inbox(inbox_id)
        record = self._receive(inbox, part, key_value=form_bool(fields.get("key_value_flag"), True))
        return self._start_processing(record, sync=True)

    # -- documents -----------------------------------------------------------------------------------
    def _masked(self, request: HttpRequest, payload: Any) -> HttpResponse:
        mask = request.header("x-fields")
        self.count_event("reads_by_mask", f"{request.endpoint} [{mask or '*'}]")
        if not mask:
            return HttpResponse.json(200, payload)
        response = HttpResponse.json(200, apply_mask(payload, parse_mask(mask)))
        if self.spec is not None and self.validate_responses:
            self._unmasked[id(response)] = HttpResponse.json(200, payload).body
        return response

    def _get_document(self, request: HttpRequest) -> HttpResponse:
        record = self.store.document(request.path_params["document_id"])
        with self.store.lock:
            return self._masked(request, record.to_json())

    def _reprocess(self, request: HttpRequest) -> HttpResponse:
        record = self.store.document(request.path_params["document_id"])
        name = request.arg("name") or "reprocessed"
        with self.store.lock:
            if request.arg("reviewer") == "Human":
                record.to_json()  # settle finished runs first
                record.rename_last_version(name)
            else:
                record.start_run(name, self.faults.async_delay, fails=self.store.take_failure())
            return self._masked(request, record.to_json())

    # -- review, feedback, deletion -----------------------------------------------------------------------
    def human_review(
        self, action: str = "approve", fields: dict[str, Any] | None = None, document: str | None = None
    ) -> dict[str, Any]:
        """A reviewer in the portal: submits the oldest processed document (approved, or with `fields`
        corrected) or rejects it. The submission is a human version named `submitted`."""
        if action not in ("approve", "correct", "reject"):
            raise ValueError(f"action must be approve, correct or reject, not {action!r}")
        with self.store.lock:
            for record in self.store.documents.values():
                if not record.waiting_for_human or (
                    document and document not in (record.id, record.original_filename)
                ):
                    continue
                if action == "reject":
                    record.set_state("reject", True)
                else:
                    machine = record.machine_prediction()
                    annotations = dict(machine["annotations"])
                    for name, value in (fields or {}).items():
                        annotations[name] = [
                            {"gold": str(value), "text": str(value), "textual_coord": [0] * 6}
                        ]
                    record.add_human_version("submitted", annotations, machine["lines"])
                    record.set_state("submitted", True)
                return {"review": record.id, "status": "rejected" if action == "reject" else "submitted"}
        raise ValueError("no document is waiting for a review" + (f" ({document})" if document else ""))

    def _delete_document(self, request: HttpRequest) -> HttpResponse:
        how = request.arg("how") or "FULL"
        document_id = request.path_params["document_id"]
        if how == "SOURCE_FILES":
            record = self.store.document(document_id)
            with self.store.lock:
                record.flags["archived"] = True
        else:
            self.store.remove(document_id)
        self.count_event("deletes_by_document", document_id)
        return HttpResponse.json(200, {"message": f"Document {document_id} deleted"})

    def _feedback(self, request: HttpRequest) -> HttpResponse:
        """`VersionPost`: the reviewer's values become a human version, and the document is submitted."""
        record = self.store.document(request.path_params["document_id"])
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("annotations", {}), dict):
            raise ApiError(400, "Input payload validation failed: annotations must be an object")
        with self.store.lock:
            name = str(body.get("name") or "feedback")
            record.add_human_version(name, dict(body.get("annotations") or {}), body.get("lines"))
            record.flags["feedback"] = True
            record.set_state("submitted", True)
        self.count_event("feedback_by_document", record.id)
        return HttpResponse.json(200, {"message": "Feedback received", "version": name})

    def _status_data(self, request: HttpRequest) -> HttpResponse:
        record = self.store.document(request.path_params["document_id"])
        body = request.json()
        with self.store.lock:
            for name in ("lock", "escalate", "reject", "submitted"):
                if isinstance(body.get(name), dict) and "value" in body[name]:
                    if body[name]["value"]:
                        record.set_state(name, True)
                    else:
                        record.states.pop(name, None)
            for name, value in (body.get("status_data") or {}).items():
                if isinstance(value, bool):
                    record.flags[name] = value
            return self._masked(request, record.to_json())

    def _last_version(self, request: HttpRequest) -> HttpResponse:
        record = self.store.document(request.path_params["document_id"])
        source = request.arg("source")
        if source not in (None, "", "human", "machine"):
            raise ApiError(400, "source must be human or machine")
        with self.store.lock:
            found = record.version(request.arg("name") or None, source or None)
        if found is None:
            raise ApiError(404, f"Document {record.id} has no such version")
        return HttpResponse.json(200, found)

    # -- inboxes -------------------------------------------------------------------------------------
    def _list_inboxes(self, request: HttpRequest) -> HttpResponse:
        return self._masked(request, [inbox.to_json() for inbox in self.store.inboxes.values()])

    def _get_inbox(self, request: HttpRequest) -> HttpResponse:
        return self._masked(request, self.store.inbox(request.path_params["inbox_id"]).to_json())
