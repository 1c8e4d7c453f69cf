"""The PDF text layer as words and lines with boxes normalized to the page (0..1, top-left origin).

pypdfium2 is imported inside the functions so that importing the local provider stays cheap.
"""

from __future__ import annotations

import contextlib
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from core.errors import InputError

OCR_HINT = (
    "It needs OCR, which the offline `local` provider does not do: use a cloud provider "
    "(cradl, contractfit or deepopinion), or a PDF with a text layer (one saved or printed from the "
    "original application, not scanned)."
)

# PDFium is not thread-safe: batch runs call the engine from several threads, one at a time here.
PDFIUM_LOCK = threading.RLock()

# Characters that end a word without being part of it.
_SPACES = frozenset(" \t\r\n\u00a0\u2002\u2003\u2009\u202f\ufeff\x00")
# Tokens that break a line into phrases on their own (separators in sender lines and footers).
SEPARATOR_TOKENS = frozenset({"·", "|", "•", "∙", "–", "—"})


@dataclass(frozen=True)
class Word:
    """A run of characters without a space, with its box normalized to the page."""

    text: str
    page: int
    x1: float
    y1: float
    x2: float
    y2: float
    size: float  # height of the loose box in points: a font-size proxy
    page_width: float = 595.0  # points, to measure gaps in the same unit as `size`

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass
class Line:
    """Words that share a baseline, left to right."""

    page: int
    index: int
    words: list[Word]

    @property
    def y1(self) -> float:
        return min(w.y1 for w in self.words)

    @property
    def y2(self) -> float:
        return max(w.y2 for w in self.words)

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class PageText:
    index: int
    width: float  # points
    height: float
    lines: list[Line] = field(default_factory=list)

    @property
    def words(self) -> Iterator[Word]:
        for line in self.lines:
            yield from line.words


@dataclass
class TextLayer:
    page_count: int
    pages: list[PageText]

    @property
    def word_count(self) -> int:
        return sum(len(line.words) for page in self.pages for line in page.lines)


def union_box(words: list[Word]) -> tuple[float, float, float, float]:
    return (
        min(w.x1 for w in words),
        min(w.y1 for w in words),
        max(w.x2 for w in words),
        max(w.y2 for w in words),
    )


def _unligature(text: str) -> str:
    """ﬁ -> fi and the like; other compatibility characters (², ½) stay as printed."""
    if any("\ufb00" <= c <= "\ufb06" for c in text):
        return "".join(unicodedata.normalize("NFKC", c) if "\ufb00" <= c <= "\ufb06" else c for c in text)
    return text


def gap_between(left: Word, right: Word) -> float:
    """Horizontal gap in units of the text height (a font-size-free measure)."""
    return (right.x1 - left.x2) * left.page_width / max(left.size, right.size, 1e-6)


def _open_document(data: bytes, name: str) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == 4:  # FPDF_ERR_PASSWORD
            raise InputError(
                f"{name} is password-protected (encrypted), so its text cannot be read",
                hint="Remove the password (save an unprotected copy) and try again.",
            ) from exc
        if code == 6:  # FPDF_ERR_SECURITY: an unsupported security handler
            raise InputError(
                f"{name} uses an unsupported PDF security handler",
                hint="Save an unprotected copy of the document and try again.",
            ) from exc
        raise InputError(
            f"{name} is not a readable PDF: the file is damaged or incomplete",
            hint="Check that the file was copied or downloaded completely, or save it again as PDF.",
        ) from exc


def count_pages(data: bytes, name: str) -> int:
    """The number of pages; raises InputError for encrypted or damaged PDFs."""
    with PDFIUM_LOCK, _damaged_as_input_error(name):
        return _count_pages(data, name)


def _count_pages(data: bytes, name: str) -> int:
    pdf = _open_document(data, name)
    try:
        count = len(pdf)
        if count == 0:
            raise InputError(
                f"{name} is not a readable PDF: it has no pages",
                hint="Check that the file was copied or downloaded completely, or save it again as PDF.",
            )
        return int(count)
    finally:
        pdf.close()


def select_pages(requested: list[int] | None, page_count: int) -> list[int]:
    """0-based page indices to read; negative indices count from the end, as Cradl's `pages` do."""
    if not requested:
        return list(range(page_count))
    chosen: list[int] = []
    for index in requested:
        resolved = index + page_count if index < 0 else index
        if 0 <= resolved < page_count and resolved not in chosen:
            chosen.append(resolved)
    if not chosen:
        raise InputError(
            f"None of the requested pages {requested} exist: the document has {page_count} page(s)",
            hint="Page numbers are 0-based (0 is the first page, -1 the last).",
        )
    return sorted(chosen)


def read_text_layer(data: bytes, name: str, pages: list[int] | None = None) -> TextLayer:
    """Words and lines of the chosen pages; InputError if the PDF has no text layer at all."""
    with PDFIUM_LOCK, _damaged_as_input_error(name):
        return _read_text_layer(data, name, pages)


