"""The Cradl (Lucidtech) provider: documents, predictions, models and human-review workflows."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from core.errors import AuthError, ConfigError, DocRelayError, InputError, NotFoundError, UsageError
from core.hints import setting
from core.models import CheckResult, DocumentInfo, JobHandle, ModelInfo, Result, Review
from core.providers.base import Capabilities, JobStatus, PredictOptions, option_flag
from core.providers.cradl.agents import AWAITING_REVIEW, normalize_run, run_outcome, split_run_id
from core.providers.cradl.api import PUBLIC_OWNER, CradlApi, classify
from core.providers.cradl.credentials import cradl_fallbacks
from core.providers.cradl.normalize import merge_pages, normalize_prediction
from core.providers.cradl.reviews import (
    AGENT_LINK,
    WORKFLOW_LINK,
    agent_review_state,
    ground_truth,
    review_from_execution,
    review_link,
    split_review_id,
    workflow_review_state,
)
from core.providers.remote import RemoteProvider
from core.review.handle import ReviewHandle
from core.review.outcome import ReviewState, ReviewTicket
from core.sources import DocumentSource
from core.transport import AuthStrategy, BearerToken, Classifier, HttpClient

log = logging.getLogger("docrelay.cradl")

DEFAULT_API_URL = "https://api.lucidtech.ai/v1"
DEFAULT_AUTH_URL = "https://auth.lucidtech.ai/oauth2/token"
# Apps of the new Cradl app sign in at auth.cradl.ai and are served by api.cradl.ai.
CRADL_APP_API_URL = "https://api.cradl.ai/v1"
MAX_WALKED_PAGES = 100
# find_prediction looks at most this many of a model's newest predictions.
MAX_FIND_SCAN = 5000

# PredictOptions.extra keys -> where they go in POST /predictions
_PREPROCESS_KEYS = {
    "auto_rotate": "autoRotate",
    "image_quality": "imageQuality",
    "rotation": "rotation",
    "start_page": "startPage",
}
_KNOWN_EXTRA = {*_PREPROCESS_KEYS, "strategy", "n", "collapse", "output_format", "walk_pages", "async"}


def service_time(value: Any) -> datetime | None:
    """A Cradl timestamp (ISO 8601, `Z` or `+00:00` or `+0000`) as an aware datetime; None if unreadable."""
    text = str(value or "").strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _boolean(options: dict[str, Any], name: str, default: bool) -> bool:
    return option_flag(options, name, default, provider="cradl")


def postprocess_config(extra: dict[str, Any]) -> dict[str, Any] | None:
    """`postprocessConfig` only when an option asks for one: without it the model's own applies.

    `n` or `collapse` alone mean BEST_N_PAGES (they mean nothing else); `output_format` alone
    needs a strategy (the spec requires one), and BEST_FIRST is the service's default.
    """
    asked = {key for key in ("strategy", "n", "collapse", "output_format") if key in extra}
    if not asked:
        return None
    paged = "n" in extra or "collapse" in extra
    strategy = str(extra.get("strategy") or ("BEST_N_PAGES" if paged else "BEST_FIRST")).upper()
    if strategy not in ("BEST_FIRST", "BEST_N_PAGES"):
        raise UsageError(
            f"Unknown Cradl strategy {strategy!r}",
            hint="Use strategy=BEST_FIRST or strategy=BEST_N_PAGES (with n=1..100).",
            provider="cradl",
        )
    if strategy == "BEST_FIRST" and paged:
        raise UsageError(
            "The options n and collapse belong to strategy BEST_N_PAGES, not BEST_FIRST",
            hint="Drop strategy=BEST_FIRST, or use strategy=BEST_N_PAGES.",
            provider="cradl",
        )
    config: dict[str, Any] = {"strategy": strategy}
    if "output_format" in extra:
        config["outputFormat"] = str(extra["output_format"])
    if strategy == "BEST_N_PAGES":
        config["parameters"] = {
            "n": int(extra.get("n", 3)),
            "collapse": _boolean(extra, "collapse", True),
        }
    return config


def prediction_body(document_id: str, model: str, options: PredictOptions) -> dict[str, Any]:
    """The POST /predictions body for these options; unknown option names are refused."""
    extra = dict(options.extra)
    unknown = set(extra) - _KNOWN_EXTRA
    if unknown:
        raise UsageError(
            f"Unknown Cradl prediction options: {', '.join(sorted(unknown))}",
            hint=f"Cradl takes: {', '.join(sorted(_KNOWN_EXTRA))}.",
            provider="cradl",
        )
    preprocess: dict[str, Any] = {}
    if options.pages:
        preprocess["pages"] = list(options.pages)
    if options.max_pages:
        preprocess["maxPages"] = int(options.max_pages)
    for key, name in _PREPROCESS_KEYS.items():
        if key in extra:
            value = extra[key]
            preprocess[name] = (
                _boolean(extra, key, False)
                if key == "auto_rotate"
                else str(value).upper()
                if key == "image_quality"
                else int(value)
            )
    postprocess = postprocess_config(extra)
    body: dict[str, Any] = {
        "documentId": document_id,
        "modelId": model,
        "async": _boolean(extra, "async", True),
    }
    if postprocess:
        body["postprocessConfig"] = postprocess
    if _boolean(extra, "walk_pages", False):
        preprocess.setdefault("startPage", 0)
    if preprocess:
        body["preprocessConfig"] = preprocess
    return body


class CradlProvider(RemoteProvider[CradlApi]):
    name: ClassVar[str] = "cradl"
    capabilities: ClassVar[Capabilities] = Capabilities(
        upload=True,
        async_jobs=True,
        page_selection=True,
        boxes=True,
        confidence=True,
        line_items=True,
        human_review=True,
        feedback=True,
        delete=True,
        models_listing=True,
    )
    url_setting: ClassVar[str] = "api_url"
    default_url: ClassVar[str] = DEFAULT_API_URL
    setting_names: ClassVar[tuple[str, ...]] = (
        "client_id",
        "client_secret",
        "api_url",
        "auth_url",
        "access_token",
        "review_workflow",
        "review_url",
    )
    secret_settings: ClassVar[tuple[str, ...]] = ("client_secret", "access_token")

    def __init__(self, settings: Mapping[str, Any], *, timeout: float | None = None) -> None:
        super().__init__(settings, timeout=timeout)
        self._at_hand: dict[str, dict[str, Any]] = {}  # finished POST /predictions answers, until polled

    @classmethod
    def fallback_settings(cls, env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
        return cradl_fallbacks(env)

    # -- plumbing ------------------------------------------------------------------------------
    def service_url(self) -> str:
        """api_url if set; else the API host that goes with the token URL's app."""
        if self.settings.get("api_url"):
            return str(self.settings["api_url"])
        from core.providers.cradl.auth import token_request_style

        auth_url = str(self.settings.get("auth_url") or DEFAULT_AUTH_URL)
        return CRADL_APP_API_URL if token_request_style(auth_url)[0] == "form" else DEFAULT_API_URL

    def classifier(self) -> Classifier:
        return classify

    def make_api(self, http: HttpClient) -> CradlApi:
        return CradlApi(http)

    def build_auth(self, http: HttpClient) -> AuthStrategy:
        token = self.settings.get("access_token")
        if token:
            return BearerToken(str(token))
        client_id, client_secret = self.settings.get("client_id"), self.settings.get("client_secret")
        if not client_id or not client_secret:
            missing = "client_id" if not client_id else "client_secret"
            raise ConfigError(
                f"Cradl needs credentials: {missing} is not set",
                hint="Set DOCRELAY_CRADL_CLIENT_ID and DOCRELAY_CRADL_CLIENT_SECRET (or "
                "`docrelay config set client_id ... --provider cradl` and "
                "`docrelay config set-secret client_secret --stdin --provider cradl`), "
                "or a ready token in DOCRELAY_CRADL_ACCESS_TOKEN",
                provider="cradl",
            )
        from core.providers.cradl.auth import CradlClientCredentials

        token_client = http.sibling(self.settings.get("auth_url") or DEFAULT_AUTH_URL)
        return CradlClientCredentials(token_client, str(client_id), str(client_secret))

    def resolve_model(self, model: str | None) -> str | None:
        if not model:
            raise UsageError(
                "Cradl needs a model id",
                hint=f"Pass {setting('model')} (e.g. las:model:abc123, or a public one such as "
                "las:organization:cradl/las:model:invoice); `docrelay models --provider cradl` lists them.",
                provider="cradl",
            )
        return model

    # -- the steps -----------------------------------------------------------------------------
    def upload(self, source: DocumentSource) -> DocumentInfo:
        self.require_service_type(source)
        document = self.api.create_document(source)
        return DocumentInfo.from_source(
            source,
            id=str(document.get("documentId")),
        )

    def start_prediction(
        self, document: DocumentInfo, source: DocumentSource, model: str | None, options: PredictOptions
    ) -> JobHandle:
        model_id = self.resolve_model(model)
        assert model_id is not None and document.id is not None
        body = prediction_body(document.id, model_id, options)
        prediction = self.api.create_prediction(body)
        job = self._handle(document, body, prediction)
        final = str(prediction.get("status") or "succeeded") in ("succeeded", "failed")
        if final and prediction.get("predictions") is not None and job.prediction_id:
            # A synchronous prediction (option async=false) came back finished: no GET needed for it.
            self._at_hand[job.prediction_id] = prediction
        return job

    def first_poll_delay(self, job: JobHandle, default: float) -> float:
        return 0.0 if job.prediction_id in self._at_hand else default

    def _handle(self, document: DocumentInfo, body: dict[str, Any], prediction: dict[str, Any]) -> JobHandle:
        state: dict[str, Any] = {"walk": "startPage" in body.get("preprocessConfig", {})}
        if state["walk"]:
            state["body"] = {k: v for k, v in body.items() if k != "async"}
        return JobHandle(
            provider=self.name,
            model=str(body["modelId"]),
            document_id=document.id,
            prediction_id=str(prediction.get("predictionId")),
            document=document,
            state=state,
        )

    finds_predictions: ClassVar[bool] = True

    def find_prediction(
        self, document: DocumentInfo, model: str | None, options: PredictOptions
    ) -> JobHandle | None:
        """The first-page prediction of this document by this model, if one exists.

        Cradl lists predictions by model, newest first, but not by document. The document's own
        `createdTime` bounds the walk: a prediction of it cannot be older, and comparing two times
        from the service's clock is immune to skew between our clock and Cradl's.
        """
        model_id = self.resolve_model(model)
        assert model_id is not None and document.id is not None
        body = prediction_body(document.id, model_id, options)
        created = service_time(self.api.get_document(document.id).get("createdTime"))
        listing = self.api.list_predictions(
            modelId=model_id, order="descending", sortBy="createdTime", limit=MAX_FIND_SCAN
        )
        for prediction in listing:
            moment = service_time(prediction.get("createdTime"))
            if created and moment and moment < created:
                break
            if prediction.get("documentId") != document.id:
                continue
            started = prediction.get("preprocessConfig") or {}
            if int(started.get("startPage") or 0) == 0:  # not a later step of a page walk
                return self._handle(document, body, prediction)
        return None

    # -- agents ----------------------------------------------------------------------------------
    def submit_to_agent(self, source: DocumentSource, agent: str, options: PredictOptions) -> JobHandle:
        """Start an agent run and give it the document; the run id is the job's prediction id."""
        if options.pages or options.max_pages or options.extra:
            raise UsageError(
                "An agent runs with its own settings: --pages, --max-pages and --option do not apply",
                hint="Change the agent's settings in the Cradl app, or predict with --model instead.",
                provider="cradl",
            )
        run = self.api.create_agent_run(agent)
        agent_id, run_id = str(run.get("agentId") or agent), str(run.get("runId"))
        full_id = f"{agent_id}/{run_id}"  # the vendor's own integrations build agentRunId so
        try:
            document = self.api.create_document(source, agentRunId=full_id)
        except BaseException:
            self._delete_run_quietly(agent_id, run_id)
            raise
        info = DocumentInfo(
            source=source.source,
            name=source.name,
            sha256=source.sha256,
            content_type=source.content_type,
            size=source.size,
            id=str(document.get("documentId")),
        )
        return JobHandle(
            provider=self.name,
            model=agent_id,
            document_id=info.id,
            prediction_id=full_id,
            document=info,
            state={"agent": True},
        )

    def _delete_run_quietly(self, agent_id: str, run_id: str) -> None:
        try:
            self.api.delete_agent_run(agent_id, run_id)
        except Exception:  # the upload's own error is the one to report
            log.warning("could not delete the agent run %s", run_id)

    def _agent_result(self, job: JobHandle, run: dict[str, Any]) -> Result:
        readable = run_outcome(run) == "succeeded" or run.get("status") == AWAITING_REVIEW
        variables = self.api.agent_run_variables(run) if readable else None
        return normalize_run(run, variables, job.document)

    def _agent_run(self, job: JobHandle) -> dict[str, Any]:
        return self.api.get_agent_run(*split_run_id(self._prediction_id(job)))

    def poll(self, job: JobHandle) -> JobStatus:
        if job.state.get("agent"):
            run = self._agent_run(job)
            outcome = run_outcome(run)
            if outcome == "pending":
                return JobStatus(status="pending", awaiting_review=run.get("status") == AWAITING_REVIEW)
            return JobStatus(status=outcome, result=self._agent_result(job, run))
        prediction = self._prediction(job)
        status = str(prediction.get("status") or "succeeded")
        if status not in ("succeeded", "failed"):
            return JobStatus(status="pending")
        return JobStatus(status=status, result=self._finish(job, prediction))

    def fetch_result(self, job: JobHandle) -> Result:
        if job.state.get("agent"):
            return self._agent_result(job, self._agent_run(job))
        return self._finish(job, self._prediction(job))

    def _prediction(self, job: JobHandle) -> dict[str, Any]:
        answered = self._at_hand.pop(self._prediction_id(job), None)
        return answered if answered is not None else self.api.get_prediction(self._prediction_id(job))

    def _prediction_id(self, job: JobHandle) -> str:
        if not job.prediction_id:
            raise UsageError("This job handle has no prediction id", hint="Submit the document again.")
        return job.prediction_id

    def _finish(self, job: JobHandle, prediction: dict[str, Any]) -> Result:
        """Normalize; when a page walk was asked for, fetch the remaining pages first (synchronously)."""
        pages = [prediction]
        next_page = prediction.get("nextPage")
        if job.state.get("walk") and prediction.get("status") != "failed":
            body = dict(job.state.get("body") or {})
            while isinstance(next_page, int) and len(pages) < MAX_WALKED_PAGES:
                body["preprocessConfig"] = {**body.get("preprocessConfig", {}), "startPage": next_page}
                page = self.api.create_prediction({**body, "async": False})
                pages.append(page)
                next_page = page.get("nextPage")
        combined = dict(prediction)
        if len(pages) > 1:
            combined["predictions"] = merge_pages(p.get("predictions") for p in pages)
            combined["nextPage"] = next_page
        raw = prediction if len(pages) == 1 else {"pages": pages}
        document = job.document.model_copy(
            update={"pages": job.document.pages or (len(pages) if len(pages) > 1 else None)}
        )
        return normalize_prediction(combined, document, raw=raw)

    # -- service information -------------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        """Own models, then Cradl's public ones under the id a prediction needs (`<org>/<model>`)."""
        found: dict[str, ModelInfo] = {}
        for owner in (None, PUBLIC_OWNER):
            for model in self.api.list_models(owner=owner):
                model_id = str(model.get("modelId"))
                if owner and "/" not in model_id:
                    model_id = f"{model.get('organizationId') or owner}/{model_id}"
                found.setdefault(
                    model_id,
                    ModelInfo(
                        id=model_id,
                        name=model.get("name"),
                        description=model.get("description"),
                        provider=self.name,
                        fields=sorted((model.get("fieldConfig") or {}).keys()),
                        field_types=field_types(model.get("fieldConfig") or {}),
                        extras={"owner": "public" if owner else "own", "status": model.get("status")},
                    ),
                )
        return [*found.values(), *self._agents()]

    def _agents(self) -> list[ModelInfo]:
        """Agents (`--agent`); accounts of the older Lucidtech app have none and may refuse the call."""
        try:
            agents = list(self.api.list_agents())
        except (NotFoundError, AuthError, InputError) as exc:
            log.info("no agents listed: %s", exc.message)
            return []
        return [
            ModelInfo(
                id=str(agent.get("agentId")),
                name=agent.get("name"),
                description=agent.get("description"),
                provider=self.name,
                fields=[],
                extras={"kind": "agent", "use": "--agent"},
            )
            for agent in agents
        ]

    def check(self) -> list[CheckResult]:
        checks: list[CheckResult] = []
        try:
            api = self.api
            checks.append(CheckResult(name="credentials", ok=True, detail=self._credential_kind()))
            next(iter(api.list_models(limit=1)), None)
            checks.append(CheckResult(name="service", ok=True, detail=f"reached {api.http.base_url}"))
        except DocRelayError as exc:
            name = "credentials" if not checks else "service"
            checks.append(CheckResult(name=name, ok=False, detail=exc.full_message, error_type=exc.type))
        return checks

    def _credential_kind(self) -> str:
        if self.settings.get("access_token"):
            return "a ready access token"
        return f"client credentials for {self.settings.get('auth_url') or DEFAULT_AUTH_URL}"

    # -- human review (workflows) ----------------------------------------------------------------
    def start_review(self, document: DocumentInfo, workflow: str, title: str | None = None) -> Review:
        assert document.id is not None
        execution = self.api.start_execution(workflow, document.id, title or document.name)
        return review_from_execution(execution, workflow)

    def get_review(self, review_id: str) -> Review:
        workflow, execution = split_review_id(review_id)
        return review_from_execution(self.api.get_execution(workflow, execution), workflow)

    def list_reviews(
        self, workflow: str, status: str | None = None, limit: int | None = None
    ) -> list[Review]:
        return [
            review_from_execution(e, workflow)
            for e in self.api.list_executions(workflow, status=status, limit=limit)
        ]

    def complete_review(self, review_id: str) -> Review:
        workflow, execution = split_review_id(review_id)
        return review_from_execution(self.api.complete_execution(workflow, execution), workflow)

    # -- results routed to review, feedback, deletion --------------------------------------------
    def open_review(self, result: Result, job: JobHandle | None, title: str | None = None) -> ReviewTicket:
        """An agent run waiting at its validation task is the review; otherwise the document goes
        through the review workflow (setting review_workflow)."""
        template = self.settings.get("review_url")
        if job is not None and job.state.get("agent") and job.prediction_id:
            agent, run = split_run_id(job.prediction_id)
            if self.api.get_agent_run(agent, run).get("status") == AWAITING_REVIEW:
                link = review_link(template, AGENT_LINK, agent=agent, run=run, document_id=job.document_id)
                return ReviewTicket("agent", {"run": job.prediction_id}, link)
        workflow = self.settings.get("review_workflow")
        if not workflow:
            raise ConfigError(
                "Cradl reviews run as a workflow execution, and review_workflow is not set",
                hint="Set DOCRELAY_CRADL_REVIEW_WORKFLOW to a workflow with a human validation step "
                "(or `docrelay config set review_workflow las:workflow:... --provider cradl`)",
                provider="cradl",
            )
        if not result.document.id:
            raise UsageError("This result has no Cradl document id to review", provider="cradl")
        execution = self.api.start_execution(str(workflow), result.document.id, title or result.document.name)
        execution_id = str(execution.get("executionId"))
        link = review_link(
            template, WORKFLOW_LINK, workflow=workflow, execution=execution_id, document_id=result.document.id
        )
        return ReviewTicket("workflow", {"workflow": str(workflow), "execution": execution_id}, link)

    def review_state(self, handle: ReviewHandle) -> ReviewState:
        if handle.kind == "agent":
            agent, run_id = split_run_id(str(handle.ref.get("run")))
            run = self.api.get_agent_run(agent, run_id)
            finished = run_outcome(run) == "succeeded"
            return agent_review_state(handle, run, self.api.agent_run_variables(run) if finished else None)
        execution = self.api.get_execution(str(handle.ref.get("workflow")), str(handle.ref.get("execution")))
        return workflow_review_state(handle, execution)

    def finish_review(self, handle: ReviewHandle) -> str:
        if handle.kind == "agent":
            raise UsageError(
                "An agent run goes on to its export by itself once reviewed: there is nothing to complete",
                hint="Use Wait For Review (`docrelay review wait`) to read the reviewed values.",
                provider="cradl",
            )
        workflow, execution = str(handle.ref.get("workflow")), str(handle.ref.get("execution"))
        return str(self.api.complete_execution(workflow, execution).get("status") or "completed")

    def send_feedback(self, document: DocumentInfo, values: Mapping[str, str | None]) -> dict[str, Any]:
        """The document's ground truth (PATCH /documents/{id}), used by Cradl to train models."""
        items = ground_truth(values)
        if not document.id:
            raise UsageError("No Cradl document id to send feedback for", provider="cradl")
        self.api.update_document(document.id, groundTruth=items)
        return {"document_id": document.id, "ground_truth": len(items)}

    def delete_document(self, document: DocumentInfo) -> None:
        if document.id:
            self.api.delete_document(document.id)


def field_types(field_config: dict[str, Any]) -> dict[str, str]:
    """Types from a Cradl fieldConfig: {"total": "amount", "items": "lines", "items.text": "string"}."""
    types: dict[str, str] = {}
    for key, entry in field_config.items():
        if not isinstance(entry, dict):
            continue
        types[key] = str(entry.get("type") or "")
        for column, sub in (entry.get("fields") or {}).items():
            if isinstance(sub, dict):
                types[f"{key}.{column}"] = str(sub.get("type") or "")
    return types
