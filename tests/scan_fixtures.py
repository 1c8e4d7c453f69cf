"""Scans for the OCR tests, made at test time from PDFs we draw: rendered, turned, noised, saved as
images or image-only PDFs (as a scanner would give them back)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from tests.cli_helpers import Run, docrelay_executable, isolated_env
from tests.local_fixtures import make_pdf, text

if TYPE_CHECKING:
    from PIL.Image import Image
    from reportlab.pdfgen.canvas import Canvas

MEMORY_CAP = 1024**3  # for hostile inputs: a regression must not eat the machine
HEADER = {"invoice_number": "T-1001", "invoice_date": "2026-03-14", "total_amount": "99.00"}


def header_page(canvas: Canvas) -> None:
    text(canvas, 50, 800, "Example Trading Ltd", 16, bold=True)
    text(canvas, 50, 770, "Invoice No.: T-1001", 12)
    text(canvas, 50, 752, "Invoice Date: 2026-03-14", 12)
    text(canvas, 50, 734, "Total: EUR 99.00", 12)


def closing_page(canvas: Canvas) -> None:
    text(canvas, 50, 800, "Terms: payable within 30 days. Thank you for your business.", 11)


def scan(
    pdf: bytes, *, dpi: int = 200, skew: float = 0.0, rotate: int = 0, noise: float = 0.0, top: float = 0.3
) -> Image:
    """Page 0 of `pdf` as a greyscale scan: its top `top` part (OCR time grows with the area),
    turned anticlockwise by `rotate` + `skew` degrees, with Gaussian noise of sigma `noise`."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image as PilImage

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
    image = image.crop((0, 0, image.width, int(image.height * top)))
    if skew or rotate:
        image = image.rotate(rotate + skew, resample=PilImage.Resampling.BICUBIC, expand=True, fillcolor=255)
    if noise:
        rng = np.random.default_rng(1)
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, noise, (image.height, image.width))
        image = PilImage.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    image.info["dpi"] = (dpi, dpi)
    return image


def image_file(*images: Image, kind: str = "PNG") -> bytes:
    """The images saved as one file of `kind` (PNG, JPEG, TIFF, WEBP; TIFF keeps every image as a page)."""
    buffer = io.BytesIO()
    first, rest = images[0], list(images[1:])
    options = {"save_all": True, "append_images": rest} if rest else {}
    dpi = first.info.get("dpi", (200, 200))
    first.save(buffer, kind, dpi=dpi, **options)
    return buffer.getvalue()


def image_pdf(*images: Image) -> bytes:
    """An image-only PDF, one scanned image a page, as a scanner's PDF mode makes it."""
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=list(images[1:]), resolution=200)
    return buffer.getvalue()


def header_pdf() -> bytes:
    return make_pdf(header_page)


def mixed_pdf() -> bytes:
    """Page 0 scanned (no text layer), page 1 with a text layer."""
    import pypdfium2 as pdfium

    combined = pdfium.PdfDocument.new()
    for part in (image_pdf(scan(header_pdf(), top=1.0)), make_pdf(closing_page)):
        source = pdfium.PdfDocument(part)
        combined.import_pages(source)
        source.close()
    buffer = io.BytesIO()
    combined.save(buffer)
    combined.close()
    return buffer.getvalue()


def blank_image(kind: str = "PNG") -> bytes:
    from PIL import Image as PilImage

    return image_file(PilImage.new("L", (800, 600), 255), kind=kind)


def capped_extract(path: Path, tmp_path: Path) -> Run:
    """`docrelay extract` of a hostile file in a process whose address space is capped at 1 GiB."""
    import resource
    import subprocess

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    done = subprocess.run(
        [docrelay_executable(), "extract", str(path), "--provider", "local"],
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
    )
    return Run(done.returncode, done.stdout, done.stderr)
