"""Line-item tables: a header row of known column words, then rows until a totals line.

Words of a row go to the column whose header cell they overlap most. Multi-line descriptions are
joined; the table continues on following pages, with or without a repeated header.
"""

from __future__ import annotations

import functools
import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from core.providers.local.labels import (
    Label,
    is_filler,
    norm_token,
    split_phrases,
)
from core.providers.local.modelspec import FieldSpec, TableSpec
from core.providers.local.normalize import Parsed
from core.providers.local.textlayer import Line, PageText, TextLayer, Word
from core.providers.local.values import parse_value


@dataclass(frozen=True)
class Zone:
    key: str | None  # the column, or None for a header column the model does not know
    x1: float
    x2: float
    header: tuple[Word, ...]


@dataclass(slots=True)
class RowCells:
    page: int
    cells: dict[str, list[Word]]
    parsed: dict[str, Parsed | None] = field(default_factory=dict)


@dataclass
class TableFound:
    spec: TableSpec
    rows: list[RowCells]
    used_lines: set[int]  # id() of the lines that belong to the table (header and rows)
    header_text: str


def _column_labels(spec: TableSpec) -> dict[Label, str]:
    labels: dict[Label, str] = {}
    for column in spec.columns:
        for label in column.labels:
            labels.setdefault(label, column.key)
    return labels


def _segment(words: list[Word], labels: dict[Label, str]) -> list[tuple[str | None, list[Word]]] | None:
    """The phrase cut into column labels (words of no label form unnamed columns: "BTW Prijs incl.
    BTW" is an unknown column and the amount), or None if no word is part of a label."""
    tokens = [norm_token(w.text) for w in words]
    longest = max((len(label) for label in labels), default=0)
    out: list[tuple[str | None, list[Word]]] = []
    i = 0
    while i < len(tokens):
        if not tokens[i] or is_filler(words[i]):
            if out:
                out[-1][1].append(words[i])
            i += 1
            continue
        for length in range(min(longest, len(tokens) - i), 0, -1):
            key = labels.get(tuple(tokens[i : i + length]))
            if key is not None:
                out.append((key, list(words[i : i + length])))
                i += length
                break
        else:
            if out and out[-1][0] is None:
                out[-1][1].append(words[i])
            else:
                out.append((None, [words[i]]))
            i += 1
    return out if any(key is not None for key, _ in out) else None


_HYPHENS = ("-", "\u00ad", "\ufffe", "\u2010")


def _merge_header_line(zones: list[Zone], line: Line, labels: dict[Label, str]) -> list[Zone] | None:
    """A header written on several lines ("Price w/o" / "Tax"): column names on a line next to the
    header fill its unnamed columns (splitting an unnamed column whose own words stand apart).
    None when the line names no new column."""
    named = {z.key for z in zones if z.key is not None}
    merged = list(zones)
    changed = False
    for phrase in split_phrases(line):
        for key, words in _segment(phrase, labels) or []:
            if key is None or key in named:
                continue
            left, right = words[0].x1, words[-1].x2
            centre = (left + right) / 2
            for i, zone in enumerate(merged):
                if not (zone.x1 <= centre <= zone.x2) or zone.key is not None:
                    continue
                own_left = min((w.x1 for w in zone.header), default=left)
                own_right = max((w.x2 for w in zone.header), default=right)
                if zone.header and own_right < left:  # "USt." then "Positionsbetrag": two columns
                    cut = (own_right + left) / 2
                    merged[i : i + 1] = [
                        Zone(None, zone.x1, cut, zone.header),
                        Zone(key, cut, zone.x2, tuple(words)),
                    ]
                elif zone.header and right < own_left:
                    cut = (right + own_left) / 2
                    merged[i : i + 1] = [
                        Zone(key, zone.x1, cut, tuple(words)),
                        Zone(None, cut, zone.x2, zone.header),
                    ]
                else:
                    merged[i] = Zone(key, zone.x1, zone.x2, (*zone.header, *words))
                named.add(key)
                changed = True
                break
    return merged if changed else None


