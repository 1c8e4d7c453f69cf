"""core.checks: field thresholds, fields for review and plain values, shared by Robot and Excel."""

from __future__ import annotations

import pytest

from core.checks import check_field, field_values, low_confidence_fields, table_values
from core.errors import UsageError
from core.models import Cell, DocumentInfo, FieldValue, Result


def _result(**tables: list[dict[str, Cell]]) -> Result:
    return Result(
        provider="local",
        model="invoice",
        status="succeeded",
        document=DocumentInfo(name="inv 7.pdf", source="C:/in/inv 7.pdf"),
        fields={
            "total_amount": FieldValue(value="150.00", confidence=0.95),
            "currency": FieldValue(value="EUR", confidence=0.7),
            "iban": FieldValue(value=None),
            "po_number": FieldValue(value="PO-1", confidence=None),
        },
        tables=dict(tables),
    )


def test_a_field_at_or_above_the_threshold_passes() -> None:
    check = check_field(_result(), "total_amount", 0.95)
    assert check.ok and check.found and check.value == "150.00" and check.confidence == 0.95


@pytest.mark.parametrize(
    ("name", "threshold", "problem"),
    [
        ("currency", 0.9, "Field 'currency' of inv 7.pdf has confidence 0.7, below the threshold 0.9"),
        ("iban", None, "Field 'iban' of inv 7.pdf has no value: the service found none"),
        (
            "po_number",
            0.5,
            "Field 'po_number' of inv 7.pdf has no confidence score, so it cannot meet the threshold 0.5",
        ),
        (
            "vat",
            None,
            "inv 7.pdf has no field 'vat' (it has: total_amount, currency, iban, po_number)",
        ),
    ],
)
def test_each_failing_check_says_why_in_one_line(name: str, threshold: float | None, problem: str) -> None:
    check = check_field(_result(), name, threshold)
    assert not check.ok
    assert check.problem == problem
    assert "150.00" not in problem  # values are document content: never in messages


def test_a_threshold_outside_zero_to_one_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        check_field(_result(), "total_amount", 90)
    assert caught.value.exit_code == 2
    assert caught.value.full_message == (
        "A confidence threshold must be between 0 and 1, not 90. Write it as a fraction, e.g. 0.9 for 90 %."
    )


def test_low_confidence_fields_lists_what_needs_a_human_look() -> None:
    result = _result()
    assert [c.name for c in low_confidence_fields(result, 0.8)] == ["currency", "iban", "po_number"]
    assert [c.name for c in low_confidence_fields(result, 0.8, ["total_amount", "vat"])] == ["vat"]
    assert low_confidence_fields(result, 0.5, ["total_amount", "currency"]) == []


def test_plain_values_of_fields_and_tables() -> None:
    rows = [{"amount": Cell(value="150.00", confidence=0.9), "description": Cell(value="Chair")}]
    result = _result(line_items=rows)
    assert field_values(result) == {
        "total_amount": "150.00",
        "currency": "EUR",
        "iban": None,
        "po_number": "PO-1",
    }
    assert table_values(result, "line_items") == [{"amount": "150.00", "description": "Chair"}]
    assert table_values(_result(), "line_items") == []  # no tables at all: nothing found, no error


def test_a_table_the_result_does_not_have_is_a_usage_error_naming_the_tables() -> None:
    with pytest.raises(UsageError) as caught:
        table_values(_result(line_items=[]), "lines")
    assert caught.value.full_message == "inv 7.pdf has no table 'lines' (it has: line_items)"
