"""Header fields: find label phrases, then the value to their right on the same line or just below.

Every way a value is found yields a `Found` with a score that says how it was found; scoring.py
turns those into confidences after the consistency checks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from core.providers.local.labels import (
    PHRASE_GAP,
    WORD_GAP,
    Label,
    LabelHit,
    find_labels,
    is_filler,
    keep_longest,
    line_tokens,
    split_phrases,
)
from core.providers.local.modelspec import FieldSpec, ModelSpec
from core.providers.local.normalize import Parsed, currency_code
from core.providers.local.textlayer import SEPARATOR_TOKENS, Line, TextLayer, Word, gap_between
from core.providers.local.values import max_words, parse_value

# Base score by label strength and where the value stood.
BASE_SCORE = {
    ("strong", "right"): 0.80,
    ("strong", "below"): 0.68,
    ("weak", "right"): 0.58,
    ("weak", "below"): 0.48,
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
    for stop in range(end, start, -1):
        parsed = ctx.parse(spec, words[start:stop])
        if parsed is not None:
            return words[start:stop], parsed
    return None


def _skip_fillers(words: list[Word], j: int, stops: set[int]) -> int:
    while j < len(words) and j not in stops:
        if is_filler(words[j]):
            j += 1
        elif (
            j + 1 < len(words)
            and words[j + 1].text.startswith("%")
            and words[j].text.replace(",", "").replace(".", "").isdigit()
        ):
            j += 2  # "19 %": a rate, not the value
        else:
            break
    return j


def value_right(ctx: Context, hit: LabelHit, spec: FieldSpec, stops: set[int]) -> Found | None:
    words = hit.line.words
    start = _skip_fillers(words, hit.end, stops)
    if start >= len(words) or start in stops:
        return None
    span = _best_span(ctx, spec, words, start, stops)
    if span is None:
        return None
    value_words, parsed = span
    # A currency sign right before an amount belongs to the printed value.
    if (
        spec.type == "amount"
        and start > hit.end
        and is_filler(words[start - 1])
        and words[start - 1].text[:1] in "€$£"
    ):
        value_words = [words[start - 1], *value_words]
    score = BASE_SCORE[(hit.strength, "right")] * (0.6 + 0.4 * parsed.quality)
    if hit.ends_with_colon:
        score += 0.03
    distance = value_words[0].x1 - words[hit.end - 1].x2
    if distance > 0.45:
        score -= 0.08
    found = Found(
        spec.key,
        parsed.value,
        _raw(value_words),
        hit.page,
        value_words,
        score,
        f"{hit.strength} label, same line",
        parsed,
    )
    for word in words[hit.end : start]:
        found.currency = found.currency or currency_code(word.text.strip("()[]:"), country=ctx.country)
    return found


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
        if any(id(w) in hit_words for w in phrase):
            return None  # the next label of a stack of labels
        span = _best_span(ctx, spec, phrase, 0, set())
        if span is None:
            return None
        value_words, parsed = span
        score = BASE_SCORE[(hit.strength, "below")] * (0.6 + 0.4 * parsed.quality)
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


def _raw(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


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
