"""Extracted values as spreadsheet cells: amounts as numbers, dates as dates, everything else as text.

Numbers are read in the document's own convention: "1.234,56" and "1,234.56" are both 1234.56, and
"27,80" is 27.8, never 2780. A value that does not parse keeps its text. Dates become Excel serial
numbers (days since 1899-12-30) with a date format, so every application shows a real date. Text is
cut at Excel's 32,767 characters per cell.

Pure functions over plain values: the Office add-in's applier gets exactly the same cells.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from core.workbook.layout import FORMATS, MAX_CELL_TEXT

Scalar = str | int | float | bool | None

_EXCEL_EPOCH = datetime(1899, 12, 30)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)
_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_INTEGER = re.compile(r"-?\d+")
# What may stand inside an amount (spaces, apostrophes grouping thousands) or around it (a currency
# symbol or code such as EUR, kr, Fr.) without being part of the number.
_NOISE = re.compile(r"[\s\u00a0\u202f'’€$£¥₹₩₽¤]")
_CURRENCY_WORD = re.compile(r"^[A-Za-z]{1,3}\.?(?=[\d(+-])|(?<=[\d)-])[A-Za-z]{1,3}\.?$")
_NUMBER = re.compile(r"[+-]?[\d.,]*\d")
_TRUNCATED = "…"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 (tab, LF, CR are)


def decimal_mark(texts: Iterable[str | None]) -> str | None:
    """The decimal mark a document uses ("." or ","), judged from the numbers it prints; None if
    nothing tells (no number in it has a decimal part)."""
    votes: Counter[str] = Counter()
    for text in texts:
        if text:
            mark = _mark_of(text)
            if mark:
                votes[mark] += 1
    if not votes:
        return None
    (mark, count), *rest = votes.most_common()
    return mark if not rest or rest[0][1] < count else None


def _mark_of(text: str) -> str | None:
    body = _digits_and_marks(text)
    if body is None:
        return None
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        return "." if body.rfind(".") > body.rfind(",") else ","
    for mark, count in ((".", dots), (",", commas)):
        if count == 1 and len(body) - body.rfind(mark) - 1 in (1, 2):
            return mark
        if count > 1:
            return "," if mark == "." else "."  # several of a mark: it groups thousands
    return None


def _digits_and_marks(text: str) -> str | None:
    cleaned = _CURRENCY_WORD.sub("", _NOISE.sub("", text.strip()))
    cleaned = cleaned.strip("()+-").rstrip("-")
    match = _NUMBER.fullmatch(cleaned)
    return match.group(0).lstrip("+-") if match else None


def parse_number(text: str, mark: str | None = None) -> float | None:
    """The number written in `text` ("1.234,56 €", "(12.50)", "-1,5"), or None if it is not one.

    `mark` is the document's decimal mark; without it a lone mark followed by three digits is read as a
    thousands separator ("1,234" is 1234)."""
    stripped = text.strip()
    if not stripped:
        return None
    negative = (
        stripped.startswith("-")
        or stripped.endswith("-")
        or (stripped.startswith("(") and stripped.endswith(")"))
    )
    body = _digits_and_marks(stripped)
    if body is None:
        return None
    dots, commas = body.count("."), body.count(",")
    decimal: str | None
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
    elif dots + commas == 0:
        decimal = None
    else:
        sep = "." if dots else ","
        if dots + commas > 1:
            decimal = None  # "1.234.567": only grouping
        else:
            after = len(body) - body.rfind(sep) - 1
            decimal = sep if after != 3 or mark == sep else None
    grouping = {".", ","} - {decimal} if decimal else {".", ","}
    digits = body
    for sep in grouping:
        digits = digits.replace(sep, "")
    if decimal == ",":
        digits = digits.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\d*\.\d+", digits):
        return None
    value = float(digits)
    return -value if negative else value


def number_from(value: str, raw: str | None, mark: str | None) -> float | None:
    """A field's number: a normalized dot-decimal value is trusted; a value still in the document's
    own writing is read in the document's convention."""
    normalized = raw is not None and raw.strip() != value.strip()
    if _PLAIN_DECIMAL.fullmatch(value.strip()) and (normalized or mark != ","):
        return float(value)
    return parse_number(value, mark)


def excel_serial(moment: date | datetime) -> float:
    """Days since 1899-12-30: how Excel stores a date (a datetime keeps its time of day)."""
    if isinstance(moment, datetime):
        naive = moment.replace(tzinfo=None)
        return round((naive - _EXCEL_EPOCH).total_seconds() / 86400, 8)
    return float((moment - _EXCEL_EPOCH.date()).days)


def date_from(value: str) -> float | None:
    text = value.strip()
    match = _ISO_DATE.fullmatch(text)
    if match:
        try:
            return excel_serial(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return None
    match = _ISO_DATETIME.fullmatch(text)
    if match:
        try:
            parts = [int(match[i] or 0) for i in range(1, 7)]
            moment = datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        except ValueError:
            return None
        return excel_serial(moment)
    return None


def infer_type(value: str | None) -> str:
    """A column type for a field whose model gives none, from a value: ISO dates and two-decimal
    amounts are recognised; anything else (ids, codes, numbers with leading zeros) stays text; ""
    when there is no value to tell."""
    if value is None:
        return ""
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        return "date"
    if re.fullmatch(r"-?\d+\.\d{2}", text):
        return "amount"
    return "text"


def text_cell(value: str) -> tuple[str, bool]:
    """Text as a cell holds it: without control characters a workbook cannot store, cut to Excel's
    limit; the flag says whether it was cut."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    if len(value) <= MAX_CELL_TEXT:
        return value, False
    return value[: MAX_CELL_TEXT - len(_TRUNCATED)] + _TRUNCATED, True


def typed_cell(value: str | None, raw: str | None, type_: str, mark: str | None) -> tuple[Scalar, bool]:
    """The cell for a field value of a column type; the flag says the text was cut to fit."""
    if value is None:
        return None, False
    if type_ in ("amount", "number", "integer"):
        number = number_from(value, raw, mark)
        if number is not None:
            if type_ == "integer" or (
                type_ == "number" and number.is_integer() and _INTEGER.fullmatch(value)
            ):
                return int(number), False
            return number, False
    elif type_ in ("date", "datetime"):
        serial = date_from(value)
        if serial is not None:
            return serial, False
    return text_cell(value)


def column_format(type_: str) -> str | None:
    return FORMATS.get(type_)


def plain(value: Any) -> Scalar:
    """Anything as a JSON scalar for a cell (numbers stay numbers, the rest becomes text)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)
