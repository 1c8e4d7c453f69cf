"""Keywords of human review and feedback: Start Review, Wait For Review, Get Review Status, Complete
Review, Send Feedback. `Extract Document` and `Extract Documents` route to review with ``review_below=``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from core.models import Result
from core.review.handle import ReviewHandle
from robot_library._context import Component, ProviderSession
from robot_library._support import DocRelayFailure, Stopwatch, keyword_call, log_json, robot_value, seconds


def review_handle(review: str | Mapping[str, Any]) -> ReviewHandle:
    """The handle of a review given as its text (``drrev1.…``) or as a needs_review result."""
    text = review
    if isinstance(review, Mapping):
        found = review.get("review") if isinstance(review.get("review"), Mapping) else None
        text = str(found.get("id")) if found and found.get("id") else ""
        if not text:
            raise DocRelayFailure(
                "This result has no review to wait for: its status is "
                f"{review.get('status')!r}. Pass a result with status needs_review, or its review id"
            )
    try:
        return ReviewHandle.decode(str(text))
    except Exception:
        raise DocRelayFailure(
            f"That is not a docrelay review: {str(text)[:40]!r}. Pass a needs_review result, or its "
            "[review][id] (it starts with 'drrev1.')"
        ) from None


class ReviewKeywords(Component):
    """Start Review, Wait For Review, Get Review Status, Complete Review, Send Feedback."""

    def _session(self, handle: ReviewHandle) -> ProviderSession:
        return self.context.session_for_provider(handle.provider, handle.profile)

    @keyword
    def start_review(self, result: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        """Send a finished result to human review, whatever its confidences; returns it with status
        ``needs_review`` and ``[review]`` holding the review's ``id`` and ``link`` (where a person
        reviews it). A result already under review is returned as it is.

        Cradl starts its review workflow (setting ``review_workflow``); contract.fit's document already
        waits in its inbox; DeepOpinion reviews only what its HITL opened itself.

        | ${result} =    Extract Document    ${file}
        | IF    ${result}[fields][total_amount][confidence] < 0.9
        |     ${result} =    Start Review    ${result}    reason=total below 0.9
        | END
        """
        watch = Stopwatch()
        with keyword_call():
            found = Result.model_validate(result)
            session = self.context.session_for_provider(found.provider)
            routed = session.client.start_review(found, reason=reason)
            logger.info(
                f"Sent {found.document.name} to review on {found.provider} in {watch}: {_link(routed)}"
            )
            return self._value(routed)

    @keyword
    def wait_for_review(
        self, review: str | dict[str, Any], timeout: timedelta | None = None, delete_after: bool = False
    ) -> dict[str, Any]:
        """Wait until a person has reviewed the document, and return the reviewed result.

        ``review`` is a result with status ``needs_review`` (from `Extract Document` with
        ``review_below=``, or `Start Review`) or its ``[review][id]``. Every field of the returned result
        has ``edited``: true where the reviewer changed the value. ``timeout`` defaults to the library's;
        people take longer than models, so give one (the review goes on: call this keyword again later).
        ``delete_after`` deletes the document on the service once the values are in hand.

        Fails if the reviewer rejected the document, or when the timeout passes.

        | ${reviewed} =    Wait For Review    ${result}    timeout=4 h
        | Should Be True    ${reviewed}[fields][total_amount][edited]
        """
        watch = Stopwatch()
        with keyword_call():
            handle = review_handle(review)
            client = self._session(handle).client
            result = client.wait_for_review(handle, timeout=seconds(timeout), delete_after=delete_after)
            edited = sorted(name for name, field in result.fields.items() if field.edited)
            logger.info(
                f"Reviewed {handle.document.name} on {handle.provider} (waited {watch}): "
                f"{len(edited)} values changed{': ' + ', '.join(edited) if edited else ''}"
            )
            return self._value(result)

    @keyword
    def get_review_status(self, review: str | dict[str, Any]) -> str:
        """One look at a review: ``waiting``, ``reviewed`` or ``rejected`` (never waits)."""
        with keyword_call():
            handle = review_handle(review)
            client = self._session(handle).client
            try:
                result = client.review_status(handle)
            except Exception as exc:
                if getattr(exc, "type", None) == "job_failed":
                    return "rejected"
                raise
            return result.review.status if result.review else "reviewed"

    @keyword
    def complete_review(self, review: str | dict[str, Any]) -> str:
        """Mark a finished review as consumed, so that no one picks it up again; returns the review's
        new status (Cradl: ``completed``; contract.fit: ``archived``). Fails for a Cradl Agent run or a
        DeepOpinion HITL review, which close by themselves.

        | ${reviewed} =    Wait For Review    ${result}
        | Complete Review    ${result}
        """
        with keyword_call():
            handle = review_handle(review)
            outcome = self._session(handle).client.complete_review(handle)
            logger.info(f"Completed the review of {handle.document.name}: {outcome['status']}")
            return str(outcome["status"])

    @keyword
    def send_feedback(self, document: str | dict[str, Any], **fields: str) -> dict[str, Any]:
        """Send corrected values (ground truth) for a document back to the service: Cradl keeps them as
        the document's ground truth, contract.fit takes them as feedback. ``document`` is a result, a job
        handle or a review. Values not named are sent as the result has them. Fails with "does not take
        feedback" for a service that has none (DeepOpinion, local).

        | Send Feedback    ${result}    total_amount=1836.60    currency=EUR
        """
        with keyword_call():
            target: str | Result
            if isinstance(document, Mapping):
                target = Result.model_validate(document)
                provider = target.provider
            else:
                target = str(document)
                from core.review.service import feedback_target

                provider = feedback_target(target).provider
            receipt = self.context.session_for_provider(provider).client.feedback(target, fields)
            logger.info(f"Sent feedback for {receipt['document']['name']}: {', '.join(receipt['corrected'])}")
            log_json(receipt)
            return robot_value(receipt)  # type: ignore[no-any-return]

    def _value(self, result: Result) -> dict[str, Any]:
        data = result.to_dict()
        log_json(data)
        return robot_value(data)  # type: ignore[no-any-return]


def _link(result: Result) -> str:
    review = result.review
    return f"review at {review.link}" if review and review.link else "no review link"
