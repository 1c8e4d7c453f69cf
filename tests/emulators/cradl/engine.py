"""What the Cradl emulator "predicts": a deterministic function of the document's bytes.

The offline engine `core.providers.local.extract_bytes(data, name, model)` is used when it can be
imported, so end-to-end tests can compare values with a local extraction. Without it (or with
engine="stub") a stub derives values from the sha256 and the page count, so tests still run.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from core.models import Candidate, Cell, DocumentInfo, FieldValue, Result

log = logging.getLogger("tests.emulators")

Extract = Callable[[bytes, str, "str | None"], Result]
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Analysis:
    """The engine's verdict on one document for one model."""

    result: Result | None
    error: str | None
    pages: int
    seconds: float


class Engine:
    """Caches analyses by (sha256, model); serialises engine calls (pdfium is not thread-safe)."""

    def __init__(self, mode: str = "auto") -> None:
        if mode not in ("auto", "local", "stub"):
            raise ValueError(f"engine must be auto, local or stub, not {mode!r}")
        self._extract: Extract = stub_extract
        self.name = "stub"
        if mode != "stub":
            local = _load_local_engine()
            if local is not None:
                self._extract, self.name = local, "local"
            elif mode == "local":
                raise RuntimeError("core.providers.local.extract_bytes is not available")
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], Analysis] = OrderedDict()

    def analyse(self, load: Callable[[], bytes], sha256: str, name: str, model: str) -> Analysis:
        """`load` reads the document; it is called only when the analysis is not cached."""
        key = (sha256, model)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            began = time.perf_counter()
            result: Result | None = None
            try:
                result = self._extract(load(), name, model)
                failed = result.status == "failed"
                error = (result.error.message if result.error else "the engine failed") if failed else None
            except Exception as exc:  # any engine refusal means "cannot process this document"
                error = str(exc) or type(exc).__name__
            pages = (result.document.pages or 1) if result is not None else 0
            analysis = Analysis(None if error else result, error, pages, time.perf_counter() - began)
            self._cache[key] = analysis
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return analysis


def _load_local_engine() -> Extract | None:
    try:
        extract = importlib.import_module("core.providers.local").extract_bytes
    except Exception as exc:  # not written yet, or broken: the stub keeps the emulator usable
        log.info("cradl emulator: local engine unavailable (%s); using the sha256 stub", exc)
        return None
    return cast(Extract, extract)


# -- the stub ----------------------------------------------------------------------------------


def _count_pages(data: bytes) -> tuple[str, int]:
    from core.sources import sniff_content_type

    content_type = sniff_content_type(data[:2048])
    if content_type is None:
        raise ValueError("unsupported file type: not a PDF, JPEG, PNG, TIFF or WebP file")
    if content_type != "application/pdf":
        return content_type, 1
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except Exception as exc:
        raise ValueError(f"unreadable PDF: {exc}") from exc
    try:
        return content_type, len(document)
    finally:
        document.close()


def _confidence(digest: bytes, index: int) -> float:
    return round(0.5 + digest[index % len(digest)] / 255 * 0.49, 2)


def stub_extract(data: bytes, name: str, model: str | None) -> Result:
    """Values derived from the sha256: an id on page 0, an amount on the last page, one line per page."""
    content_type, pages = _count_pages(data)
    digest = hashlib.sha256(data).digest()
    hexdigest = digest.hex()
    last = pages - 1
    amount = f"{int(hexdigest[8:16], 16) % 100000 / 100:.2f}"
    runner_up = f"{int(hexdigest[16:24], 16) % 10000 / 100:.2f}"
    total_confidence = max(_confidence(digest, 1), 0.6)
    fields: dict[str, Any] = {
        "invoice_number": FieldValue(
            value=f"EMU-{hexdigest[:8].upper()}",
            confidence=_confidence(digest, 0),
            page=0,
            raw_value=f"EMU-{hexdigest[:8].upper()}",
            box=(0.1, 0.1, 0.3, 0.14),
        ),
        "total_amount": FieldValue(
            value=amount,
            confidence=total_confidence,
            page=last,
            raw_value=amount.replace(".", ","),
            box=(0.6, 0.8, 0.75, 0.83),
            candidates=[
                Candidate(value=amount, confidence=total_confidence, page=last),
                Candidate(value=runner_up, confidence=round(total_confidence / 3, 2), page=0),
            ],
        ),
    }
    rows = [
        {
            "description": Cell(
                value=f"Item {page + 1}", confidence=_confidence(digest, 2 + page), page=page
            ),
            "amount": Cell(
                value=f"{(page + 1) * 10}.00", confidence=_confidence(digest, 3 + page), page=page
            ),
        }
        for page in range(pages)
    ]
    document = DocumentInfo(
        name=name, sha256=hexdigest, content_type=content_type, size=len(data), pages=pages
    )
    return Result(
        provider="local",
        model=model,
        status="succeeded",
        document=document,
        fields=fields,
        tables={"line_items": rows},
    )
