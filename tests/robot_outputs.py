"""Read Robot Framework's output files as text a test can search, including the strings log.html and
report.html keep compressed (zlib + base64), which a plain search of the file would miss."""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

OUTPUT_FILES = ("output.xml", "log.html", "report.html")
_STRINGS = re.compile(  # log.html and report.html add their strings to the model in chunks like this
    r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);', re.S
)
_JS_LT = re.compile(r"(?<!\\)((?:\\\\)*)\\x3c")  # Robot writes "</" as "\x3c/", which JSON lacks
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")


def searchable_text(path: Path) -> str:
    """The file's text, followed by every string of its embedded model decoded (for .html files)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".html":
        return text
    decoded = []
    for chunk in _STRINGS.findall(text):
        for item in json.loads(_JS_LT.sub(r"\1\\u003c", chunk)):
            if item.startswith("*"):
                decoded.append(item[1:])
            else:
                decoded.append(zlib.decompress(base64.b64decode(item)).decode("utf-8", errors="replace"))
    return text + "\n" + "\n".join(decoded)


def output_texts(outputdir: str | Path) -> dict[str, str]:
    """output.xml, log.html and report.html of a run, each as searchable text."""
    folder = Path(outputdir)
    return {name: searchable_text(folder / name) for name in OUTPUT_FILES}


def leaks(outputdir: str | Path, secrets: list[str]) -> list[str]:
    """Where any of `secrets`, or any JWT, appears in a run's output files (empty: nothing leaked)."""
    found: list[str] = []
    for name, text in output_texts(outputdir).items():
        found.extend(f"{name} contains secret #{n}" for n, secret in enumerate(secrets) if secret in text)
        found.extend(f"{name} contains a JWT {match[:12]}..." for match in JWT.findall(text))
    return found
