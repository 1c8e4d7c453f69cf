"""Line-item tables: a header row of known column words, then rows until a totals line.

Words of a row go to the column whose header cell they overlap most. Multi-line descriptions are
joined; the table continues on following pages, with or without a repeated header.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from core.providers.local.labels import (
    Label,
    is_filler,
    line_tokens,
    norm_token,
    split_phrases,
)
from core.providers.local.modelspec import FieldSpec, TableSpec
from core.providers.local.normalize import Parsed
from core.providers.local.textlayer import Line, TextLayer, Word
from core.providers.local.values import parse_value


@dataclass(frozen=True)
class Zone:
    key: str | None  # the column, or None for a header column the model does not know
    x1: float
    x2: float
    header: tuple[Word, ...]


@dataclass
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


def _segment(words: list[Word], labels: dict[Label, str]) -> list[tuple[str, list[Word]]] | None:
    """The phrase cut into column labels, or None if some word is not part of a label."""
    tokens = [norm_token(w.text) for w in words]
    longest = max((len(label) for label in labels), default=0)
    out: list[tuple[str, list[Word]]] = []
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
            return None
    return out


def _header_zones(line: Line, spec: TableSpec, labels: dict[Label, str]) -> list[Zone] | None:
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


def _starts_with(tokens: list[str], labels: tuple[Label, ...]) -> bool:
    words = [t for t in tokens if t]
    return any(tuple(words[: len(label)]) == label for label in labels)


@dataclass
class _Walk:
    spec: TableSpec
    columns: dict[str, FieldSpec]
    date_order: str
    rows: list[RowCells] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    finished: bool = False

    def cells_of(self, line: Line, zones: list[Zone]) -> dict[str, list[Word]]:
        cells: dict[str, list[Word]] = {}
        for phrase in split_phrases(line):
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
        """Rows of one page, below `start_after` (the header's bottom) or from the first row on."""
        numeric = {k for k, c in self.columns.items() if c.type in ("amount", "numeric")}
        text_keys = {k for k, c in self.columns.items() if c.type == "string"}
        last_row_line: Line | None = None
        pitches: list[float] = []
        for line in lines:
            if start_after is not None and line.y1 < start_after:
                continue
            tokens = line_tokens(line)
            cells = self.cells_of(line, zones)
            if _starts_with(tokens, self.spec.skip_labels) or any(
                _starts_with([norm_token(w.text) for w in phrase], self.spec.skip_labels)
                for phrase in split_phrases(line)
            ):
                self.used.add(id(line))
                continue
            is_stop = any(
                _starts_with([norm_token(w.text) for w in phrase], self.spec.stop_labels)
                for phrase in split_phrases(line)
            )
            if is_stop and len(cells) < 3:
                self.finished = True
                return
            parsed = self.parse(cells)
            numbers = [k for k in numeric if parsed.get(k) is not None]
            has_text = any(k in cells for k in text_keys)
            if last_row_line is not None:
                distance = line.y1 - last_row_line.y1
                pitch = statistics.median(pitches) if pitches else 1.6 * last_row_line.height
                if distance > max(3.5 * pitch, 3 * last_row_line.height):
                    return  # a gap: the table ends on this page
            if numbers and (has_text or len(numbers) >= 2):
                if last_row_line is not None:
                    pitches.append(line.y1 - last_row_line.y1)
                self.rows.append(RowCells(line.page, cells, parsed))
                self.used.add(id(line))
                last_row_line = line
            elif has_text and not numbers and last_row_line is not None and self.rows:
                close = line.y1 - last_row_line.y2 < 0.8 * line.height
                row = self.rows[-1]
                if close and row.page == line.page and set(cells) <= text_keys:
                    for key, words in cells.items():
                        row.cells.setdefault(key, []).extend(words)
                    row.parsed.update(self.parse({k: row.cells[k] for k in cells}))
                    self.used.add(id(line))
                    last_row_line = line


def find_tables(layer: TextLayer, specs: tuple[TableSpec, ...], date_order: str = "DMY") -> list[TableFound]:
    found: list[TableFound] = []
    for spec in specs:
        table = _find_table(layer, spec, date_order)
        if table is not None:
            found.append(table)
    return found


def _find_table(layer: TextLayer, spec: TableSpec, date_order: str) -> TableFound | None:
    labels = _column_labels(spec)
    walk = _Walk(spec, {c.key: c for c in spec.columns}, date_order)
    zones: list[Zone] | None = None
    header_text = ""
    for page in layer.pages:
        header: tuple[Line, list[Zone]] | None = None
        for line in page.lines:
            if id(line) in walk.used:
                continue
            line_zones = _header_zones(line, spec, labels)
            if line_zones is not None:
                header = (line, line_zones)
                break
        if header is not None:
            zones = header[1]
            walk.used.add(id(header[0]))
            header_text = header_text or header[0].text
            walk.walk_page(page.lines, zones, header[0].y2)
        elif zones is not None:
            walk.walk_page(page.lines, zones, None)
        if walk.finished:
            break
    if zones is None:
        return None
    return TableFound(spec, walk.rows, walk.used, header_text)
