"""The review policy and handles, from tables: which results need a person, and why."""

from __future__ import annotations

import pytest

from core.errors import UsageError
from core.models import DocumentInfo, FieldValue, Result
from core.review import ReviewHandle, ReviewPolicy
from core.review.outcome import mark_edits


def result(status: str = "succeeded", **fields: tuple[str | None, float | None]) -> Result:
    return Result(
        provider="cradl",
        model="m",
        status=status,  # type: ignore[arg-type]
        document=DocumentInfo(name="a.pdf", id="las:document:1"),
        fields={name: FieldValue(value=v, confidence=c) for name, (v, c) in fields.items()},
    )


@pytest.mark.parametrize(
    ("policy", "fields", "reasons"),
    [
        (ReviewPolicy(below=0.8), {"total_amount": ("10.00", 0.9)}, []),
        (ReviewPolicy(below=0.8), {"total_amount": ("10.00", 0.8)}, []),  # the threshold is inclusive
        (
            ReviewPolicy(below=0.8),
            {"total_amount": ("10.00", 0.79)},
            ["total_amount: confidence 0.79 below 0.8"],
        ),
        (ReviewPolicy(below=0.8), {"iban": ("X", None)}, ["iban: no confidence score (threshold 0.8)"]),
        (ReviewPolicy(below=0.8), {"po_number": (None, 0.1)}, []),  # nothing found: nothing to check
        (
            ReviewPolicy(fields={"total_amount": 0.95}),
            {"total_amount": ("1", 0.9), "iban": ("X", 0.1)},
            ["total_amount: confidence 0.9 below 0.95"],
        ),
        (
            ReviewPolicy(below=0.5, fields={"iban": 0.99}),
            {"iban": ("X", 0.9)},
            ["iban: confidence 0.9 below 0.99"],
        ),
        (
            ReviewPolicy(below=0.5),
            {"total_amount": ("100.00", 0.99), "vat_amount": ("19.00", 0.99), "net_amount": ("80.00", 0.99)},
            ["check net_plus_vat_is_total failed (net_amount, vat_amount, total_amount)"],
        ),
        (
            ReviewPolicy(below=0.5, checks=False),
            {"total_amount": ("100.00", 0.99), "vat_amount": ("19.00", 0.99), "net_amount": ("80.00", 0.99)},
            [],
        ),
    ],
)
def test_reasons(
    policy: ReviewPolicy, fields: dict[str, tuple[str | None, float | None]], reasons: list[str]
) -> None:
    assert policy.reasons(result(**fields)) == reasons


def test_a_failed_or_pending_result_has_no_reasons() -> None:
    assert ReviewPolicy(below=0.99).reasons(result("failed", a=("x", 0.1))) == []


@pytest.mark.parametrize(
    ("below", "fields", "message"),
    [
        (2, (), "between 0 and 1"),
        ("high", (), "must be a number"),
        (None, ("total_amount",), "NAME=THRESHOLD"),
        (None, ("total_amount=-1",), "between 0 and 1"),
    ],
)
def test_bad_policies_are_usage_errors(below: object, fields: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ReviewPolicy.parse(below=below, fields=fields)  # type: ignore[arg-type]


def test_no_threshold_means_no_routing() -> None:
    assert ReviewPolicy.parse() is None
    assert ReviewPolicy.parse(fields=["total_amount=0.9"]) == ReviewPolicy(fields={"total_amount": 0.9})


def test_a_review_handle_round_trips_and_holds_no_secret() -> None:
    handle = ReviewHandle(
        provider="cradl",
        kind="workflow",
        ref={"workflow": "w", "execution": "e"},
        document=DocumentInfo(name="a.pdf"),
        predicted={"total_amount": "10.00"},
    )
    assert ReviewHandle.decode(handle.encode()) == handle
    with pytest.raises(UsageError, match="not a docrelay review handle"):
        ReviewHandle.decode("drjob1.abc")


def test_edits_are_marked_against_the_predicted_values() -> None:
    handle = ReviewHandle(
        provider="cradl",
        kind="workflow",
        document=DocumentInfo(name="a.pdf"),
        predicted={"total_amount": "10.00", "currency": "EUR", "iban": "X"},
    )
    reviewed = mark_edits(result(total_amount=("12.00", 1.0), currency=("EUR", 1.0), po=("7", 1.0)), handle)
    edited = {name: f.edited for name, f in reviewed.fields.items()}
    assert edited == {"total_amount": True, "currency": False, "po": True, "iban": True}
    assert reviewed.fields["iban"].value is None  # the reviewer cleared it
    assert reviewed.review is not None and reviewed.review.status == "reviewed"
