"""Documents for the local-provider tests, made at test time (never committed): sample paths, and
PDFs that must fail (scanned, encrypted, damaged) or that exercise custom models."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from tests.cli_helpers import SAMPLES


def sample_paths() -> list[Path]:
    """Every committed sample invoice that has an .expected.json beside it."""
    return sorted(p for p in SAMPLES.glob("*.pdf") if expected_path(p).is_file())


def expected_path(pdf: Path) -> Path:
    return pdf.with_name(pdf.stem + ".expected.json")


def expected_of(pdf: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(expected_path(pdf).read_text(encoding="utf-8"))
    return data


Draw = Callable[[Canvas], None]


def make_pdf(*pages: Draw, encrypt: str | None = None) -> bytes:
    """A PDF with one page per drawing function (reportlab, deterministic output)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, encrypt=encrypt)
    for draw in pages:
        draw(canvas)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def text(
    canvas: Canvas,
    x: float,
    y: float,
    value: str,
    size: float = 10,
    *,
    bold: bool = False,
    right: bool = False,
) -> None:
    canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
    (canvas.drawRightString if right else canvas.drawString)(x, y, value)


def simple_page(canvas: Canvas) -> None:
    text(canvas, 50, 800, "Example Trading Ltd", 14, bold=True)
    text(canvas, 50, 770, "Invoice No.: T-1001")
    text(canvas, 50, 755, "Invoice Date: 2026-03-14")
    text(canvas, 50, 740, "Total: EUR 99.00")


def text_pdf() -> bytes:
    return make_pdf(simple_page)


def scanned_pdf() -> bytes:
    """An image-only page, as a scanner makes it: no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).text((20, 20), "INVOICE 12345 Total 99.00", fill="black")

    def draw(canvas: Canvas) -> None:
        canvas.drawImage(ImageReader(image), 50, 500, 400, 200)

    return make_pdf(draw)


def encrypted_pdf(password: str = "s3cret-pw") -> bytes:
    return make_pdf(simple_page, encrypt=password)


def corrupt_pdf() -> bytes:
    """A PDF cut off half-way, like an interrupted download."""
    data = text_pdf()
    return data[: len(data) // 2]


def image_bytes(kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(buffer, kind)
    return buffer.getvalue()
