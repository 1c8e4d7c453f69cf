"""`docrelay-excel install-addin [--uninstall] [--autostart]`, run as users run it, against the fake OS
seam (DOCRELAY_OS_SEAM): the real Windows, macOS and Linux code paths, a fake registry and trust store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from excel_addin.bridge.install import RUN_KEY, WEF_DEVELOPER
from tests.bridge_helpers import excel_executable
from tests.cli_helpers import Run, isolated_env


def _run(tmp: Path, platform: str, *args: str, refuse: list[str] | None = None) -> tuple[Run, dict[str, Any]]:
    state = tmp / f"fake-{platform}.json"
    if refuse is not None:
        state.write_text(json.dumps({"refuse": refuse, "home": str(tmp / "home")}))
    elif not state.exists():
        state.write_text(json.dumps({"home": str(tmp / "home")}))
    env = isolated_env(
        tmp, DOCRELAY_BRIDGE_HOME=str(tmp / "bridge"), DOCRELAY_OS_SEAM=f"fake-{platform}:{state}"
    )
    done = subprocess.run(
        [excel_executable(), "install-addin", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, done.stderr), json.loads(state.read_text())


def test_windows_install_trusts_registers_autostarts_and_uninstall_undoes_it(tmp_path: Path) -> None:
    run, fake = _run(tmp_path, "windows", "--autostart", "--port", "47311")
    assert run.exit_code == 0, run.stderr
    data = run.document["data"]
    manifest = Path(data["manifest"])
    assert data["url"] == "https://localhost:47311" and manifest.is_file()
    tree = etree.parse(str(manifest))
    assert tree.findtext("{*}Id") == data["addin_id"]
    assert fake["registry"][WEF_DEVELOPER] == {data["addin_id"]: str(manifest)}
    assert "serve" in fake["registry"][RUN_KEY]["docrelay Excel bridge"]
    assert "--port 47311" in fake["registry"][RUN_KEY]["docrelay Excel bridge"]
    ca = (tmp_path / "bridge" / "ca.crt").read_text()
    assert fake["trusted"] == [ca]
    assert fake["commands"][0][:4] == ["certutil", "-user", "-addstore", "Root"]
    assert "Microsoft 365 admin centre" in run.stderr and "shared-folder catalog" in run.stderr

    again, fake = _run(tmp_path, "windows")
    assert again.document["data"]["addin_id"] == data["addin_id"]  # stable per install
    assert again.document["data"]["url"] == "https://localhost:47311"  # the port is kept

    gone, fake = _run(tmp_path, "windows", "--uninstall")
    assert gone.exit_code == 0, gone.stderr
    assert fake.get("registry", {}) == {} and fake["trusted"] == []
    assert fake["commands"][-1][:4] == ["certutil", "-user", "-delstore", "Root"]
    assert not manifest.exists() and not (tmp_path / "bridge" / "ca.key").exists()


def test_macos_install_uses_the_login_keychain_and_excels_wef_folder(tmp_path: Path) -> None:
    run, fake = _run(tmp_path, "macos", "--autostart")
    assert run.exit_code == 0, run.stderr
    addin_id = run.document["data"]["addin_id"]
    home = tmp_path / "home"
    wef = home / "Library/Containers/com.microsoft.Excel/Data/Documents/wef" / f"{addin_id}.manifest.xml"
    agent = home / "Library/LaunchAgents/ai.docrelay.excel-bridge.plist"
    assert wef.is_file() and agent.is_file() and "<string>serve</string>" in agent.read_text()
    assert fake["commands"][0][:4] == ["security", "add-trusted-cert", "-r", "trustRoot"]
    gone, fake = _run(tmp_path, "macos", "--uninstall")
    assert gone.exit_code == 0 and not wef.exists() and not agent.exists()
    assert fake["commands"][-1][:2] == ["security", "delete-certificate"] and fake["trusted"] == []


def test_linux_prints_the_trust_steps_and_autostarts_by_xdg(tmp_path: Path) -> None:
    run, fake = _run(tmp_path, "linux", "--autostart")
    assert run.exit_code == 0, run.stderr
    assert "certutil -d sql:$HOME/.pki/nssdb" in run.stderr and not fake.get("commands")
    desktop = tmp_path / "home/.config/autostart/docrelay-excel-bridge.desktop"
    assert "serve --port" in desktop.read_text()
    gone, _ = _run(tmp_path, "linux", "--uninstall")
    assert gone.exit_code == 0 and not desktop.exists()


def test_a_refused_certificate_prompt_is_a_clear_config_error(tmp_path: Path) -> None:
    run, fake = _run(tmp_path, "windows", refuse=["certutil"])
    assert run.exit_code == 3
    assert "accept the security prompt" in run.error["message"]
    assert fake.get("registry", {}) == {}  # nothing registered for a bridge Excel would not trust


@pytest.mark.parametrize("args", [("--uninstall", "--autostart"), ("--port", "80")])
def test_bad_options_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    run, _ = _run(tmp_path, "windows", *args)
    assert run.exit_code == 2, run.stdout


def test_uninstall_without_an_install_says_so(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "windows", "--uninstall")
    assert run.exit_code == 0 and run.document["data"]["steps"] == ["nothing was installed"]
