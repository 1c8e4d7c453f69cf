"""Value parsers: text as printed -> normalized value (ISO dates, dot-decimal amounts, ISO 4217 codes).

Each parser returns a `Parsed` with a quality in 0..1 (how cleanly the text parsed), or None when the
text is not a value of that type.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_ISO_CURRENCY_LIST = (
    "EUR USD GBP CHF NOK SEK DKK ISK PLN CZK HUF RON BGN HRK TRY JPY CNY HKD SGD AUD NZD CAD MXN BRL "
    "ZAR INR KRW AED SAR ILS THB"
)
ISO_CURRENCIES = frozenset(_ISO_CURRENCY_LIST.split())
CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "$": "USD",
    "US$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "zł": "PLN",
    "Kč": "CZK",
    "Fr.": "CHF",
    "SFr.": "CHF",
    "A$": "AUD",
    "C$": "CAD",
    "R$": "BRL",
    "Rs": "INR",
    "Rs.": "INR",
}
# "kr" is the krone/krona of NO, SE, DK and IS: the country decides.
KRONE_BY_COUNTRY = {"NO": "NOK", "SE": "SEK", "DK": "DKK", "IS": "ISK"}

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january januar janvier januari jan janv",
        "february februar fevrier februari feb fev fevr",
        "march marz maerz mars maart mar mrz",
        "april avril apr avr",
        "may mai mei",
        "june juni juin jun",
        "july juli juillet jul juil",
        "august aout augustus aug",
        "september septembre sep sept",
        "october oktober octobre oct okt",
        "november novembre nov",
        "december dezember decembre desember dec dez des",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_THOUSANDS_SPACES = " \u00a0\u202f\u2009'’"
_AMOUNT_BODY = re.compile(r"^\d[\d.,\u00a0\u202f\u2009'’ ]*$")
_CURRENCY_TOKEN = re.compile(
    r"(?:US\$|A\$|C\$|R\$|SFr\.|Fr\.|kr\.?|Rs\.?(?=\s|\d|$)|zł|Kč|[€$£¥₹]|\b[A-Z]{3}\b)", re.UNICODE
)


@dataclass(frozen=True, slots=True)
class Parsed:
    value: str
    quality: float = 1.0
    currency: str | None = None  # a currency seen inside an amount
    note: str | None = None  # why quality is below 1


def fold(text: str) -> str:
    """Lower case without accents: for comparing words across languages."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# -- currency ------------------------------------------------------------------------------------


def currency_code(token: str, *, country: str | None = None) -> str | None:
    """ISO 4217 code for a symbol or code token, or None."""
    cleaned = token.strip().strip("()[]:,")
    if cleaned.upper() in ISO_CURRENCIES and (cleaned.isupper() or len(cleaned) == 3):
        return cleaned.upper() if cleaned.isupper() else None
    if cleaned in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[cleaned]
    if cleaned.lower() in ("kr", "kr.", ",-kr"):
        return KRONE_BY_COUNTRY.get(country or "", "NOK")
    return None


def parse_currency(text: str, *, country: str | None = None, allowed: tuple[str, ...] = ()) -> Parsed | None:
    stripped = text.strip()
    code = currency_code(stripped, country=country)
    if code is None:
        for match in _CURRENCY_TOKEN.finditer(stripped):
            code = currency_code(match.group(0), country=country)
            if code:
                break
    if code is None or (allowed and code not in allowed):
        return None
    quality = 1.0 if stripped.upper() == code else 0.9
    if stripped.lower().startswith("kr"):
        quality = 0.8 if country in KRONE_BY_COUNTRY else 0.6
    return Parsed(code, quality)


# -- numbers -----------------------------------------------------------------------------------


def _split_currency(text: str) -> tuple[str, str | None, bool]:
    """The number part, a currency found around it, and whether it is negative."""
    body = text.strip()
    currency: str | None = None
    negative = False
    if body.startswith("(") and body.endswith(")"):
        body, negative = body[1:-1].strip(), True
    for _ in range(2):
        for match in list(_CURRENCY_TOKEN.finditer(body)):
            code = currency_code(match.group(0))
            if code and (match.start() == 0 or match.end() == len(body)):
                currency = currency or code
                body = (body[: match.start()] + body[match.end() :]).strip()
                break
    if body.endswith(",-") or body.endswith(".-") or body.endswith(",--"):
        body = body.rstrip("-").rstrip(",.") + ",00"
    if body[:1] in "-−–":
        body, negative = body[1:].strip(), True
    elif body[-1:] in "-−":
        body, negative = body[:-1].strip(), True
    if body[:1] == "+":
        body = body[1:].strip()
    return body, currency, negative


def parse_number(text: str) -> tuple[Decimal, float, str | None] | None:
    """A number in any common grouping: 1,234.56 / 1.234,56 / 1 234,56 / 1'234.56 / 1234."""
    body, currency, negative = _split_currency(text)
    if not body or not _AMOUNT_BODY.match(body) or not body[-1].isdigit():
        return None
    quality = 1.0
    separators = [(i, c) for i, c in enumerate(body) if c in ".,"]
    decimal_index: int | None = None
    if separators:
        last_index, last_char = separators[-1]
        digits_after = len(body) - last_index - 1
        same_kind = [i for i, c in separators if c == last_char]
        if len(separators) > len(same_kind) or (len(same_kind) == 1 and digits_after != 3):
            decimal_index = last_index
        elif len(same_kind) == 1 and digits_after == 3:
            quality = 0.85  # "1,234" or "1.234": read as thousands
    integer_part = body if decimal_index is None else body[:decimal_index]
    fraction = "" if decimal_index is None else body[decimal_index + 1 :]
    if not fraction.isdigit() and fraction:
        return None
    groups = re.split(r"[.,\u00a0\u202f\u2009'’ ]", integer_part)
    if len(groups) > 1 and (
        not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]) or not all(groups)
    ):
        return None
    try:
        number = Decimal("".join(groups) + ("." + fraction if fraction else ""))
    except InvalidOperation:
        return None
    return (-number if negative else number), quality, currency


