"""The workbook file: is it an .xlsx we can read, may we rewrite it, is it open in Excel, and saving it
without ever leaving a half-written file in its place.

- Not an .xlsx (an old .xls, a CSV, renamed text), a damaged file or a password-protected workbook:
  an InputError (exit 4) that says which, and what to do.
- Parts openpyxl would drop on saving (shapes, charts, x14 data bars and validations, sparklines,
  slicers, timelines, an add-in's web extension parts, macros, Power Query): the workbook is never
  rewritten; results go to a results workbook beside it.
- Open in Excel (an owner file `~$BOOK.xlsx` beside it, or the file cannot be opened for writing):
  the same. Both are seams tests drive by creating those files.
- A save goes to a temporary file in the same folder, the old workbook is kept as `BOOK.xlsx.bak`,
  and the new one takes its place in one rename.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from core.errors import InputError, UsageError

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: an .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")

# Parts openpyxl does not keep, by where they live in the package.
_DROPPED_PARTS = (
    ("xl/vbaProject.bin", "macros (VBA)"),
    ("xl/webextensions/", "an Office add-in's task pane settings"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/charts/", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/ctrlProps/", "form controls"),
    ("customXml/", "Power Query queries or other custom XML"),
)
# Markers inside worksheet and drawing parts.
_DROPPED_MARKERS = (
    (b"<xdr:sp>", "shapes"),
    (b"<xdr:sp ", "shapes"),
    (b"<xdr:grpSp", "grouped shapes"),
    (b"<xdr:cxnSp", "connectors"),
    (b"x14:dataBar", "data bars"),
    (b"x14:iconSet", "icon sets"),
    (b"x14:conditionalFormatting", "Excel 2010 conditional formats"),
    (b"x14:dataValidation", "Excel 2010 data validation"),
    (b"x14:sparklineGroup", "sparklines"),
    (b"x14:slicerList", "slicers"),
    (b"x14:protectedRange", "protected ranges"),
    (b"webextension", "an Office add-in's task pane settings"),
)
_SCANNED = re.compile(r"xl/(worksheets|drawings)/[^/]+\.xml")


def check_readable(path: Path) -> None:
    """An InputError unless `path` is an existing .xlsx package (not .xls, CSV, encrypted or damaged)."""
    shown = str(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise InputError(
            f"The workbook {shown} does not exist",
            hint="Check the path, or create one with `docrelay-excel new BOOK.xlsx`.",
        ) from None
    except IsADirectoryError:
        raise InputError(
            f"{shown} is a folder, not a workbook", hint="Give the path of an .xlsx file."
        ) from None
    except OSError as exc:
        raise InputError(f"Cannot read the workbook {shown}: {exc.strerror or exc}") from None
    if head.startswith(_OLE):
        if _ENCRYPTED in path.read_bytes():
            raise InputError(
                f"The workbook {shown} is protected with a password",
                hint="docrelay cannot open it: in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password) or use another workbook.",
            )
        raise InputError(
            f"{shown} is an old Excel 97-2003 (.xls) workbook, not .xlsx",
            hint="Open it in Excel and save it as an Excel Workbook (.xlsx), then run again.",
        )
    if not head.startswith(_ZIP):
        raise InputError(
            f"{shown} is not an Excel workbook (.xlsx): it looks like {_looks_like(head)}",
            hint="Give an .xlsx file; `docrelay-excel new BOOK.xlsx` creates one.",
        )


def _looks_like(head: bytes) -> str:
    if not head:
        return "an empty file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "some other kind of file"
    return "a text or CSV file"


def damaged(path: Path, reason: str) -> InputError:
    return InputError(
        f"The workbook {path} is damaged or not an Excel workbook ({reason})",
        hint="Open it in Excel to repair it, or give another .xlsx file.",
    )


def parts_openpyxl_drops(path: Path) -> list[str]:
    """What rewriting the workbook with openpyxl would lose (empty when it is safe to rewrite)."""
    found: dict[str, None] = {}
    try:
        with zipfile.ZipFile(path) as package:
            for name in package.namelist():
                for prefix, what in _DROPPED_PARTS:
                    if name.startswith(prefix) and not (
                        prefix == "customXml/" and "DataMashup" not in _text(package, name)
                    ):
                        found[what] = None
                if _SCANNED.fullmatch(name):
                    data = package.read(name)
                    if name.startswith("xl/worksheets/") and b"<extLst" not in data:
                        continue
                    for marker, what in _DROPPED_MARKERS:
                        if marker in data:
                            found[what] = None
    except (zipfile.BadZipFile, OSError) as exc:
        raise damaged(path, str(exc)) from None
    return list(found)


def _really_dropped(package: zipfile.ZipFile, prefix: str, name: str) -> bool:
    """Custom XML parts are dropped harmlessly unless they hold Power Query's DataMashup."""
    return prefix != "customXml/" or "DataMashup" in _text(package, name)


def _text(package: zipfile.ZipFile, name: str) -> str:
    try:
        return package.read(name)[:4096].decode("utf-8", "replace")
    except (KeyError, OSError):
        return ""


def owner_files(path: Path) -> list[Path]:
    """Excel's lock files for `path` while it is open: `~$` + the name, or for long names `~$` in place
    of the name's first two characters."""
    names = {"~$" + path.name}
    if len(path.stem) > 2:
        names.add("~$" + path.name[2:])
    return [path.with_name(name) for name in sorted(names)]


def is_open_elsewhere(path: Path) -> bool:
    """True when Excel (or anything else) holds the workbook: an owner file, or no write access."""
    if any(owner.exists() for owner in owner_files(path)):
        return True
    try:
        with path.open("r+b"):
            return False
    except PermissionError:
        return True
    except OSError:
        return False


def results_path(path: Path, now: datetime) -> Path:
    """`BOOK.results-<timestamp>.xlsx` beside the workbook (a new name each second)."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.results-{stamp}.xlsx")
    counter = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.results-{stamp}-{counter}.xlsx")
        counter += 1
    return candidate


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def save_atomically(path: Path, write: Callable[[Path], None], *, keep_backup: bool = True) -> None:
    """Write the workbook to a temporary file beside `path` with `write`, keep the old one as
    BOOK.xlsx.bak, then put the new one in place with one rename. On any failure `path` is unchanged
    and no temporary file is left; a PermissionError means the file is held by another program."""
    folder = path.parent
    fd, temporary_name = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=".tmp.xlsx")
    os.close(fd)
    temporary = Path(temporary_name)
    try:
        write(temporary)
        if keep_backup and path.exists():
            _copy_atomically(path, backup_path(path))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _copy_atomically(source: Path, target: Path) -> None:
    fd, temporary_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, temporary_name)
        os.replace(temporary_name, target)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise


def check_new_target(path: Path) -> None:
    """A UsageError unless a new workbook can be created at `path`."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(
            f"{path.name} does not end in .xlsx", hint="Give the workbook a name like invoices.xlsx."
        )
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="Give a file name, e.g. invoices.xlsx.")
    if not path.parent.is_dir():
        raise UsageError(
            f"Cannot create {path}: the folder {path.parent} does not exist",
            hint="Create the folder first or choose another path.",
        )
