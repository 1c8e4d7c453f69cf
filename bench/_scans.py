"""Scans of the sample invoices for the OCR benchmarks, as a scanner would give them back.

Benchmarks run as scripts (`python bench/NAME.py`), so this module is imported as `_scans`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def scanned_pages(pdf: Path, dpi: int, skew: float, rotate: int, noise: float, seed: int) -> list[Any]:
    """Every page of `pdf` rendered at `dpi` (pypdfium2), turned anticlockwise by `rotate` + `skew`
    degrees, with Gaussian noise of sigma `noise` grey levels, dust specks and a slight blur."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    images = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            image = image.rotate(skew + rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
            pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, noise, (image.height, image.width))
            pixels[rng.random(pixels.shape) < 0.002] = 0  # dust
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
            images.append(image.filter(ImageFilter.GaussianBlur(0.6)))
    finally:
        document.close()
    return images


def text_layer_words(pdf: Path) -> list[list[str]]:
    """The words of each page's text layer."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return [page.get_textpage().get_text_range().split() for page in document]
    finally:
        document.close()
