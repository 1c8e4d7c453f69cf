"""Build the docrelay one-folder bundle, its zip and SHA256SUMS (Windows, Linux and macOS alike).

    python packaging/build.py                  bundle + zip + sums
    python packaging/build.py --no-archive     bundle only (e.g. to sign it before zipping)
    python packaging/build.py --archive-only   zip + sums of an existing (signed) bundle

Produces dist/docrelay/ (the executable plus _internal/), dist/docrelay-<version>-<platform>.zip and
dist/SHA256SUMS. Needs `pip install .[build]`; a missing or too old PyInstaller is an error, never a
silent skip.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

from bundle_version import read_version

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "docrelay.spec"
DIST = REPO / "dist"
WORK = REPO / "build" / "pyinstaller"
BUNDLE_NAME = "docrelay"
PROGRAMS = ("docrelay", "docrelay-excel")  # as in docrelay.spec
SUMS_NAME = "SHA256SUMS"
# Minimum versions: hooks-contrib 2025.3 is the first whose pydantic hook collects every submodule.
REQUIRED = {"pyinstaller": "6.0", "pyinstaller-hooks-contrib": "2025.3"}
# Files a working bundle cannot do without (relative to its _internal folder).
REQUIRED_INSIDE = (
    "certifi/cacert.pem",
    "licenses/THIRD-PARTY-NOTICES.txt",
    "core/providers/local/models",
)


class BuildError(Exception):
    pass


def executable_name(program: str = BUNDLE_NAME) -> str:
    return f"{program}.exe" if os.name == "nt" else program


def platform_tag() -> str:
    """e.g. windows-x64, linux-x64, macos-arm64."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform.rstrip("0123456789"))
    machine = platform.machine().lower()
    machine = {"amd64": "x64", "x86_64": "x64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{machine}"


def check_build_tools() -> None:
    versions: dict[str, str] = {}
    for name in REQUIRED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise BuildError(f"{name} is not installed: run `pip install .[build]`") from None
    # `packaging` comes with PyInstaller: import it only once PyInstaller is known to be there.
    from packaging.version import Version

    for name, minimum in REQUIRED.items():
        installed = versions[name]
        if Version(installed) < Version(minimum):
            raise BuildError(
                f"{name} {installed} is too old (need >= {minimum}): run `pip install -U .[build]`"
            )


def run_pyinstaller(dist: Path, work: Path) -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if subprocess.run(command, cwd=REPO).returncode != 0:
        raise BuildError("PyInstaller failed (its messages are above)")


def verify_bundle(bundle: Path) -> None:
    """Fail the build when the bundle lacks the executable or a file it needs at run time."""
    for program in PROGRAMS:
        if not (bundle / executable_name(program)).is_file():
            raise BuildError(f"no {executable_name(program)} in {bundle}")
    internal = bundle / "_internal"
    missing = [name for name in REQUIRED_INSIDE if not (internal / name).exists()]
    if not any(internal.glob("keyring-*.dist-info")):
        missing.append("keyring-*.dist-info (keyring finds its backends through it)")
    if not list(internal.glob("pypdfium2_raw/*pdfium*")):
        missing.append("pypdfium2_raw/<pdfium library>")
    if missing:
        raise BuildError(f"the bundle {bundle} lacks: {', '.join(missing)}")


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def make_zip(bundle: Path, target: Path) -> Path:
    """Zip the bundle folder (as one top folder, files in sorted order, executable bits kept)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(bundle.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo.from_file(path, Path(bundle.name) / path.relative_to(bundle))
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
    os.replace(partial, target)
    return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sums(files: list[Path], target: Path) -> Path:
    """`sha256sum -c` / `Get-FileHash` compatible lines: "<hex>  <file name>"."""
    lines = [f"{sha256_of(path)}  {path.name}\n" for path in sorted(files)]
    target.write_text("".join(lines), encoding="utf-8", newline="\n")
    return target


def archive(dist: Path, version: str) -> Path:
    bundle = dist / BUNDLE_NAME
    verify_bundle(bundle)
    for old in dist.glob(f"{BUNDLE_NAME}-*.zip"):
        old.unlink()
    zip_path = make_zip(bundle, dist / f"{BUNDLE_NAME}-{version}-{platform_tag()}.zip")
    write_sums([zip_path], dist / SUMS_NAME)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    stage = parser.add_mutually_exclusive_group()
    stage.add_argument("--no-archive", action="store_true", help="build the folder only")
    stage.add_argument("--archive-only", action="store_true", help="zip an existing folder")
    parser.add_argument("--dist", type=Path, default=DIST, help="output folder (default: dist)")
    args = parser.parse_args(argv)
    version = read_version(REPO)
    started = time.perf_counter()
    try:
        if not args.archive_only:
            check_build_tools()
            run_pyinstaller(args.dist, WORK)
            verify_bundle(args.dist / BUNDLE_NAME)
        built = time.perf_counter()
        zip_path = None if args.no_archive else archive(args.dist, version)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    bundle = args.dist / BUNDLE_NAME
    print(f"bundle  {bundle}  {folder_size(bundle) / 1e6:.1f} MB  built in {built - started:.1f} s")
    if zip_path is not None:
        print(f"zip     {zip_path}  {zip_path.stat().st_size / 1e6:.1f} MB")
        print(f"sums    {args.dist / SUMS_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
