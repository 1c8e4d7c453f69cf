"""The offline `local` provider: reads the PDF text layer on this machine (no account, no network).

    from core.providers.local import LocalProvider, extract_bytes, extract_source

Models are Cradl fieldConfig JSON: the built-in `invoice` (models/invoice.json) or a file path.
PDFs without a text layer (scans) and images need OCR, which this provider does not do.
"""

from __future__ import annotations

from core.providers.local.engine import extract_bytes, extract_source
from core.providers.local.provider import LocalProvider, cache_dir

__all__ = ["LocalProvider", "cache_dir", "extract_bytes", "extract_source"]
