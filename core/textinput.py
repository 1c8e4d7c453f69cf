"""Text to analyze, from the command line, .txt files or .csv files, checked before anything is sent.

- A text given directly is one document.
- A .txt file is one document, or one per non-empty line with `per_line`.
- A .csv file is one document per row. Its first row is the header; the text column is `column` (a
  name, or a 0-based index), else the one named "text", else the only column. An "id" column, if
  present, names the rows in the results.

Files are read as UTF-8 (with or without BOM), falling back to Windows-1252 (Excel's "CSV" on
western Windows). Empty documents are skipped; no document at all is an InputError.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.models import DocumentInfo
from core.sources import checked_file, reading

MAX_BYTES = 20 * 1024 * 1024
MAX_DOCUMENTS = 100_000
TEXT_SUFFIXES = (".txt", ".text")
CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class TextDocument:
    text: str
    id: str


@dataclass(frozen=True)
class TextInput:
    """The documents to analyze, and a description of where they came from."""

    documents: list[TextDocument]
    info: DocumentInfo

    @property
    def texts(self) -> list[str]:
        return [d.text for d in self.documents]

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.documents]


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(
            f"Cannot read {shown} as text: it is neither UTF-8 nor Windows-1252",
            hint="Save the file as UTF-8 text (in Excel: CSV UTF-8).",
        ) from None


def _read(path: Path, shown: str) -> str:
    checked_file(
        path,
        shown,
        limit=MAX_BYTES,
        folder_hint="Name a .txt or .csv file.",
        split_hint="Split the file into smaller ones.",
        purpose=" for text analysis",
    )
    with reading(shown):
        data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise InputError(
            f"{shown} is not a text file",
            hint="Give plain text (.txt) or comma-separated values (.csv); export spreadsheets as CSV.",
        )
    return _decode(data, shown)


def _pick_column(header: list[str], column: str | None, shown: str) -> int:
    names = [h.strip() for h in header]
    if column is not None and column.strip():
        wanted = column.strip()
        lowered = [n.lower() for n in names]
        if wanted.lower() in lowered:
            return lowered.index(wanted.lower())
        if wanted.isdigit() and int(wanted) < len(names):
            return int(wanted)
        raise InputError(
            f"{shown} has no column {wanted!r}; its columns are: {', '.join(names) or '(none)'}",
            hint="Pass --column with one of those names, or its 0-based position.",
        )
    lowered = [n.lower() for n in names]
    if "text" in lowered:
        return lowered.index("text")
    if len(names) == 1:
        return 0
    raise InputError(
        f"{shown} has several columns and none is named 'text': {', '.join(names)}",
        hint="Pass --column NAME (or its 0-based position) to say which column holds the text.",
    )


def _csv_documents(text: str, shown: str, column: str | None) -> list[TextDocument]:
    try:
        sample = text[:65536]
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise InputError(f"{shown} is not valid CSV: {exc}", hint="Check the file's quoting.") from exc
    if not rows:
        raise InputError(f"{shown} is empty", hint="Give a CSV file with a header row and one text per row.")
    header, body = rows[0], rows[1:]
    index = _pick_column(header, column, shown)
    lowered = [h.strip().lower() for h in header]
    id_index = lowered.index("id") if "id" in lowered and lowered.index("id") != index else None
    documents: list[TextDocument] = []
    for number, row in enumerate(body, start=2):
        value = row[index].strip() if index < len(row) else ""
        if not value:
            continue
        given = row[id_index].strip() if id_index is not None and id_index < len(row) else ""
        documents.append(TextDocument(value, given or f"row {number}"))
    return documents


def read_texts(
    texts: Iterable[str] = (),
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    column: str | None = None,
    per_line: bool = False,
) -> TextInput:
    """The documents of all inputs, in order: texts first, then each file's."""
    documents: list[TextDocument] = []
    for position, text in enumerate(texts):
        if text and text.strip():
            documents.append(TextDocument(text.strip(), f"text {position + 1}"))
    sources: list[Path] = []
    kinds: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        shown = str(raw)
        suffix = path.suffix.lower()
        if suffix not in TEXT_SUFFIXES + CSV_SUFFIXES:
            raise InputError(
                f"Cannot analyze {shown}: only .txt and .csv files hold text to analyze",
                hint="Save the text as .txt (one document, or one per line with --per-line) or as .csv.",
            )
        content = _read(path, shown)
        sources.append(path)
        if suffix in CSV_SUFFIXES:
            kinds.add("text/csv")
            documents.extend(_csv_documents(content, shown, column))
        else:
            kinds.add("text/plain")
            if per_line:
                documents.extend(
                    TextDocument(line.strip(), f"{path.name}:{number}")
                    for number, line in enumerate(content.splitlines(), start=1)
                    if line.strip()
                )
            elif content.strip():
                documents.append(TextDocument(content.strip(), path.name))
    if not documents:
        raise InputError(
            "No text to analyze: the inputs are empty",
            hint="Give --text TEXT, or .txt / .csv files that contain text.",
        )
    if len(documents) > MAX_DOCUMENTS:
        raise InputError(
            f"Too many texts: {len(documents)}, the limit is {MAX_DOCUMENTS}",
            hint="Split the input into several runs.",
        )
    digest = hashlib.sha256("\x1e".join(d.text for d in documents).encode("utf-8"))
    info = DocumentInfo(
        source=str(sources[0].resolve()) if len(sources) == 1 else None,
        name=sources[0].name if len(sources) == 1 else ("text" if not sources else f"{len(sources)} files"),
        sha256=digest.hexdigest(),
        content_type=kinds.pop() if len(kinds) == 1 else "text/plain",
        size=sum(len(d.text.encode("utf-8")) for d in documents),
    )
    return TextInput(documents, info)
