"""Checks on results that front ends share: a field's value against a confidence threshold, the fields
that need a human look, and plain values of fields and tables.

    from core.checks import check_field, low_confidence_fields
    check = check_field(result, "total_amount", min_confidence=0.9)
    if not check.ok:
        print(check.problem)      # one line: what is missing or too uncertain, and in which document

A threshold is inclusive (a confidence equal to it passes). A field whose value is null counts as
missing; a field without a confidence score fails any threshold, since nothing vouches for it.
Messages name the document and the field but never the value: values are document content.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import FieldValue, Result

_LISTED_NAMES = 12  # how many field names a "not found" message lists


@dataclass(frozen=True)
class FieldCheck:
    """The outcome of checking one field of one result."""

    name: str
    document: str
    field: FieldValue | None
    min_confidence: float | None = None
    known_fields: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.field is not None and self.field.value is not None

    @property
    def value(self) -> str | None:
        return self.field.value if self.field else None

    @property
    def confidence(self) -> float | None:
        return self.field.confidence if self.field else None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def problem(self) -> str | None:
        """None when the field passes; otherwise one line saying why it does not."""
        if self.field is None:
            return f"{self.document} has no field {self.name!r}{_listing(self.known_fields)}"
        if self.field.value is None:
            return f"Field {self.name!r} of {self.document} has no value: the service found none"
        if self.min_confidence is None:
            return None
        if self.confidence is None:
            return (
                f"Field {self.name!r} of {self.document} has no confidence score, "
                f"so it cannot meet the threshold {self.min_confidence:g}"
            )
        if self.confidence < self.min_confidence:
            return (
                f"Field {self.name!r} of {self.document} has confidence {self.confidence:g}, "
                f"below the threshold {self.min_confidence:g}"
            )
        return None


def check_field(result: Result, name: str, min_confidence: float | None = None) -> FieldCheck:
    """Whether `result` has a value for field `name`, with at least `min_confidence` (0..1) if given."""
    if min_confidence is not None:
        check_threshold(min_confidence)
    return FieldCheck(
        name=name,
        document=document_label(result),
        field=result.fields.get(name),
        min_confidence=min_confidence,
        known_fields=tuple(result.fields),
    )


def low_confidence_fields(
    result: Result, min_confidence: float, names: list[str] | tuple[str, ...] | None = None
) -> list[FieldCheck]:
    """The checks that fail: of the fields named (default: every field of the result), those missing,
    without a value, or below `min_confidence`. An empty list means the document can go straight on."""
    check_threshold(min_confidence)
    wanted = list(names) if names else list(result.fields)
    checks = (check_field(result, name, min_confidence) for name in wanted)
    return [check for check in checks if not check.ok]


def check_threshold(value: float) -> float:
    """A confidence threshold must be a number from 0 to 1."""
    from core.errors import UsageError

    if not 0.0 <= value <= 1.0:
        raise UsageError(
            f"A confidence threshold must be between 0 and 1, not {value:g}",
            hint="Write it as a fraction, e.g. 0.9 for 90 %.",
        )
    return value


def field_values(result: Result) -> dict[str, str | None]:
    """Each field's value, by name (null where the service found none)."""
    return {name: found.value for name, found in result.fields.items()}


def table_values(result: Result, table: str) -> list[dict[str, str | None]]:
    """The rows of one table as plain values.

    A result without any table gives no rows (services leave out a table they found no lines for);
    a result that has other tables but not `table` raises a UsageError naming them (likely a typo)."""
    from core.errors import UsageError

    rows = result.tables.get(table)
    if rows is None:
        if result.tables:
            listing = _listing(tuple(result.tables))
            raise UsageError(f"{document_label(result)} has no table {table!r}{listing}")
        return []
    return [{column: cell.value for column, cell in row.items()} for row in rows]


def document_label(result: Result) -> str:
    return result.document.name or result.document.source or "the document"


def _listing(names: tuple[str, ...]) -> str:
    if not names:
        return " (it has none)"
    shown = ", ".join(names[:_LISTED_NAMES])
    more = f" and {len(names) - _LISTED_NAMES} more" if len(names) > _LISTED_NAMES else ""
    return f" (it has: {shown}{more})"
