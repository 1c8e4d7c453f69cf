"""The PDF text layer as words and lines with boxes normalized to the page (0..1, top-left origin).

Pages are read one at a time (`iter_pages`), so a caller can stream a long document instead of
holding every word of it. pypdfium2 is imported inside the functions so that importing the local
provider stays cheap.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from core.errors import InputError
from core.providers.local.pdfguard import MAX_TEXT_RUNS_PER_PAGE, text_runs_over_limit

LEGIBLE_HINT = (
    "Check that the scan is legible: at least 150 dpi, not blurred, text dark on a light background. "
    "A PDF saved from the original application (with a text layer) reads best."
)
BLANK_HINT = "Check that this is the right file: it has neither text nor images to read."

# A page with fewer words than this and an image is a scan (perhaps with a stamped page number).
MIN_TEXT_WORDS = 3

# PDFium is not thread-safe: batch runs call the engine from several threads, one at a time here.
PDFIUM_LOCK = threading.RLock()

# Characters that end a word without being part of it.
_SPACES = frozenset(" \t\r\n\u00a0\u2002\u2003\u2009\u202f\ufeff\x00")
# A number sign glued to the number it announces ("n°562044387", "Nr.42", "#INV-7").
_GLUED_NUMBER = re.compile(r"^((?:[Nn][°º]|Nr\.|No\.|#))(\w[\w\-/.]*\d[\w\-/.]*)$")
# Tokens that break a line into phrases on their own (separators in sender lines and footers).
SEPARATOR_TOKENS = frozenset({"·", "|", "•", "●", "∙", "–", "—", "−"})


# Characters on one page beyond which a page is refused (PDFium's text page costs ~200 bytes each).
MAX_CHARS_PER_PAGE = 300_000
_HEAVY_HINT = (
    "Such pages are usually machine-made (a plot or a glyph-by-glyph export): print or save the "
    "document again as PDF, or send only the pages you need (--pages)."
)


@dataclass(frozen=True, slots=True)
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
    confidence: float = 1.0  # OCR's confidence in the word; the text layer's words are certain

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass(slots=True)
class Line:
    """Words that share a baseline, left to right (the words must not change once the line is made:
    its vertical extent is computed once)."""

    page: int
    index: int
    words: list[Word]
    y1: float = field(init=False)
    y2: float = field(init=False)

    def __post_init__(self) -> None:
        self.y1 = min(w.y1 for w in self.words)
        self.y2 = max(w.y2 for w in self.words)

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
    ocr: bool = False  # read by OCR (a scanned page: no text layer there)

    @property
    def words(self) -> Iterator[Word]:
        for line in self.lines:
            yield from line.words


@dataclass
class TextLayer:
    """The pages of a document held in memory. A streamed long document holds only some of the
    pages it read: `read` then lists every page index read and `words_read` counts all their words."""

    page_count: int
    pages: list[PageText]
    read: list[int] | None = None
    words_read: int | None = None
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR (no text layer there)

    @property
    def word_count(self) -> int:
        if self.words_read is not None:
            return self.words_read
        return sum(len(line.words) for page in self.pages for line in page.lines)

    @property
    def pages_read(self) -> list[int]:
        return self.read if self.read is not None else [p.index for p in self.pages]


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
    """Words and lines of the chosen pages, all held; InputError if no page has text, even by OCR."""
    page_count, stream = iter_pages(data, name, pages)
    held = list(stream)
    return TextLayer(page_count=page_count, pages=held, ocr_pages=[p.index for p in held if p.ocr])


def iter_pages(data: bytes, name: str, pages: list[int] | None = None) -> tuple[int, Iterator[PageText]]:
    """The page count, and the chosen pages one at a time (each read when asked for).

    Raises InputError at once for encrypted, damaged and too heavy documents, and from the iterator
    when no page turns out to have text, even by OCR, once its pages are read. A page with fewer
    than MIN_TEXT_WORDS words and an image on it is read by OCR (its PageText says `ocr`)."""
    with PDFIUM_LOCK, _damaged_as_input_error(name):
        pdf = _open_document(data, name)
        try:
            page_count = len(pdf)
            if page_count == 0:
                raise InputError(
                    f"{name} is not a readable PDF: it has no pages",
                    hint="Check that the file was copied or downloaded completely, or save it again as PDF.",
                )
            if text_runs_over_limit(data, page_count):
                raise InputError(
                    f"{name} has a page with more than {MAX_TEXT_RUNS_PER_PAGE:,} text runs: "
                    "too heavy to read",
                    hint=_HEAVY_HINT,
                )
            chosen = select_pages(pages, page_count)
        except BaseException:
            pdf.close()
            raise
    return page_count, _pages(pdf, data, name, chosen)


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


def _pages(pdf: Any, data: bytes, name: str, chosen: list[int]) -> Iterator[PageText]:
    import pypdfium2.raw as pdfium_c

    rect = pdfium_c.FS_RECTF()
    has_images = False
    words_seen = 0
    try:
        for index in chosen:
            with PDFIUM_LOCK, _damaged_as_input_error(name):
                page = pdf[index]
                try:
                    left, bottom, right, top = page.get_bbox()
                    width, height = max(right - left, 1.0), max(top - bottom, 1.0)
                    textpage = page.get_textpage()
                    try:
                        words = _page_words(
                            pdfium_c, textpage.raw, rect, index, left, top, width, height, name
                        )
                    finally:
                        textpage.close()
                    ocr = len(words) < MIN_TEXT_WORDS and _has_image_objects(pdfium_c, page)
                    if ocr:
                        has_images = True
                        words, width, height = _ocr_page(page, index, width, height)
                finally:
                    page.close()
            words_seen += len(words)
            yield PageText(index=index, width=width, height=height, lines=group_lines(words), ocr=ocr)
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    if words_seen == 0:
        if b"%%EOF" not in data[-2048:]:
            raise InputError(
                f"{name} is not a readable PDF: the file is damaged or incomplete (it has no end marker)",
                hint="Check that the file was copied or downloaded completely, or save it again as PDF.",
            )
        if has_images:
            raise InputError(
                f"{name} is a scanned or image-only PDF, and OCR found no text in it", hint=LEGIBLE_HINT
            )
        raise InputError(f"{name} has no text: its pages are blank", hint=BLANK_HINT)


def open_document(data: bytes, name: str) -> Any:
    """The pypdfium2 document (call under PDFIUM_LOCK); InputError for encrypted or damaged PDFs."""
    return _open_document(data, name)


def _ocr_page(page: Any, index: int, width: float, height: float) -> tuple[list[Word], float, float]:
    from core.providers.local.scans import ocr_pdf_page

    return ocr_pdf_page(page, index, width, height)


def _has_image_objects(pdfium_c: Any, page: Any) -> bool:
    count = pdfium_c.FPDFPage_CountObjects(page)
    return any(
        pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page, i))
        in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
        for i in range(count)
    )


def _page_text(pdfium_c: Any, textpage: Any, count: int) -> str | None:
    """All characters of the page in one call, index for index; None if that does not line up
    (characters outside the BMP take two UTF-16 units)."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    text = bytes(memoryview(buffer).cast("B")[: max(written - 1, 0) * 2]).decode("utf-16-le", "replace")
    return text if len(text) == count else None


