"""The offline `local` provider: reads documents on this machine (no account, no network).

    from core.providers.local import LocalProvider, extract_bytes, extract_source

Models are Cradl fieldConfig JSON: the built-in `invoice` (models/invoice.json) or a file path.
Scanned pages and images are read by OCR (models inside the rapidocr package); a Factur-X, ZUGFeRD
or XRechnung PDF, or a UBL / CII XML file, gives its structured values exactly.
"""

from __future__ import annotations

from core.providers.local.engine import extract_bytes, extract_source
from core.providers.local.provider import LocalProvider, cache_dir

__all__ = ["LocalProvider", "cache_dir", "extract_bytes", "extract_source"]
