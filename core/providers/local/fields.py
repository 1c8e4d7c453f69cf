"""Header fields: find label phrases, then the value to their right on the same line or just below.

Every way a value is found yields a `Found` with a score that says how it was found; scoring.py
turns those into confidences after the consistency checks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.providers.local.labels import (
    PHRASE_GAP,
    WORD_GAP,
    Label,
    LabelHit,
    find_labels,
    is_filler,
    keep_longest,
    line_tokens,
    norm_token,
    split_phrases,
)
from core.providers.local.modelspec import FieldSpec, ModelSpec
from core.providers.local.names import name_like, only_legal_form
from core.providers.local.normalize import Parsed, currency_code, parse_date
from core.providers.local.textlayer import SEPARATOR_TOKENS, Line, TextLayer, Word, gap_between
from core.providers.local.values import max_words, parse_value

# Base score by label strength and where the value stood.
BASE_SCORE = {
    ("strong", "right"): 0.80,
    ("strong", "below"): 0.68,
    ("weak", "right"): 0.58,
    ("weak", "below"): 0.48,
    ("exclude", "right"): 0.58,  # only the net amount is read after an excluded label
    ("exclude", "below"): 0.48,
}


@dataclass
class Found:
    key: str
    value: str
    raw: str
    page: int
    words: list[Word]
    score: float
    how: str
    parsed: Parsed | None = None
    notes: list[str] = field(default_factory=list)
    currency: str | None = None  # a currency printed between the label and the value


@dataclass
class Context:
    layer: TextLayer
    model: ModelSpec
    skip_lines: set[int]  # table lines: no header-field labels there
    date_order: str = "DMY"
    country: str | None = None  # from the IBAN, for "kr"
    hits: list[LabelHit] = field(default_factory=list)

    def parse(self, spec: FieldSpec, words: list[Word]) -> Parsed | None:
        return parse_value(
            spec, " ".join(w.text for w in words), date_order=self.date_order, country=self.country
        )


def collect_hits(ctx: Context) -> list[LabelHit]:
    labels: dict[Label, list[tuple[str, str]]] = defaultdict(list)
    for spec in ctx.model.fields:
        for strength, group in (
            ("strong", spec.labels),
            ("weak", spec.weak_labels),
            ("exclude", spec.exclude_labels),
        ):
            for label in group:
                labels[label].append((spec.key, strength))
    hits: list[LabelHit] = []
    for page in ctx.layer.pages:
        for line in page.lines:
            if id(line) not in ctx.skip_lines:
                hits.extend(keep_longest(find_labels(line, line_tokens(line), labels)))
    return hits


def _best_span(
    ctx: Context, spec: FieldSpec, words: list[Word], start: int, stops: set[int]
) -> tuple[list[Word], Parsed] | None:
    """The longest run of words from `start` that parses as the field's type."""
    limit = max_words(spec)
    span_gap = PHRASE_GAP if spec.type == "string" and spec.format != "iban" else WORD_GAP
    end = start
    while end < len(words) and end - start < limit:
        word = words[end]
        if word.text in SEPARATOR_TOKENS:
            break
        if end > start and (end in stops or gap_between(words[end - 1], word) > span_gap):
            break
        end += 1
    if spec.type not in ("date", "amount") and _starts_a_date(ctx, words, start):
        return None  # "Beitragsrechnung 24. Januar 2014": a date, not a number
    for stop in range(end, start, -1):
        parsed = ctx.parse(spec, words[start:stop])
        if parsed is not None:
            return words[start:stop], parsed
    return None


def _starts_a_date(ctx: Context, words: list[Word], start: int) -> bool:
    for stop in range(min(len(words), start + 3), start, -1):
        if parse_date(" ".join(w.text for w in words[start:stop]), order=ctx.date_order) is not None:
            return True
    return False


# Short words that may stand between a label and its value ("fällig am 06.12.", "du 02 Juillet 2015").
FUNCTION_WORDS = frozenset(
    [
        "am",
        "an",
        "on",
        "at",
        "le",
        "la",
        "les",
        "the",
        "de",
        "du",
        "des",
        "den",
        "dem",
        "zum",
        "zur",
        "bis",
        "until",
        "by",
        "vom",
        "von",
        "of",
        "per",
        "al",
        "il",
        "el",
        "del",
        "op",
        "te",
        "au",
        "le:",
        "am:",
        "on:",
    ]
)
# How many words of a label's tail ("Rechnungssumme Brutto (inkl. USt.) 235,62") may be stepped over.
MAX_TAIL_WORDS = 5


