"""Refuse pages too heavy to read before PDFium parses them.

PDFium keeps every text object of a loaded page in memory (about 330 bytes each), so one page with a
million text runs costs over 300 MB before a single word is read. This scan counts the text-showing
operators (Tj, TJ, ', ") in the document's content streams from the raw bytes, decompressing each
stream in bounded chunks and stopping as soon as the count passes the limit. It costs one zlib pass
over the page content (tens of milliseconds for hundreds of pages).
"""

from __future__ import annotations

import re
import zlib

# A dense real page has a few thousand runs; 150,000 keeps PDFium's page below ~50 MB.
MAX_TEXT_RUNS_PER_PAGE = 150_000
_CHUNK = 1 << 20
_STREAM = re.compile(rb"stream\r?\n")
_SKIP = (b"/Image", b"/XRef", b"/ObjStm", b"/FontFile", b"/Length1", b"/Metadata", b"/EmbeddedFile")
_RUN = re.compile(rb"(?:Tj|TJ|')(?![A-Za-z])")


def text_runs_over_limit(data: bytes, page_count: int, limit: int = MAX_TEXT_RUNS_PER_PAGE) -> bool:
    """True if one content stream holds more than `limit` text runs, or all of them more than
    `limit` per page on average (a page split into many streams)."""
    total = 0
    budget = limit * max(page_count, 1)
    for match in _STREAM.finditer(data):
        start = match.end()
        header = data[max(0, match.start() - 300) : match.start()]
        header = header[header.rfind(b"obj") + 3 :] if b"obj" in header else header
        if any(marker in header for marker in _SKIP):
            continue
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        runs = _count_runs(data[start:end], flate=b"/FlateDecode" in header or b"/Fl " in header, limit=limit)
        if runs > limit:
            return True
        total += runs
        if total > budget:
            return True
    return False


def _count_runs(body: bytes, *, flate: bool, limit: int) -> int:
    if not flate:
        return len(_RUN.findall(body))
    inflater = zlib.decompressobj()
    runs = 0
    tail = b""
    try:
        position = 0
        while position < len(body) and runs <= limit:
            piece = inflater.decompress(body[position : position + 65536], _CHUNK)
            position += 65536
            while True:
                chunk = tail + piece
                runs += len(_RUN.findall(chunk))
                tail = chunk[-1:]
                if not inflater.unconsumed_tail or runs > limit:
                    break
                piece = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
    except zlib.error:
        pass  # damaged or encrypted stream: PDFium decides what it can read
    return runs
