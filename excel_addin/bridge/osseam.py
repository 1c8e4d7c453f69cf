"""The few operating-system calls `install-addin` makes, behind one small seam: the current user's
registry (Windows), commands (`certutil`, `security`), and the user's home folder.

The real seam does them; the fake one (`DOCRELAY_OS_SEAM=fake-windows:STATE.json`, also `fake-macos`,
`fake-linux`) keeps a registry and a certificate store in a JSON file, so that tests run the real
install and uninstall code of each platform on any machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

SEAM_ENV = "DOCRELAY_OS_SEAM"


class OsSeam(Protocol):
    platform: str  # windows, macos or linux
    home: Path  # the user's home folder

    def registry_get(self, key: str, name: str) -> str | None: ...

    def registry_set(self, key: str, name: str, value: str) -> None: ...

    def registry_delete(self, key: str, name: str) -> None: ...

    def run(self, argv: list[str]) -> tuple[int, str]:
        """Run a command; its exit code and its output (stdout and stderr)."""
        ...


class RealOs:
    def __init__(self) -> None:
        self.platform = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
        self.home = Path.home()

    def registry_get(self, key: str, name: str) -> str | None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:  # type: ignore[attr-defined,unused-ignore]
                value, _ = winreg.QueryValueEx(handle, name)  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            return None
        return str(value)

    def registry_set(self, key: str, name: str, value: str) -> None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:  # type: ignore[attr-defined,unused-ignore]
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)  # type: ignore[attr-defined,unused-ignore]

    def registry_delete(self, key: str, name: str) -> None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:  # type: ignore[attr-defined,unused-ignore]
                winreg.DeleteValue(handle, name)  # type: ignore[attr-defined,unused-ignore]
        except FileNotFoundError:
            pass

    def run(self, argv: list[str]) -> tuple[int, str]:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
        except FileNotFoundError:
            return 127, f"{argv[0]} was not found"
        except subprocess.TimeoutExpired:
            return 124, f"{argv[0]} did not finish in 5 minutes"
        return done.returncode, (done.stdout + done.stderr).strip()


class FakeOs:
    """A registry and certificate store in a JSON file; commands are recorded and acted out."""

    def __init__(self, platform: str, state: Path) -> None:
        self.platform = platform
        self.state_path = state
        data = self._load()
        self.home = Path(data.get("home") or state.parent / "home")

    def _load(self) -> dict[str, Any]:
        if self.state_path.is_file():
            loaded: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
            return loaded
        return {}

    def _save(self, data: dict[str, Any]) -> None:
        self.state_path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")

    def registry_get(self, key: str, name: str) -> str | None:
        value = self._load().get("registry", {}).get(key, {}).get(name)
        return None if value is None else str(value)

    def registry_set(self, key: str, name: str, value: str) -> None:
        data = self._load()
        data.setdefault("registry", {}).setdefault(key, {})[name] = value
        self._save(data)

    def registry_delete(self, key: str, name: str) -> None:
        data = self._load()
        values = data.get("registry", {}).get(key, {})
        values.pop(name, None)
        if not values:
            data.get("registry", {}).pop(key, None)
        self._save(data)

    def run(self, argv: list[str]) -> tuple[int, str]:
        data = self._load()
        data.setdefault("commands", []).append(argv)
        store: list[str] = data.setdefault("trusted", [])
        code, output = 0, "ok"
        if data.get("refuse") and argv[0] in data["refuse"]:  # a user who clicks "No"
            code, output = 1, "The operation was canceled by the user."
        elif argv[:3] == ["certutil", "-user", "-addstore"] or argv[:2] == ["security", "add-trusted-cert"]:
            store.append(Path(argv[-1]).read_text(encoding="utf-8"))
        elif argv[:3] == ["certutil", "-user", "-delstore"] or argv[:2] == ["security", "delete-certificate"]:
            data["trusted"] = []
        self._save(data)
        return code, output


def current_os() -> OsSeam:
    given = os.environ.get(SEAM_ENV, "")
    if given.startswith("fake-") and ":" in given:
        platform, _, state = given[len("fake-") :].partition(":")
        return FakeOs(platform, Path(state))
    return RealOs()
