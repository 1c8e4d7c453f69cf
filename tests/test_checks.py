"""core.checks: field thresholds, fields for review and plain values, shared by Robot and Excel."""

from __future__ import annotations

import pytest

from core.checks import (
    BROKEN_CHECK_CONFIDENCE,
    apply_arithmetic_checks,
    arithmetic_checks,
    check_field,
    field_values,
    low_confidence_fields,
    table_values,
    with_arithmetic_checks,
)
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


# -- arithmetic checks --------------------------------------------------------------------------
def _invoice(total: str, vat: str, *rows: tuple[str, str, str], net: str | None = None) -> Result:
    fields = {
        "total_amount": FieldValue(value=total, confidence=0.95),
        "vat_amount": FieldValue(value=vat, confidence=0.95),
    }
    if net is not None:
        fields["net_amount"] = FieldValue(value=net, confidence=0.95)
    lines = [
        {
            "quantity": Cell(value=q, confidence=0.95),
            "unit_price": Cell(value=u, confidence=0.95),
            "amount": Cell(value=a, confidence=0.95),
        }
        for q, u, a in rows
    ]
    return Result(
        provider="local",
        model="invoice",
        status="succeeded",
        document=DocumentInfo(name="inv.pdf"),
        fields=fields,
        tables={"line_items": lines},
    )


def test_sums_that_hold_pass_and_keep_confidence() -> None:
    result = _invoice("119.00", "19.00", ("2", "25.00", "50.00"), ("1", "50.00", "50.00"), net="100.00")
    checks = {c.name: c for c in apply_arithmetic_checks(result)}
    assert checks["net_plus_vat_is_total"].ok and checks["lines_sum_to_net"].ok
    assert [c.ok for c in apply_arithmetic_checks(result) if c.name == "quantity_times_price"] == [True, True]
    assert result.fields["total_amount"].confidence == 0.95
    assert result.extras["checks"][0] == {
        "check": "net_plus_vat_is_total",
        "ok": True,
        "expected": "119.00",
        "found": "119.00",
        "fields": ["net_amount", "vat_amount", "total_amount"],
    }


def test_a_value_that_breaks_a_sum_loses_confidence() -> None:
    result = _invoice("119.00", "19.00", ("2", "25.00", "60.00"), ("1", "50.00", "50.00"))
    checks = apply_arithmetic_checks(result)
    lines = next(c for c in checks if c.name == "lines_sum_to_net")
    assert (lines.ok, lines.expected, lines.found) == (False, "100.00", "110.00")
    assert result.fields["total_amount"].confidence == BROKEN_CHECK_CONFIDENCE
    assert result.fields["vat_amount"].confidence == BROKEN_CHECK_CONFIDENCE
    row = result.tables["line_items"][0]
    assert row["amount"].confidence == BROKEN_CHECK_CONFIDENCE  # 2 x 25.00 is not 60.00
    assert result.tables["line_items"][1]["amount"].confidence == 0.95


def test_without_the_values_a_check_is_not_applicable() -> None:
    result = _invoice("119.00", "19.00")
    result.fields["total_amount"] = FieldValue(value=None)
    assert arithmetic_checks(result) == []
    partial = _invoice("119.00", "19.00", net="100.00")
    partial.fields["total_amount"] = FieldValue(value=None)
    (only,) = arithmetic_checks(partial)
    assert only.name == "net_plus_vat_is_total" and only.ok is None


def test_failed_results_are_left_alone() -> None:
    result = _invoice("1.00", "5.00", ("1", "1.00", "9.00"))
    result.status = "failed"
    assert with_arithmetic_checks(result).extras == {}
