"""The Cradl (Lucidtech) REST API v1 emulator: token endpoint, documents with their file server,
predictions, models and workflow executions.

URLs (see tests/emulators/README.md): API base `http://127.0.0.1:PORT/v1` (printed after READY),
token `http://127.0.0.1:PORT/oauth2/token` (also `/token` and `/v1/oauth2/token`), files
`http://localhost:PORT/files/las:file:<hex>` (`localhost` because the spec's fileUrl pattern is
`^http://localhost.*|^https://.*`).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

from tests.emulators.base import ApiError, Emulator
from tests.emulators.cradl.agents import Agents, patch_agents
from tests.emulators.cradl.catalog import DEFAULT_WORKFLOW_ID, REVIEW_WORKFLOW_ID, Catalog
from tests.emulators.cradl.engine import Engine
from tests.emulators.cradl.jobs import Jobs
from tests.emulators.cradl.store import CradlStore, DocumentRecord, new_id, now_text, paginate
from tests.emulators.cradl.tokens import TokenIssuer
from tests.emulators.server import HttpRequest, HttpResponse, Route, Router

CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/tiff", "image/webp")
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
TOKEN_PATHS = ("/oauth2/token", "/token", "/v1/oauth2/token")


def sniff_content_type(path: Path | None) -> str | None:
    """The document type from the first bytes of an upload that declared none."""
    if path is None:
        return None
    with path.open("rb") as handle:
        head = handle.read(16)
    signatures = (
        (b"%PDF", "application/pdf"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x89PNG", "image/png"),
        (b"II*\x00", "image/tiff"),
        (b"MM\x00*", "image/tiff"),
    )
    for prefix, content_type in signatures:
        if head.startswith(prefix):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def patch_spec(document: dict[str, Any]) -> None:
    """Fixes of the 2024 spec's own defects, and what it predates (see patch_agents)."""
    patch_v2_predictions(document)
    schemas = document["components"]["schemas"]
    # `contentType` is nullable (a document created without one), but null is missing from its enum.
    for name in ("Document",):
        content_type = schemas[name]["properties"]["contentType"]
        if None not in content_type["enum"]:
            content_type["enum"].append(None)
    documents_item = schemas["Documents"]["properties"]["documents"]["items"]
    if None not in documents_item["properties"]["contentType"]["enum"]:
        documents_item["properties"]["contentType"]["enum"].append(None)
    patch_agents(document)


def patch_v2_predictions(document: dict[str, Any]) -> None:
    """The spec types v2 `predictions` as an object with no properties allowed, which no real v2
    answer satisfies; accept a map of label -> list of candidates or line maps instead."""
    v2 = {
        "type": "object",
        "nullable": True,
        "additionalProperties": {"type": "array", "items": {"type": "object"}},
    }
    schemas = document["components"]["schemas"]
    targets = [schemas["Prediction"], schemas["Predictions"]["properties"]["predictions"]["items"]]
    for schema in targets:
        choices = schema["properties"]["predictions"]["anyOf"]
        choices[:] = [v2 if choice.get("type") == "object" else choice for choice in choices]


