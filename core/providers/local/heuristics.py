"""Values found without a label: IBANs by shape and checksum, the currency from signs and codes,
the supplier from the letterhead, and last-resort dates and totals. They score lower than labelled ones.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from core.providers.local.fields import Context, Found, lines_of
from core.providers.local.labels import WORD_GAP, norm_token, split_phrases
from core.providers.local.modelspec import FieldSpec
from core.providers.local.names import (
    ends_with_legal_form,
    is_legal_form,
    join_legal_forms,
    looks_like_address,
    looks_like_prose,
    name_phrases,
)
from core.providers.local.normalize import (
    currency_code,
    date_order_votes,
    fold,
    parse_amount,
    parse_date,
    parse_iban,
)
from core.providers.local.textlayer import SEPARATOR_TOKENS, TextLayer, Word, gap_between, union_box

_IBAN_START = re.compile(r"^(?:IBAN:?)?[A-Z]{2}\d{2}")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TITLES = _words(
    "invoice rechnung facture faktura factuur gutschrift avoir kreditnota creditnota proforma fattura "
    "factura quittung receipt bill"
) | {
    "tax invoice",
    "credit note",
    "proforma invoice",
}


def scan_ibans(layer: TextLayer) -> list[Found]:
    """Every IBAN with a valid checksum, anywhere (the scan that needs no label)."""
    out: list[Found] = []
    for page in layer.pages:
        for line in page.lines:
            words = line.words
            for i, word in enumerate(words):
                if not _IBAN_START.match(word.text.upper()):
                    continue
                end = i + 1
                while end < len(words) and end - i < 9 and words[end].text not in SEPARATOR_TOKENS:
                    if gap_between(words[end - 1], words[end]) > WORD_GAP:
                        break
                    end += 1
                for stop in range(end, i, -1):
                    parsed = parse_iban(" ".join(w.text for w in words[i:stop]))
                    if parsed:
                        span = words[i:stop]
                        raw = " ".join(w.text for w in span)
                        out.append(
                            Found(
                                "", parsed.value, raw, line.page, span, 0.5, "IBAN pattern, no label", parsed
                            )
                        )
                        break
    return out


def document_date_order(layer: TextLayer) -> str:
    """DMY or MDY: settled by dates like 14/03/2026, else by the currency ($ and no € or £: MDY)."""
    votes: Counter[str] = Counter()
    dollars = euros = 0
    for page in layer.pages:
        for word in page.words:
            vote = date_order_votes(word.text)
            if vote:
                votes[vote] += 1
            dollars += "$" in word.text
            euros += any(sign in word.text for sign in "€£") or word.text in ("EUR", "GBP", "CHF")
    if votes:
        return votes.most_common(1)[0][0]
    return "MDY" if dollars and not euros else "DMY"


def currency_signals(ctx: Context, spec: FieldSpec) -> list[Found]:
    counts: Counter[str] = Counter()
    first: dict[str, tuple[Word, str]] = {}
    for page in ctx.layer.pages:
        for word in page.words:
            text = word.text.strip("()[]:,")
            code = currency_code(text, country=ctx.country)
            printed = text
            if code is None and text and (text[0] in "€$£" or text[-1] in "€$£"):
                printed = text[0] if text[0] in "€$£" else text[-1]
                code = currency_code(printed)
            if code and (not spec.enum or code in spec.enum):
                counts[code] += 1
                first.setdefault(code, (word, printed))
    out = []
    for code, count in counts.most_common(3):
        word, printed = first[code]
        score = 0.42 + 0.08 * min(count, 5)
        out.append(
            Found(spec.key, code, printed, word.page, [word], score, f"currency sign or code seen {count}x")
        )
    return out


def _recipient_regions(ctx: Context, spec: FieldSpec) -> list[tuple[int, float, float, float, float]]:
    regions = []
    for hit in ctx.hits:
        if hit.key == spec.key and hit.strength == "exclude":
            x1, y1, _, y2 = union_box(hit.words)
            regions.append((hit.page, x1 - 0.01, y1 - 0.002, x1 + 0.4, y2 + 0.12))
    return regions


def organizations(ctx: Context, spec: FieldSpec) -> list[Found]:
    """Company names in the letterhead: a legal form, a large font, near the top, repeated in footers."""
    if not ctx.layer.pages:
        return []
    page = ctx.layer.pages[0]
    regions = [r for r in _recipient_regions(ctx, spec) if r[0] == page.index]
    label_words = {id(w) for h in ctx.hits for w in h.words}
    largest = max((w.size for w in page.words), default=1.0)
    all_text = [fold(line.text) for p in ctx.layer.pages for line in p.lines]
    out: list[Found] = []
    for line in page.lines:
        if id(line) in ctx.skip_lines:
            continue
        for phrase in (p for whole in join_legal_forms(split_phrases(line)) for p in name_phrases(whole)):
            text = " ".join(w.text for w in phrase)
            folded = fold(text)
            legal = ends_with_legal_form(phrase)
            letters = sum(c.isalpha() for c in text)
            if (
                len(phrase) > 8
                or folded in _TITLES
                or fold(phrase[0].text).strip(".:") in _TITLES
                or (any(id(w) in label_words for w in phrase) and not legal)
                or all(is_legal_form(w.text) or w.text == "&" for w in phrase)
                or any(s in folded for s in ("@", "www.", "http"))
                or letters == 0
                or sum(c.isdigit() for c in text) > letters
                or (looks_like_prose(phrase) and not legal)
                or looks_like_address(phrase)
                or any(r[1] <= phrase[0].x1 <= r[3] and r[2] <= phrase[0].y1 <= r[4] for r in regions)
            ):
                continue
            size_ratio = max(w.size for w in phrase) / largest
            top = phrase[0].y1 < 0.22
            if not legal and not (top and size_ratio > 0.8):
                continue
            repeats = sum(folded in other for other in all_text) - 1
            score = 0.2 + 0.3 * legal + 0.25 * size_ratio + 0.1 * top + 0.06 * min(repeats, 2)
            if any(c.isdigit() for c in text):
                score -= 0.2
            score = min(score, 0.8)
            out.append(
                Found(
                    spec.key,
                    " ".join(text.split()),
                    text,
                    line.page,
                    phrase,
                    score,
                    "company name in the layout",
                )
            )
    return out


def first_date(ctx: Context, spec: FieldSpec, taken: set[str]) -> list[Found]:
    for line in lines_of(ctx):
        for word in line.words:
            parsed = parse_date(word.text, order=ctx.date_order)
            if parsed and parsed.value not in taken:
                return [
                    Found(
                        spec.key,
                        parsed.value,
                        word.text,
                        line.page,
                        [word],
                        0.3,
                        "first date, no label",
                        parsed,
                    )
                ]
    return []


def largest_amount(ctx: Context, spec: FieldSpec) -> list[Found]:
    best: tuple[Decimal, Found] | None = None
    for line in lines_of(ctx):
        for word in line.words:
            if "," not in word.text and "." not in word.text:
                continue
            parsed = parse_amount(word.text)
            if parsed and (best is None or Decimal(parsed.value) > best[0]):
                found = Found(
                    spec.key,
                    parsed.value,
                    word.text,
                    line.page,
                    [word],
                    0.25,
                    "largest amount, no label",
                    parsed,
                )
                best = (Decimal(parsed.value), found)
    return [best[1]] if best else []


# Words of a sentence that sets a payment deadline, and the words that put the deadline before a date.
_PAYMENT_WORDS = frozenset(
    {"zahlbar", "überweis", "pay", "remit", "paiement", "régl", "betaal", "betalen", "pagar", "pagamento"}
    | {"pagare", "fällig", "due", "abgebucht", "eingezogen", "debited", "prélev"}
)
_DEADLINE_WORDS = frozenset(
    {
        "bis",
        "until",
        "by",
        "before",
        "avant",
        "voor",
        "uiterlijk",
        "entro",
        "antes",
        "zum",
        "am",
        "on",
        "le",
        "op",
    }
)
_DISCOUNT_WORDS = ("skonto", "discount", "escompte", "korting", "sconto", "descuento")


def prose_due_dates(ctx: Context, spec: FieldSpec) -> list[Found]:
    """Due dates written in a sentence: "Zahlbar innerhalb 30 Tagen netto bis 04.04.2013", "Please
    remit until 2020-12-12", "TOTAL AMOUNT DUE ON August 3, 2014". A date after a discount
    ("3% Skonto ... bis 15.03.2013") is not the due date."""
    out: list[Found] = []
    for line in lines_of(ctx):
        folded = fold(line.text)
        if not any(fold(word) in folded for word in _PAYMENT_WORDS):
            continue
        words = line.words
        for i in range(1, len(words)):
            if norm_token(words[i - 1].text) not in _DEADLINE_WORDS:
                continue
            before = fold(" ".join(w.text for w in words[:i]))
            if any(word in before for word in _DISCOUNT_WORDS):
                break
            for end in range(min(len(words), i + 4), i, -1):
                parsed = parse_date(" ".join(w.text for w in words[i:end]), order=ctx.date_order)
                if parsed:
                    span = words[i:end]
                    raw = " ".join(w.text for w in span)
                    out.append(
                        Found(
                            spec.key,
                            parsed.value,
                            raw,
                            line.page,
                            span,
                            0.62,
                            "deadline in a sentence",
                            parsed,
                        )
                    )
                    break
            if out and out[-1].words[0].page == line.page and out[-1].words[0] in words:
                break
    return out[:2]