def _skip_fillers(words: list[Word], j: int, stops: set[int]) -> int:
    while j < len(words) and j not in stops:
        token = norm_token(words[j].text)
        if is_filler(words[j]) or token in FUNCTION_WORDS or token == "no":
            j += 1  # punctuation, "le", "am", a number sign ("Invoice No : # BLR_7")
        elif (
            j + 1 < len(words)
            and words[j + 1].text.startswith("%")
            and words[j].text.strip("(").replace(",", "").replace(".", "").isdigit()
        ):
            j += 2  # "19 %": a rate, not the value
        else:
            break
    return j


def _next_span(
    ctx: Context, spec: FieldSpec, words: list[Word], start: int, stops: set[int]
) -> tuple[int, list[Word], Parsed] | None:
    """The first value from `start` on, stepping over at most MAX_TAIL_WORDS words without digits (the
    rest of a label: "Brutto (inkl. USt.)") and rates; never past another label or a separator."""
    skipped = 0
    j = start
    while (j < len(words) and j not in stops) or j == start:
        if j >= len(words) or words[j].text in SEPARATOR_TOKENS:
            return None
        span = _best_span(ctx, spec, words, j, stops)
        if span is not None:
            return j, span[0], span[1]
        if any(c.isdigit() for c in words[j].text) and not is_filler(words[j]):
            return None
        skipped += 1
        if skipped > MAX_TAIL_WORDS:
            return None
        j = _skip_fillers(words, j + 1, stops)
    return None


def _last_amount(
    ctx: Context, spec: FieldSpec, words: list[Word], found: tuple[int, list[Word], Parsed], stops: set[int]
) -> tuple[int, list[Word], Parsed]:
    """Of a run of amounts after one label ("Tax 15% on $ 112.90 $ 16.94", "Total 1 278.61 40.39
    319.00"), the last: the columns of a totals line end with the total."""
    best = found
    j = found[0] + len(found[1])
    while j < len(words) and j not in stops and words[j].text not in SEPARATOR_TOKENS:
        if is_filler(words[j]) or norm_token(words[j].text) in ("on", "x", "von", "of", "sur", "de"):
            j += 1
            continue
        span = _best_span(ctx, spec, words, j, stops)
        if span is None:
            break
        best = (j, span[0], span[1])
        j += len(span[0])
    return best


def value_right(ctx: Context, hit: LabelHit, spec: FieldSpec, stops: set[int]) -> Found | None:
    words = hit.line.words
    start = _skip_fillers(words, hit.end, stops)
    if start >= len(words) or start in stops:
        return None
    found = _next_span(ctx, spec, words, start, stops)
    if found is None:
        return None
    tail_skipped = found[0] > start
    if spec.type == "amount":
        found = _last_amount(ctx, spec, words, found, stops)
    first, value_words, parsed = found
    if spec.format == "organization" and (only_legal_form(value_words) or not name_like(value_words)):
        return None  # "Lieferant GmbH": the label word is part of the name; "bleibt Eigentümer": prose
    # A currency sign right before an amount belongs to the printed value.
    if (
        spec.type == "amount"
        and first > hit.end
        and is_filler(words[first - 1])
        and words[first - 1].text[:1] in "€$£"
    ):
        value_words = [words[first - 1], *value_words]
    score = BASE_SCORE[(hit.strength, "right")] * (0.6 + 0.4 * parsed.quality)
    if hit.ends_with_colon:
        score += 0.03
    if tail_skipped:
        score -= 0.04
    distance = value_words[0].x1 - words[hit.end - 1].x2
    if distance > 0.45:
        score -= 0.08
    found_value = Found(
        spec.key,
        parsed.value,
        _raw(value_words),
        hit.page,
        value_words,
        score,
        f"{hit.strength} label, same line",
        parsed,
    )
    for word in words[hit.end : first]:
        found_value.currency = found_value.currency or currency_code(
            word.text.strip("()[]:"), country=ctx.country
        )
    return found_value