class CradlEmulator(Emulator):
    name: ClassVar[str] = "cradl"
    api_prefix: ClassVar[str] = "/v1"
    spec_file: ClassVar[str | None] = "cradl-oas.json"
    patch_spec = staticmethod(patch_spec)

    def __init__(
        self,
        *,
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        file_host: str = "localhost",
        pages_per_call: int = 1,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        engine: str = "auto",
        models: tuple[str, ...] = ("invoice", "receipt"),
        workflows: dict[str, str] | None = None,
        agents: dict[str, dict[str, Any]] | None = None,
        allow_untyped_put: bool = True,
        predictions_in_file: bool = False,
        **options: Any,
    ) -> None:
        self.client_id = client_id
        # The official SDKs PUT files with no Content-Type and the service takes them (the type is then
        # read from the bytes); docrelay's own tests turn this off, since docrelay sends the type.
        self.allow_untyped_put = allow_untyped_put
        # Finished predictions answered with `predictions: null` and a fileUrl holding them.
        self.predictions_in_file = predictions_in_file
        self.client_secret = client_secret
        self.file_host = file_host
        self.pages_per_call = pages_per_call
        self.max_upload_bytes = max_upload_bytes
        self.engine = Engine(engine)
        self.catalog = Catalog(models, workflows or {DEFAULT_WORKFLOW_ID: models[0]})
        self.store = CradlStore()
        self.tokens = TokenIssuer(audience="https://api.cradl.ai/v1")
        self.jobs = Jobs(self)
        self.agents = Agents(self, agents)
        super().__init__(**options)

    # -- URLs and helpers for tests ------------------------------------------------------------
    @property
    def token_url(self) -> str:
        return self.root_url + "/oauth2/token"

    def docrelay_env(self) -> dict[str, str]:
        return {
            **super().docrelay_env(),
            "DOCRELAY_CRADL_API_URL": self.base_url,
            "DOCRELAY_CRADL_AUTH_URL": self.token_url,
            "DOCRELAY_CRADL_CLIENT_ID": self.client_id,
            "DOCRELAY_CRADL_CLIENT_SECRET": self.client_secret,
        }

    @property
    def workflow_id(self) -> str:
        return next(iter(self.catalog.workflows))

    @property
    def review_workflow_id(self) -> str:
        """The workflow whose executions wait for a (scripted) human: `human_review()` finishes them."""
        return REVIEW_WORKFLOW_ID

    def human_review(
        self, action: str = "approve", fields: dict[str, Any] | None = None, document: str | None = None
    ) -> dict[str, Any]:
        """Finish the oldest waiting review: a review workflow's execution, else an agent run that is
        ready for review (see Emulator.human_review)."""
        if action not in ("approve", "correct", "reject"):
            raise ValueError(f"action must be approve, correct or reject, not {action!r}")
        finished = self.jobs.human_review(action, fields or {}, document)
        if finished is None:
            finished = self.agents.human_review(action, fields or {}, document)
        if finished is None:
            raise ValueError("no review is waiting" + (f" for {document}" if document else ""))
        return finished

    def file_url(self, record: DocumentRecord) -> str:
        return f"{self.scheme}://{self.file_host}:{self.port}/files/{record.file_id}"

    def issue_token(self, ttl: float | None = None) -> str:
        """A valid access token without a token request (for tests that are not about auth)."""
        return self.tokens.issue(self.client_id, self.faults.token_ttl if ttl is None else ttl)

    def extra_stats(self) -> dict[str, Any]:
        with self.store.lock:
            return {
                "engine": self.engine.name,
                "documents": len(self.store.documents),
                "predictions": len(self.store.predictions),
                "executions": len(self.store.executions),
                "quota_used": self.store.predictions_accepted,
            }

    def reset_state(self) -> None:
        self.store.clear()
        self.agents.clear()

    def close(self) -> None:
        self.store.close()

    # -- routes --------------------------------------------------------------------------------
    def register_routes(self, router: Router) -> None:
        for path in TOKEN_PATHS:
            router.add(Route("POST", path, self._token, group="auth", endpoint="POST /oauth2/token"))
        router.add(Route("PUT", "/files/{fileId}", self._put_file, group="files", stream_body=True))
        router.add(Route("GET", "/files/{fileId}", self._get_file, group="files"))
        api = [
            ("POST", "/documents", self._post_document),
            ("GET", "/documents", self._list_documents),
            ("GET", "/documents/{documentId}", self._get_document),
            ("PATCH", "/documents/{documentId}", self._patch_document),
            ("DELETE", "/documents/{documentId}", self._delete_document),
            ("GET", "/models", self._list_models),
            ("GET", "/models/{modelId}", self._get_model),
            *self.jobs.routes(),
            *self.agents.routes(),
        ]
        for method, template, handler in api:
            router.add(Route(method, self.api_prefix + template, handler))

    # -- auth ----------------------------------------------------------------------------------
    def authenticate(self, request: HttpRequest, group: str) -> HttpResponse | None:
        if group not in ("api", "files"):
            return None
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self.error_response(401, "Unauthorized")
        state = self.tokens.check(token.strip())
        if state == "expired":
            return self.error_response(401, "The incoming token has expired")
        if state == "invalid":
            return self.error_response(401, "Unauthorized")
        return None

    def _token(self, request: HttpRequest) -> HttpResponse:
        body = request.body()
        if body and request.content_type != "application/x-www-form-urlencoded":
            return self._oauth_error(request, 400, "invalid_request", "Content-Type must be form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        grant_type = form.get("grant_type") or request.arg("grant_type")
        if grant_type != "client_credentials":
            return self._oauth_error(
                request, 400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        scheme, _, encoded = (request.header("authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = (
                    base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                return self._oauth_error(request, 400, "invalid_request", "malformed Basic credentials")
            status = 401  # RFC 6749 5.2: client authenticated by header -> 401
        elif "client_id" in form:
            client_id, secret, status = form["client_id"], form.get("client_secret", ""), 400
            if not form.get("audience"):
                return self._oauth_error(
                    request, 400, "invalid_request", "audience is required with form credentials"
                )
        else:
            return self._oauth_error(request, 400, "invalid_request", "no client credentials (Basic or form)")
        if (client_id, secret) != (self.client_id, self.client_secret):
            headers = {"WWW-Authenticate": 'Basic realm="cradl-emulator"'} if status == 401 else {}
            return HttpResponse.json(status, {"error": "invalid_client"}, headers)
        ttl = self.faults.token_ttl
        token = self.tokens.issue(client_id, ttl)
        payload = {"access_token": token, "expires_in": int(ttl), "token_type": "Bearer"}
        return HttpResponse.json(200, payload, {"Cache-Control": "no-store"})

    def _oauth_error(self, request: HttpRequest, status: int, error: str, description: str) -> HttpResponse:
        self.record_violation(request, f"token request: {description}")
        return HttpResponse.json(status, {"error": error, "error_description": description})

    # -- file server ---------------------------------------------------------------------------
    def _file_record(self, request: HttpRequest) -> DocumentRecord:
        with self.store.lock:
            record = self.store.by_file_id.get(request.path_params["fileId"])
        if record is None:
            raise ApiError(404, "File not found")
        return record

    def _put_file(self, request: HttpRequest) -> HttpResponse:
        record = self._file_record(request)
        declared = request.content_type
        problem = None
        if not declared:
            if not self.allow_untyped_put:
                problem = "the PUT to fileUrl needs a Content-Type header"
        elif declared not in CONTENT_TYPES:
            problem = f"Content-Type {declared} is not one of {', '.join(CONTENT_TYPES)}"
        elif record.content_type and declared != record.content_type:
            problem = (
                f"Content-Type {declared} does not match the document's contentType {record.content_type}"
            )
        if problem:
            self.record_violation(request, problem)
            raise ApiError(415, problem)
        length = request.reader.declared_length
        if length is not None and length > self.max_upload_bytes:
            raise ApiError(
                413, f"The file is larger than the {self.max_upload_bytes // (1024 * 1024)} MB limit"
            )
        _, sha256 = self.store.receive_file(record, request.reader.chunks(), self.max_upload_bytes)
        with self.store.lock:
            record.content_type = record.content_type or declared or sniff_content_type(record.file_path)
        self.count_event("uploads_by_sha256", sha256)
        return HttpResponse(200, b"", None)

    def _get_file(self, request: HttpRequest) -> HttpResponse:
        with self.store.lock:
            prediction = self.store.prediction_files.get(request.path_params["fileId"])
        if prediction is not None:
            return self.jobs.prediction_file(prediction, request.arg("predictionsFormat"))
        variables = self.agents.variables_file(request.path_params["fileId"])
        if variables is not None:
            return variables
        record = self._file_record(request)
        if record.file_path is None:
            raise ApiError(404, "No file has been uploaded for this document")
        return HttpResponse(200, record.file_path.read_bytes(), record.content_type)

    # -- documents -----------------------------------------------------------------------------
    def _doc_json(self, record: DocumentRecord) -> HttpResponse:
        return HttpResponse.json(200, record.to_json(self.file_url(record)))

    def _post_document(self, request: HttpRequest) -> HttpResponse:
        body = request.json()
        record = DocumentRecord(
            document_id=new_id("document"),
            file_id=new_id("file"),
            created_by=f"las:app-client:{self.client_id}",
            content_type=body.get("contentType"),
            name=body.get("name"),
            description=body.get("description"),
            metadata=body.get("metadata"),
            ground_truth=body.get("groundTruth"),
            retention_in_days=body.get("retentionInDays", 1825),
            dataset_id=body.get("datasetId"),
            agent_run_id=body.get("agentRunId"),
        )
        if body.get("consentId"):
            record.consent_id = body["consentId"]
        if record.agent_run_id:
            self.agents.check_run(record.agent_run_id)
        if "content" in body:
            if not record.content_type:
                raise ApiError(400, "contentType is required when content is given")
            try:
                data = base64.b64decode(body["content"], validate=True)
            except binascii.Error:
                raise ApiError(400, "content is not valid base64") from None
            _, sha256 = self.store.receive_file(record, [data], self.max_upload_bytes)
            self.count_event("uploads_by_sha256", sha256)
        self.store.add_document(record)
        if record.agent_run_id:
            self.agents.attach_document(record)
        return self._doc_json(record)

    def _list_documents(self, request: HttpRequest) -> HttpResponse:
        with self.store.lock:
            records = list(self.store.documents.values())
        for key, attribute in (
            ("datasetId", "dataset_id"),
            ("consentId", "consent_id"),
            ("documentId", "document_id"),
        ):
            wanted = request.arg(key)
            if wanted:
                records = [r for r in records if getattr(r, attribute) == wanted]
        if request.arg("order") == "descending":
            records.reverse()
        page, token = paginate(records, request.arg("maxResults"), request.arg("nextToken"))
        documents = [r.to_json(self.file_url(r)) for r in page]
        return HttpResponse.json(200, {"documents": documents, "nextToken": token})

    def _get_document(self, request: HttpRequest) -> HttpResponse:
        return self._doc_json(self.store.document(request.path_params["documentId"]))

    def _patch_document(self, request: HttpRequest) -> HttpResponse:
        record = self.store.document(request.path_params["documentId"])
        body = request.json()
        names = {
            "groundTruth": "ground_truth",
            "metadata": "metadata",
            "name": "name",
            "description": "description",
            "retentionInDays": "retention_in_days",
            "datasetId": "dataset_id",
        }
        with self.store.lock:
            for key, attribute in names.items():
                if key in body:
                    setattr(record, attribute, body[key])
            record.updated_time = now_text()
            record.updated_by = f"las:app-client:{self.client_id}"
        return self._doc_json(record)

    def _delete_document(self, request: HttpRequest) -> HttpResponse:
        return self._doc_json(self.store.delete_document(request.path_params["documentId"]))

    # -- models --------------------------------------------------------------------------------
    def _list_models(self, request: HttpRequest) -> HttpResponse:
        entries = self.catalog.owned_by(request.arg("owner"))
        page, token = paginate(entries, request.arg("maxResults"), request.arg("nextToken"))
        return HttpResponse.json(200, {"models": [m.to_json() for m in page], "nextToken": token})

    def _get_model(self, request: HttpRequest) -> HttpResponse:
        model_id = request.path_params["modelId"]
        entry = self.catalog.resolve(model_id)
        if entry is None:
            raise ApiError(404, f"Model {model_id} not found")
        return HttpResponse.json(200, entry.to_json())
