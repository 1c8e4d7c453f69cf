"""The version of docrelay, and the Windows version resource built from it (imported by docrelay.spec).

Read from core/_version.py as text, so that the spec needs neither an installed docrelay nor an import
of core. The resource gives Explorer, antivirus scanners and UiPath's package checks a product name,
company and version to show instead of an anonymous executable.
"""

from __future__ import annotations

import re
from pathlib import Path

PRODUCT = "docrelay"
COMPANY = "docrelay"
COPYRIGHT = "Apache-2.0 licensed; third-party licences in the licenses folder"
_VERSION_LINE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def read_version(repo_root: Path) -> str:
    """The version string of core/_version.py, e.g. "0.1.0"."""
    text = (repo_root / "core" / "_version.py").read_text(encoding="utf-8")
    found = _VERSION_LINE.search(text)
    if found is None:
        raise ValueError(f"no __version__ in {repo_root / 'core' / '_version.py'}")
    return found.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """Four numbers for the fixed part of the resource: "1.2.3rc1" -> (1, 2, 3, 0)."""
    numbers = [int(part) for part in re.findall(r"\d+", version.split("+", 1)[0])[:3]]
    numbers += [0] * (4 - len(numbers))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def version_file_text(version: str, *, file_name: str, description: str) -> str:
    """The version resource in PyInstaller's text format (what `pyi-grab_version` writes).

    Text rather than a VSVersionInfo object because PyInstaller's versioninfo module needs pefile, which
    PyInstaller installs on Windows only; the spec passes this file to EXE(version=...) everywhere and
    PyInstaller applies it when building on Windows.
    """
    numbers = version_tuple(version)
    strings = {
        "CompanyName": COMPANY,
        "FileDescription": description,
        "FileVersion": version,
        "InternalName": file_name,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": f"{file_name}.exe",
        "ProductName": PRODUCT,
        "ProductVersion": version,
    }
    string_structs = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '040904B0',
        [
{string_structs}
        ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def write_version_file(folder: Path, version: str, *, file_name: str, description: str) -> str:
    """Write the version resource text for one executable; returns its path for EXE(version=...)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{file_name}.version.txt"
    target.write_text(
        version_file_text(version, file_name=file_name, description=description), encoding="utf-8"
    )
    return str(target)