def _joined_hyphenations(lines: list[Line]) -> list[Line]:
    """Words broken over two header lines ("Positions-" / "betrag") put back together, as new lines."""
    out: list[Line] = []
    for upper, lower in itertools.pairwise(lines):
        joined = []
        for word in upper.words:
            if not word.text.endswith(_HYPHENS):
                continue
            below = next((w for w in lower.words if word.x1 - 0.02 <= w.x1 <= word.x2), None)
            if below is not None:
                text = word.text.rstrip("".join(_HYPHENS)) + below.text
                joined.append(_merged([word, below]))
                joined[-1] = Word(text, *_box(joined[-1]))
        if joined:
            out.append(Line(page=upper.page, index=upper.index, words=joined))
    return out


def _box(word: Word) -> tuple[int, float, float, float, float, float, float]:
    return word.page, word.x1, word.y1, word.x2, word.y2, word.size, word.page_width


def keys_by_token(labels: dict[Label, str]) -> dict[str, frozenset[str]]:
    """The first word of each column label -> the columns it may name ("per" of "price per unit"
    names nothing: prose is full of such words)."""
    found: dict[str, set[str]] = {}
    for label, key in labels.items():
        found.setdefault(label[0], set()).add(key)
    return {token: frozenset(keys) for token, keys in found.items()}


def _header_zones(
    line: Line, spec: TableSpec, labels: dict[Label, str], tokens: dict[str, frozenset[str]] | None = None
) -> list[Zone] | None:
    # Cheap test first: a header names at least two columns, so its words name two columns.
    tokens = keys_by_token(labels) if tokens is None else tokens
    named: set[str] = set()
    naming = capitalized = counted = 0
    for word in line.words:
        token = norm_token(word.text)
        counted += bool(token)
        columns = tokens.get(token)
        if columns:
            named.update(columns)
            naming += 1
            capitalized += word.text[:1].isupper()
    if len(named) < min(2, len(spec.columns)):
        return None
    if naming < 0.25 * counted and not (naming == capitalized and naming >= 0.15 * counted):
        return None  # a sentence that happens to hold "service" and "line" is no header
    cells: list[tuple[str | None, list[Word]]] = []
    for phrase in split_phrases(line):
        segments = _segment(phrase, labels)
        if segments:
            cells.extend((key, words) for key, words in segments)
        else:
            cells.append((None, phrase))
    keys = [key for key, _ in cells if key is not None]
    distinct = set(keys)
    types = {c.key: c.type for c in spec.columns}
    has_text = any(types.get(k) == "string" for k in distinct)
    has_number = any(types.get(k) in ("amount", "numeric") for k in distinct)
    needed = min(2, len(spec.columns))
    if len(distinct) < needed or not (
        len(distinct) >= 3 or (has_text and has_number) or len(spec.columns) <= 2
    ):
        return None
    # A column named twice ("Item" and "Description"): the rightmost one holds the data.
    rightmost = {key: i for i, (key, _) in enumerate(cells) if key is not None}
    cells = [
        (key if key is None or rightmost[key] == i else None, words) for i, (key, words) in enumerate(cells)
    ]
    zones: list[Zone] = []
    for i, (key, words) in enumerate(cells):
        left = 0.0 if i == 0 else (cells[i - 1][1][-1].x2 + words[0].x1) / 2
        right = 1.0 if i == len(cells) - 1 else (words[-1].x2 + cells[i + 1][1][0].x1) / 2
        zones.append(Zone(key, left, right, tuple(words)))
    return zones


def _assign(phrase: list[Word], zones: list[Zone]) -> Zone:
    x1, x2 = phrase[0].x1, phrase[-1].x2
    best = max(zones, key=lambda z: (min(x2, z.x2) - max(x1, z.x1), -abs((x1 + x2) / 2 - (z.x1 + z.x2) / 2)))
    return best


def _leading_tokens(words: list[Word], count: int) -> list[str]:
    """The first `count` non-empty label tokens of the words (enough to test a label prefix)."""
    tokens: list[str] = []
    for word in words:
        token = norm_token(word.text)
        if token:
            tokens.append(token)
            if len(tokens) >= count:
                break
    return tokens


def _starts_with(tokens: list[str], labels: tuple[Label, ...]) -> bool:
    words = tuple(t for t in tokens if t)
    index = _prefix_index(labels)
    return any(words[:length] in group for length, group in index)


@functools.lru_cache(maxsize=64)
def _prefix_index(labels: tuple[Label, ...]) -> tuple[tuple[int, frozenset[Label]], ...]:
    lengths = sorted({len(label) for label in labels})
    return tuple((n, frozenset(label for label in labels if len(label) == n)) for n in lengths)


