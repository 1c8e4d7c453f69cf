"""Scans: image documents (PNG, JPEG, TIFF with its pages, WebP) and image-only PDF pages, read by OCR
into the TextLayer the engine reads (ocr.py does the reading, this module gets the page images).

Pillow decodes the images; a page above MAX_PIXELS is refused before it is decoded (a small file
can claim a huge image: a decompression bomb).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core.errors import InputError
from core.providers.local.textlayer import (
    LEGIBLE_HINT,
    PageText,
    TextLayer,
    Word,
    group_lines,
    select_pages,
)

if TYPE_CHECKING:
    from PIL.Image import Image

    from core.models import FieldValue
    from core.providers.local.scoring import Ranked

log = logging.getLogger(__name__)

# PDF pages without text are rendered at this resolution for OCR (the models read 150-300 dpi scans).
OCR_DPI = 200
# An image's resolution when it does not say one (or says something implausible).
DEFAULT_DPI = 200
# 300 dpi A0 is about 140 million pixels; nobody scans invoices at that size.
MAX_PIXELS = 60_000_000


def ocr_pdf_page(page: Any, page_index: int, width: float, height: float) -> tuple[list[Word], float, float]:
    """Words of a PDF page that has no text layer, by OCR of the page rendered at OCR_DPI; with the
    upright page size (a page scanned sideways is turned)."""
    from core.providers.local.ocr import recognize

    scale = OCR_DPI / 72
    if width * height * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / (width * height)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = bitmap.to_pil()
        return recognize(image, page_index, width, height)
    finally:
        bitmap.close()


def count_image_pages(data: bytes, name: str) -> int:
    with _opened(data, name) as image:
        return int(getattr(image, "n_frames", 1))


def read_image_layer(data: bytes, name: str, pages: list[int] | None = None) -> TextLayer:
    """Words and lines of an image document's pages (a TIFF may have many), by OCR, all held."""
    page_count, stream = iter_image_pages(data, name, pages)
    held = list(stream)
    return TextLayer(page_count=page_count, pages=held, ocr_pages=[p.index for p in held])


def iter_image_pages(
    data: bytes, name: str, pages: list[int] | None = None
) -> tuple[int, Iterator[PageText]]:
    """The page count, and the chosen pages read by OCR one at a time (as textlayer.iter_pages).

    Raises InputError at once for an unreadable image or missing pages, and from the iterator when
    OCR finds no text on any page."""
    opened = _opened(data, name)
    image = opened.__enter__()
    try:
        page_count = int(getattr(image, "n_frames", 1))
        chosen = select_pages(pages, page_count)
    except BaseException:
        opened.__exit__()
        raise
    return page_count, _image_pages(opened, image, name, chosen)


def _image_pages(opened: _opened, image: Any, name: str, chosen: list[int]) -> Iterator[PageText]:
    from core.providers.local.ocr import recognize

    words_seen = 0
    try:
        for index in chosen:
            frame = _frame(image, index, name)
            dpi = _dpi(frame)
            width, height = frame.width * 72 / dpi, frame.height * 72 / dpi
            words, width, height = recognize(frame, index, width, height)
            words_seen += len(words)
            yield PageText(index=index, width=width, height=height, lines=group_lines(words), ocr=True)
    finally:
        opened.__exit__()
    if words_seen == 0:
        raise InputError(f"{name}: OCR found no text in the image", hint=LEGIBLE_HINT)


class _opened:
    """Pillow's image of the document, with its decoding errors turned into InputErrors."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name = data, name
        self.image: Any = None

    def __enter__(self) -> Any:
        from PIL import Image as PilImage
        from PIL import UnidentifiedImageError

        try:
            self.image = PilImage.open(io.BytesIO(self.data))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise _damaged(self.name) from exc
        return self.image

    def __exit__(self, *exc: object) -> None:
        if self.image is not None:
            self.image.close()


def _damaged(name: str) -> InputError:
    return InputError(
        f"{name} is not a readable image: the file is damaged or incomplete",
        hint="Check that the file was copied or downloaded completely, or save it again.",
    )


def _frame(image: Any, index: int, name: str) -> Image:
    from PIL import Image as PilImage
    from PIL import ImageOps

    if image.width * image.height > MAX_PIXELS:
        raise InputError(
            f"{name} is too large an image to read: {image.width} x {image.height} pixels "
            f"(the limit is {MAX_PIXELS // 1_000_000} million)",
            hint="Scan at 200-300 dpi, or reduce the image's size.",
        )
    try:
        image.seek(index)
        frame = image.copy() if index else ImageOps.exif_transpose(image)
        frame.load()
    except (OSError, ValueError, EOFError, PilImage.DecompressionBombError) as exc:
        raise _damaged(name) from exc
    if frame.width * frame.height > MAX_PIXELS:
        raise InputError(
            f"{name} page {index} is too large an image to read: {frame.width} x {frame.height} pixels",
            hint="Scan at 200-300 dpi, or reduce the image's size.",
        )
    if frame.mode in ("RGBA", "LA", "P", "PA"):  # transparent parts are paper, not black
        rgba = frame.convert("RGBA")
        frame = PilImage.alpha_composite(PilImage.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    elif frame.mode not in ("L", "RGB"):
        frame = frame.convert("RGB")
    return frame


def _dpi(frame: Image) -> float:
    dpi = frame.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 72 <= value <= 1200 else DEFAULT_DPI


def scale_by_ocr_confidence(fields: dict[str, FieldValue], ranked: dict[str, Ranked]) -> None:
    """Values read by OCR are only as sure as the OCR was of their words: their confidence is scaled
    by the lowest word confidence (text-layer words count 1.0, so text PDFs are unchanged). Table
    cells are scaled as their rows are read (scoring.LineRows)."""
    for key, value in fields.items():
        options = ranked[key].options if key in ranked else []
        found = next((o for o in options if o.value == value.value), None)
        if found is not None and value.confidence is not None:
            value.confidence = round(value.confidence * word_certainty(found.words), 3)


def word_certainty(words: list[Word]) -> float:
    """The lowest OCR confidence of the words (1.0 for text-layer words)."""
    return min((w.confidence for w in words), default=1.0)
