"""The profile file: where it lives, reading it, choosing a profile, and writing it back atomically."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.config.schema import CONFIG_FILE_ENV, DEFAULT_PROFILE, PROFILE_ENV
from core.errors import ConfigError, InternalError

CONFIG_FILE_NAME = "docrelay.toml"


def config_file_path(env: Mapping[str, str] | None = None) -> Path:
    """DOCRELAY_CONFIG_FILE if set, else docrelay.toml in the user's configuration folder."""
    env = os.environ if env is None else env
    override = env.get(CONFIG_FILE_ENV, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    import platformdirs

    # Windows: %APPDATA%\docrelay; macOS: ~/Library/Application Support/docrelay; Linux: ~/.config/docrelay
    return Path(platformdirs.user_config_dir("docrelay", appauthor=False, roaming=True)) / CONFIG_FILE_NAME


def load_config(path: Path) -> dict[str, Any]:
    """The parsed file, or an empty document when it does not exist."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found]

    try:
        # utf-8-sig: Windows editors may save a byte order mark, which TOML parsers reject.
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"The configuration file {path} is not UTF-8 text (byte {exc.start})",
            hint="Save it as UTF-8 in a text editor, or delete it and set the values again with "
            "`docrelay config set`.",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the configuration file {path}: {exc.strerror or exc}",
            hint=f"Check that the file is readable, or point {CONFIG_FILE_ENV} at another file.",
        ) from None
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The configuration file {path} is not valid TOML: {exc}",
            hint='Fix that line in a text editor (strings need double quotes, e.g. client_id = "abc"), '
            "or delete the file and set the values again with `docrelay config set`.",
        ) from None
    _check_shape(document, path)
    return document


def _check_shape(document: Mapping[str, Any], path: Path) -> None:
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict) or any(not isinstance(t, dict) for t in profiles.values()):
        raise ConfigError(
            f"The configuration file {path} has a malformed profiles section",
            hint='Each profile must be a table such as [profiles.default] followed by key = "value" lines.',
        )


def profile_names(document: Mapping[str, Any]) -> list[str]:
    return sorted(document.get("profiles", {}))


def requested_profile(profile: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The profile's name and where that choice came from: "argument", "env DOCRELAY_PROFILE" or "default"."""
    if profile and profile.strip():
        return profile.strip(), "argument"
    from_env = env.get(PROFILE_ENV, "").strip()
    if from_env:
        return from_env, f"env {PROFILE_ENV}"
    return DEFAULT_PROFILE, "default"


def select_profile(
    document: Mapping[str, Any], path: Path, profile: str | None, env: Mapping[str, str]
) -> tuple[str | None, dict[str, Any], str]:
    """The chosen profile's name, table and choice origin; no name and {} when the default profile is absent.

    Only a profile asked for by name must exist; the implied "default" one may be missing.
    """
    name, origin = requested_profile(profile, env)
    profiles: dict[str, Any] = document.get("profiles", {})
    if name in profiles:
        return name, profiles[name], origin
    if name == DEFAULT_PROFILE:
        return None, {}, origin
    create = f"Create it with `docrelay --profile {name} config set KEY VALUE`"
    if not path.exists():
        raise ConfigError(
            f"Profile {name!r} not found: the configuration file {path} does not exist",
            hint=f"{create}, or choose another profile with --profile or {PROFILE_ENV}.",
        )
    existing = ", ".join(profile_names(document)) or "none"
    raise ConfigError(
        f"Profile {name!r} not found in {path} (profiles there: {existing})",
        hint=f"Choose one of those with --profile or {PROFILE_ENV}, or {create[0].lower()}{create[1:]}.",
    )


def write_config(path: Path, document: Mapping[str, Any]) -> None:
    """Replace the file in one step: a crash or error never leaves it half written. Mode 0600 on POSIX."""
    import tomli_w

    from core.files import write_text_atomic

    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError) as exc:
        raise InternalError(f"Cannot serialize the configuration for {path}: {exc}") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text_atomic(path, text)  # mkstemp makes the file 0600 on POSIX: secrets stay private
    except OSError as exc:
        raise _write_error(path, exc) from None


def _write_error(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot write the configuration file {path}: {exc.strerror or exc}",
        hint=f"Check that its folder is writable and the file is not open elsewhere, or point "
        f"{CONFIG_FILE_ENV} at another file.",
    )
