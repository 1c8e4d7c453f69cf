"""Pick the parser for a field from its fieldConfig type and format."""

from __future__ import annotations

from core.providers.local.modelspec import FieldSpec
from core.providers.local.normalize import (
    Parsed,
    parse_amount,
    parse_currency,
    parse_date,
    parse_digits,
    parse_enum,
    parse_iban,
    parse_numeric,
    parse_string,
)

# How many words a value of each kind may span ("14 March 2026", "€ 1 234,56", an IBAN in groups).
MAX_WORDS = {"amount": 5, "date": 4, "digits": 6, "numeric": 3, "enum": 3, "iban": 9, "currency": 2}


def max_words(spec: FieldSpec) -> int:
    if spec.format in MAX_WORDS:
        return MAX_WORDS[spec.format]
    return MAX_WORDS.get(spec.type, 12)


def parse_value(
    spec: FieldSpec, text: str, *, date_order: str = "DMY", country: str | None = None
) -> Parsed | None:
    if not text.strip():
        return None
    if spec.format == "iban":
        return parse_iban(text)
    if spec.format == "currency":
        return parse_currency(text, country=country, allowed=spec.enum)
    kind = spec.type
    if kind == "amount":
        return parse_amount(text)
    if kind == "date":
        return parse_date(text, order=date_order)
    if kind == "numeric":
        return parse_numeric(text)
    if kind == "digits":
        return parse_digits(text)
    if kind == "enum":
        return parse_enum(text, spec.enum)
    if spec.format == "organization" and not any(c.isalpha() for c in text):
        return None
    return parse_string(text, max_length=spec.max_length, pattern=spec.pattern)
