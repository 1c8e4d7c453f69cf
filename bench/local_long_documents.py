"""Long and heavy documents in the offline `local` engine (issue 14 part 4, issue 13 item 10).

    python bench/local_long_documents.py [--pages 500] [--runs 3]

1. A text PDF of N pages, and an invoice of N pages with line items on every page: wall time and
   peak RSS of (a) the floor: pypdfium2 reading every character with its box, nothing else, and
   (b) `docrelay extract FILE` (the installed CLI, as users run it).
   Targets for the text PDF: (b) <= 100 MB peak RSS and <= 2x the floor measured in the same run.
   The invoice's figures show the cost of its 22,500 result rows (the result itself is that big).
2. One page with 1,000,000 text runs: `docrelay extract` must stay <= 300 MB and <= 10 s, or exit 4
   with a clear message.
Each measurement runs in its own process (peak RSS = the child's ru_maxrss); medians over --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heavy_pdfs import long_invoice, long_text, million_runs

DOCRELAY = str(Path(sys.executable).parent / "docrelay")

FLOOR = r"""
import sys, pypdfium2 as pdfium, pypdfium2.raw as c
pdf = pdfium.PdfDocument(sys.argv[1])
rect = c.FS_RECTF()
chars = 0
for index in range(len(pdf)):
    page = pdf[index]
    text = page.get_textpage()
    for i in range(c.FPDFText_CountChars(text)):
        c.FPDFText_GetUnicode(text, i)
        c.FPDFText_GetLooseCharBox(text, i, rect)
        chars += 1
    text.close()
    page.close()
print(chars)
"""


# Each measured program is started by this small launcher: on Linux a child's peak RSS starts from
# its parent's peak (it survives fork and exec), so the launcher, not this script, must be the parent.
LAUNCHER = r"""
import os, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    started = time.perf_counter()
    child = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measure(command: list[str], output: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one run; its output goes to `output`."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, str(output), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_kb, code = done.stdout.split()
    return float(seconds), int(peak_kb) / 1024, int(code)


def make(pages: int, folder: str) -> None:
    data, _, rows = long_invoice(pages)
    Path(folder, "invoice.pdf").write_bytes(data)
    Path(folder, "text.pdf").write_bytes(long_text(pages))
    Path(folder, "heavy.pdf").write_bytes(million_runs())
    print(rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--make"]:
        make(int(argv[1]), argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        # Made in a child process: a child's peak RSS starts from its parent's size on Linux.
        made = subprocess.run(
            [sys.executable, __file__, "--make", str(args.pages), folder],
            check=True,
            capture_output=True,
            text=True,
        )
        rows = int(made.stdout)
        os.environ["DOCRELAY_CACHE_DIR"] = str(Path(folder) / "cache")
        documents = [
            (f"{args.pages}-page text PDF", Path(folder, "text.pdf"), None),
            (f"{args.pages}-page invoice, {rows:,} line items", Path(folder, "invoice.pdf"), rows),
        ]
        for title, path, expected_rows in documents:
            floors, engines = [], []
            output = Path(folder, "output.json")
            for _ in range(args.runs):  # interleaved, so both see the same machine load
                floors.append(measure([sys.executable, "-c", FLOOR, str(path)], Path(folder, "floor.txt")))
                engines.append(measure([DOCRELAY, "extract", str(path)], output))
            floor_s = statistics.median(f[0] for f in floors)
            engine_s = statistics.median(e[0] for e in engines)
            print(f"{title} ({path.stat().st_size / 1e6:.1f} MB), median of {args.runs}:")
            floor_mb, engine_mb = max(f[1] for f in floors), max(e[1] for e in engines)
            print(f"  floor, pypdfium2 reading every char box: {floor_s:6.2f} s  {floor_mb:5.0f} MB")
            print(
                f"  docrelay extract:                         {engine_s:6.2f} s  {engine_mb:5.0f} MB"
                f"  = {engine_s / floor_s:.2f}x the floor, exit {engines[-1][2]}"
            )
            if expected_rows:
                result = json.loads(output.read_text(encoding="utf-8")) if engines[-1][2] == 0 else {}
                found = len(((result.get("data") or {}).get("tables") or {}).get("line_items") or [])
                print(f"  line items found: {found:,} of {expected_rows:,}")
        heavy_output = Path(folder, "heavy.json")
        heavy = measure([DOCRELAY, "extract", str(Path(folder, "heavy.pdf"))], heavy_output)
        print("one page with 1,000,000 text runs:")
        print(f"  docrelay extract: {heavy[0]:.2f} s, {heavy[1]:.0f} MB, exit {heavy[2]}")
        lines = heavy_output.read_text(encoding="utf-8").strip().splitlines()
        if heavy[2] != 0 and lines:
            print("  " + json.loads(lines[0])["error"]["message"])
    print("targets: text PDF <= 100 MB and <= 2x the floor; the heavy page <= 300 MB and <= 10 s, or exit 4")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
