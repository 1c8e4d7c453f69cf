"""`docrelay-excel install-addin [--uninstall] [--autostart]`: everything Excel needs to load the add-in
from the local bridge, for the current user only, and undone by `--uninstall`.

1. The manifest (a GUID of this install, every URL https://localhost:PORT) in the bridge's folder.
2. The bridge's CA trusted for the current user: Windows' CurrentUser Root store (`certutil -user`,
   which asks the user once), macOS' login keychain (`security add-trusted-cert`); on Linux the steps
   are printed.
3. The manifest registered for sideloading: on Windows under HKCU\\...\\Wef\\Developer, on macOS in
   Excel's `wef` folder. IT routes (shared-folder catalog, Microsoft 365 admin centre) are printed.
4. With `--autostart`, the bridge starts at login (Windows Run key, macOS LaunchAgent, XDG autostart).

What was done is kept in `install.json`, so that `--uninstall` undoes exactly that.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from excel_addin.bridge.certs import CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY, ensure_pki
from excel_addin.bridge.home import IDENTITY_FILE, bridge_home, load_identity
from excel_addin.bridge.manifest import render_manifest
from excel_addin.bridge.osseam import OsSeam, current_os

MANIFEST_FILE = "docrelay-manifest.xml"
RECORD_FILE = "install.json"
WEF_DEVELOPER = r"Software\Microsoft\Office\16.0\Wef\Developer"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_NAME = "docrelay Excel bridge"
LAUNCH_AGENT = "Library/LaunchAgents/ai.docrelay.excel-bridge.plist"
MAC_WEF = "Library/Containers/com.microsoft.Excel/Data/Documents/wef"
XDG_AUTOSTART = ".config/autostart/docrelay-excel-bridge.desktop"
MAC_KEYCHAIN = "Library/Keychains/login.keychain-db"


@dataclass
class InstallOutcome:
    action: str  # installed or uninstalled
    platform: str
    manifest: str | None
    url: str | None
    addin_id: str | None
    steps: list[str] = field(default_factory=list)  # what was done
    todo: list[str] = field(default_factory=list)  # what the user (or IT) does next

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "platform": self.platform,
            "manifest": self.manifest,
            "url": self.url,
            "addin_id": self.addin_id,
            "steps": self.steps,
            "next": self.todo,
        }


def serve_command(port: int) -> list[str]:
    """How the bridge is started at login: the frozen program itself, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "serve", "--port", str(port)]
    return [sys.executable, "-m", "excel_addin", "serve", "--port", str(port)]