@dataclass
class _Walk:
    spec: TableSpec
    columns: dict[str, FieldSpec]
    date_order: str
    rows: list[RowCells] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    finished: bool = False
    paused_at_end: bool = False  # the page ended after a totals line: only a repeated header goes on

    @property
    def longest_label(self) -> int:
        return max((len(label) for label in (*self.spec.skip_labels, *self.spec.stop_labels)), default=1)

    def cells_of(self, phrases: list[list[Word]], zones: list[Zone]) -> dict[str, list[Word]]:
        cells: dict[str, list[Word]] = {}
        for phrase in phrases:
            zone = _assign(phrase, zones)
            if zone.key is not None:
                cells.setdefault(zone.key, []).extend(phrase)
        return cells

    def parse(self, cells: dict[str, list[Word]]) -> dict[str, Parsed | None]:
        return {
            key: parse_value(self.columns[key], " ".join(w.text for w in words), date_order=self.date_order)
            for key, words in cells.items()
        }

    def walk_page(self, lines: list[Line], zones: list[Zone], start_after: float | None) -> None:
        """Rows of one page, below `start_after` (the header's bottom) or from the first row on.
        A totals line pauses the table: full item lines after one subtotal carry on (sections);
        a second totals line, or the page's end while paused, ends it."""
        numeric = {k for k, c in self.columns.items() if c.type in ("amount", "numeric")}
        text_keys = {k for k, c in self.columns.items() if c.type == "string"}
        last_row_line: Line | None = None
        pitches: list[float] = []
        longest = self.longest_label
        # In a table with an amount column, a line without an amount (or a quantity and a price) is
        # a detail of the line above (a bundle's parts, a discount's base), not an item of its own.
        has_amount_column = any(z.key == "amount" for z in zones)
        paused = False
        for line in lines:
            if (start_after is not None and line.y1 < start_after) or id(line) in self.used:
                continue
            phrases = split_phrases(line)
            cells = self.cells_of(phrases, zones)
            starts = [_leading_tokens(phrase, longest) for phrase in phrases]
            if _starts_with(_leading_tokens(line.words, longest), self.spec.skip_labels) or any(
                _starts_with(tokens, self.spec.skip_labels) for tokens in starts
            ):
                self.used.add(id(line))
                continue
            is_stop = any(_starts_with(tokens, self.spec.stop_labels) for tokens in starts)
            # A line led by a totals or tax label ends the table, even when its numbers fill the
            # columns ("TVA collectée 20,0% 81,90 € 16,38 €"); later in a line it may be a description.
            led = bool(starts) and _starts_with(starts[0], self.spec.stop_labels)
            wordy = not any(c.isdigit() for c in line.text)  # a heading such as "Nettobetrag MwSt Endbetrag"
            if is_stop and (len(cells) < 3 or led or wordy or "quantity" not in cells):
                if paused or not self.rows:
                    self.finished = True
                    return
                paused = True  # a section's subtotal, or the totals: only full item lines go on
                continue
            parsed = self.parse(cells)
            numbers = [k for k in numeric if parsed.get(k) is not None]
            has_text = any(k in cells for k in text_keys)
            if paused:
                if not (has_text and parsed.get("quantity") is not None and parsed.get("amount") is not None):
                    continue
                paused = False
            if last_row_line is not None:
                distance = line.y1 - last_row_line.y1
                pitch = statistics.median(pitches) if pitches else 1.6 * last_row_line.height
                if distance > max(3.5 * pitch, 5 * last_row_line.height) and not paused:
                    return  # a gap: the table ends on this page
            priced = parsed.get("amount") is not None or (
                parsed.get("unit_price") is not None and parsed.get("quantity") is not None
            )
            if numbers and (has_text or len(numbers) >= 2) and (priced or not has_amount_column):
                if last_row_line is not None:
                    pitches.append(line.y1 - last_row_line.y1)
                self.rows.append(RowCells(line.page, cells, parsed))
                self.used.add(id(line))
                last_row_line = line
                continue
            if last_row_line is None or not self.rows:
                continue
            gap = line.y1 - last_row_line.y2
            row = self.rows[-1]
            if (
                has_text
                and not numbers
                and gap < 0.8 * line.height
                and row.page == line.page
                and set(cells) <= text_keys
            ):
                for key, words in cells.items():
                    row.cells.setdefault(key, []).extend(words)
                row.parsed.update(self.parse({k: row.cells[k] for k in cells}))
                self.used.add(id(line))
                last_row_line = line
            elif gap < 4 * line.height:
                last_row_line = line  # a detail under an item (dates, references): the block goes on
        self.paused_at_end = paused


