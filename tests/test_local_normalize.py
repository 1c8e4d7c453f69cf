"""Value parsers of the local engine: dates, amounts, numbers, currencies, IBANs, labels."""

from __future__ import annotations

import pytest

from core.providers.local.labels import norm_token, tokenize_label
from core.providers.local.normalize import (
    parse_amount,
    parse_currency,
    parse_date,
    parse_digits,
    parse_enum,
    parse_iban,
    parse_numeric,
    parse_string,
)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2026-03-14", "DMY", "2026-03-14"),
        ("2026/03/14", "DMY", "2026-03-14"),
        ("14.03.2026", "MDY", "2026-03-14"),  # dots: always day first
        ("14.03.26", "DMY", "2026-03-14"),
        ("03/14/2026", "DMY", "2026-03-14"),  # 14 cannot be a month
        ("14/03/2026", "MDY", "2026-03-14"),
        ("03/04/2026", "MDY", "2026-03-04"),
        ("03/04/2026", "DMY", "2026-04-03"),
        ("13-04-2026", "DMY", "2026-04-13"),
        ("14 March 2026", "DMY", "2026-03-14"),
        ("March 14, 2026", "DMY", "2026-03-14"),
        ("Mar 14 2026", "DMY", "2026-03-14"),
        ("14-Mar-2026", "DMY", "2026-03-14"),
        ("14. März 2026", "DMY", "2026-03-14"),
        ("3. Dezember 2026", "DMY", "2026-12-03"),
        ("1er avril 2026", "DMY", "2026-04-01"),
        ("15 avril 2026", "DMY", "2026-04-15"),
        ("14. februar 2026", "DMY", "2026-02-14"),
        ("14 maart 2026", "DMY", "2026-03-14"),
        ("14 février 2026", "DMY", "2026-02-14"),
    ],
)
def test_dates(text: str, order: str, expected: str) -> None:
    parsed = parse_date(text, order=order)
    assert parsed is not None and parsed.value == expected


def test_ambiguous_dates_are_less_certain() -> None:
    ambiguous, clear = parse_date("03/04/2026"), parse_date("14/04/2026")
    assert ambiguous is not None and clear is not None
    assert ambiguous.quality < clear.quality


@pytest.mark.parametrize("text", ["31.02.2026", "2026-13-01", "INV-2026-03", "14 Foo 2026", "12345", ""])
def test_not_dates(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("€ 1 234,56", "1234.56"),
        ("1.234,56 €", "1234.56"),
        ("$8,046.00", "8046.00"),
        ("£306.10", "306.10"),
        ("EUR 2,310.00", "2310.00"),
        ("129 273,50", "129273.50"),
        ("1234", "1234.00"),
        ("12,5", "12.50"),
        ("0.5", "0.50"),
        ("-12.00", "-12.00"),
        ("(12.00)", "-12.00"),
        ("1.234,-", "1234.00"),
        ("1,234,567.891", "1234567.89"),
    ],
)
def test_amounts(text: str, expected: str) -> None:
    parsed = parse_amount(text)
    assert parsed is not None and parsed.value == expected


def test_amount_keeps_the_currency_it_saw() -> None:
    parsed = parse_amount("1.234,56 €")
    assert parsed is not None and parsed.currency == "EUR"


@pytest.mark.parametrize("text", ["12 5", "1,23,4", "abc", "INV-2026", "12.3.4", "€", "2026-03-14"])
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "2"),
        ("1,5", "1.5"),
        ("2.00", "2"),
        ("37,5", "37.5"),
        ("3 h", "3"),
        ("6 Stk.", "6"),
        ("1,000", "1000"),
    ],
)
def test_numeric(text: str, expected: str) -> None:
    parsed = parse_numeric(text)
    assert parsed is not None and parsed.value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EUR", "EUR"),
        ("€", "EUR"),
        ("$", "USD"),
        ("£", "GBP"),
        ("(NOK)", "NOK"),
        ("CHF", "CHF"),
        ("kr", "NOK"),
    ],
)
def test_currencies(text: str, expected: str) -> None:
    parsed = parse_currency(text)
    assert parsed is not None and parsed.value == expected


def test_krone_follows_the_country() -> None:
    swedish = parse_currency("kr", country="SE")
    assert swedish is not None and swedish.value == "SEK"
    assert parse_currency("EUR", allowed=("USD",)) is None
    assert parse_currency("Hello") is None


def test_iban_checksum() -> None:
    valid = parse_iban("DE89 3704 0044 0532 0130 00")
    assert valid is not None and valid.value == "DE89370400440532013000"
    assert parse_iban("GB29 NWBK 6016 1331 9268 19") is not None
    assert parse_iban("IBAN: NL91 ABNA 0417 1643 00") is not None
    assert parse_iban("DE89 3704 0044 0532 0130 01") is None  # one digit off
    assert parse_iban("NOT AN IBAN") is None


def test_digits_strings_and_enums() -> None:
    digits = parse_digits("987 654 321")
    assert digits is not None and digits.value == "987654321"
    assert parse_digits("Hello world 1") is None
    cut = parse_string("  ACME   Ltd  ", max_length=4)
    assert cut is not None and cut.value == "ACME" and cut.quality < 1
    choice = parse_enum("Paid by card", ("Cash", "Card"))
    assert choice is not None and choice.value == "Card"


def test_label_tokens_fold_case_accents_and_number_words() -> None:
    assert tokenize_label("Invoice No.:") == tokenize_label("invoice number") == tokenize_label("Invoice #")
    assert tokenize_label("Facture n°") == ("facture", "no")
    assert norm_token("Fälligkeitsdatum:") == "falligkeitsdatum"
    assert norm_token(":") == ""


def test_label_tokens_fold_letters_without_a_decomposition() -> None:
    # OCR reads the Norwegian "ø" as "o" and "å" as "a": the label still matches.
    assert norm_token("Beløp") == norm_token("Belop") == "belop"
    assert tokenize_label("Totalt å betale") == tokenize_label("Totalt a betale")
    assert norm_token("Æ") == "ae"
