"""From found values to confidences: agreement between findings and consistency checks raise a
score, contradictions lower it. The checks: total = line sum + VAT, due date on or after the invoice
date, IBAN checksum, the currency printed at the total, and each line's quantity x price = amount.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.models import Candidate, Cell, FieldValue, TableRow
from core.providers.local.fields import NET_KEY, Found
from core.providers.local.modelspec import ModelSpec, TableSpec
from core.providers.local.normalize import parse_string
from core.providers.local.tables import RowCells
from core.providers.local.textlayer import union_box

CENT = Decimal("0.011")
# Every cell sets every field: one shared set instead of one per cell (a long invoice has 100,000s).
_CELL_FIELDS = set(Cell.model_fields)


@dataclass
class Ranked:
    """The findings of one field grouped by value, best first."""

    options: list[Found] = field(default_factory=list)

    @property
    def best(self) -> Found | None:
        return self.options[0] if self.options else None

    def sort(self) -> None:
        self.options.sort(key=lambda f: -f.score)


def rank(found: dict[str, list[Found]]) -> dict[str, Ranked]:
    ranked: dict[str, Ranked] = {}
    for key, items in found.items():
        by_value: dict[str, list[Found]] = defaultdict(list)
        for item in items:
            by_value[item.value].append(item)
        options = []
        for same in by_value.values():
            top = max(same, key=lambda f: f.score)
            agreeing = len({(f.how, f.page, id(f.words[0])) for f in same}) - 1
            if agreeing:
                top.score += 0.05 * min(agreeing, 2)
                top.notes.append(f"found {agreeing + 1} times")
            options.append(top)
        ranked[key] = Ranked(options)
        ranked[key].sort()
    return ranked


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _value(row: RowCells, key: str) -> str | None:
    parsed = row.parsed.get(key)
    return parsed.value if parsed else None


class LineRows:
    """The rows of one table turned into result cells as they are read (a long document's rows
    never pile up as words), with the running sum of their amounts."""

    def __init__(self, spec: TableSpec) -> None:
        self.keys = [c.key for c in spec.columns]
        self.rows: list[TableRow] = []
        self.amount_total = Decimal(0)
        self.amounts = 0

    def add(self, row: RowCells) -> None:
        self.rows.append(_row(row, self.keys, consistent_total=False))
        amount = _decimal(_value(row, "amount"))
        if amount is not None:
            self.amount_total += amount
            self.amounts += 1

    def finish(self, consistent_total: bool) -> list[TableRow]:
        """The rows; a total that adds up with them raises every read cell a little."""
        if consistent_total:
            for row in self.rows:
                for cell in row.values():
                    if cell.value is not None and cell.confidence is not None:
                        cell.confidence = clamp(cell.confidence + 0.03)
        return self.rows


def line_sum(tables: list[LineRows]) -> Decimal | None:
    """The sum of the line amounts of the first table that has any."""
    for table in tables:
        if table.amounts:
            return table.amount_total
    return None


def check_totals(ranked: dict[str, Ranked], lines_total: Decimal | None) -> bool:
    """The arithmetic of the totals: a total and VAT that add up with the net amount or the line
    items gain, a VAT printed only per rate is summed, and values that break the sums lose.
    True if the total agrees with the line items."""
    totals = ranked.get("total_amount", Ranked()).options[:4]
    vats = ranked.get("vat_amount", Ranked()).options[:6]
    nets = ranked.pop(NET_KEY, Ranked()).options[:4]
    bases: list[tuple[Decimal, str]] = [] if lines_total is None else [(lines_total, "sum of lines")]
    bases += [(d, "net") for n in nets if (d := _decimal(n.value)) is not None]
    for total in totals:
        t = _decimal(total.value)
        if t is None:
            continue
        for base, what in bases:
            for vat in [*vats, None]:
                v = _decimal(vat.value) if vat else Decimal(0)
                if v is None or abs(t - base - v) > CENT:
                    continue
                total.score += 0.15
                agreeing = sorted({w for b, w in bases if abs(t - b - v) <= CENT}, reverse=True)
                for name in agreeing:
                    total.notes.append(f"total = {name} + VAT" if vat else f"total = {name}")
                    if vat:
                        vat.notes.append(f"total = {name} + VAT")
                if vat:
                    vat.score += 0.15
                _resort(ranked)
                return "sum of lines" in agreeing
            rates = {v for o in vats if (v := _decimal(o.value)) is not None and 0 < abs(v) < abs(t)}
            if len(rates) >= 2 and abs(t - base - sum(rates, Decimal(0))) <= CENT:
                anchor = vats[0]
                derived = Found(
                    "vat_amount",
                    str(sum(rates, Decimal(0))),
                    anchor.raw,
                    anchor.page,
                    anchor.words,
                    max(o.score for o in vats) + 0.1,
                    "sum of the VAT printed per rate",
                )
                derived.notes.append(f"total = {what} + VAT")
                ranked.setdefault("vat_amount", Ranked()).options.append(derived)
                total.score += 0.15
                _resort(ranked)
                return what == "sum of lines"
    best_total, best_vat = ranked.get("total_amount", Ranked()).best, ranked.get("vat_amount", Ranked()).best
    if best_total and best_vat:
        t, v = _decimal(best_total.value), _decimal(best_vat.value)
        if t is not None and v is not None and not (abs(v) < abs(t) or v == t == 0):
            best_vat.score -= 0.2
            best_vat.notes.append("VAT is not below the total")
    if bases and best_total is not None:
        best_total.score -= 0.1
        best_total.notes.append("total does not add up with the net amount or the line items")
        if best_vat is not None:
            best_vat.score -= 0.1
            best_vat.notes.append("VAT does not add up with the total")
    _resort(ranked)
    return False


def _resort(ranked: dict[str, Ranked]) -> None:
    for key in ("total_amount", "vat_amount"):
        if key in ranked:
            ranked[key].sort()


def check_dates(ranked: dict[str, Ranked]) -> None:
    issued, due = ranked.get("invoice_date", Ranked()), ranked.get("due_date", Ranked())
    if not issued.best or not due.best:
        return
    start = _date(issued.best.value)
    if start is None:
        return
    for option in due.options:
        end = _date(option.value)
        if end is None:
            continue
        if end >= start and (end - start).days <= 366:
            option.score += 0.05
            option.notes.append("due date after invoice date")
            if option is due.best:
                issued.best.score += 0.05
        elif end < start:
            option.score -= 0.2
            option.notes.append("due date before invoice date")
    due.sort()


def check_currency(ranked: dict[str, Ranked]) -> None:
    currency, total = ranked.get("currency", Ranked()).best, ranked.get("total_amount", Ranked()).best
    printed = (total.currency or (total.parsed.currency if total.parsed else None)) if total else None
    if currency and printed == currency.value:
        currency.score += 0.1
        currency.notes.append("printed with the total")


def field_values(model: ModelSpec, ranked: dict[str, Ranked]) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    for spec in model.fields:
        options = ranked.get(spec.key, Ranked()).options
        if spec.format == "iban":
            for option in options:
                option.score += 0.15  # every IBAN found passed the mod-97 checksum
        options.sort(key=lambda f: -f.score)
        if not options:
            out[spec.key] = FieldValue(value=None, confidence=None)
            continue
        best = options[0]
        out[spec.key] = FieldValue(
            value=best.value,
            confidence=clamp(best.score),
            page=best.page,
            raw_value=best.raw,
            box=union_box(best.words),
            candidates=[Candidate(value=o.value, confidence=clamp(o.score), page=o.page) for o in options],
        )
    return out


def clamp(score: float) -> float:
    return round(min(0.99, max(0.01, score)), 3)


def _row(row: RowCells, keys: list[str], consistent_total: bool) -> TableRow:
    parsed = row.parsed
    numbers = {k: _decimal(_value(row, k)) for k in ("quantity", "unit_price", "amount") if parsed.get(k)}
    check: bool | None = None
    if len(numbers) == 3 and all(v is not None for v in numbers.values()):
        q, u, a = numbers["quantity"], numbers["unit_price"], numbers["amount"]
        assert q is not None and u is not None and a is not None
        check = abs(q * u - a) <= max(CENT, abs(a) * Decimal("0.005"))
    cells: TableRow = {}
    for key in keys:
        words = row.cells.get(key)
        result = parsed.get(key)
        if not words or result is None:
            raw = " ".join(w.text for w in words) if words else None
            cells[key] = Cell.model_construct(
                _CELL_FIELDS,
                value=None,
                confidence=None if not words else 0.1,
                page=row.page,
                raw_value=raw,
                box=None,
            )
            continue
        is_number = key in numbers
        if check is True:
            score = 0.95 if is_number else 0.88
        elif check is False:
            score = 0.55 if is_number else 0.72
        else:
            score = 0.7 * (0.6 + 0.4 * result.quality)
        if consistent_total:
            score += 0.03
        value = result.value
        if not is_number and key == "description":
            cleaned = parse_string(value)
            value = cleaned.value if cleaned else value
        raw = " ".join(w.text for w in words)
        cells[key] = Cell.model_construct(  # values valid by construction: no validation pass
            _CELL_FIELDS,
            value=raw if raw == value else value,
            confidence=clamp(score),
            page=row.page,
            raw_value=raw,
            box=union_box(words),
        )
    return cells
