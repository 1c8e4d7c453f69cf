"""Where inline upload stops paying: POST /documents with base64 `content` vs POST + streamed PUT fileUrl.

    python bench/cradl_inline_threshold.py [--runs 5] [--latency-ms 100]

For each file size, uploads the same PDF-headed file to the Cradl emulator (in its own process, with
`--latency-ms` added to every request, as in bench/batch_throughput.py) through docrelay's own
`CradlApi.create_document`, once forced inline and once forced streamed, and prints:
- the median wall time of each (inline saves a request, but base64 and JSON cost CPU on both sides);
- the peak Python memory the client allocated for one upload (tracemalloc; streamed is O(1));
- the uplink speed below which inline loses: inline sends a third more bytes, so it pays only while
  size/3 travels faster than the round trip it saves.

The figures chose `core.providers.cradl.api.INLINE_MAX_BYTES` (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from _common import Emulator, fetch_token, write_pdf

from core.providers.cradl.api import INLINE_MAX_BYTES, CradlApi
from core.sources import DocumentSource
from core.transport import BearerToken, HttpClient

SIZES_KB = (16, 64, 256, 512, 1024, 2048, 4096)


def upload(api: CradlApi, source: DocumentSource) -> None:
    api.create_document(source)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    emulator = Emulator("--latency-ms", f"{args.latency_ms:g}", "--no-validate", "--engine", "stub")
    try:
        http = HttpClient(emulator.api_url, provider="cradl")
        http.auth = BearerToken(fetch_token(emulator.token_url))
        inline, streamed = CradlApi(http, inline_max_bytes=1 << 40), CradlApi(http, inline_max_bytes=0)
        upload(inline, DocumentSource.from_bytes(b"%PDF-1.7\n%warm-up\n", name="warm.pdf"))
        print(f"inline vs streamed upload, {args.latency_ms:g} ms latency per request, median of {args.runs}")
        print(f"{'size':>8} {'inline s':>9} {'streamed s':>10} {'saved s':>8} "
              f"{'inline MB':>10} {'streamed MB':>11} {'break-even uplink':>18}")  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            for size_kb in SIZES_KB:
                path = Path(tmp) / f"{size_kb}.pdf"
                write_pdf(path, size_kb * 1024)
                times: dict[str, list[float]] = {"inline": [], "streamed": []}
                peaks: dict[str, float] = {}
                for name, api in (("inline", inline), ("streamed", streamed)):
                    for _ in range(args.runs):
                        source = DocumentSource.from_path(path)
                        began = time.perf_counter()
                        upload(api, source)
                        times[name].append(time.perf_counter() - began)
                    tracemalloc.start()
                    upload(api, DocumentSource.from_path(path))
                    peaks[name] = tracemalloc.get_traced_memory()[1] / 1e6
                    tracemalloc.stop()
                t_inline, t_streamed = (statistics.median(times[k]) for k in ("inline", "streamed"))
                saved = t_streamed - t_inline
                extra_bits = size_kb * 1024 / 3 * 8
                even = f"{extra_bits / saved / 1e6:8.1f} Mbit/s" if saved > 0 else "   never pays"
                print(
                    f"{size_kb:>6}KB {t_inline:9.3f} {t_streamed:10.3f} {saved:8.3f} "
                    f"{peaks['inline']:10.1f} {peaks['streamed']:11.1f} {even:>18}"
                )
        print(
            f"chosen: inline up to {INLINE_MAX_BYTES // 1024} KB (core.providers.cradl.api.INLINE_MAX_BYTES)"
        )
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