def value_below(ctx: Context, hit: LabelHit, spec: FieldSpec, hit_words: set[int]) -> Found | None:
    label = hit.words
    x1, x2 = label[0].x1, label[-1].x2
    page = next(p for p in ctx.layer.pages if p.index == hit.page)
    position = hit.line.index  # lines are numbered top to bottom within their page
    for line in page.lines[position + 1 : position + 4]:
        if line.y1 - hit.line.y2 > 2.2 * hit.line.height:
            break
        if id(line) in ctx.skip_lines:
            break
        tolerance = 2 * label[0].height
        phrases = [
            p
            for p in split_phrases(line)
            if min(p[-1].x2, x2) - max(p[0].x1, x1) > 0 or abs(p[0].x1 - x1) < tolerance
        ]
        if not phrases:
            continue
        phrase = max(phrases, key=lambda p: min(p[-1].x2, x2) - max(p[0].x1, x1))
        if spec.format == "organization" and (
            any(id(w) in hit_words for w in phrase) or not name_like(phrase)
        ):
            continue  # "Globale Nummer: 4000001123452" between "Verkäufer:" and the name
        if any(id(w) in hit_words for w in phrase):
            return None  # the next label of a stack of labels
        lead = 0
        while lead < len(phrase) - 1 and norm_token(phrase[lead].text) in ("no", ""):
            lead += 1  # "# invoice_number_1" under "INVOICE"
        phrase = phrase[lead:]
        span = _best_span(ctx, spec, phrase, 0, set())
        if span is None:
            return None
        value_words, parsed = span
        score = BASE_SCORE[(hit.strength, "below")] * (0.6 + 0.4 * parsed.quality)
        if spec.type == "amount":
            column_total = _column_total(ctx, spec, page.lines, line, value_words)
            if column_total is not None:
                value_words, parsed = column_total
                score += 0.05
        return Found(
            spec.key,
            parsed.value,
            _raw(value_words),
            hit.page,
            value_words,
            score,
            f"{hit.strength} label, value below",
            parsed,
        )
    return None


def _column_total(
    ctx: Context, spec: FieldSpec, lines: list[Line], first_line: Line, first: list[Word]
) -> tuple[list[Word], Parsed] | None:
    """Values stacked under one column label ("Endbetrag": -5,77 / -3,02 / -8,79): when the last
    is the sum of those above it, it is the column's total."""
    x1, x2 = first[0].x1, first[-1].x2
    values: list[tuple[list[Word], Parsed]] = []
    start = lines.index(first_line)
    previous = first_line
    for line in lines[start + 1 : start + 6]:
        if line.y1 - previous.y2 > 2 * previous.height:
            break  # the column ends at a gap
        cell = [w for w in line.words if min(w.x2, x2) - max(w.x1, x1) > 0]
        span = _best_span(ctx, spec, cell, 0, set()) if cell else None
        if span is None:
            break
        values.append(span)
        previous = line
    head = ctx.parse(spec, first)
    if head is None:
        return None
    try:
        running = Decimal(head.value)
        for index, (_, parsed) in enumerate(values):
            value = Decimal(parsed.value)
            if index > 0 and abs(running - value) <= Decimal("0.011"):
                return values[index]
            running += value
    except InvalidOperation:
        return None
    return None


def _raw(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


# The net amount is no field of the model, but the check net + VAT = total needs it: the amounts of
# the total's excluded labels that name a net sum are kept under this key.
NET_KEY = "_net_amount"
NET_WORDS = frozenset(
    {"netto", "net", "ht", "subtotal", "sub-total", "zwischensumme", "nettobetrag", "positionssumme"}
    | {"exclusief", "subtotaal", "sous-total", "imponibile", "neto", "excl", "exkl", "ohne"}
)


def labelled_values(ctx: Context) -> dict[str, list[Found]]:
    ctx.hits = collect_hits(ctx)
    specs = {s.key: s for s in ctx.model.fields}
    hit_words = {id(w) for h in ctx.hits for w in h.words}
    starts_by_line: dict[int, set[int]] = defaultdict(set)
    for h in ctx.hits:
        starts_by_line[id(h.line)].add(h.start)
    out: dict[str, list[Found]] = defaultdict(list)
    for hit in ctx.hits:
        if hit.strength == "exclude":
            if hit.key == "total_amount" and NET_WORDS & set(hit.label_tokens):
                net = value_right(
                    ctx, hit, specs[hit.key], {s for s in starts_by_line[id(hit.line)] if s >= hit.end}
                )
                if net is not None:
                    out[NET_KEY].append(
                        Found(NET_KEY, net.value, net.raw, net.page, net.words, net.score, "net label")
                    )
            continue
        spec = specs[hit.key]
        stops = {s for s in starts_by_line[id(hit.line)] if s >= hit.end}
        found = value_right(ctx, hit, spec, stops)
        if found is None:
            found = value_below(ctx, hit, spec, hit_words)
        if found is not None:
            out[spec.key].append(found)
    return out


def lines_of(ctx: Context) -> list[Line]:
    return [line for page in ctx.layer.pages for line in page.lines if id(line) not in ctx.skip_lines]