def _page_words(
    pdfium_c: Any,
    textpage: Any,
    rect: Any,
    page_index: int,
    left: float,
    top: float,
    width: float,
    height: float,
    name: str = "the document",
) -> list[Word]:
    count = pdfium_c.FPDFText_CountChars(textpage)
    if count > MAX_CHARS_PER_PAGE:
        raise InputError(
            f"Page {page_index + 1} of {name} has {count:,} characters: too heavy to read "
            f"(the limit is {MAX_CHARS_PER_PAGE:,} a page)",
            hint=_HEAVY_HINT,
        )
    text = _page_text(pdfium_c, textpage, count) if count else ""
    get_unicode, get_box = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetLooseCharBox
    box = ctypes.pointer(rect)
    words: list[Word] = []
    chars: list[str] = []
    bx1 = by1 = bx2 = by2 = 0.0  # the word's box in points, top-left origin
    spaces = _SPACES

    def flush() -> None:
        value = "".join(chars)
        if not value.isascii():
            value = _unligature(unicodedata.normalize("NFC", value))
        value = value.strip()
        glued = _GLUED_NUMBER.match(value)
        if glued and bx2 > bx1:  # "n°562044387": the number sign and the number are two words
            cut = bx1 + (bx2 - bx1) * len(glued.group(1)) / len(value)
            words.append(
                Word(
                    glued.group(1),
                    page_index,
                    bx1 / width,
                    by1 / height,
                    cut / width,
                    by2 / height,
                    by2 - by1,
                    width,
                )
            )
            words.append(
                Word(
                    glued.group(2),
                    page_index,
                    cut / width,
                    by1 / height,
                    bx2 / width,
                    by2 / height,
                    by2 - by1,
                    width,
                )
            )
        elif value:
            words.append(
                Word(
                    value, page_index, bx1 / width, by1 / height, bx2 / width, by2 / height, by2 - by1, width
                )
            )
        chars.clear()

    for i in range(count):
        if text is not None:
            char = text[i]
        else:
            code = get_unicode(textpage, i)
            char = chr(code) if 0 < code < 0x110000 else ""
        # Characters PDFium generates (FPDFText_IsGenerated) are spaces and line breaks: skipped here.
        if not char or char in spaces:
            if chars:
                flush()
            continue
        if not get_box(textpage, i, box):
            continue
        x1, x2 = rect.left - left, rect.right - left
        y1, y2 = top - rect.top, top - rect.bottom
        if chars:
            if (
                chars[-1] == ":"
                and len(chars) >= 2
                and (chars[-2].isalpha() or chars[-2] == ".")
                and char != "/"
            ):
                flush()  # "No.:INV-7" is a label and a value, "https://" is not
            else:
                char_height = y2 - y1 if y2 - y1 > 1e-6 else 1e-6
                same_line = abs((y1 + y2) / 2 - (by1 + by2) / 2) < 0.5 * char_height
                touching = -0.3 * char_height < x1 - bx2 < 0.15 * char_height
                if not (same_line and touching):
                    flush()
        if chars:
            bx1 = x1 if x1 < bx1 else bx1
            by1 = y1 if y1 < by1 else by1
            bx2 = x2 if x2 > bx2 else bx2
            by2 = y2 if y2 > by2 else by2
        else:
            bx1, by1, bx2, by2 = x1, y1, x2, y2
        chars.append(char)
    if chars:
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
            smaller = min(bottom - top, word.height)
            # A word in a much larger font spans two small lines: it joins only the one it centres on.
            similar = (
                max(bottom - top, word.height) <= 1.6 * smaller
                or abs((top + bottom) / 2 - word.cy) <= 0.3 * smaller
            )
            if overlap >= 0.5 * smaller and similar:
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
