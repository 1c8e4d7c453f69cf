"""The bridge's own folder and identity: where its CA, certificate, registry and settings live, and
the per-install values (the add-in's GUID, the API token, the port).

The folder is `excel-bridge` in the user's data folder (platformdirs), or $DOCRELAY_BRIDGE_HOME. Its
files are readable by the user only; the CA's private key never leaves it.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from core.errors import UsageError

HOME_ENV = "DOCRELAY_BRIDGE_HOME"
DEFAULT_PORT = 47_180  # unassigned by IANA; `--port` chooses another
IDENTITY_FILE = "bridge.json"


def bridge_home() -> Path:
    given = os.environ.get(HOME_ENV)
    if given:
        return Path(given).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("docrelay", appauthor=False)) / "excel-bridge"


@dataclass
class Identity:
    """Per-install values, made once and kept: the manifest's GUID, the token, the port."""

    addin_id: str
    token: str
    port: int = DEFAULT_PORT

    def save(self, home: Path) -> None:
        write_private(home / IDENTITY_FILE, json.dumps(asdict(self), indent=2).encode("utf-8"))


def load_identity(home: Path, *, port: int | None = None) -> Identity:
    """The install's identity, created on first use; `port` (when given) is kept for the next start."""
    path = home / IDENTITY_FILE
    identity: Identity | None = None
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            port_kept = int(data.get("port", DEFAULT_PORT))
            identity = Identity(str(data["addin_id"]), str(data["token"]), port_kept)
            uuid.UUID(identity.addin_id)
            if len(identity.token) < 32:
                identity = None
        except (ValueError, KeyError, TypeError, OSError):
            identity = None  # damaged: a new identity (the add-in must then be installed again)
    changed = identity is None
    if identity is None:
        identity = Identity(str(uuid.uuid4()), secrets.token_urlsafe(32))
    if port is not None and port != identity.port:
        identity.port = check_port(port)
        changed = True
    if changed:
        identity.save(home)
    return identity


def check_port(port: int) -> int:
    if not 1024 <= port <= 65535:
        raise UsageError(f"Port {port} cannot be used", hint="Give --port a number between 1024 and 65535.")
    return port


def write_private(path: Path, data: bytes) -> None:
    """Write a file only the user can read, atomically (a half-written key never replaces a good one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name != "nt":
        os.chmod(path.parent, 0o700)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