@contextlib.contextmanager
def _damaged_as_input_error(name: str) -> Iterator[None]:
    """A PDF that opens but whose pages cannot be loaded (a page tree that is circular or thousands of
    levels deep) is damaged input, not a bug: it fails this document only."""
    import pypdfium2 as pdfium

    try:
        yield
    except pdfium.PdfiumError as exc:
        raise InputError(
            f"{name} is not a readable PDF: its pages cannot be loaded ({exc})",
            hint="The file is damaged; save it again as PDF (e.g. print it to PDF) and try again.",
        ) from None


def _read_text_layer(data: bytes, name: str, pages: list[int] | None) -> TextLayer:
    import pypdfium2.raw as pdfium_c

    pdf = _open_document(data, name)
    try:
        page_count = len(pdf)
        if page_count == 0:
            raise InputError(
                f"{name} is not a readable PDF: it has no pages",
                hint="Check that the file was copied or downloaded completely, or save it again as PDF.",
            )
        result = TextLayer(page_count=page_count, pages=[])
        rect = pdfium_c.FS_RECTF()
        has_images = False
        for index in select_pages(pages, page_count):
            page = pdf[index]
            try:
                left, bottom, right, top = page.get_bbox()
                width, height = max(right - left, 1.0), max(top - bottom, 1.0)
                textpage = page.get_textpage()
                try:
                    words = _page_words(pdfium_c, textpage, rect, index, left, top, width, height)
                finally:
                    textpage.close()
                if not words and not has_images:
                    has_images = _has_image_objects(pdfium_c, page)
            finally:
                page.close()
            result.pages.append(PageText(index=index, width=width, height=height, lines=group_lines(words)))
    finally:
        pdf.close()
    if result.word_count == 0:
        if b"%%EOF" not in data[-2048:]:
            raise InputError(
                f"{name} is not a readable PDF: the file is damaged or incomplete (it has no end marker)",
                hint="Check that the file was copied or downloaded completely, or save it again as PDF.",
            )
        what = "is a scanned or image-only PDF" if has_images else "has no text"
        raise InputError(f"{name} {what}: the document has no text layer", hint=OCR_HINT)
    return result


def _has_image_objects(pdfium_c: Any, page: Any) -> bool:
    count = pdfium_c.FPDFPage_CountObjects(page)
    return any(
        pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page, i))
        in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
        for i in range(count)
    )


def _page_words(
    pdfium_c: Any,
    textpage: Any,
    rect: Any,
    page_index: int,
    left: float,
    top: float,
    width: float,
    height: float,
) -> list[Word]:
    words: list[Word] = []
    chars: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]  # x1, y1, x2, y2 in points, top-left origin

    def flush() -> None:
        if chars:
            text = _unligature(unicodedata.normalize("NFC", "".join(chars))).strip()
            if text:
                words.append(
                    Word(
                        text=text,
                        page=page_index,
                        x1=box[0] / width,
                        y1=box[1] / height,
                        x2=box[2] / width,
                        y2=box[3] / height,
                        size=box[3] - box[1],
                        page_width=width,
                    )
                )
            chars.clear()

    for i in range(pdfium_c.FPDFText_CountChars(textpage)):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        char = chr(code) if 0 < code < 0x110000 else ""
        if not char or char in _SPACES or pdfium_c.FPDFText_IsGenerated(textpage, i) == 1:
            flush()
            continue
        if not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect):
            continue
        x1, x2 = rect.left - left, rect.right - left
        y1, y2 = top - rect.top, top - rect.bottom
        if len(chars) >= 2 and chars[-1] == ":" and (chars[-2].isalpha() or chars[-2] == ".") and char != "/":
            flush()  # "No.:INV-7" is a label and a value, "https://" is not
        if chars:
            char_height = max(y2 - y1, 1e-6)
            same_line = abs((y1 + y2) / 2 - (box[1] + box[3]) / 2) < 0.5 * char_height
            touching = -0.3 * char_height < x1 - box[2] < 0.15 * char_height
            if not (same_line and touching):
                flush()
        if chars:
            box[0], box[1], box[2], box[3] = (
                min(box[0], x1),
                min(box[1], y1),
                max(box[2], x2),
                max(box[3], y2),
            )
        else:
            box[0], box[1], box[2], box[3] = x1, y1, x2, y2
        chars.append(char)
    flush()
    return words


def group_lines(words: list[Word]) -> list[Line]:
    """Words whose vertical extents overlap by half form a line; lines top to bottom."""
    buckets: list[list[Word]] = []
    spans: list[tuple[float, float]] = []
    for word in sorted(words, key=lambda w: (w.cy, w.x1)):
        for i in range(len(buckets) - 1, max(-1, len(buckets) - 4), -1):
            top, bottom = spans[i]
            overlap = min(bottom, word.y2) - max(top, word.y1)
            if overlap >= 0.5 * min(bottom - top, word.height):
                buckets[i].append(word)
                spans[i] = (min(top, word.y1), max(bottom, word.y2))
                break
        else:
            buckets.append([word])
            spans.append((word.y1, word.y2))
    order = sorted(range(len(buckets)), key=lambda i: (spans[i][0] + spans[i][1]) / 2)
    return [
        Line(page=buckets[i][0].page, index=n, words=sorted(buckets[i], key=lambda w: w.x1))
        for n, i in enumerate(order)
    ]
