"""Collect the licences of everything the frozen docrelay bundles (imported by docrelay.spec).

The runtime dependencies are found by walking the requirements of pyproject.toml through the installed
distributions' metadata (importlib.metadata), markers evaluated for this platform. Each distribution's
licence files (PEP 639 `License-File` entries, or LICENSE/COPYING/NOTICE files in its .dist-info) are
copied under `licenses/<name>-<version>/`, and `licenses/THIRD-PARTY-NOTICES.txt` lists them all with
the licence each declares. Python's own licence and PyInstaller's (its bootloader is in every
executable) are added too.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

LICENSES_DIR = "licenses"
NOTICES_NAME = "THIRD-PARTY-NOTICES.txt"
_LICENCE_NAME = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS|ThirdPartyNotices)", re.IGNORECASE)
# Standard licence texts (packaging/licence_texts/) for distributions that declare a licence but ship
# no file of it anywhere (flatbuffers, pulled in by onnxruntime, is one).
STANDARD_TEXTS = {
    "apache 2.0": "Apache-2.0.txt",
    "apache-2.0": "Apache-2.0.txt",
    "apache software license": "Apache-2.0.txt",
}
LICENCE_TEXTS = Path(__file__).resolve().parent / "licence_texts"
# Shipped inside every executable although not imported: the bootloader is PyInstaller's.
ALWAYS_BUNDLED = ("pyinstaller",)
# Where the metadata's own words would mislead.
DECLARED_OVERRIDES = {
    "pyinstaller": "GPL-2.0-or-later WITH Bootloader-exception (only its bootloader is bundled)",
}


@dataclass
class BundledLicence:
    name: str
    version: str
    declared: str
    files: list[tuple[Path, PurePosixPath]] = field(default_factory=list)  # source, path under licenses/

    @property
    def folder(self) -> PurePosixPath:
        return PurePosixPath(LICENSES_DIR) / f"{self.name}-{self.version}"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(pyproject: Path) -> list[str]:
    """The `[project] dependencies` of a pyproject.toml."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found]
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["project"].get("dependencies", []))


def runtime_distributions(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions those requirements pull in on this platform, each once, sorted."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    queue: list[tuple[str, frozenset[str]]] = [(text, frozenset()) for text in requirements]
    while queue:
        text, extras = queue.pop()
        requirement = Requirement(text)
        environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
        if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
            continue
        key = normalize(requirement.name)
        if key in found:
            continue
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(
                f"{requirement.name} is required by docrelay but not installed; run `pip install .[build]`"
            ) from None
        found[key] = distribution
        queue.extend((child, frozenset(requirement.extras)) for child in distribution.requires or [])
    return sorted(found.values(), key=lambda d: normalize(d.metadata["Name"]))


def declared_licence(distribution: metadata.Distribution) -> str:
    meta: Any = distribution.metadata  # email.message.Message in practice; the protocol lacks .get()
    if normalize(meta["Name"]) in DECLARED_OVERRIDES:
        return DECLARED_OVERRIDES[normalize(meta["Name"])]
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    text = str(meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) < 120:
        return text
    classifiers = [
        c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    return ", ".join(classifiers) or "see the licence files"


def licence_files(distribution: metadata.Distribution) -> list[tuple[Path, PurePosixPath]]:
    """(source file, path relative to the distribution's licence folder) for each licence file."""
    chosen: dict[str, tuple[Path, PurePosixPath]] = {}
    for entry in distribution.files or []:
        parts = PurePosixPath(str(entry)).parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        inside = PurePosixPath(*parts[1:])
        if inside.parts and inside.parts[0] == "licenses":  # PEP 639 layout
            inside = PurePosixPath(*inside.parts[1:])
        elif not _LICENCE_NAME.search(inside.name):
            continue
        source = Path(str(distribution.locate_file(entry)))
        if source.is_file() and inside.parts:
            chosen[str(inside)] = (source, inside)
    if not chosen:  # some wheels keep them in the package folder (onnxruntime's LICENSE, notices)
        for package in (distribution.read_text("top_level.txt") or "").split():
            folder = Path(str(distribution.locate_file(package)))
            for source in sorted(folder.glob("*")) if folder.is_dir() else []:
                if source.is_file() and _LICENCE_NAME.search(source.name) and source.suffix != ".py":
                    chosen[source.name] = (source, PurePosixPath(source.name))
    if not chosen:
        standard = STANDARD_TEXTS.get(declared_licence(distribution).lower())
        if standard:
            chosen[standard] = (LICENCE_TEXTS / standard, PurePosixPath(f"LICENSE ({standard})"))
    return [chosen[key] for key in sorted(chosen)]


def python_licence() -> BundledLicence:
    version = ".".join(str(n) for n in sys.version_info[:3])
    entry = BundledLicence("python", version, "PSF-2.0")
    base = Path(sys.base_prefix)
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (
        base / "LICENSE.txt",
        base / "lib" / minor / "LICENSE.txt",
        base / "Lib" / "LICENSE.txt",
    ):
        if candidate.is_file():
            entry.files.append((candidate, PurePosixPath("LICENSE.txt")))
            break
    return entry


def collect(repo_root: Path) -> list[BundledLicence]:
    """Every bundled component with its licence files; fails when one has none to ship."""
    distributions = runtime_distributions(project_requirements(repo_root / "pyproject.toml"))
    distributions += [metadata.distribution(name) for name in ALWAYS_BUNDLED]
    licences = [python_licence()]
    for distribution in distributions:
        meta = distribution.metadata
        entry = BundledLicence(normalize(meta["Name"]), meta["Version"], declared_licence(distribution))
        entry.files = licence_files(distribution)
        licences.append(entry)
    missing = [f"{entry.name}-{entry.version}" for entry in licences if not entry.files]
    if missing:
        raise SystemExit(f"No licence file found to bundle for: {', '.join(missing)}")
    return licences


def notices_text(licences: list[BundledLicence], product: str, version: str) -> str:
    lines = [
        f"{product} {version} bundles the following components. Their licence texts are in the",
        "folders named below, next to this file.",
        "",
    ]
    for entry in licences:
        lines.append(f"{entry.name} {entry.version}: {entry.declared}")
        lines.extend(f"    {entry.folder / inside}" for _, inside in entry.files)
    return "\n".join(lines) + "\n"


def pyinstaller_datas(
    repo_root: Path, work_dir: Path, *, product: str, version: str
) -> list[tuple[str, str]]:
    """(source, destination folder) pairs for the spec's `datas`: licence files plus the notices file."""
    licences = collect(repo_root)
    work_dir.mkdir(parents=True, exist_ok=True)
    notices = work_dir / NOTICES_NAME
    notices.write_text(notices_text(licences, product, version), encoding="utf-8")
    datas = [(str(notices), LICENSES_DIR)]
    own = repo_root / "LICENSE"
    if own.is_file():
        datas.append((str(own), LICENSES_DIR))
    for entry in licences:
        for source, inside in entry.files:
            datas.append((str(source), str(entry.folder / inside.parent)))
    return datas
