"""Document sources: a path or bytes plus a name, checked before anything is sent.

The content type comes from the bytes, never from the extension, and the bytes are read again on
every attempt (never held whole for large files), so a retried upload never sends an empty body.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from core.errors import InputError
from core.files import special_file_kind

# Cradl's limit, the strictest of the services; a provider may set a lower one.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024

SUPPORTED_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/webp",
    "application/xml",
)
# XML is an e-invoice (UBL or CII), which only the local provider reads; the services take the others.
XML_TYPE = "application/xml"

EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "application/xml": ".xml",
}


def sniff_content_type(head: bytes) -> str | None:
    """The content type told by the first bytes of a file, or None if it is none we support."""
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not head.startswith(b"MZ")):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_xml(head):
        return XML_TYPE
    return None


def _looks_like_xml(head: bytes) -> bool:
    """An XML declaration or a root element first (after a byte-order mark and blanks); HTML is not."""
    text = head[:256].removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<?xml"):
        return True
    lowered = text[:14].lower()
    return text[:1] == b"<" and text[1:2].isalpha() and not lowered.startswith((b"<html", b"<!doctype"))


def _describe_unknown(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP-based file (such as .docx or .xlsx)"
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF"):
        return "a program, not a document"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Office file (.doc/.xls)"
    return "not a PDF, JPEG, PNG, TIFF, WebP or XML e-invoice file"


def displayable(text: str) -> str:
    """`text` with undecodable bytes of a file name (kept by Python as lone surrogates) shown as `\\xNN`,
    so the name can be printed, written as JSON and stored as UTF-8. Use it only for display: open
    files by the original path."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte (e.g. from a Windows name)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def ascii_filename(name: str) -> str:
    """An ASCII-safe file name for multipart uploads; the original name is kept in our own records."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    safe = "".join(c if c.isalnum() or c in "-_. " else "_" for c in folded).strip() or "document"
    ext_safe = "".join(c for c in ext if c.isalnum())
    return f"{safe}.{ext_safe}" if ext_safe else safe


@contextlib.contextmanager
def reading(shown: str) -> Iterator[None]:
    """Turn OS errors met while reading `shown` into InputErrors that say what to check."""
    try:
        yield
    except PermissionError as exc:
        raise InputError(
            f"Cannot read {shown}: permission denied", hint="Check the file's permissions."
        ) from exc
    except OSError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"Cannot read {shown}: {exc.strerror or exc}", hint="Check the file.") from exc


def checked_file(
    path: Path, shown: str, *, limit: int, folder_hint: str, split_hint: str, purpose: str = ""
) -> int:
    """The size of a readable, non-empty regular file under `limit` bytes; InputError otherwise,
    saying what the path is when it is no file (a folder, a pipe, a device, a link loop...)."""
    shown = displayable(shown)
    if not shown.strip():
        raise InputError("No file name given: the path is empty", hint="Give the path of a document.")
    info = _stat(path, shown)
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{shown} is a folder, not a file", hint=folder_hint)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{shown} is {special_file_kind(info.st_mode)}, not a document file",
            hint="Give the path of a saved document (PDF, JPEG, PNG, TIFF or WebP).",
        )
    size = info.st_size
    if size == 0:
        if _is_virtual(path):
            raise InputError(
                f"{shown} is a virtual file of the operating system, not a document",
                hint="Give the path of a saved document (PDF, JPEG, PNG, TIFF or WebP).",
            )
        raise InputError(f"File is empty: {shown}", hint="Check that the file was written completely.")
    if size > limit:
        raise InputError(
            f"File is too large{purpose}: {shown} has {size / 1048576:.1f} MB, "
            f"the limit is {limit / 1048576:.0f} MB",
            hint=split_hint,
        )
    return size


def _stat(path: Path, shown: str) -> os.stat_result:
    """The status of what `path` points to, with a message for each way it can point nowhere."""
    try:
        return path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                f"{shown} is a broken link: what it points to does not exist",
                hint="Point the link at an existing document, or give the document's own path.",
            ) from None
        raise InputError(
            f"File not found: {shown}",
            hint="Check the path (relative paths are read from the current folder).",
        ) from None
    except PermissionError:
        raise InputError(f"Cannot read {shown}: permission denied", hint="Check the permissions.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                f"{shown} is a symbolic link loop: following it never reaches a file",
                hint="Fix the links, or give the document's own path.",
            ) from None
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"The path is too long: {shown[:200]}...", hint="Give a shorter path.") from None
        raise InputError(f"Cannot read {shown}: {exc.strerror or exc}", hint="Check the path.") from None


def _is_virtual(path: Path) -> bool:
    """Files of /proc and /sys report size 0 yet have content made up on reading: never documents."""
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved.parts[1:2] in (("proc",), ("sys",))


@dataclass(frozen=True)
class DocumentSource:
    """A document to send: on disk (`path`) or in memory (`data`), with its display name.

    Build with `DocumentSource.from_path()` / `from_bytes()` / `open()`: those check it.
    """

    name: str
    content_type: str
    size: int
    sha256: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @property
    def source(self) -> str | None:
        return displayable(str(self.path)) if self.path else None

    @property
    def upload_name(self) -> str:
        return ascii_filename(self.name)

    @classmethod
    def open(
        cls, value: str | os.PathLike[str] | bytes, *, name: str | None = None, max_bytes: int | None = None
    ) -> DocumentSource:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls.from_bytes(bytes(value), name=name or "document", max_bytes=max_bytes)
        return cls.from_path(value, name=name, max_bytes=max_bytes)

    @classmethod
    def from_path(
        cls, path: str | os.PathLike[str], *, name: str | None = None, max_bytes: int | None = None
    ) -> DocumentSource:
        limit = max_bytes or DEFAULT_MAX_BYTES
        p = Path(path).expanduser()
        shown = displayable(os.fspath(path))
        size = checked_file(
            p,
            shown,
            limit=limit,
            folder_hint="Give a file, or use `docrelay batch` to process a whole folder.",
            split_hint="Split the document or reduce its size (e.g. lower the scan resolution).",
        )
        digest = hashlib.sha256()
        with reading(shown), p.open("rb") as handle:
            head = handle.read(CHUNK)
            digest.update(head)
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        content_type = cls._check_type(head, shown)
        return cls(
            name=displayable(name or p.name),
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
            path=p.resolve(),
        )

    @classmethod
    def from_bytes(
        cls, data: bytes, *, name: str = "document", max_bytes: int | None = None
    ) -> DocumentSource:
        limit = max_bytes or DEFAULT_MAX_BYTES
        if not data:
            raise InputError(f"Document {name!r} is empty", hint="Pass the file's content.")
        if len(data) > limit:
            raise InputError(
                f"Document {name!r} is too large: {len(data) / 1048576:.1f} MB, the limit is "
                f"{limit / 1048576:.0f} MB",
                hint="Split the document or reduce its size.",
            )
        content_type = cls._check_type(data[:CHUNK], name)
        return cls(
            name=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )

    @staticmethod
    def _check_type(head: bytes, shown: str) -> str:
        content_type = sniff_content_type(head)
        if content_type is None:
            raise InputError(
                f"Unsupported file type: {shown} is {_describe_unknown(head)}",
                hint="docrelay accepts PDF, JPEG, PNG, TIFF, WebP and XML e-invoices; save or print the "
                "document as PDF.",
            )
        return content_type

    def read_bytes(self) -> bytes:
        """The whole content; only for small files or engines that need it all at once."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def open_stream(self) -> BinaryIO:
        """A fresh stream from the start, for one upload attempt. The caller closes it."""
        if self.data is not None:
            import io

            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    def iter_chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        with self.open_stream() as stream:
            yield from iter(lambda: stream.read(size), b"")

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


# What front ends may hand to core as a document: a path, bytes in memory, or an already checked source.
DocumentInput = str | os.PathLike[str] | bytes | DocumentSource


def open_source(document: DocumentInput, name: str | None = None) -> DocumentSource:
    """The checked source of a document input (a source is taken as it is)."""
    if isinstance(document, DocumentSource):
        return document
    return DocumentSource.open(document, name=name)


def shown_name(document: DocumentInput) -> str:
    """How an input is named in messages and results before it has been read."""
    if isinstance(document, DocumentSource):
        return document.source or document.name
    if isinstance(document, bytes):
        return "document"
    return displayable(os.fspath(document))