def find_tables(layer: TextLayer, specs: tuple[TableSpec, ...], date_order: str = "DMY") -> list[TableFound]:
    finders = [TableFinder(spec, date_order) for spec in specs]
    for page in layer.pages:
        for finder in finders:
            finder.feed(page)
    return [t for t in (f.result() for f in finders) if t is not None]


class TableFinder:
    """One table spec's rows, fed a page at a time (a long document never has to be held whole).

    Rows of a page fed are compacted to one word per cell, so a page's words can be freed; `forget`
    drops the ids of a freed page's lines (ids of freed objects get reused)."""

    def __init__(
        self, spec: TableSpec, date_order: str, sink: Callable[[RowCells], None] | None = None
    ) -> None:
        self.spec = spec
        self.sink = sink  # takes each page's finished rows, so they are not kept here
        self.labels = _column_labels(spec)
        self.tokens = keys_by_token(self.labels)
        self.walk = _Walk(spec, {c.key: c for c in spec.columns}, date_order)
        self.zones: list[Zone] | None = None
        self.header_text = ""

    def feed(self, page: PageText) -> None:
        walk = self.walk
        if walk.finished:
            return
        first_row = len(walk.rows)
        header: tuple[Line, list[Zone]] | None = None
        for line in page.lines:
            if id(line) in walk.used:
                continue
            line_zones = _header_zones(line, self.spec, self.labels, self.tokens)
            if line_zones is not None:
                header = (line, line_zones)
                break
        if header is None and walk.paused_at_end:
            walk.finished = True  # totals ended the last page and no header starts this one
            return
        if header is not None:
            self.zones = header[1]
            walk.used.add(id(header[0]))
            bottom = header[0].y2
            position = page.lines.index(header[0])
            near = [
                line
                for line in page.lines[max(position - 3, 0) : position + 4]
                if line is not header[0] and abs(line.y1 - header[0].y1) < 3 * header[0].height
            ]
            for line in near:
                merged = _merge_header_line(self.zones, line, self.labels)
                if merged is not None:
                    self.zones = merged
                stacked = (
                    header[0].y1 < line.y1
                    and line.y1 - bottom < 0.6 * header[0].height
                    and any(sum(c.isalpha() for c in w.text) >= 2 for w in line.words)  # not margin text
                )
                if merged is not None or (stacked and not any(c.isdigit() for c in line.text)):
                    walk.used.add(id(line))  # a header's second line ("Ohne MwSt."), never a row
                    bottom = max(bottom, line.y2)
            for line in _joined_hyphenations(near):  # new Line objects: never put in `used`
                self.zones = _merge_header_line(self.zones, line, self.labels) or self.zones
            self.header_text = self.header_text or header[0].text
            walk.walk_page(page.lines, self.zones, bottom)
        elif self.zones is not None:
            walk.walk_page(page.lines, self.zones, None)
        for row in walk.rows[first_row:]:
            row.cells = {key: [_merged(words)] for key, words in row.cells.items() if words}

        if self.sink is not None:
            for row in walk.rows:
                self.sink(row)
            walk.rows.clear()

    def forget(self, page: PageText) -> None:
        for line in page.lines:
            self.walk.used.discard(id(line))

    def result(self) -> TableFound | None:
        if self.zones is None:
            return None
        return TableFound(self.spec, self.walk.rows, self.walk.used, self.header_text)


def _merged(words: list[Word]) -> Word:
    """One word standing for a cell: its text as printed and the union of the boxes."""
    if len(words) == 1:
        return words[0]
    first = words[0]
    return Word(
        " ".join(w.text for w in words),
        first.page,
        min(w.x1 for w in words),
        min(w.y1 for w in words),
        max(w.x2 for w in words),
        max(w.y2 for w in words),
        max(w.size for w in words),
        first.page_width,
    )
