"""The DeepOpinion Studio API emulator: login, document extraction, ad-hoc text analysis, models.

Base URL `http://127.0.0.1:PORT` (the Studio API has no version prefix). Requests and responses are
validated against tests/specs/deepopinion-schema.json (see schema.py); see tests/emulators/README.md.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from tests.emulators.base import ApiError, Emulator
from tests.emulators.cradl.engine import Engine
from tests.emulators.cradl.tokens import TokenIssuer
from tests.emulators.deepopinion.hitl import Hitls
from tests.emulators.deepopinion.schema import SchemaValidator, parse_multipart
from tests.emulators.deepopinion.shapes import (
    DEFAULT_MODELS,
    ORGANIZATION_ID,
    EmulatedModel,
    extraction_response,
)
from tests.emulators.deepopinion.textmodel import analyse_text
from tests.emulators.server import HttpRequest, HttpResponse, Route, Router

EXTRACT = "/organizations/{organization_id}/projects/{project_id}/models/{model_id}"
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
HEADER_FORMS = ("any", "bearer", "raw")


@dataclass
class ScriptedBody:
    """A raw answer for the next `count` requests to `endpoint` (malformed-body tests)."""

    endpoint: str
    status: int
    body: bytes
    content_type: str | None
    count: int


class DeepopinionEmulator(Emulator):
    name: ClassVar[str] = "deepopinion"
    api_prefix: ClassVar[str] = ""
    spec_file: ClassVar[str | None] = None  # a JSON Schema, not OpenAPI: loaded below

    def __init__(
        self,
        *,
        email: str = "robot@example.com",
        password: str = "correct horse battery staple",
        accept_header: str = "any",
        extraction_delay: float = 0.0,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        engine: str = "auto",
        models: tuple[EmulatedModel, ...] = DEFAULT_MODELS,
        validate: bool = True,
        **options: Any,
    ) -> None:
        if accept_header not in HEADER_FORMS:
            raise ValueError(f"accept_header must be one of {', '.join(HEADER_FORMS)}")
        self.email = email
        self.password = password
        self.accept_header = accept_header
        self.extraction_delay = extraction_delay
        self.max_upload_bytes = max_upload_bytes
        self.engine = Engine(engine)
        self.models = {m.id: m for m in models}
        self.tokens = TokenIssuer(audience="https://api.deepopinion.ai")
        self._lock = threading.Lock()
        self._scripted: list[ScriptedBody] = []
        self.hitl = Hitls(self.models)
        self.extractions = 0
        self.credits_used = 0
        super().__init__(validate=validate, **options)
        self.spec = SchemaValidator.load() if validate else None  # type: ignore[assignment]

    # -- helpers for tests -----------------------------------------------------------------------
    @property
    def organization_id(self) -> int:
        return ORGANIZATION_ID

    def model(self, kind: str = "EXTRACTION") -> EmulatedModel:
        return next(m for m in self.models.values() if m.type == kind)

    def docrelay_env(self) -> dict[str, str]:
        return {
            **super().docrelay_env(),
            "DOCRELAY_DEEPOPINION_URL": self.base_url,
            "DOCRELAY_DEEPOPINION_EMAIL": self.email,
            "DOCRELAY_DEEPOPINION_PASSWORD": self.password,
            "DOCRELAY_DEEPOPINION_ORGANIZATION": "1",
            "DOCRELAY_DEEPOPINION_PROJECT": "1",
        }

    def issue_token(self, ttl: float | None = None) -> str:
        """A valid token without a login (for tests that are not about auth)."""
        return self.tokens.issue(self.email, self.faults.token_ttl if ttl is None else ttl)

    def script_body(
        self,
        endpoint: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str | None = "application/json",
        count: int = 1,
    ) -> None:
        """Answer the next `count` requests to `endpoint` with this raw body (after auth succeeds)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._scripted.append(ScriptedBody(endpoint, status, data, content_type, count))

    def extra_stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "engine": self.engine.name,
                "extractions": self.extractions,
                "credits_used": self.credits_used,
            }

    def reset_state(self) -> None:
        with self._lock:
            self.extractions = 0
            self.credits_used = 0
            self._scripted.clear()
        self.hitl.clear()

    # -- routes ------------------------------------------------------------------------------------
    def register_routes(self, router: Router) -> None:
        for method, template, handler in (
            ("POST", "/auth/login", self._login),
            ("POST", EXTRACT, self._extract),
            ("POST", "/analyze", self._analyze),
            ("POST", "/organizations/{organization_id}/analyze", self._analyze),
            ("GET", "/models", self._list_models),
            ("GET", "/projects/{project_id}/hitls", self.hitl.list_hitls),
            ("GET", "/projects/{project_id}/hitls/{hitl_id}/reviews", self.hitl.list_reviews),
        ):
            router.add(Route(method, template, handler))

    def error_response(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        return HttpResponse.json(status, {"message": message}, headers)

    # -- auth ----------------------------------------------------------------------------------------
    def authenticate(self, request: HttpRequest, group: str) -> HttpResponse | None:
        scripted = self._take_scripted(request.endpoint)
        if request.endpoint == "POST /auth/login":
            return scripted
        value = (request.header("authorization") or "").strip()
        scheme, _, rest = value.partition(" ")
        bearer = scheme.lower() == "bearer" and bool(rest.strip())
        token = rest.strip() if bearer else value
        if not token or (self.accept_header == "bearer" and not bearer):
            return self.error_response(401, "Missing or malformed token. Please log in.")
        if self.accept_header == "raw" and bearer:
            return self.error_response(401, "Invalid token. Please log in again.")
        state = self.tokens.check(token)
        if state == "expired":
            return self.error_response(401, "Signature expired. Please log in again.")
        if state == "invalid":
            return self.error_response(401, "Invalid token. Please log in again.")
        return scripted

    def _take_scripted(self, endpoint: str) -> HttpResponse | None:
        with self._lock:
            for item in self._scripted:
                if item.endpoint in (endpoint, "*"):
                    item.count -= 1
                    if item.count <= 0:
                        self._scripted.remove(item)
                    return HttpResponse(item.status, item.body, item.content_type)
        return None

    def _login(self, request: HttpRequest) -> HttpResponse:
        body = request.json()
        if not isinstance(body, dict) or (body.get("email"), body.get("password")) != (
            self.email,
            self.password,
        ):
            raise ApiError(401, "Wrong email or password.")
        self.count_event("logins_by_email", str(body["email"]))
        token = self.tokens.issue(self.email, self.faults.token_ttl)
        return HttpResponse.json(
            200, {"auth_token": token, "message": "Successfully logged in.", "status": "OK"}
        )

    # -- extraction ------------------------------------------------------------------------------------
    def _find_model(self, model_id: str, document_model: bool) -> EmulatedModel:
        model = self.models.get(int(model_id)) if model_id.isdigit() else None
        if model is None:
            raise ApiError(404, f"Model {model_id} not found.")
        if model.is_document_model != document_model:
            kind = "document extraction" if document_model else "text analysis"
            raise ApiError(400, f"Model {model_id} cannot be used for {kind}.")
        return model

    def _check_workspace(self, organization_id: str) -> None:
        if organization_id != str(ORGANIZATION_ID):
            raise ApiError(404, f"Workspace {organization_id} not found.")

    def _extract(self, request: HttpRequest) -> HttpResponse:
        params = request.path_params
        self._check_workspace(params["organization_id"])
        model = self._find_model(params["model_id"], document_model=True)
        if params["project_id"] != str(model.project_id):
            raise ApiError(404, f"Model {model.id} not found in project {params['project_id']}.")
        try:
            parts = parse_multipart(request.body(), request.header("content-type") or "")
        except ValueError as exc:
            raise ApiError(400, f"A multipart/form-data body with a file is required: {exc}") from None
        upload = parts.get("file")
        if upload is None or upload.filename is None or not upload.data:
            raise ApiError(400, "No file given: send it as the multipart field 'file'.")
        if len(upload.data) > self.max_upload_bytes:
            raise ApiError(413, "The file is too large.")
        from core.sources import sniff_content_type

        if sniff_content_type(upload.data[:2048]) is None:
            raise ApiError(415, "Unsupported document format: use pdf, jpeg, png, tiff or webp.")
        if self.faults.quota is not None and self.extractions >= self.faults.quota:
            raise ApiError(402, "Not enough credits left in this workspace.")
        sha256 = hashlib.sha256(upload.data).hexdigest()
        analysis = self.engine.analyse(lambda: upload.data, sha256, upload.filename, model.engine_model)
        if analysis.result is None:
            raise ApiError(422, f"Could not process document {upload.filename}: {analysis.error}")
        if self.extraction_delay:
            threading.Event().wait(self.extraction_delay)
        self.count_event("extractions_by_sha256", sha256)
        response = extraction_response(
            analysis.result,
            file_name=upload.filename,
            model=model,
            pages=analysis.pages,
            bboxes=request.arg("return_bboxes") == "true",
            annotated_pages=request.arg("return_annotated_pages") == "true",
        )
        with self._lock:
            self.extractions += 1
            self.credits_used += int(response["total_credits_used"])
        for document in response["documents"]:
            low = [c for r in document.get("hitl", {}).get("result", []) for c in r.get("confidences", [])]
            self.hitl.open(model, upload.filename, low)
        return HttpResponse.json(200, response)

    def human_review(
        self, action: str = "approve", fields: dict[str, Any] | None = None, document: str | None = None
    ) -> dict[str, Any]:
        """A reviewer in Studio finishes the HITL reviews of the oldest waiting document."""
        if action not in ("approve", "correct", "reject"):
            raise ValueError(f"action must be approve, correct or reject, not {action!r}")
        return self.hitl.human_review(action, fields or {}, document)

    # -- text analysis ------------------------------------------------------------------------------------
    def _analyze(self, request: HttpRequest) -> HttpResponse:
        if "organization_id" in request.path_params:
            self._check_workspace(request.path_params["organization_id"])
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("documents"), list):
            raise ApiError(400, "documents is required.")
        model = self._find_model(str(body.get("model_id", "")), document_model=False)
        split = body.get("split", True) is not False
        documents = [
            {"text": str(d.get("text", "")), "segments": analyse_text(str(d.get("text", "")), split)}
            for d in body["documents"]
            if isinstance(d, dict)
        ]
        self.count_event("analyses_by_model", str(model.id))
        return HttpResponse.json(200, {"model": model.name, "type": model.type, "documents": documents})

    # -- models -----------------------------------------------------------------------------------------
    def _list_models(self, request: HttpRequest) -> HttpResponse:
        models = sorted(self.models.values(), key=lambda m: m.id)
        offset = int(request.arg("offset") or 0)
        limit = max(1, min(1000, int(request.arg("limit") or 100)))
        page = models[offset : offset + limit]
        return HttpResponse.json(
            200,
            {
                "models": [m.to_json() for m in page],
                "has_more": offset + limit < len(models),
                "offset": offset,
                "limit": limit,
                "count": len(page),
            },
        )
