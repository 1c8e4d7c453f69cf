"""The one interface every provider implements, and what it needs from the layers below.

A provider turns the generic steps into one service's calls: a service that works asynchronously
(`Capabilities.async_jobs`) through upload, start a prediction, poll and fetch the normalized result;
one that answers at once through the one call `extract`. Services (core.services) compose these steps
and keep the jobs of providers that answer at once (core.instantjobs); front ends only ever talk to
services.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.config.schema import parse_flag
from core.errors import UsageError
from core.hints import setting
from core.models import CheckResult, DocumentInfo, JobHandle, ModelInfo, Result, Review
from core.review.handle import ReviewHandle
from core.review.outcome import ReviewState, ReviewTicket
from core.sources import DocumentSource
from core.transport.ratelimit import AdaptiveRateLimiter, Limiter

DEFAULT_POOL_SIZE = 10


def shared_limiter(rate_limit: Any) -> Limiter:
    """The limiter for every call of one provider instance: at most `rate_limit` requests per second
    (spaced evenly, no burst, so a service-side token bucket is not overrun), slowing down on the
    service's 429s and recovering slowly (core.transport.ratelimit.AdaptiveRateLimiter)."""
    return AdaptiveRateLimiter(float(rate_limit) if rate_limit else None)


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do; the README's capability table is generated from these."""

    upload: bool = True
    async_jobs: bool = True
    page_selection: bool = False
    boxes: bool = False
    confidence: bool = False
    line_items: bool = False
    human_review: bool = False  # results can be routed to a person (`--review-below`, `review wait`)
    feedback: bool = False  # corrected values go back to the service (`docrelay feedback`)
    delete: bool = False  # a document can be deleted on the service after use (`--delete-after`)
    text_analysis: bool = False
    models_listing: bool = True
    scans: bool = True  # scanned PDFs and images (PNG, JPEG, TIFF, WebP) are read, by OCR
    e_invoices: bool = False  # the exact values of an embedded or given UBL / CII e-invoice XML


@dataclass
class PredictOptions:
    """Per-call options; providers ignore what they do not support and say so in their docs."""

    pages: list[int] | None = None
    max_pages: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        *,
        pages: str | Sequence[int] | None = None,
        max_pages: int | None = None,
        options: Iterable[str] = (),
    ) -> PredictOptions:
        """From user text: pages as "0,1,-1" (0-based; negative counts from the end), options as KEY=VALUE."""
        page_list: list[int] | None = None
        if isinstance(pages, str):
            try:
                page_list = [int(p) for p in pages.replace(" ", "").split(",") if p]
            except ValueError:
                raise UsageError(
                    f"Pages must be whole numbers separated by commas, not {pages!r}",
                    hint="E.g. --pages 0,1,-1 (0 is the first page, -1 the last).",
                ) from None
        elif pages is not None:
            page_list = [int(p) for p in pages]
        extra: dict[str, Any] = {}
        for option in options:
            key, sep, value = option.partition("=")
            if not sep or not key.strip():
                raise UsageError(
                    f"Option {option!r} is not KEY=VALUE", hint="E.g. --option strategy=BEST_N_PAGES."
                )
            extra[key.strip().replace("-", "_")] = value.strip()
        return cls(pages=page_list or None, max_pages=max_pages, extra=extra)


def option_flag(
    options: Mapping[str, Any], name: str, default: bool, *, provider: str, hint: str | None = None
) -> bool:
    """A true/false prediction option (`default` when not given); anything else is a UsageError."""
    if name not in options:
        return default
    value = options[name]
    flag = parse_flag(value)
    if flag is None:
        raise UsageError(
            f"Option {name}={value!r} is not true or false",
            hint=hint or f"E.g. --option {name}=true.",
            provider=provider,
        )
    return flag


@dataclass(frozen=True)
class JobStatus:
    """The state of a job after one poll. `result` is set when the poll already fetched it."""

    status: str  # "pending" | "succeeded" | "failed"
    result: Result | None = None
    retry_after: float | None = None
    # Pending because a person must look first (a Cradl agent run at its validation task): a front end
    # that routes to review takes the result now as needs_review instead of waiting.
    awaiting_review: bool = False


