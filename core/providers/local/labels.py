"""Label words: normalization, and finding label phrases on text lines.

A label matches whole words (accents and case folded, "No."/"Nr."/"#"/"n°"/"number" all read as one
token) and must stand as a phrase of its own: nothing but a big gap, a value or punctuation before it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.providers.local.normalize import fold, parse_currency
from core.providers.local.textlayer import SEPARATOR_TOKENS, Line, Word, gap_between

Label = tuple[str, ...]

_NUMBER_WORDS = frozenset({"no", "nr", "n°", "nº", "#", "num", "number", "nummer", "numero", "nr°"})
_STRIP = ".:;,()[]{}*\"'“”„«»"
_PERCENT = re.compile(r"^\(?\d+(?:[.,]\d+)?\s*%\)?:?$")

PHRASE_GAP = 0.6  # gaps wider than this (in line heights) separate phrases
WORD_GAP = 0.45  # gaps up to this are ordinary spaces inside a phrase


@functools.lru_cache(maxsize=65536)
def norm_token(text: str) -> str:
    """One comparable token for a word; "" for punctuation-only words."""
    token = fold(text).replace("’", "'").strip(_STRIP)
    if token in _NUMBER_WORDS:
        return "no"
    return token if any(c.isalnum() for c in token) else ("#" if token == "#" else "")


def tokenize_label(text: str) -> Label:
    return tuple(t for t in (norm_token(w) for w in text.split()) if t)


def is_filler(word: Word) -> bool:
    """Words that may stand between a label and its value: punctuation, currency, a percent rate."""
    token = norm_token(word.text)
    return (
        token == ""
        or word.text in SEPARATOR_TOKENS
        or _PERCENT.match(word.text) is not None
        or (parse_currency(word.text) is not None and len(word.text.strip("()[]:")) <= 3)
    )


@dataclass(frozen=True)
class LabelHit:
    """A label phrase found on a line: words [start, end) of `line`."""

    key: str  # the field (or pseudo-field) the label belongs to
    strength: str  # "strong", "weak" or "exclude"
    line: Line
    start: int
    end: int

    @property
    def words(self) -> list[Word]:
        return self.line.words[self.start : self.end]

    @property
    def page(self) -> int:
        return self.line.page

    @property
    def label_tokens(self) -> list[str]:
        return [t for t in (norm_token(w.text) for w in self.words) if t]

    @property
    def ends_with_colon(self) -> bool:
        last = self.line.words[self.end - 1].text
        following = self.line.words[self.end].text if self.end < len(self.line.words) else ""
        return last.endswith(":") or following == ":"

    def overlaps(self, other: LabelHit) -> bool:
        return self.line is other.line and self.start < other.end and other.start < self.end


def line_tokens(line: Line) -> list[str]:
    return [norm_token(w.text) for w in line.words]


def _left_anchored(line: Line, start: int) -> bool:
    if start == 0:
        return True
    before = line.words[start - 1]
    return (
        gap_between(before, line.words[start]) > PHRASE_GAP
        or norm_token(before.text) == ""
        or before.text in SEPARATOR_TOKENS
        or before.text.endswith((":", ";"))
        or any(c.isdigit() for c in before.text)
    )


def find_labels(
    line: Line, tokens: list[str], labels: Mapping[Label, Sequence[tuple[str, str]]]
) -> list[LabelHit]:
    """Every left-anchored occurrence on the line of the given labels (label -> [(key, strength)])."""
    hits: list[LabelHit] = []
    if not labels:
        return hits
    longest = max(len(label) for label in labels)
    for start, token in enumerate(tokens):
        if not token or not _left_anchored(line, start):
            continue
        for length in range(min(longest, len(tokens) - start), 0, -1):
            candidate = tuple(tokens[start : start + length])
            targets = labels.get(candidate)
            if not targets:
                continue
            words = line.words[start : start + length]
            if any(gap_between(a, b) > PHRASE_GAP for a, b in itertools.pairwise(words)):
                continue
            hits.extend(LabelHit(key, strength, line, start, start + length) for key, strength in targets)
    return hits


def keep_longest(hits: list[LabelHit]) -> list[LabelHit]:
    """Where label phrases overlap, the longest wins ("Total excl. VAT" over "Total"); labels of the
    same words for several fields are all kept."""
    rank = {"strong": 0, "weak": 1, "exclude": 2}
    kept: list[LabelHit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), rank.get(h.strength, 3))):
        if not any(_conflict(hit, other) for other in kept):
            kept.append(hit)
    return kept


def _conflict(hit: LabelHit, other: LabelHit) -> bool:
    if not hit.overlaps(other):
        return False
    same_words = (other.start, other.end) == (hit.start, hit.end)
    return not same_words or other.key == hit.key


def split_phrases(line: Line, gap: float = PHRASE_GAP) -> list[list[Word]]:
    """The line cut at wide gaps and at separator tokens (·, |)."""
    phrases: list[list[Word]] = []
    current: list[Word] = []
    for word in line.words:
        if word.text in SEPARATOR_TOKENS:
            if current:
                phrases.append(current)
            current = []
            continue
        if current and gap_between(current[-1], word) > gap:
            phrases.append(current)
            current = []
        current.append(word)
    if current:
        phrases.append(current)
    return phrases
