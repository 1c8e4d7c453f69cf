"""What the emulator's text model "predicts": aspect tags from keywords, so tests can know the answer.

With `split`, a document is cut into sentences (up to . ! ? or a line break); each segment gets one
tag per aspect class whose keyword it contains, labelled POS / NEG by the sentiment words it holds
(both or neither: NEU). A segment with no aspect keyword gets no tags. Spans are [start, end) offsets
into the document's text.
"""

from __future__ import annotations

import re
from typing import Any

CLASSES: dict[str, tuple[str, ...]] = {
    "Comfort": ("bed", "room", "comfortable", "quiet", "noisy"),
    "Staff": ("staff", "reception", "receptionist", "waiter"),
    "Food": ("breakfast", "dinner", "food", "restaurant"),
    "Price": ("price", "expensive", "cheap", "value"),
    "Location": ("location", "beach", "station", "central"),
}
POSITIVE = (
    "good",
    "great",
    "excellent",
    "friendly",
    "comfortable",
    "clean",
    "nice",
    "lovely",
    "quiet",
    "cheap",
)
NEGATIVE = ("bad", "dirty", "rude", "terrible", "noisy", "expensive", "awful", "poor", "cold", "slow")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[a-zäöüß']+")


def _label(words: set[str]) -> str:
    positive = bool(words & set(POSITIVE))
    negative = bool(words & set(NEGATIVE))
    return "POS" if positive and not negative else "NEG" if negative and not positive else "NEU"


def _segment(text: str, start: int, end: int) -> dict[str, Any] | None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    start += len(piece) - len(piece.lstrip())
    end = start + len(stripped)
    words = set(_WORD.findall(stripped.lower()))
    tags = [
        {"class": name, "label": _label(words)} for name, keywords in CLASSES.items() if words & set(keywords)
    ]
    return {"text": stripped, "span": [start, end], "tags": tags}


def analyse_text(text: str, split: bool) -> list[dict[str, Any]]:
    """The segments of one document."""
    bounds = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)] if split else [(0, len(text))]
    return [s for s in (_segment(text, a, b) for a, b in bounds) if s is not None]
