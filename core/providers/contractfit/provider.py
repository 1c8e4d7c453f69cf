"""The contract.fit provider: inboxes are the models; a document is uploaded into one and processed there.

contract.fit has no separate "start a prediction" call: the upload into an inbox starts processing.
So `upload()` only describes the document, and `start_prediction()` sends it with the inbox (the
model) and the options. By default that is `POST /documents/{inbox_id}` with `sync=false`, then
`GET /documents/{id}` with a small X-Fields mask per poll and one full GET when it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from core.errors import AuthError, ConfigError, DocRelayError, ServiceError, UsageError
from core.hints import setting
from core.models import CheckResult, DocumentInfo, JobHandle, ModelInfo, Result
from core.providers.base import Capabilities, JobStatus, PredictOptions, option_flag
from core.providers.contractfit.api import POLL_FIELDS, ContractfitApi, classify, document_id_from_reply
from core.providers.contractfit.normalize import document_state, done_time_of, normalize_document
from core.providers.contractfit.reviews import (
    DOCUMENT_LINK,
    FEEDBACK_VERSION,
    REVIEW_FIELDS,
    feedback_version,
    portal_url,
    review_state,
)
from core.providers.remote import RemoteProvider
from core.review.handle import ReviewHandle
from core.review.outcome import ReviewState, ReviewTicket, review_link
from core.sources import DocumentSource
from core.transport import AuthStrategy, Classifier, HttpClient

log = logging.getLogger("docrelay.contractfit")

DEFAULT_URL = "https://cfportal.contract-p.fit/api"
SIMPLE_UPLOAD_WARNING = (
    "contract.fit says the simple upload POST /documents/ 'may not be suitable for real workload': "
    "it blocks until the document is processed 'or until it timeout; in this case the document might "
    "not be correctly processed'. Prefer the default (asynchronous upload to an inbox, then polling)."
)
# PredictOptions.extra keys (`--option KEY=VALUE`) and their help text (also in the provider docs).
OPTIONS: dict[str, str] = {
    "key_value": "true: ask for the flat key-value result (key_value_flag): field -> value, no confidences",
    "sync": "true: upload to the inbox with sync=true (the call blocks until processed); contract.fit "
    "discourages it: 'you might run into timeouts and unprocessed document'",
    "sync_upload": "true: use the simple synchronous upload POST /documents/ (inbox optional: contract.fit "
    "then uses its invoice inbox). " + SIMPLE_UPLOAD_WARNING,
    "experimental": "true/false: contract.fit's 'experimental processing workflow' flag",
}
REVIEWERS = ("Machine", "Human")
_DOCUMENT_KEYS = ("inbox", "original_filename", "page_count", "status_data", "timings")


def _flag(options: Mapping[str, Any], name: str) -> bool | None:
    if name not in options:
        return None
    return option_flag(options, name, False, provider="contractfit", hint=f"{name}: {OPTIONS[name]}")


def check_options(options: PredictOptions) -> dict[str, bool]:
    """The contract.fit options as booleans; unknown names and page selection are refused."""
    unknown = sorted(set(options.extra) - set(OPTIONS))
    if unknown:
        listed = "; ".join(f"{k}: {v}" for k, v in OPTIONS.items())
        raise UsageError(
            f"Unknown contract.fit options: {', '.join(unknown)}",
            hint=f"contract.fit takes {listed}",
            provider="contractfit",
        )
    if options.pages or options.max_pages:
        raise UsageError(
            f"contract.fit processes whole documents: {setting('pages')} is not supported",
            hint="Drop the page options, or split the PDF before sending it.",
            provider="contractfit",
        )
    flags = {name: _flag(options.extra, name) for name in OPTIONS}
    return {name: value for name, value in flags.items() if value is not None}


def _looks_like_document(reply: Any) -> bool:
    """A DocumentModelGet, as opposed to a bare prediction mapping that may hold a field named id."""
    return (
        isinstance(reply, dict)
        and document_id_from_reply({"id": reply.get("id")}) is not None
        and any(key in reply for key in _DOCUMENT_KEYS)
    )


class ContractfitProvider(RemoteProvider[ContractfitApi]):
    name: ClassVar[str] = "contractfit"
    capabilities: ClassVar[Capabilities] = Capabilities(
        upload=True,
        async_jobs=True,
        page_selection=False,
        boxes=False,
        confidence=False,
        line_items=True,
        human_review=True,
        feedback=True,
        delete=True,
        text_analysis=False,
        models_listing=True,
    )
    default_url: ClassVar[str] = DEFAULT_URL
    setting_names: ClassVar[tuple[str, ...]] = (
        "url",
        "api_key",
        "username",
        "password",
        "inbox",
        "auth_method",
        "token_prefix",
        "review_url",
    )
    secret_settings: ClassVar[tuple[str, ...]] = ("api_key", "password")

    def __init__(self, settings: Mapping[str, Any], *, timeout: float | None = None) -> None:
        super().__init__(settings, timeout=timeout)
        # Sync uploads answer with the processed document: kept here so polling needs no call.
        self._at_hand: dict[str, dict[str, Any]] = {}  # answers already known, until polled

    # -- plumbing ------------------------------------------------------------------------------------
    def classifier(self) -> Classifier:
        return classify

    def build_auth(self, http: HttpClient) -> AuthStrategy:
        from core.providers.contractfit.auth import build_auth

        return build_auth(self.settings, http)

    def make_api(self, http: HttpClient) -> ContractfitApi:
        return ContractfitApi(http)

    @property
    def _wait_seconds(self) -> float:
        return float(self.timeout or self.settings.get("timeout") or 300.0)

    def resolve_model(self, model: str | None) -> str | None:
        """The inbox: --model, else the `inbox` setting; None is allowed only for the simple upload."""
        chosen = model or self.settings.get("inbox")
        return str(chosen).strip() if chosen else None

    def _require_inbox(self, inbox: str | None) -> str:
        if inbox:
            return inbox
        raise ConfigError(
            "contract.fit needs an inbox to upload into",
            hint=f"Pass {setting('model', 'INBOX_ID')} or set DOCRELAY_CONTRACTFIT_INBOX "
            "(`docrelay models --provider contractfit` lists the inboxes); "
            f"{setting('option', 'sync_upload=true')} uses the service's invoice inbox",
            provider="contractfit",
        )

    # -- the steps -----------------------------------------------------------------------------------
    def upload(self, source: DocumentSource) -> DocumentInfo:
        """Describe the document; the bytes go out in start_prediction, into the chosen inbox."""
        self.require_service_type(source)
        return DocumentInfo.from_source(source)

    def start_prediction(
        self, document: DocumentInfo, source: DocumentSource, model: str | None, options: PredictOptions
    ) -> JobHandle:
        flags = check_options(options)
        key_value = flags.get("key_value", False)
        experimental = flags.get("experimental")
        if flags.get("sync_upload"):
            log.warning("contract.fit: %s", SIMPLE_UPLOAD_WARNING)
            reply = self.api.simple_upload(
                source,
                inbox_id=model,
                key_value=key_value,
                experimental=experimental,
                wait_seconds=self._wait_seconds,
            )
            return self._sync_job(document, model, reply, "simple")
        inbox = self._require_inbox(model)
        sync = flags.get("sync", False)
        reply = self.api.upload_to_inbox(
            inbox,
            source,
            sync=sync,
            key_value=key_value,
            experimental=experimental,
            wait_seconds=self._wait_seconds,
        )
        if sync:
            return self._sync_job(document, inbox, reply, "sync")
        document_id = document_id_from_reply(reply)
        if document_id is None:
            raise ServiceError(
                f"contract.fit accepted {document.name} but its reply carries no document id",
                hint="The document may still be processed in the inbox; check the inbox in the portal "
                "before sending it again",
                provider="contractfit",
            )
        return self._handle(document, inbox, document_id, {"mode": "async"})

    def _sync_job(self, document: DocumentInfo, inbox: str | None, reply: Any, mode: str) -> JobHandle:
        """The job of a synchronous upload, whose reply is normally the processed document."""
        if _looks_like_document(reply):
            document_id = str(reply["id"])
            found_inbox = str(reply.get("inbox") or inbox or "")
            if document_state(reply) == "pending":  # the service gave up waiting: poll like async
                return self._handle(document, found_inbox, document_id, {"mode": "async"})
            self._at_hand[document_id] = reply
            return self._handle(document, found_inbox, document_id, {"mode": mode})
        bare_id = document_id_from_reply(reply) if isinstance(reply, str) else None
        if bare_id is not None:
            return self._handle(document, inbox, bare_id, {"mode": "async"})
        if not isinstance(reply, dict):
            raise ServiceError(
                f"contract.fit answered the synchronous upload of {document.name} with "
                f"{type(reply).__name__}, neither a document nor a prediction",
                hint="Try the default asynchronous upload (drop the sync options)",
                provider="contractfit",
            )
        # A bare prediction (e.g. the key-value mapping) without its document: the handle carries it.
        wrapped = {"prediction": reply, "status_data": {"success": True}}
        return self._handle(document, inbox, None, {"mode": mode, "reply": wrapped})

    def _handle(
        self, document: DocumentInfo, inbox: str | None, document_id: str | None, state: dict[str, Any]
    ) -> JobHandle:
        info = document.model_copy(update={"id": document_id}) if document_id else document
        return JobHandle(
            provider=self.name, model=inbox or None, document_id=document_id, document=info, state=state
        )

    def poll(self, job: JobHandle) -> JobStatus:
        ready = self._ready_document(job)
        if ready is not None:
            return JobStatus(status=document_state(ready), result=self._result(job, ready))
        light = self.api.get_document(self._document_id(job), fields=POLL_FIELDS)
        status = document_state(light, previous_done_time=job.state.get("previous_done_time"))
        return JobStatus(status=status)

    def fetch_result(self, job: JobHandle) -> Result:
        ready = self._ready_document(job)
        if ready is not None:
            return self._result(job, ready)
        return self._result(job, self.api.get_document(self._document_id(job)))

    def _ready_document(self, job: JobHandle) -> dict[str, Any] | None:
        reply = job.state.get("reply")
        if isinstance(reply, dict):
            return reply
        # Used once: later looks read the document from the service like any other.
        return self._at_hand.pop(job.document_id or "", None)

    def _document_id(self, job: JobHandle) -> str:
        if not job.document_id:
            raise UsageError(
                "This job handle has no contract.fit document id", hint="Submit the document again."
            )
        return job.document_id

    def _result(self, job: JobHandle, document: dict[str, Any]) -> Result:
        return normalize_document(
            document, job.document, model=job.model, previous_done_time=job.state.get("previous_done_time")
        )

    # -- reprocessing (core only; not wired into the CLI) ---------------------------------------------
    def reprocess(
        self, document_id: str, *, name: str = "reprocessed", reviewer: str = "Machine"
    ) -> JobHandle:
        """Schedule `POST /documents/{id}/reprocess` and return a job to wait for like any other.

        With reviewer="Machine" the job finishes when the document shows a new `done_time`. With
        "Human" nothing is processed (the last version is renamed), so the job is finished at once.
        """
        if reviewer not in REVIEWERS:
            raise UsageError(
                f"reviewer must be Machine or Human, not {reviewer!r}",
                hint="Machine reruns processing; Human only names the last version.",
                provider="contractfit",
            )
        before = self.api.get_document(document_id, fields=POLL_FIELDS)
        reply = self.api.reprocess(document_id, name=name, reviewer=reviewer, fields=POLL_FIELDS)
        info = DocumentInfo(
            name=str(reply.get("original_filename") or before.get("original_filename") or document_id),
            id=document_id,
            pages=before.get("page_count") if isinstance(before.get("page_count"), int) else None,
        )
        state: dict[str, Any] = {"mode": "reprocess", "version": name}
        previous = done_time_of(before)
        if reviewer == "Machine" and previous is not None:
            state["previous_done_time"] = previous
        inbox = reply.get("inbox") or before.get("inbox")
        return self._handle(info, str(inbox) if inbox else None, document_id, state)

    # -- review, feedback, deletion ----------------------------------------------------------------------
    def open_review(self, result: Result, job: JobHandle | None, title: str | None = None) -> ReviewTicket:
        """The processed document already waits in its inbox for a person: nothing to start."""
        document_id = result.document.id or (job.document_id if job else None)
        if not document_id:
            raise UsageError(
                f"{result.document.name} has no contract.fit document id to review",
                hint="Upload it to an inbox (the default asynchronous upload) to review it",
                provider="contractfit",
            )
        portal = portal_url(str(self.settings.get("url") or DEFAULT_URL))
        link = review_link(
            self.settings.get("review_url"), DOCUMENT_LINK, portal=portal, document_id=document_id
        )
        return ReviewTicket("document", {"document_id": document_id}, link)

    def review_state(self, handle: ReviewHandle) -> ReviewState:
        document_id = str(handle.ref.get("document_id"))
        document = self.api.get_document(document_id, fields=REVIEW_FIELDS)
        submitted = isinstance(document.get("submitted"), dict) and document["submitted"].get("value") is True
        version = self.api.last_version(document_id, source="human") if submitted else None
        return review_state(handle, document, version)

    def finish_review(self, handle: ReviewHandle) -> str:
        """Archive the reviewed document, so that it leaves the inbox's queue."""
        self.api.update_status(str(handle.ref.get("document_id")), {"status_data": {"archived": True}})
        return "archived"

    def send_feedback(self, document: DocumentInfo, values: Mapping[str, str | None]) -> dict[str, Any]:
        assert document.id is not None
        self.api.send_feedback(document.id, feedback_version(values))
        return {"document_id": document.id, "version": FEEDBACK_VERSION}

    def delete_document(self, document: DocumentInfo) -> None:
        if document.id:
            self.api.delete_document(document.id)

    # -- service information ---------------------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        default = self.settings.get("inbox")
        return [
            ModelInfo(
                id=str(inbox["id"]),
                name=str(inbox["name"]) if inbox.get("name") is not None else None,
                description="contract.fit inbox",
                provider=self.name,
                extras={"project": inbox.get("project"), "default": str(inbox["id"]) == default},
            )
            for inbox in self.api.list_inboxes()
        ]

    def check(self) -> list[CheckResult]:
        from core.providers.contractfit.auth import describe_credentials

        checks: list[CheckResult] = []
        try:
            checks.append(
                CheckResult(name="credentials", ok=True, detail=describe_credentials(self.settings))
            )
            api = self.api
            inboxes = api.list_inboxes()
            checks.append(
                CheckResult(
                    name="service", ok=True, detail=f"reached {api.http.base_url}: {len(inboxes)} inbox(es)"
                )
            )
        except DocRelayError as exc:
            name = "credentials" if isinstance(exc, (ConfigError, AuthError)) else "service"
            checks = [c for c in checks if c.name != name]
            checks.append(CheckResult(name=name, ok=False, detail=exc.full_message, error_type=exc.type))
            return checks
        inbox = self.settings.get("inbox")
        if inbox:
            known = {str(i["id"]): i.get("name") for i in inboxes}
            if inbox in known:
                checks.append(CheckResult(name="inbox", ok=True, detail=f"{inbox} ({known[inbox]})"))
            else:
                checks.append(
                    CheckResult(
                        name="inbox",
                        ok=False,
                        detail=f"inbox {inbox} is not among the {len(known)} these credentials can see. "
                        "`docrelay models --provider contractfit` lists them",
                        error_type="not_found",
                    )
                )
        return checks