def install(
    *, port: int | None = None, autostart: bool = False, seam: OsSeam | None = None
) -> InstallOutcome:
    seam = seam or current_os()
    home = bridge_home()
    identity = load_identity(home, port=port)
    pki = ensure_pki(home)
    manifest = home / MANIFEST_FILE
    manifest.write_text(render_manifest(identity.addin_id, identity.port), encoding="utf-8")
    url = f"https://localhost:{identity.port}"
    outcome = InstallOutcome("installed", seam.platform, str(manifest), url, identity.addin_id)
    outcome.steps.append(f"wrote the manifest {manifest}")
    # What an earlier install did stays recorded (its autostart, say), so that --uninstall undoes it too.
    record = _read_record(home)
    record.update(platform=seam.platform, addin_id=identity.addin_id)
    _trust(seam, pki.ca_cert, pki.ca_fingerprint, outcome, record)
    _register(seam, identity.addin_id, manifest, outcome, record)
    if autostart:
        _autostart(seam, identity.port, outcome, record)
    (home / RECORD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    outcome.todo.append(
        f"Start the bridge: docrelay-excel serve (it serves {url}); then in Excel: Home > docrelay."
    )
    outcome.todo.append(
        "IT, for many users: put the manifest in a shared-folder catalog (Excel: File > Options > Trust "
        "Center > Trusted Add-in Catalogs, add \\\\server\\share, check 'Show in Menu'), or upload it in the "
        "Microsoft 365 admin centre (Settings > Integrated apps > Upload custom apps). Each user still "
        "runs the bridge and trusts its certificate (install-addin does both)."
    )
    return outcome


def uninstall(*, seam: OsSeam | None = None) -> InstallOutcome:
    seam = seam or current_os()
    home = bridge_home()
    record = _read_record(home)
    outcome = InstallOutcome("uninstalled", seam.platform, None, None, record.get("addin_id"))
    if record.get("trusted"):
        _untrust(seam, record["trusted"], outcome)
    if record.get("registered"):
        _unregister(seam, record["registered"], outcome)
    if record.get("autostart"):
        _remove_autostart(seam, record["autostart"], outcome)
    for name in (MANIFEST_FILE, CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY, IDENTITY_FILE, RECORD_FILE):
        path = home / name
        if path.exists():
            path.unlink()
            outcome.steps.append(f"removed {path}")
    if not outcome.steps:
        outcome.steps.append("nothing was installed")
    outcome.todo.append(
        "Restart Excel; if the add-in still shows, clear the Office add-in cache (Wef folder)."
    )
    return outcome


def _read_record(home: Path) -> dict[str, Any]:
    path = home / RECORD_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


# -- certificate trust ------------------------------------------------------------------------------
def _trust(seam: OsSeam, ca: Path, thumbprint: str, outcome: InstallOutcome, record: dict[str, Any]) -> None:
    if seam.platform == "windows":
        argv = ["certutil", "-user", "-addstore", "Root", str(ca)]
    elif seam.platform == "macos":
        keychain = str(seam.home / MAC_KEYCHAIN)
        argv = ["security", "add-trusted-cert", "-r", "trustRoot", "-k", keychain, str(ca)]
    else:
        outcome.todo.append(
            f"Trust the bridge's certificate authority {ca} in your browser or system store, e.g. "
            f"`certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n docrelay-bridge -i {shlex.quote(str(ca))}` "
            "(package libnss3-tools), or `sudo cp CA /usr/local/share/ca-certificates/docrelay-bridge.crt "
            "&& sudo update-ca-certificates`. Excel itself does not run on Linux."
        )
        return
    code, output = seam.run(argv)
    if code != 0:
        raise ConfigError(
            f"The bridge's certificate could not be trusted: {output or 'exit code ' + str(code)}",
            hint="Run install-addin again and accept the security prompt (it names 'docrelay Excel "
            "bridge (this computer only)'); the certificate is trusted for you alone and only for localhost.",
        )
    record["trusted"] = {"thumbprint": thumbprint, "ca": str(ca)}
    store = "the CurrentUser Root store" if seam.platform == "windows" else "your login keychain"
    outcome.steps.append(f"trusted the bridge's certificate authority in {store} ({thumbprint})")


def _untrust(seam: OsSeam, trusted: dict[str, str], outcome: InstallOutcome) -> None:
    thumbprint = trusted.get("thumbprint", "")
    if seam.platform == "windows":
        argv = ["certutil", "-user", "-delstore", "Root", thumbprint]
    elif seam.platform == "macos":
        argv = ["security", "delete-certificate", "-Z", thumbprint, str(seam.home / MAC_KEYCHAIN)]
    else:
        return
    code, output = seam.run(argv)
    if code == 0:
        outcome.steps.append(
            f"removed the bridge's certificate authority from the trust store ({thumbprint})"
        )
    else:
        outcome.todo.append(f"Remove the certificate {thumbprint} from your trust store by hand: {output}")


# -- sideloading ------------------------------------------------------------------------------------
def _register(
    seam: OsSeam, addin_id: str, manifest: Path, outcome: InstallOutcome, record: dict[str, Any]
) -> None:
    if seam.platform == "windows":
        seam.registry_set(WEF_DEVELOPER, addin_id, str(manifest))
        record["registered"] = {"registry": WEF_DEVELOPER, "name": addin_id}
        outcome.steps.append(f"registered the manifest for Excel under HKCU\\{WEF_DEVELOPER}")
    elif seam.platform == "macos":
        folder = seam.home / MAC_WEF
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{addin_id}.manifest.xml"
        target.write_bytes(manifest.read_bytes())
        record["registered"] = {"file": str(target)}
        outcome.steps.append(f"put the manifest in Excel's add-in folder {folder}")
    else:
        outcome.todo.append(
            f"Sideload {manifest} in Excel on Windows or a Mac (Excel does not run on Linux), "
            "or give it to IT."
        )


def _remove_entry(seam: OsSeam, entry: dict[str, str]) -> str | None:
    """Undo what install recorded (a registry value or a file); where it was, or None if nothing."""
    if "registry" in entry:
        seam.registry_delete(entry["registry"], entry["name"])
        return f"HKCU\\{entry['registry']}"
    if "file" in entry:
        Path(entry["file"]).unlink(missing_ok=True)
        return entry["file"]
    return None


def _unregister(seam: OsSeam, registered: dict[str, str], outcome: InstallOutcome) -> None:
    where = _remove_entry(seam, registered)
    if where is not None:
        under = "the manifest's registration under " if "registry" in registered else ""
        outcome.steps.append(f"removed {under}{where}")


# -- start at login ---------------------------------------------------------------------------------
def _autostart(seam: OsSeam, port: int, outcome: InstallOutcome, record: dict[str, Any]) -> None:
    argv = serve_command(port)
    if seam.platform == "windows":
        seam.registry_set(RUN_KEY, RUN_NAME, " ".join(f'"{a}"' if " " in a else a for a in argv))
        record["autostart"] = {"registry": RUN_KEY, "name": RUN_NAME}
        outcome.steps.append(f"the bridge starts at login (HKCU\\{RUN_KEY})")
        return
    if seam.platform == "macos":
        path = seam.home / LAUNCH_AGENT
        arguments = "".join(f"<string>{_xml(a)}</string>" for a in argv)
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>'
            "<key>Label</key><string>ai.docrelay.excel-bridge</string>"
            f"<key>ProgramArguments</key><array>{arguments}</array>"
            "<key>RunAtLoad</key><true/></dict></plist>\n"
        )
    else:
        path = seam.home / XDG_AUTOSTART
        text = (
            "[Desktop Entry]\nType=Application\nName=docrelay Excel bridge\n"
            f"Exec={shlex.join(argv)}\nX-GNOME-Autostart-enabled=true\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    record["autostart"] = {"file": str(path)}
    outcome.steps.append(f"the bridge starts at login ({path})")


def _remove_autostart(seam: OsSeam, autostart: dict[str, str], outcome: InstallOutcome) -> None:
    where = _remove_entry(seam, autostart)
    if where is not None:
        removed = "" if "registry" in autostart else "removed "
        outcome.steps.append(f"the bridge no longer starts at login ({removed}{where})")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
