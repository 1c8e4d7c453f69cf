"""The packaged executable's build: the PyInstaller spec, the licence collector, the version resource,
the zip and SHA256SUMS, and the CI wiring. The build itself and the smoke test of the built binary run
in scripts/test.sh (after pytest) and in .github/workflows/windows-build.yml."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import stat
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from tests.packaging_helpers import PACKAGING, REPO, load

build = load("build")
bundle_licenses = load("bundle_licenses")
bundle_version = load("bundle_version")
SPEC = (PACKAGING / "docrelay.spec").read_text(encoding="utf-8")


def spec_calls(name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(SPEC))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def keyword(call: ast.Call, name: str) -> ast.expr:
    return next(k.value for k in call.keywords if k.arg == name)


# -- the spec --------------------------------------------------------------------------------------
def test_spec_builds_one_folder_without_upx() -> None:
    (exe,) = spec_calls("EXE")
    (collect,) = spec_calls("COLLECT")
    assert ast.literal_eval(keyword(exe, "exclude_binaries")) is True  # one folder: binaries go to COLLECT
    assert ast.literal_eval(keyword(exe, "upx")) is False
    assert ast.literal_eval(keyword(collect, "upx")) is False
    assert ast.literal_eval(keyword(exe, "console")) is True


def test_spec_sets_utf8_mode_and_a_version_resource() -> None:
    assert 'INTERPRETER_OPTIONS = [("X utf8", None, "OPTION")]' in SPEC
    (exe,) = spec_calls("EXE")
    assert any(isinstance(arg, ast.Name) and arg.id == "INTERPRETER_OPTIONS" for arg in exe.args)
    assert "write_version_file" in ast.unparse(keyword(exe, "version"))


def test_spec_collects_what_the_frozen_app_needs() -> None:
    for needed in (
        'collect_data_files("certifi")',
        'collect_submodules("pydantic")',
        'collect_submodules("core")',
        'copy_metadata("keyring")',
        '"keyring.backends.Windows"',
        'collect_dynamic_libs("pypdfium2_raw")',
        'collect_data_files("core")',
        "pyinstaller_datas(REPO",
    ):
        assert needed in SPEC, needed


def test_spec_lists_programs_so_docrelay_excel_can_join_the_folder() -> None:
    tree = ast.parse(SPEC)
    programs = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PROGRAMS" for t in node.targets)
    )
    entries = ast.literal_eval(programs)
    assert [entry[:2] for entry in entries] == [
        ("docrelay", "entry_docrelay.py"),
        ("docrelay-excel", "entry_docrelay_excel.py"),
    ]
    assert all((PACKAGING / entry[1]).is_file() for entry in entries)
    assert tuple(entry[0] for entry in entries) == build.PROGRAMS  # the build checks for each one
    (collect,) = spec_calls("COLLECT")
    assert isinstance(collect.args[0], ast.Starred)  # every executable, one shared folder


def test_build_extra_pins_the_build_tools() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found]

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = " ".join(project["optional-dependencies"]["build"])
    assert "pyinstaller>=6" in extra
    assert "pyinstaller-hooks-contrib>=2025.3" in extra  # pydantic hook collecting every submodule
    assert build.REQUIRED["pyinstaller-hooks-contrib"] == "2025.3"


# -- version resource ------------------------------------------------------------------------------
def test_version_comes_from_core() -> None:
    from core._version import __version__

    assert bundle_version.read_version(REPO) == __version__


def test_read_version_fails_clearly_without_one(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "_version.py").write_text("VERSION = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no __version__"):
        bundle_version.read_version(tmp_path)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2.3.4rc1", (2, 3, 4, 0)),
        ("1.0.0+local.7", (1, 0, 0, 0)),
    ],
)
def test_version_tuple(text: str, numbers: tuple[int, int, int, int]) -> None:
    assert bundle_version.version_tuple(text) == numbers


def test_version_file_is_pyinstallers_text_format(tmp_path: Path) -> None:
    path = bundle_version.write_version_file(tmp_path, "1.2.3", file_name="docrelay", description="d r")
    text = Path(path).read_text(encoding="utf-8")
    tree = ast.parse(text, mode="eval")  # PyInstaller evaluates this expression on Windows
    assert isinstance(tree.body, ast.Call) and getattr(tree.body.func, "id", "") == "VSVersionInfo"
    for expected in (
        "filevers=(1, 2, 3, 0)",
        "'OriginalFilename', 'docrelay.exe'",
        "'ProductVersion', '1.2.3'",
    ):
        assert expected in text


# -- licences --------------------------------------------------------------------------------------
def test_runtime_distributions_follow_requirements_and_markers() -> None:
    requirements = bundle_licenses.project_requirements(REPO / "pyproject.toml")
    names = {
        bundle_licenses.normalize(d.metadata["Name"])
        for d in bundle_licenses.runtime_distributions(requirements)
    }
    assert {"requests", "urllib3", "certifi", "pydantic", "pydantic-core", "keyring", "pypdfium2"} <= names
    assert ("tomli" in names) == (sys.version_info < (3, 11))
    assert ("pywin32-ctypes" in names) == (sys.platform == "win32")
    assert not names & {"pytest", "robotframework", "pyinstaller"}  # test and build tools stay out


def test_a_missing_requirement_stops_the_build_with_the_fix() -> None:
    with pytest.raises(SystemExit, match=r"not-installed-xyz is required .*`pip install \.\[build\]`"):
        bundle_licenses.runtime_distributions(["not-installed-xyz>=1"])


def fake_distribution(site: Path, files: dict[str, str]) -> metadata.Distribution:
    info = site / "fake_pkg-1.0.dist-info"
    for name, text in {"METADATA": "Metadata-Version: 2.4\nName: fake-pkg\nVersion: 1.0\n", **files}.items():
        (info / name).parent.mkdir(parents=True, exist_ok=True)
        (info / name).write_text(text, encoding="utf-8")
    record = "".join(f"fake_pkg-1.0.dist-info/{name},,\n" for name in ["METADATA", *files])
    (info / "RECORD").write_text(record, encoding="utf-8")
    return metadata.PathDistribution(info)


def test_licence_files_in_both_layouts(tmp_path: Path) -> None:
    distribution = fake_distribution(
        tmp_path, {"LICENSE.txt": "MIT", "licenses/NOTICE": "n", "licenses/sub/zlib.txt": "z", "WHEEL": "w"}
    )
    found = {str(inside) for _, inside in bundle_licenses.licence_files(distribution)}
    assert found == {"LICENSE.txt", "NOTICE", "sub/zlib.txt"}


def test_metadata_files_are_not_taken_for_licences(tmp_path: Path) -> None:
    distribution = fake_distribution(tmp_path, {"WHEEL": "w"})
    assert bundle_licenses.licence_files(distribution) == []


def test_bundled_licences_cover_python_pyinstaller_and_every_dependency(tmp_path: Path) -> None:
    datas = bundle_licenses.pyinstaller_datas(REPO, tmp_path, product="docrelay", version="9.9")
    notices = (tmp_path / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    assert notices.startswith("docrelay 9.9 bundles")
    for component in (
        "python ",
        "pyinstaller ",
        "requests ",
        "pydantic ",
        "keyring ",
        "pypdfium2 ",
        "certifi ",
    ):
        assert re.search(rf"^{component}", notices, re.MULTILINE), component
    assert "Bootloader-exception" in notices
    assert all(Path(source).is_file() for source, _ in datas)
    assert all(dest.startswith("licenses") for _, dest in datas)


# -- zip and sums ----------------------------------------------------------------------------------
def fake_bundle(dist: Path, complete: bool = True) -> Path:
    bundle = dist / "docrelay"
    internal = bundle / "_internal"
    for relative in ("certifi/cacert.pem", "licenses/THIRD-PARTY-NOTICES.txt", "pypdfium2_raw/libpdfium.so"):
        (internal / relative).parent.mkdir(parents=True, exist_ok=True)
        (internal / relative).write_text("x", encoding="utf-8")
    (internal / "keyring-25.0.dist-info").mkdir()
    if complete:
        (internal / "core" / "providers" / "local" / "models").mkdir(parents=True)
        for program in build.PROGRAMS:
            exe = bundle / build.executable_name(program)
            exe.write_bytes(b"\x7fELF fake")
            exe.chmod(0o755)
    return bundle


def test_platform_tag() -> None:
    assert re.fullmatch(r"(windows|linux|macos)-(x64|arm64|[a-z0-9_]+)", build.platform_tag())


def test_archive_zips_one_top_folder_and_writes_verifiable_sums(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path)
    (tmp_path / "docrelay-0.0.1-old.zip").write_bytes(b"stale")
    zip_path = build.archive(tmp_path, "1.0.0")
    assert zip_path.name == f"docrelay-1.0.0-{build.platform_tag()}.zip"
    assert not (tmp_path / "docrelay-0.0.1-old.zip").exists()
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert all(name.startswith("docrelay/") for name in names)
        assert f"docrelay/{build.executable_name()}" in names
        if os.name != "nt":
            mode = archive.getinfo(f"docrelay/{build.executable_name()}").external_attr >> 16
            assert mode & stat.S_IXUSR, "the executable bit was lost"
    assert len(names) == sum(1 for p in bundle.rglob("*") if p.is_file())
    (line,) = (tmp_path / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    digest, name = line.split("  ")
    assert name == zip_path.name
    assert digest == hashlib.sha256(zip_path.read_bytes()).hexdigest()


def test_an_incomplete_bundle_fails_the_build_naming_what_is_missing(tmp_path: Path) -> None:
    fake_bundle(tmp_path, complete=False)
    with pytest.raises(build.BuildError, match="no docrelay"):
        build.verify_bundle(tmp_path / "docrelay")
    (tmp_path / "docrelay" / build.executable_name()).write_bytes(b"x")
    with pytest.raises(build.BuildError, match="no docrelay-excel"):
        build.verify_bundle(tmp_path / "docrelay")
    (tmp_path / "docrelay" / build.executable_name("docrelay-excel")).write_bytes(b"x")
    with pytest.raises(build.BuildError, match="core/providers/local/models"):
        build.verify_bundle(tmp_path / "docrelay")


def test_archive_only_without_a_bundle_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["--archive-only", "--dist", str(tmp_path)]) == 1
    assert "build failed: no docrelay" in capsys.readouterr().err


def test_build_tools_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    build.check_build_tools()  # the installed ones are recent enough
    monkeypatch.setitem(build.REQUIRED, "pyinstaller", "999.0")
    with pytest.raises(build.BuildError, match=r"pyinstaller .* is too old \(need >= 999.0\)"):
        build.check_build_tools()
    monkeypatch.setitem(build.REQUIRED, "no-such-build-tool", "1.0")
    monkeypatch.delitem(build.REQUIRED, "pyinstaller")
    with pytest.raises(
        build.BuildError, match=r"no-such-build-tool is not installed: run `pip install \.\[build\]`"
    ):
        build.check_build_tools()


def test_build_in_a_venv_without_the_build_extra_says_what_to_install(tmp_path: Path) -> None:
    """The quick start's venv has no PyInstaller (and no `packaging`): the message, not a traceback."""
    import subprocess
    import venv

    venv.create(tmp_path / "bare", with_pip=False)
    python = tmp_path / "bare" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    proc = subprocess.run(
        [str(python), str(PACKAGING / "build.py"), "--no-archive"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "is not installed: run `pip install .[build]`" in proc.stderr


# -- CI wiring -------------------------------------------------------------------------------------
def test_test_script_builds_and_smoke_tests_the_binary_after_pytest() -> None:
    script = (REPO / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert '".[test,build]"' in script
    pytest_at = script.index(".venv/bin/pytest")
    assert (
        pytest_at < script.index("packaging/build.py") < script.index("packaging/smoke_test.py dist/docrelay")
    )


def test_windows_workflow_builds_smoke_tests_signs_and_uploads() -> None:
    workflow = yaml.safe_load(
        (REPO / ".github" / "workflows" / "windows-build.yml").read_text(encoding="utf-8")
    )
    (job,) = workflow["jobs"].values()
    assert job["runs-on"].startswith("windows")
    steps = job["steps"]
    runs = " | ".join(step.get("run", "") for step in steps)
    assert 'pip install -e ".[build,test]"' in runs
    assert "packaging/build.py --no-archive" in runs
    assert "packaging/smoke_test.py dist\\docrelay\\docrelay.exe" in runs
    assert "packaging/build.py --archive-only" in runs
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    sign = next(s for s in steps if s.get("uses", "").startswith("azure/artifact-signing-action"))
    assert "SIGNING_ENDPOINT != ''" in sign["if"]
    assert sign["with"]["files-folder-filter"] == "exe,dll,pyd"
    order = [s.get("name", s.get("uses", "")) for s in steps]
    assert order.index(sign["name"]) < next(i for i, n in enumerate(order) if "Smoke test" in n)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "dist/docrelay-*.zip" in upload["with"]["path"] and "dist/SHA256SUMS" in upload["with"]["path"]
