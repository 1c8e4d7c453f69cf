"""The DeepOpinion Studio provider: document extraction with a trained model, and ad-hoc text analysis.

DeepOpinion extracts synchronously: `extract` sends the file and waits for the answer (up to the job
timeout). Services keep the result of a submitted job (core.instantjobs), so that status and result -
also from another process, given the job handle - return it without a call.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from core.errors import (
    ConfigError,
    DocRelayError,
    InputError,
    JobTimeoutError,
    NetworkError,
    UsageError,
)
from core.hints import setting
from core.models import CheckResult, DocumentInfo, JobHandle, ModelInfo, Result
from core.providers.base import Capabilities, PredictOptions, option_flag
from core.providers.deepopinion.api import ANALYZE_BATCH, DeepopinionApi, classify
from core.providers.deepopinion.auth import DeepopinionAuth, token_prefix
from core.providers.deepopinion.normalize import normalize_analysis, normalize_extraction
from core.providers.deepopinion.reviews import HITL_LINK, choose_hitl, document_under_review, review_state
from core.providers.remote import RemoteProvider
from core.review.handle import ReviewHandle
from core.review.outcome import NOT_STARTED, ReviewState, ReviewTicket, review_link
from core.sources import DocumentSource
from core.transport import AuthStrategy, Classifier, HttpClient

log = logging.getLogger("docrelay.deepopinion")

NAME = "deepopinion"
DEFAULT_URL = "https://api.deepopinion.ai"
DEFAULT_JOB_TIMEOUT = 300.0
PREDICTION_PREFIX = "deepopinion:extraction:"
KNOWN_OPTIONS = ("annotated_pages",)


def _whole_number(value: Any) -> bool:
    return str(value).strip().isdigit()


def _flag(options: PredictOptions, key: str) -> bool:
    return option_flag(options.extra, key, False, provider=NAME)


class DeepopinionProvider(RemoteProvider[DeepopinionApi]):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "DeepOpinion"
    capabilities: ClassVar[Capabilities] = Capabilities(
        upload=True,
        async_jobs=False,
        page_selection=False,
        boxes=True,
        confidence=True,
        line_items=False,
        human_review=True,
        text_analysis=True,
        models_listing=True,
    )
    default_url: ClassVar[str] = DEFAULT_URL
    setting_names: ClassVar[tuple[str, ...]] = (
        "url",
        "email",
        "password",
        "token",
        "organization",
        "project",
        "token_prefix",
        "hitl",
        "review_url",
    )
    secret_settings: ClassVar[tuple[str, ...]] = ("password", "token")

    # -- plumbing ------------------------------------------------------------------------------
    def classifier(self) -> Classifier:
        return classify

    def make_api(self, http: HttpClient) -> DeepopinionApi:
        return DeepopinionApi(http)

    def build_auth(self, http: HttpClient) -> AuthStrategy:
        settings = self.settings
        email, password, token = settings.get("email"), settings.get("password"), settings.get("token")
        if not token and not (email and password):
            missing = "password" if email else "email" if password else "email and password"
            raise ConfigError(
                f"DeepOpinion needs credentials: {missing} not set",
                hint="Set DOCRELAY_DEEPOPINION_EMAIL and DOCRELAY_DEEPOPINION_PASSWORD (or `docrelay config "
                "set email ... --provider deepopinion` and `docrelay config set-secret password --stdin "
                "--provider deepopinion`), or a ready token in DOCRELAY_DEEPOPINION_TOKEN",
                provider=NAME,
            )
        login_client = http.sibling(http.base_url) if email and password else None
        return DeepopinionAuth(
            login_client,
            email=str(email) if email else None,
            password=str(password) if password else None,
            token=str(token) if token else None,
            prefix=token_prefix(settings.get("token_prefix")),
        )

    @property
    def job_timeout(self) -> float:
        return float(self.timeout or self.settings.get("timeout") or DEFAULT_JOB_TIMEOUT)

    def _workspace(self) -> tuple[str, str]:
        """The organization (workspace) and project ids extraction needs, checked."""
        found: dict[str, str] = {}
        for key in ("organization", "project"):
            value = self.settings.get(key)
            if not value:
                raise ConfigError(
                    f"DeepOpinion extraction needs the {key} id: {key} is not set",
                    hint=f"Set DOCRELAY_DEEPOPINION_{key.upper()} (or `docrelay config set {key} ID "
                    "--provider deepopinion`); Studio shows it in the model's API page URL",
                    provider=NAME,
                )
            if not _whole_number(value):
                raise ConfigError(
                    f"The DeepOpinion {key} must be a numeric id, not {value!r}",
                    hint=f"Use the number Studio shows for the {key}, e.g. 12.",
                    provider=NAME,
                )
            found[key] = str(value).strip()
        return found["organization"], found["project"]

    def _model_id(self, model: str | None) -> str:
        if not model:
            raise UsageError(
                "DeepOpinion needs a model id",
                hint=f"Pass {setting('model')} with the model's number, e.g. {setting('model', '12')}; "
                "`docrelay models --provider deepopinion` lists them.",
                provider=NAME,
            )
        if not _whole_number(model):
            raise UsageError(
                f"DeepOpinion model ids are numbers, not {model!r}",
                hint=f"Pass the model's number, e.g. {setting('model', '12')} "
                "(`docrelay models --provider deepopinion`).",
                provider=NAME,
            )
        return str(model).strip()

    def resolve_model(self, model: str | None) -> str | None:
        model_id = self._model_id(model)
        self._workspace()  # before anything is read or sent: missing settings must cost nothing
        return model_id

    # -- the steps -----------------------------------------------------------------------------
    def upload(self, source: DocumentSource) -> DocumentInfo:
        """Nothing is sent yet: DeepOpinion takes the file with the extraction call itself."""
        self.require_service_type(source)
        return DocumentInfo.from_source(source)

    def extract(self, source: DocumentSource, model: str | None, options: PredictOptions) -> Result:
        """DeepOpinion extracts synchronously: the result comes with the answer to the one call."""
        self.require_service_type(source)
        model_id = self._model_id(model)
        organization, project = self._workspace()
        self._check_options(options)
        timeout = self.job_timeout
        began = time.monotonic()
        try:
            response = self.api.extract(
                source,
                organization=organization,
                project=project,
                model=model_id,
                annotated_pages=_flag(options, "annotated_pages"),
                read_timeout=timeout,
                deadline=timeout,
            )
        except NetworkError as exc:
            if time.monotonic() - began < timeout:
                raise
            raise JobTimeoutError(
                f"DeepOpinion did not finish extracting {source.name} within {timeout:g} s",
                hint=f"Raise {setting('timeout')} (DOCRELAY_TIMEOUT). DeepOpinion extracts synchronously, "
                "so there is "
                "no job to resume: run the command again",
                provider=NAME,
            ) from exc
        key = uuid.uuid4().hex
        return normalize_extraction(
            response, DocumentInfo.from_source(source), model=model_id, prediction_id=PREDICTION_PREFIX + key
        )

    # -- human in the loop -----------------------------------------------------------------------
    def open_review(self, result: Result, job: JobHandle | None, title: str | None = None) -> ReviewTicket:
        """Find the HITL reviews DeepOpinion opened for this extraction; it opens none on request."""
        _, project = self._workspace()
        if not result.extras.get("review_required"):
            return ReviewTicket("hitl", {}, None, status=NOT_STARTED)
        hitl = choose_hitl(self.api.list_hitls(project), result.model, self.settings.get("hitl"))
        hitl_id = str(hitl.get("id"))
        reviews = self.api.list_hitl_reviews(project, hitl_id, full=False)
        document_id = document_under_review(reviews, result.document.name)
        link = review_link(self.settings.get("review_url"), HITL_LINK, project=project, hitl=hitl_id)
        return ReviewTicket("hitl", {"project": project, "hitl": hitl_id, "document_id": document_id}, link)

    def review_state(self, handle: ReviewHandle) -> ReviewState:
        project, hitl = str(handle.ref.get("project")), str(handle.ref.get("hitl"))
        return review_state(handle, self.api.list_hitl_reviews(project, hitl, full=True))

    def finish_review(self, handle: ReviewHandle) -> str:
        raise UsageError(
            "DeepOpinion closes a HITL review when the reviewer submits it in Studio: nothing to complete",
            hint="Use Wait For Review (`docrelay review wait`) to read the reviewed values.",
            provider=NAME,
        )

    def _check_options(self, options: PredictOptions) -> None:
        if options.pages or options.max_pages:
            raise UsageError(
                "DeepOpinion has no page selection",
                hint="Leave out --pages, or split the document before sending it.",
                provider=NAME,
            )
        unknown = sorted(set(options.extra) - set(KNOWN_OPTIONS))
        if unknown:
            raise UsageError(
                f"Unknown DeepOpinion options: {', '.join(unknown)}",
                hint=f"DeepOpinion takes: {', '.join(KNOWN_OPTIONS)} (e.g. --option annotated_pages=true).",
                provider=NAME,
            )

    # -- text analysis ---------------------------------------------------------------------------
    def analyze_text(
        self,
        texts: Sequence[str],
        model: str | None,
        *,
        split: bool = True,
        ids: Sequence[str] | None = None,
        document: DocumentInfo | None = None,
    ) -> Result:
        model_id = self._model_id(model)
        if not texts:
            raise InputError("No text to analyze", hint="Give at least one non-empty text.", provider=NAME)
        organization = str(self.settings.get("organization") or "").strip() or None
        replies = [
            self.api.analyze(
                texts[i : i + ANALYZE_BATCH], model=model_id, split=split, organization=organization
            )
            for i in range(0, len(texts), ANALYZE_BATCH)
        ]
        # The replies' documents, joined in order, line up with `texts` (and so with `ids`).
        labels = list(ids) if ids is not None else [str(i) for i in range(len(texts))]
        return normalize_analysis(replies, document or DocumentInfo(name="text"), model=model_id, ids=labels)

    # -- service information ---------------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        models: list[ModelInfo] = []
        for model in self.api.list_models():
            if model.get("id") is None:
                continue
            models.append(
                ModelInfo(
                    id=str(model["id"]),
                    name=model.get("display_name") or model.get("name"),
                    description=model.get("short_description"),
                    provider=NAME,
                    extras={
                        k: model.get(k)
                        for k in ("project_id", "type", "status", "language", "name")
                        if model.get(k) is not None
                    },
                )
            )
        return models

    def check(self) -> list[CheckResult]:
        checks: list[CheckResult] = []
        try:
            organization, project = self._workspace()
            checks.append(
                CheckResult(
                    name="workspace", ok=True, detail=f"organization {organization}, project {project}"
                )
            )
        except ConfigError as exc:
            checks.append(
                CheckResult(name="workspace", ok=False, detail=exc.full_message, error_type=exc.type)
            )
        step = "credentials"
        try:
            api = self.api
            auth = api.http.auth
            assert isinstance(auth, DeepopinionAuth)
            auth.token()
            how = f"logged in as {auth.email}" if auth.login_count else "a ready token"
            checks.append(CheckResult(name="credentials", ok=True, detail=how))
            step = "service"
            next(iter(api.list_models(limit=1)), None)
            checks.append(CheckResult(name="service", ok=True, detail=f"reached {api.http.base_url}"))
        except DocRelayError as exc:
            checks.append(CheckResult(name=step, ok=False, detail=exc.full_message, error_type=exc.type))
        return checks