class Provider(ABC):
    """Base class of the providers. Subclasses set `name`, `capabilities` and `setting_names`."""

    name: ClassVar[str]
    title: ClassVar[str] = ""  # the service's name in messages ("DeepOpinion"); `name` when empty
    capabilities: ClassVar[Capabilities]
    # Settings this provider reads (CONTRACT section 3 names); those in `secret_settings` are masked.
    setting_names: ClassVar[tuple[str, ...]] = ()
    secret_settings: ClassVar[tuple[str, ...]] = ()
    default_model: ClassVar[str | None] = None
    # How many threads may call one instance at once (None: any number). A batch runs no more workers.
    max_workers: ClassVar[int | None] = None

    def __init__(self, settings: Mapping[str, Any], *, timeout: float | None = None) -> None:
        self.settings = dict(settings)
        self.timeout = timeout
        # One limiter shared by every call and every thread using this instance, polling included:
        # remote providers pass it (and pool_size) to their HttpClient. A batch raises pool_size to its
        # concurrency before the first call.
        self.limiter: Limiter = shared_limiter(self.settings.get("rate_limit"))
        self.pool_size = DEFAULT_POOL_SIZE

    # -- the steps -------------------------------------------------------------------------
    @abstractmethod
    def upload(self, source: DocumentSource) -> DocumentInfo:
        """Send the document (or, for a provider that answers at once, check it); return its info with
        the service's `id` set."""

    @abstractmethod
    def list_models(self) -> list[ModelInfo]:
        """Models the credentials can use."""

    # A provider with `async_jobs` implements these three; services never call them on the others.
    def start_prediction(
        self, document: DocumentInfo, source: DocumentSource, model: str | None, options: PredictOptions
    ) -> JobHandle:
        """Start predicting an uploaded document; the handle must work from another process."""
        raise self._missing_step("start_prediction")

    def poll(self, job: JobHandle) -> JobStatus:
        """One status check; never blocks for long. Waiting is the services layer's job."""
        raise self._missing_step("poll")

    def fetch_result(self, job: JobHandle) -> Result:
        """The normalized result of a finished job."""
        raise self._missing_step("fetch_result")

    # A provider without `async_jobs` implements these two.
    def extract(self, source: DocumentSource, model: str | None, options: PredictOptions) -> Result:
        """The finished result in one call, with its `prediction_id` set, for a provider that answers
        at once: services skip upload, start, poll and fetch, and keep the result only for a job
        handle (`Client.submit`)."""
        raise self._missing_step("extract")

    def repeat_model(self, model: str | None) -> str | None:
        """For a provider whose `extract` costs nothing to repeat (it runs offline), the model argument
        that chooses the same model from another process and working folder: a job whose kept result
        is gone is then answered by extracting its unchanged file again. None (the default): a repeat
        would be a paid call, so only the kept result answers."""
        return None

    def _missing_step(self, step: str) -> NotImplementedError:
        how = "through jobs" if self.capabilities.async_jobs else "at once (extract)"
        return NotImplementedError(f"provider {self.name} answers {how}: it has no {step}")

    # -- optional ----------------------------------------------------------------------------
    @classmethod
    def fallback_settings(cls, env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
        """Settings from other tools' conventions, each as (value, origin); consulted after the
        profile and before the defaults (Cradl reads its official SDKs' variables and files)."""
        return {}

    def check(self) -> list[CheckResult]:
        """Doctor checks beyond configuration: reachability, credentials, TLS."""
        return []

    def first_poll_delay(self, job: JobHandle, default: float) -> float:
        """Seconds to wait before polling a job just started: `default`, or 0 when the service's
        answer to the start was already the finished prediction."""
        return default

    # True when find_prediction can see predictions started by an earlier, interrupted call.
    finds_predictions: ClassVar[bool] = False

    def find_prediction(
        self, document: DocumentInfo, model: str | None, options: PredictOptions
    ) -> JobHandle | None:
        """The prediction already started for this uploaded document (`document.id`) and model, or None.

        A batch asks before predicting a document whose earlier start_prediction may have reached the
        service without the answer reaching us (connection lost, process killed), so that a paid
        prediction is never made twice. Providers that can list predictions override this and set
        `finds_predictions`; the default finds nothing, so the prediction is started again."""
        return None

    def resolve_model(self, model: str | None) -> str | None:
        """The model to use when the caller gave none, or a ConfigError naming the setting."""
        return model or self.default_model

    # -- agents: providers whose service runs documents through agents override this -------------
    def submit_to_agent(self, source: DocumentSource, agent: str, options: PredictOptions) -> JobHandle:
        """Send a document through an agent (upload included); poll and fetch_result follow the job."""
        from core.errors import UsageError

        raise UsageError(
            f"Provider {self.name} has no agents",
            hint="Use --provider cradl for Cradl Agents, or --model to predict with a model.",
            provider=self.name,
        )

    # -- human review: providers with review workflows override these -------------------------
    def start_review(self, document: DocumentInfo, workflow: str, title: str | None = None) -> Review:
        """Send an uploaded document through a human-review workflow."""
        raise self._no_reviews()

    def get_review(self, review_id: str) -> Review:
        raise self._no_reviews()

    def list_reviews(
        self, workflow: str, status: str | None = None, limit: int | None = None
    ) -> list[Review]:
        raise self._no_reviews()

    def complete_review(self, review_id: str) -> Review:
        """Mark a finished review as consumed, so that it is not picked up again."""
        raise self._no_reviews()

    # -- review of results, feedback, deletion (core.review.service drives these) ---------------
    def open_review(self, result: Result, job: JobHandle | None, title: str | None = None) -> ReviewTicket:
        """Send a finished result to human review (or find the review the service started itself)."""
        raise self._no_reviews()

    def review_state(self, handle: ReviewHandle) -> ReviewState:
        """One look at a review; the reviewed result once a person is done."""
        raise self._no_reviews()

    def finish_review(self, handle: ReviewHandle) -> str:
        """Mark a finished review as consumed; the review's new status."""
        raise self._no_reviews()

    def send_feedback(self, document: DocumentInfo, values: Mapping[str, str | None]) -> dict[str, Any]:
        """Send corrected values (ground truth) for a document the service holds."""
        raise UsageError(
            f"Provider {self.title or self.name} does not take feedback (corrected values)",
            hint="Feedback goes to cradl (ground truth) and contractfit (its feedback call).",
            provider=self.name,
        )

    def delete_document(self, document: DocumentInfo) -> None:
        """Delete the document (and its file) on the service."""
        raise UsageError(
            f"Provider {self.title or self.name} has no call to delete a document",
            hint=f"Leave out {setting('delete_after')}; cradl and contractfit delete documents.",
            provider=self.name,
        )

    def _no_reviews(self) -> Exception:
        return UsageError(
            f"Provider {self.name} has no human-review workflows",
            hint=f"Use {setting('provider', 'cradl')} for review workflows.",
            provider=self.name,
        )

    # -- text analysis: providers with text models override this ---------------------------------
    def analyze_text(
        self,
        texts: Sequence[str],
        model: str | None,
        *,
        split: bool = True,
        ids: Sequence[str] | None = None,
        document: DocumentInfo | None = None,
    ) -> Result:
        """Tag documents of text: a `segments` table (document, text, span, class, label).

        `ids` name the texts in the table's `document` column (default: their 0-based positions);
        `split` asks the service to cut documents into sentences; `document` describes the input."""
        raise UsageError(
            f"Provider {self.name} has no text analysis",
            hint=f"Use {setting('provider', 'deepopinion')} for text analysis.",
            provider=self.name,
        )

    def close(self) -> None:  # noqa: B027 - optional hook; providers without sockets need nothing
        """Release sessions and sockets."""

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
