"""Keywords that read values out of a result dictionary."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from robot_library._context import Component
from robot_library._support import DocRelayFailure, as_result, keyword_call, number_text, robot_value


class ResultKeywords(Component):
    """Field values, confidences, table rows, fields that need a human look."""

    # -- reading results -------------------------------------------------------------------------
    @keyword
    def get_field_value(self, result: dict[str, Any], name: str, min_confidence: float | None = None) -> str:
        """The value of field ``name`` in ``result``, as text.

        Fails if the result has no such field, if the service found no value for it, or, with
        ``min_confidence`` (0..1), if the field's confidence is below it (or the service gives none).

        | ${total} =    Get Field Value    ${result}    total_amount
        | ${iban} =    Get Field Value    ${result}    iban    min_confidence=0.9
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name, min_confidence)
            if check.problem:
                raise DocRelayFailure(check.problem)
            threshold = f" (threshold {min_confidence:g})" if min_confidence is not None else ""
            confidence = number_text(check.confidence)
            logger.info(f"Field {name!r} of {check.document}: confidence {confidence}{threshold}")
            return str(check.value)

    @keyword
    def get_field_confidence(self, result: dict[str, Any], name: str) -> float | None:
        """The confidence (0..1) of field ``name`` in ``result``; ``None`` if the service gives none.

        Fails if the result has no such field.

        | ${confidence} =    Get Field Confidence    ${result}    total_amount
        | IF    ${confidence} < 0.8    Append To List    ${review}    ${result}[document][source]
        """
        from core.checks import check_field

        with keyword_call():
            check = check_field(as_result(result), name)
            if check.field is None:
                raise DocRelayFailure(str(check.problem))
            logger.info(f"Field {name!r} of {check.document}: confidence {number_text(check.confidence)}")
            return check.confidence

    @keyword
    def get_field_values(self, result: dict[str, Any]) -> dict[str, str | None]:
        """Every field of ``result`` as a dictionary of name and value (``None`` where the service
        found no value).

        | ${values} =    Get Field Values    ${result}
        | Log    Invoice ${values}[invoice_number] of ${values}[supplier_name]
        """
        from core.checks import document_label, field_values

        with keyword_call():
            parsed = as_result(result)
            values = field_values(parsed)
            logger.info(f"{len(values)} fields of {document_label(parsed)}")
            return robot_value(values)  # type: ignore[no-any-return]

    @keyword
    def get_table_rows(
        self, result: dict[str, Any], table: str = "line_items"
    ) -> list[dict[str, str | None]]:
        """The rows of ``table`` in ``result``, each a dictionary of column and value (plain text).

        A result without any table gives an empty list (services leave out a table they found no lines
        for); a result that has other tables but not this one fails, naming the tables it has.

        | @{lines} =    Get Table Rows    ${result}
        | FOR    ${line}    IN    @{lines}
        |     Log    ${line}[description]: ${line}[amount]
        | END
        """
        from core.checks import document_label, table_values

        with keyword_call():
            parsed = as_result(result)
            rows = table_values(parsed, table)
            logger.info(f"{len(rows)} rows in table {table!r} of {document_label(parsed)}")
            return [robot_value(row) for row in rows]

    @keyword
    def get_low_confidence_fields(
        self, result: dict[str, Any], min_confidence: float, *names: str
    ) -> list[str]:
        """The names of the fields that need a human look: below ``min_confidence`` (0..1), without a
        confidence score, without a value, or (for ``names`` given) missing from the result.

        Checks the fields named, or every field of the result. An empty list means the document can go
        straight on.

        | @{doubtful} =    Get Low Confidence Fields    ${result}    0.8    total_amount    iban
        | IF    ${doubtful}    Append To List    ${review}    ${result}[document][source]
        """
        from core.checks import document_label, low_confidence_fields

        with keyword_call():
            parsed = as_result(result)
            names_checked = list(names) or None
            doubtful = [check.name for check in low_confidence_fields(parsed, min_confidence, names_checked)]
            listed = ", ".join(doubtful) if doubtful else "none"
            logger.info(f"Fields of {document_label(parsed)} below {min_confidence:g}: {listed}")
            return doubtful
