"""Typed calls of the DeepOpinion Studio API that docrelay uses, over one HttpClient.

DeepOpinion publishes no machine-readable spec; the paths below come from its API reference and the
generated Studio client (v1.6.2), and are kept in one table so that a correction is a one-line change.
Calls return the service's JSON (dicts) unchanged; normalizing is normalize.py's job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from core.errors import AuthError, QuotaExceededError, ServiceError
from core.providers.deepopinion.auth import LoginRefused
from core.sources import DocumentSource
from core.transport import HttpClient

PATHS: Mapping[str, str] = {
    # Extraction: multipart `file`, query return_bboxes / return_annotated_pages ("true"/"false").
    "extract": "/organizations/{organization}/projects/{project}/models/{model}",
    # Ad-hoc text analysis: workspace-scoped in newer Studio versions, global in v1.6.2.
    "analyze_in_workspace": "/organizations/{organization}/analyze",
    "analyze": "/analyze",
    "models": "/models",
    # Human in the loop (seed: "Get all project's HITLs", "List HITL reviews based on HITL ID"); the
    # seed names parameters, not paths: these follow its /projects/{p}/... resources (an inference).
    "hitls": "/projects/{project}/hitls",
    "hitl_reviews": "/projects/{project}/hitls/{hitl}/reviews",
}
MODELS_PAGE_SIZE = 100
MAX_MODEL_PAGES = 50
# No documented limit on ad-hoc analysis; modest requests keep each call's time and size bounded.
ANALYZE_BATCH = 100

_TOKEN_HINT = (
    "The token is missing or has expired: set email and password (DOCRELAY_DEEPOPINION_EMAIL, "
    "DOCRELAY_DEEPOPINION_PASSWORD) so docrelay can log in by itself, or set a new "
    "DOCRELAY_DEEPOPINION_TOKEN; if the service wants the bare token, set token_prefix=none"
)


def classify(response: Any) -> QuotaExceededError | None:
    """402: the workspace has no credits left; waiting or retrying will not help."""
    if response.status_code == 402:
        from core.transport import service_message

        return QuotaExceededError(
            f"DeepOpinion refused the request for lack of credits (HTTP 402): {service_message(response)}",
            hint="Top up the workspace's credits in DeepOpinion Studio, then run again.",
            provider="deepopinion",
        )
    return None


def _text_flag(value: bool) -> str:
    return "true" if value else "false"


class DeepopinionApi:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            reply = self.http.request_json(method, path, **kwargs)
        except AuthError as exc:
            if exc.status == 401 and not isinstance(exc, LoginRefused):
                raise AuthError(
                    f"DeepOpinion refused the credentials (HTTP 401): {exc.message}",
                    hint=_TOKEN_HINT,
                    provider="deepopinion",
                    status=401,
                    request_id=exc.request_id,
                ) from None
            raise
        if not isinstance(reply, dict):
            raise ServiceError(
                f"DeepOpinion answered {method} {path} with {type(reply).__name__}, not a JSON object",
                hint="Check url: it must be the Studio API (e.g. https://api.deepopinion.ai); "
                "if it is, try again later",
                provider="deepopinion",
            )
        return reply

    # -- extraction ----------------------------------------------------------------------------
    def extract(
        self,
        source: DocumentSource,
        *,
        organization: str,
        project: str,
        model: str,
        annotated_pages: bool = False,
        read_timeout: float | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """Upload one file to the model and get its extraction, synchronously."""
        path = PATHS["extract"].format(organization=organization, project=project, model=model)

        def files() -> dict[str, Any]:
            return {"file": (source.upload_name, source.open_stream(), source.content_type)}

        return self._json(
            "POST",
            path,
            params={"return_bboxes": _text_flag(True), "return_annotated_pages": _text_flag(annotated_pages)},
            files=files,
            read_timeout=read_timeout,
            deadline=deadline,
        )

    # -- human in the loop -----------------------------------------------------------------------
    def list_hitls(self, project: str) -> list[dict[str, Any]]:
        return self._list(PATHS["hitls"].format(project=project))

    def list_hitl_reviews(self, project: str, hitl: str, *, full: bool = True) -> list[dict[str, Any]]:
        path = PATHS["hitl_reviews"].format(project=project, hitl=hitl)
        return self._list(path, params={"with_full_data": _text_flag(full)})

    def _list(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        reply = self.http.request_json("GET", path, **kwargs)
        if not isinstance(reply, list) or not all(isinstance(item, dict) for item in reply):
            raise ServiceError(
                f"DeepOpinion answered GET {path} with {type(reply).__name__}, not a list of objects",
                hint="Check url: it must be the Studio API; if it is, try again later",
                provider="deepopinion",
            )
        return reply

    # -- text analysis ---------------------------------------------------------------------------
    def analyze(
        self, texts: Sequence[str], *, model: str, split: bool, organization: str | None
    ) -> dict[str, Any]:
        """Ad-hoc analysis: documents of text -> segments -> tags. Ids are the positions in `texts`."""
        path = (
            PATHS["analyze_in_workspace"].format(organization=organization)
            if organization
            else PATHS["analyze"]
        )
        body = {
            "documents": [{"text": text, "id": index} for index, text in enumerate(texts)],
            "model_id": int(model),
            "split": split,
        }
        return self._json("POST", path, json=body)

    # -- models ------------------------------------------------------------------------------------
    def list_models(self, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every model the user may see, following offset/limit paging until `has_more` is false."""
        offset = 0
        count = 0
        for _ in range(MAX_MODEL_PAGES):
            page_size = MODELS_PAGE_SIZE if limit is None else min(MODELS_PAGE_SIZE, limit)
            page = self._json("GET", PATHS["models"], params={"offset": offset, "limit": page_size})
            models = page.get("models")
            items = [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []
            for model in items:
                yield model
                count += 1
                if limit is not None and count >= limit:
                    return
            if not page.get("has_more") or not items:
                return
            offset += len(items)
