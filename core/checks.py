"""Checks on results that front ends share: a field's value against a confidence threshold, the fields
that need a human look, and plain values of fields and tables.

    from core.checks import check_field, low_confidence_fields
    check = check_field(result, "total_amount", min_confidence=0.9)
    if not check.ok:
        print(check.problem)      # one line: what is missing or too uncertain, and in which document

`arithmetic_checks` and `apply_arithmetic_checks` (below) check the sums of a result: line items to
net amount, net plus VAT to total, quantity times unit price to each line's amount.

A threshold is inclusive (a confidence equal to it passes). A field whose value is null counts as
missing; a field without a confidence score fails any threshold, since nothing vouches for it.
Messages name the document and the field but never the value: values are document content.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.models import Cell, FieldValue, Result

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


# -- arithmetic ------------------------------------------------------------------------------------
# Extraction errors often look plausible; sums do not lie. These checks need only the normalized
# Result, so they hold for every provider, and review can be routed on them, not on confidence alone.

NET_FIELDS = ("net_amount", "total_amount_excl_vat", "subtotal", "net_total")
_CENT = Decimal("0.011")
# Confidence a value keeps at most when it breaks a check: below any "straight through" threshold.
BROKEN_CHECK_CONFIDENCE = 0.6


@dataclass(frozen=True)
class ArithmeticCheck:
    """One sum on a result: `ok` is None when the values it needs are missing."""

    name: str  # lines_sum_to_net | net_plus_vat_is_total | quantity_times_price
    ok: bool | None
    expected: str | None = None
    found: str | None = None
    fields: tuple[str, ...] = ()  # the fields (or "table:row:column" cells) the sum involves

    def to_dict(self) -> dict[str, object]:
        return {
            "check": self.name,
            "ok": self.ok,
            "expected": self.expected,
            "found": self.found,
            "fields": list(self.fields),
        }


def arithmetic_checks(result: Result, table: str = "line_items") -> list[ArithmeticCheck]:
    """The line amounts sum to the net amount, net plus VAT is the total, and each line's quantity
    times its unit price is its amount. Without a net field, net is total minus VAT."""
    total, vat = _amount(result, "total_amount"), _amount(result, "vat_amount")
    net_key = next((k for k in NET_FIELDS if _amount(result, k) is not None), None)
    net = _amount(result, net_key) if net_key else None
    checks: list[ArithmeticCheck] = []
    if net is not None:
        ok = None if total is None else abs(net + (vat or 0) - total) <= _CENT
        expected = None if total is None else _text(net + (vat or 0))
        checks.append(
            ArithmeticCheck(
                "net_plus_vat_is_total",
                ok,
                expected,
                _text(total),
                (net_key or "", "vat_amount", "total_amount"),
            )
        )
    elif total is not None:
        net = total - (vat or 0)
    rows = result.tables.get(table) or []
    amounts = [a for row in rows if (a := _cell_amount(row, "amount")) is not None]
    if amounts and net is not None:
        lines = sum(amounts, Decimal(0))
        names = (net_key,) if net_key else ("total_amount", "vat_amount")
        checks.append(
            ArithmeticCheck("lines_sum_to_net", abs(lines - net) <= _CENT, _text(net), _text(lines), names)
        )
    for index, row in enumerate(rows):
        quantity, price, amount = (_cell_amount(row, k) for k in ("quantity", "unit_price", "amount"))
        if quantity is None or price is None or amount is None:
            continue
        ok = abs(quantity * price - amount) <= max(_CENT, abs(amount) * Decimal("0.005"))
        cells = tuple(f"{table}:{index}:{k}" for k in ("quantity", "unit_price", "amount"))
        checks.append(
            ArithmeticCheck("quantity_times_price", ok, _text(quantity * price), _text(amount), cells)
        )
    return checks


def apply_arithmetic_checks(result: Result, table: str = "line_items") -> list[ArithmeticCheck]:
    """Runs the checks, records them in `result.extras["checks"]`, and caps the confidence of every
    value that breaks one at BROKEN_CHECK_CONFIDENCE."""
    checks = arithmetic_checks(result, table)
    result.extras["checks"] = [c.to_dict() for c in checks]
    for check in checks:
        if check.ok is not False:
            continue
        for name in check.fields:
            if ":" in name:
                table_name, row, column = name.split(":")
                cell = (result.tables.get(table_name) or [])[int(row)].get(column)
                if cell is not None and cell.confidence is not None:
                    cell.confidence = min(cell.confidence, BROKEN_CHECK_CONFIDENCE)
            else:
                found = result.fields.get(name)
                if found is not None and found.confidence is not None and found.value is not None:
                    found.confidence = min(found.confidence, BROKEN_CHECK_CONFIDENCE)
    return checks


def with_arithmetic_checks(result: Result) -> Result:
    """A finished result with its checks applied (services and batches call this on every result)."""
    if result.status == "succeeded":
        apply_arithmetic_checks(result)
    return result


def _amount(result: Result, name: str) -> Decimal | None:
    found = result.fields.get(name)
    return _decimal(found.value) if found is not None else None


def _cell_amount(row: dict[str, Cell], column: str) -> Decimal | None:
    cell = row.get(column)
    return _decimal(cell.value) if cell is not None else None


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value.replace(",", "")) if isinstance(value, str) else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number.quantize(Decimal("0.01")))
