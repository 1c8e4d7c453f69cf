"""Validation keywords: they fail continuably, so every check of a document reports."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from robot_library._context import Component
from robot_library._support import DocRelayCheckFailure, as_result, keyword_call, number_text, one_line


class CheckKeywords(Component):
    """Result Should Have Succeeded, Field Should Have Confidence, Field Value Should Be."""

    # -- validation (continuable) ------------------------------------------------------------------
    @keyword
    def result_should_have_succeeded(self, result: dict[str, Any]) -> None:
        """Fails (continuably) if ``result`` is failed or still pending, with the service's reason.

        | Result Should Have Succeeded    ${result}
        """
        from core.checks import document_label

        with keyword_call():
            parsed = as_result(result)
            label = document_label(parsed)
            if parsed.status == "succeeded":
                logger.info(f"{label} succeeded")
                return
            reason = f": {parsed.error.message}" if parsed.error else ""
            raise DocRelayCheckFailure(one_line(f"{label} {parsed.status}{reason}"))

    @keyword
    def field_should_have_confidence(self, result: dict[str, Any], name: str, min_confidence: float) -> None:
        """Fails (continuably) unless field ``name`` has a value with at least ``min_confidence``
        (0..1). Being continuable, several checks of one document all report.

        | Field Should Have Confidence    ${result}    total_amount    0.9
        | Field Should Have Confidence    ${result}    iban    0.95
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name, min_confidence)
            if check.problem:
                raise DocRelayCheckFailure(check.problem)
            logger.info(
                f"Field {name!r} of {check.document}: confidence {number_text(check.confidence)} "
                f"meets {min_confidence:g}"
            )

    @keyword
    def field_value_should_be(self, result: dict[str, Any], name: str, expected: str) -> None:
        """Fails (continuably) unless field ``name`` has the value ``expected`` (compared as text:
        dates as ``2026-03-14``, amounts as ``1836.60``).

        | Field Value Should Be    ${result}    currency    EUR
        | Field Value Should Be    ${result}    total_amount    1836.60
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name)
            if check.problem:
                raise DocRelayCheckFailure(check.problem)
            if check.value != expected:
                raise DocRelayCheckFailure(
                    f"Field {name!r} of {check.document} is {check.value!r}, expected {expected!r}"
                )
            logger.info(f"Field {name!r} of {check.document} is as expected")