def format_amount(number: Decimal) -> str:
    return str(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def format_plain(number: Decimal) -> str:
    """A plain number string: 2, 2.5, 1000 (no exponent, no trailing zeros)."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_amount(text: str) -> Parsed | None:
    parsed = parse_number(text)
    if parsed is None:
        return None
    number, quality, currency = parsed
    if "," not in text and "." not in text:
        quality = min(quality, 0.9)  # amounts usually show cents
    return Parsed(format_amount(number), quality, currency)


_UNIT_SUFFIX = re.compile(r"^(.*\d)\s*([A-Za-zÀ-ÿ.²³%]{1,6})$")


def parse_numeric(text: str) -> Parsed | None:
    """A plain number; a short unit after it (2 Stk., 3 h, 5 pcs) is allowed."""
    parsed = parse_number(text)
    quality = 1.0
    if parsed is None:
        match = _UNIT_SUFFIX.match(text.strip())
        if not match or parse_currency(match.group(2)) is not None:
            return None
        parsed = parse_number(match.group(1))
        quality = 0.9
        if parsed is None:
            return None
    number, number_quality, currency = parsed
    return Parsed(format_plain(number), min(quality, number_quality), currency)


def parse_digits(text: str) -> Parsed | None:
    digits = "".join(c for c in text if c.isdigit())
    letters = sum(c.isalpha() for c in text)
    if not digits or letters * 2 > len(digits):
        return None
    return Parsed(digits, 1.0 if letters == 0 else 0.85)


# -- dates -----------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})$")
_DAY_MONTH_YEAR = re.compile(
    r"^(\d{1,2})(?:\.|er|st|nd|rd|th)?[\s-]*(?:de\s+)?([^\W\d_]{3,})\.?[\s,-]*(\d{4})$"
)
_MONTH_DAY_YEAR = re.compile(r"^([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_order_votes(text: str) -> str | None:
    """'DMY' or 'MDY' if a numeric date settles the order by itself (a part above 12), else None."""
    match = _NUMERIC_DATE.match(text.strip().rstrip(".,;"))
    if not match or match.group(2) == ".":
        return None
    first, second = int(match.group(1)), int(match.group(3))
    if first > 12 >= second:
        return "DMY"
    if second > 12 >= first:
        return "MDY"
    return None


def parse_date(text: str, *, order: str = "DMY") -> Parsed | None:
    """ISO 8601 date from the common written forms; `order` settles 03/04/2026 (DMY or MDY)."""
    cleaned = " ".join(text.strip().rstrip(".,;:").split()).replace(" ,", ",")
    match = _ISO_DATE.match(cleaned)
    if match:
        date = _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return Parsed(date.isoformat()) if date else None
    match = _NUMERIC_DATE.match(cleaned)
    if match:
        first, sep, second, year = (
            int(match.group(1)),
            match.group(2),
            int(match.group(3)),
            int(match.group(4)),
        )
        quality = 1.0 if len(match.group(4)) == 4 else 0.9
        if sep == "." or first > 12:
            day, month = first, second
        elif second > 12:
            month, day = first, second
        else:
            day, month = (first, second) if order == "DMY" else (second, first)
            if first != second:
                quality = min(quality, 0.8)
                date = _make_date(year, month, day)
                return Parsed(date.isoformat(), quality, note=f"ambiguous, read as {order}") if date else None
        date = _make_date(year, month, day)
        return Parsed(date.isoformat(), quality) if date else None
    match = _DAY_MONTH_YEAR.match(cleaned)
    if match:
        month_number = MONTHS.get(fold(match.group(2)).rstrip("."))
        if month_number:
            date = _make_date(int(match.group(3)), month_number, int(match.group(1)))
            return Parsed(date.isoformat()) if date else None
    match = _MONTH_DAY_YEAR.match(cleaned)
    if match:
        month_number = MONTHS.get(fold(match.group(1)).rstrip("."))
        if month_number:
            date = _make_date(int(match.group(3)), month_number, int(match.group(2)))
            return Parsed(date.isoformat()) if date else None
    return None


# -- IBAN and strings ---------------------------------------------------------------------------

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


def iban_checksum_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def parse_iban(text: str) -> Parsed | None:
    compact = re.sub(r"[\s\-.]", "", text).upper()
    if compact.startswith("IBAN:"):
        compact = compact[5:]
    elif compact.startswith("IBAN"):
        compact = compact[4:]
    if not _IBAN_SHAPE.match(compact) or not iban_checksum_ok(compact):
        return None
    return Parsed(compact, 1.0)


def parse_string(
    text: str, *, max_length: int | None = None, pattern: re.Pattern[str] | None = None
) -> Parsed | None:
    value = " ".join(text.split()).strip(" :;,")
    if not value:
        return None
    if pattern is not None and not pattern.search(value):
        return None
    if max_length is not None and len(value) > max_length:
        return Parsed(value[:max_length], 0.7, note="cut to maxLength")
    return Parsed(value, 1.0)


def parse_enum(text: str, options: tuple[str, ...]) -> Parsed | None:
    folded = fold(text)
    for option in sorted(options, key=len, reverse=True):
        option_folded = fold(option)
        if folded.strip() == option_folded:
            return Parsed(option, 1.0)
        if re.search(r"(?<!\w)" + re.escape(option_folded) + r"(?!\w)", folded):
            return Parsed(option, 0.85)
    return None
