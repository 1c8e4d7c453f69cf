"""Fallback credentials in the official Cradl SDKs' conventions, so existing setups work unchanged.

Consulted after docrelay's own arguments, variables and profile, in this order: `CRADL_*` variables,
`LAS_*` variables, `~/.cradl/credentials.json`, `~/.lucidtech/credentials.cfg` (profile `default`).
"""

from __future__ import annotations

import configparser
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("docrelay.cradl")

Fallbacks = dict[str, tuple[str, str]]

_ENV_NAMES = {
    "client_id": "CLIENT_ID",
    "client_secret": "CLIENT_SECRET",
    "auth_url": "AUTH_ENDPOINT",
    "api_url": "API_ENDPOINT",
    "access_token": "ACCESS_TOKEN",
}
_FILE_KEYS = {
    "client_id": "client_id",
    "client_secret": "client_secret",
    "auth_url": "auth_endpoint",
    "api_url": "api_endpoint",
    "access_token": "access_token",
}


def auth_url_from_endpoint(endpoint: str) -> str:
    """The token URL the official SDKs use for an `auth_endpoint` value.

    A full URL is used as it is (the SDK posts the Cradl app's form request to it unchanged).
    A bare host or host/path gets `https://` and `/token` (`auth.lucidtech.ai/oauth2` ->
    `https://auth.lucidtech.ai/oauth2/token`), as the SDK builds its Basic-auth token URL.
    """
    value = endpoint.strip().rstrip("/")
    if "://" in value:
        return value
    return f"https://{value}/token"


def api_url_from_endpoint(endpoint: str) -> str:
    value = endpoint.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value
    return value if value.rstrip("/").endswith("/v1") else value + "/v1"


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or env.get("USERPROFILE")
    return Path(home) if home else Path.home()


def _add(out: Fallbacks, key: str, value: object, origin: str) -> None:
    if key in out or value in (None, ""):
        return
    text = str(value)
    if key == "auth_url":
        text = auth_url_from_endpoint(text)
    elif key == "api_url":
        text = api_url_from_endpoint(text)
    out[key] = (text, origin)


def _from_json_file(path: Path, profile: str, out: Fallbacks) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return
    section = data.get(profile) if isinstance(data, dict) else None
    if isinstance(section, dict):
        for key, file_key in _FILE_KEYS.items():
            _add(out, key, section.get(file_key), f"{path} [{profile}]")


def _from_ini_file(path: Path, profile: str, out: Fallbacks) -> None:
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return
    if parser.has_section(profile):
        for key, file_key in _FILE_KEYS.items():
            _add(out, key, parser.get(profile, file_key, fallback=None), f"{path} [{profile}]")


def cradl_fallbacks(env: Mapping[str, str] | None = None, profile: str = "default") -> Fallbacks:
    """Settings found in the SDK conventions, each with where it came from."""
    env = os.environ if env is None else env
    out: Fallbacks = {}
    for prefix in ("CRADL_", "LAS_"):
        for key, suffix in _ENV_NAMES.items():
            name = prefix + suffix
            _add(out, key, env.get(name), f"env {name}")
    home = _home(env)
    json_file = home / ".cradl" / "credentials.json"
    if json_file.is_file():
        _from_json_file(json_file, profile, out)
    ini_file = home / ".lucidtech" / "credentials.cfg"
    if ini_file.is_file():
        _from_ini_file(ini_file, profile, out)
    return out
