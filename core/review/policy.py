"""When a result needs a human look: fields below their confidence thresholds, or broken sums.

    policy = ReviewPolicy.parse(below=0.8, fields=["total_amount=0.95"])
    reasons = policy.reasons(result)      # [] -> straight through; else one line per reason

Pure: no I/O, no provider. A threshold is inclusive (a confidence equal to it passes); a value without
a confidence score needs review (nothing vouches for it); a field the service found no value for is not
a reason by itself (there is nothing to check). Reasons name fields and checks, never values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.checks import arithmetic_checks, check_threshold
from core.errors import UsageError
from core.models import Result


@dataclass(frozen=True)
class ReviewPolicy:
    """`below`: the threshold of every field; `fields`: thresholds of their own; `checks`: broken sums
    (lines to net, net plus VAT to total) send a result to review too."""

    below: float | None = None
    fields: Mapping[str, float] = field(default_factory=dict)
    checks: bool = True

    @classmethod
    def parse(
        cls,
        below: float | str | None = None,
        fields: Iterable[str] | Mapping[str, float | str] | None = None,
        *,
        checks: bool = True,
    ) -> ReviewPolicy | None:
        """From user input: `below` a number 0..1, `fields` as NAME=THRESHOLD texts or a mapping.
        None when neither is given (no routing to review)."""
        threshold = None if below in (None, "") else _threshold(below, "--review-below")
        own: dict[str, float] = {}
        items = fields.items() if isinstance(fields, Mapping) else (_pair(text) for text in fields or ())
        for name, value in items:
            own[str(name).strip()] = _threshold(value, f"the threshold of {name}")
        if threshold is None and not own:
            return None
        return cls(below=threshold, fields=own, checks=checks)

    def threshold_of(self, name: str) -> float | None:
        return self.fields.get(name, self.below)

    def reasons(self, result: Result) -> list[str]:
        """Why `result` needs a human look; empty when it can go straight through."""
        if result.status != "succeeded":
            return []
        found: list[str] = []
        for name, value in result.fields.items():
            threshold = self.threshold_of(name)
            if threshold is None or value.value is None:
                continue
            if value.confidence is None:
                found.append(f"{name}: no confidence score (threshold {threshold:g})")
            elif value.confidence < threshold:
                found.append(f"{name}: confidence {value.confidence:g} below {threshold:g}")
        if self.checks:
            for check in arithmetic_checks(result):
                if check.ok is False:
                    found.append(f"check {check.name} failed ({', '.join(check.fields)})")
        return found


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = str(text).partition("=")
    if not sep or not name.strip():
        raise UsageError(
            f"A field threshold must be NAME=THRESHOLD, not {text!r}",
            hint="E.g. --review-field total_amount=0.95 (repeatable).",
        )
    return name.strip(), value.strip()


def _threshold(value: float | str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(
            f"{what} must be a number from 0 to 1, not {value!r}",
            hint="Write it as a fraction, e.g. 0.8 for 80 %.",
        ) from None
    return check_threshold(number)
