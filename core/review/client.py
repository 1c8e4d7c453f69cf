"""The review, feedback and deletion methods of `core.services.Client` (a mixin, to keep services.py
focused): every front end reaches them through the Client, and they only compose core.review.service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import DocRelayError, UsageError
from core.hints import setting
from core.models import Result
from core.review import service as review_service
from core.review.handle import ReviewHandle

if TYPE_CHECKING:
    from core.config import Settings
    from core.polling import Check
    from core.providers.base import Provider

T = TypeVar("T")


class ReviewMethods:
    """Start Review, review status and wait, Complete Review, feedback; deletion after use."""

    settings: Settings

    if TYPE_CHECKING:  # provided by core.services.Client

        @property
        def provider(self) -> Provider: ...

        def _poll_until(
            self, check: Check[T], timeout: float | None, handle: str, what: str, resume: str
        ) -> T: ...

    def _delete_after(self, result: Result) -> None:
        try:
            review_service.delete_after_use(self.provider, result)
        except DocRelayError as exc:
            exc.message = (
                f"{result.document.name} was extracted, but deleting it on the service failed: {exc.message}"
            )
            exc.details = {**exc.details, "result": result.to_dict()}
            raise

    def start_review(self, result: Result | Mapping[str, Any], *, reason: str | None = None) -> Result:
        """Send a finished result to human review whatever its confidences; it comes back needs_review."""
        found = result if isinstance(result, Result) else Result.model_validate(result)
        return review_service.open_for(self.provider, found, profile=self.settings.profile, reason=reason)

    def review_status(self, review: ReviewHandle | str) -> Result:
        """One look at a review: needs_review while a person works on it, else the reviewed result."""
        handle = self._review_handle(review)
        state = self.provider.review_state(handle)
        if not state.finished:
            return review_service.pending_result(state, handle)
        return review_service.reviewed(state, handle)

    def wait_for_review(
        self, review: ReviewHandle | str, *, timeout: float | None = None, delete_after: bool = False
    ) -> Result:
        """Poll until a person has finished the review: the reviewed result, each field saying whether
        the reviewer changed it. A rejected review raises JobFailedError; `timeout` JobTimeoutError."""
        handle = self._review_handle(review)

        def check() -> tuple[Result | None, float | None]:
            state = self.provider.review_state(handle)
            return (review_service.reviewed(state, handle) if state.finished else None), None

        result = self._poll_until(
            check, timeout, handle.encode(), "The review", "`docrelay review wait REVIEW`"
        )
        if delete_after:
            self._delete_after(result)
        return result

    def complete_review(self, review: ReviewHandle | str) -> dict[str, Any]:
        """Mark a finished review as consumed, so that no one picks it up again."""
        handle = self._review_handle(review)
        status = self.provider.finish_review(handle)
        return {
            "review": handle.encode(),
            "status": status,
            "document": handle.document.model_dump(mode="json"),
        }

    def feedback(
        self, target: str | Result, corrections: Iterable[str] | Mapping[str, Any]
    ) -> dict[str, Any]:
        """Send corrected values for a document (a job or review handle, or a result file) to the
        service; one that takes none answers UsageError (not supported)."""
        values = review_service.parse_corrections(corrections)
        found = review_service.feedback_target(target)
        self._require_provider(found.provider, "document")
        return review_service.send_feedback(self.provider, found, values)

    def _review_handle(self, review: ReviewHandle | str) -> ReviewHandle:
        handle = review if isinstance(review, ReviewHandle) else ReviewHandle.decode(review)
        self._require_provider(handle.provider, "review")
        return handle

    def _require_provider(self, owner: str, what: str) -> None:
        """UsageError unless a handle's (or result's) provider is this client's."""
        if owner != self.settings.provider:
            raise UsageError(
                f"This {what} belongs to provider {owner!r}, not {self.settings.provider!r}",
                hint=f"Add {setting('provider', owner)} (and its profile).",
            )
