"""The OCR engines considered for `local`, on the same scans: how much of the text they read, how fast.

    python bench/ocr_candidates.py [--dpi 200] [--skew 2] [--noise 18]

Scans are made as in bench/ocr_scans.py (every page of samples/*.pdf). Each engine reads each page
image; "words" is the share of the text layer's words (case kept, accents kept) found among the
engine's words, each found at most as often as it is printed. Seconds are per page, wall-clock and
CPU (all threads, and tesseract's processes), the engine loaded beforehand.

Engines measured when installed (the others are listed as missing):
- rapidocr 3.x with ONNX Runtime, PP-OCRv6 small models from the wheel (docrelay's choice, its settings)
- rapidocr_onnxruntime 1.4 (PP-OCRv4 mobile Chinese/English models from its wheel)
- Tesseract 5 by its command line, eng+deu+fra+nld (apt-get install tesseract-ocr tesseract-ocr-deu ...)
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _scans import scanned_pages, text_layer_words  # noqa: E402


def pages(dpi: int, skew: float, noise: float) -> list[tuple[str, Any, list[str]]]:
    """(name, scanned image, the text layer's words) for every sample page."""
    out = []
    for seed, pdf in enumerate(sorted((REPO / "samples").glob("*.pdf"))):
        images = scanned_pages(pdf, dpi, skew, 0, noise, seed)
        for index, (image, words) in enumerate(zip(images, text_layer_words(pdf), strict=True)):
            out.append((f"{pdf.stem} p{index}", image, words))
    return out


def docrelay_rapidocr() -> Callable[[Any], list[str]] | None:
    from core.providers.local import ocr

    ocr._engine()

    def read(image: Any) -> list[str]:
        words, _, _ = ocr.recognize(image, 0, 595.0, 842.0)
        return [w.text for w in words]

    return read


def rapidocr_v1() -> Callable[[Any], list[str]] | None:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    import numpy as np

    engine = RapidOCR()

    def read(image: Any) -> list[str]:
        found, _ = engine(np.asarray(image.convert("RGB"))[:, :, ::-1])
        return [word for _, text, _ in (found or []) for word in str(text).split()]

    return read


def tesseract() -> Callable[[Any], list[str]] | None:
    binary = shutil.which("tesseract")
    if not binary:
        return None

    def read(image: Any) -> list[str]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "page.png"
            image.save(path, dpi=(200, 200))
            done = subprocess.run(
                [binary, str(path), "-", "-l", "eng+deu+fra+nld"], capture_output=True, text=True, check=True
            )
        return done.stdout.split()

    return read


def cpu_seconds() -> float:
    """CPU time of this process and of the programs it ran (tesseract), every thread counted."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--skew", type=float, default=2.0)
    parser.add_argument("--noise", type=float, default=18.0)
    args = parser.parse_args(argv)
    scans = pages(args.dpi, args.skew, args.noise)
    print(f"{len(scans)} pages, {args.dpi} dpi, skew {args.skew} deg, noise sigma {args.noise}")
    engines = {
        "rapidocr 3 PP-OCRv6 small (docrelay)": docrelay_rapidocr,
        "rapidocr_onnxruntime 1.4 PP-OCRv4 mobile": rapidocr_v1,
        "tesseract 5 (eng+deu+fra+nld)": tesseract,
    }
    for name, make in engines.items():
        reader = make()
        if reader is None:
            print(f"{name:42} not installed")
            continue
        found = total = 0
        wall = cpu = 0.0
        for _, image, expected in scans:
            begin, cpu_begin = time.perf_counter(), cpu_seconds()
            got = collections.Counter(reader(image))
            wall += time.perf_counter() - begin
            cpu += cpu_seconds() - cpu_begin
            want = collections.Counter(expected)
            found += sum(min(count, got[word]) for word, count in want.items())
            total += sum(want.values())
        count = len(scans)
        print(
            f"{name:42} words {found / total:.3f}  {wall / count:5.2f} s/page wall  "
            f"{cpu / count:5.2f} s/page CPU  "
            f"load {os.getloadavg()[0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
