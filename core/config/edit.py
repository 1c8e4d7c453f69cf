"""Changing the profile file: `docrelay config set KEY VALUE` and `docrelay config set-secret KEY`.

Secrets never land in the file in plain text: set_value refuses them, set_secret puts them in the OS
credential store and writes a `keyring:` reference instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.config.schema import (
    GLOBAL_SECRETS,
    GLOBAL_SETTINGS,
    KEYRING_PREFIX,
    TUNING_SETTINGS,
    ProviderSpec,
    all_specs,
    as_text,
    check_ca_bundle,
    env_var,
    parse_bool,
    parse_keyring_reference,
    parse_lease,
    parse_rate_limit,
    parse_timeout,
    provider_spec,
    static_specs,
)
from core.config.secrets import KEYRING_SERVICE, store_secret
from core.config.store import config_file_path, load_config, requested_profile, write_config
from core.errors import ConfigError
from core.redact import register_secret


def set_value(
    key: str,
    value: Any,
    profile: str | None = None,
    provider: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Write KEY = VALUE into a profile (argument > DOCRELAY_PROFILE > "default"); None or "" removes it.

    KEY is a setting name, or PROVIDER.NAME (same as passing `provider`) to write into the provider's
    own table [profiles.NAME.PROVIDER], whose keys win over the profile's flat keys for that provider.
    Returns what was written, for the CLI's output (never a secret).
    """
    spec, name = _target(key, provider)
    secret = _is_secret(name, spec)
    text = "" if value is None else str(value).strip()
    if secret and text and not text.startswith(KEYRING_PREFIX):
        register_secret(text)
        raise ConfigError(
            f"{name} is a secret and is never written to the configuration file",
            hint=f"Use `docrelay {_profile_flag(profile)}config set-secret {key.strip()}` to keep it in the "
            f"OS credential store, or set the environment variable {_env_hint(name, spec)}.",
        )
    stored = _normalize(name, value)
    return _write(name, stored, spec, profile, env)


def set_secret(
    key: str,
    value: str,
    profile: str | None = None,
    provider: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Keep VALUE in the OS credential store and write its `keyring:` reference into the profile.

    The entry is service "docrelay", name "<profile>/<provider>.<key>" (or "<profile>/<key>" for a
    flat key). Raises ConfigError when no credential store is usable, naming the environment variable
    to use instead.
    """
    spec, name = _target(key, provider)
    if name in GLOBAL_SETTINGS and name not in GLOBAL_SECRETS:
        raise ConfigError(
            f"{name} is not a secret setting",
            hint=f"Use `docrelay config set {name} VALUE`.",
        )
    text = as_text(value, name, "argument", secret=True) if isinstance(value, str) else None
    if text is None or not text.strip():
        raise ConfigError(
            f"No value given for the secret {name}",
            hint="Pass the secret on standard input (the program never prompts).",
        )
    env = os.environ if env is None else env
    profile_name = requested_profile(profile, env)[0]
    account = f"{profile_name}/{spec.name}.{name}" if spec else f"{profile_name}/{name}"
    store_secret(KEYRING_SERVICE, account, text, setting=name, env_var=_env_hint(name, spec))
    return _write(name, f"{KEYRING_PREFIX}{KEYRING_SERVICE}/{account}", spec, profile_name, env)


def _target(key: str, provider: str | None) -> tuple[ProviderSpec | None, str]:
    """The provider table (None for the profile's flat keys) and the setting name; checks the key."""
    prefix, dot, name = key.strip().lower().rpartition(".")
    if dot and provider and prefix != provider.strip().lower():
        raise ConfigError(
            f"Key {key!r} names provider {prefix!r} but provider {provider!r} was given",
            hint="Give the provider once, either as PROVIDER.KEY or with --provider.",
        )
    provider = prefix if dot else provider
    spec = provider_spec(provider) if provider else None
    if name == "profile":
        raise ConfigError(
            "profile is chosen for each run, not stored in the configuration file",
            hint="Choose the profile with --profile NAME or the environment variable DOCRELAY_PROFILE.",
        )
    if spec is None:
        if name in GLOBAL_SETTINGS or any(name in s.settings for s in _specs_knowing(name)):
            return None, name
        names = sorted({n for s in all_specs() for n in s.settings} | set(GLOBAL_SETTINGS) - {"profile"})
        raise ConfigError(f"Unknown setting {key!r}", hint=f"Valid keys: {', '.join(names)}.")
    if name in spec.settings or name in TUNING_SETTINGS:
        return spec, name
    raise ConfigError(
        f"Unknown setting {key!r} for provider {spec.name}",
        hint=f"Valid keys for {spec.name}: {', '.join((*spec.settings, *TUNING_SETTINGS))}.",
        provider=spec.name,
    )


def _specs_knowing(name: str) -> list[ProviderSpec]:
    """Providers that have setting `name`; loads registered provider classes only when the static table has
    none."""
    found = [s for s in static_specs() if name in s.settings]
    return found or [s for s in all_specs() if name in s.settings]


def _is_secret(name: str, spec: ProviderSpec | None) -> bool:
    if name in GLOBAL_SETTINGS:
        return name in GLOBAL_SECRETS
    if spec is not None:
        return name in spec.secrets
    return any(name in s.secrets for s in _specs_knowing(name))


def _profile_flag(profile: str | None) -> str:
    return f"--profile {profile.strip()} " if profile and profile.strip() else ""


def _env_hint(name: str, spec: ProviderSpec | None) -> str:
    if name in GLOBAL_SETTINGS:
        return env_var(name)
    specs = [spec] if spec else _specs_knowing(name)
    return " or ".join(env_var(name, s.name) for s in specs)


def _normalize(name: str, value: Any) -> Any:
    """The value as it is stored in TOML (a number, a boolean or text); None to remove the key."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name == "timeout":
        seconds = parse_timeout(value, "the command line")
        return int(seconds) if seconds.is_integer() else seconds
    if name == "truststore":
        return parse_bool(value, name, "the command line")
    if name == "rate_limit":
        rate = parse_rate_limit(value, "the command line")
        return int(rate) if rate.is_integer() else rate
    if name == "journal_lease":
        lease = parse_lease(value, "the command line")
        return int(lease) if lease.is_integer() else lease
    if name == "ca_bundle":
        return check_ca_bundle(value, "the command line", Path.cwd())
    if name == "provider":
        return provider_spec(str(value)).name
    text = as_text(value, name, "the command line")
    if name == "journal" and text and _url_has_password(text):
        register_secret(text)
        raise ConfigError(
            "The journal connection string holds a password, which is never written to the configuration "
            "file",
            hint="Store the connection string without it, and the password with "
            "`docrelay config set-secret journal_password` (or the variable DOCRELAY_JOURNAL_PASSWORD).",
        )
    if text is not None and text.startswith(KEYRING_PREFIX):
        parse_keyring_reference(text)
    return text


def _url_has_password(text: str) -> bool:
    from urllib.parse import urlsplit

    try:
        password = urlsplit(text).password if "://" in text else None
    except ValueError:
        return False
    if password:
        register_secret(password)
    return bool(password) or "password=" in text.lower()


def _write(
    name: str, stored: Any, spec: ProviderSpec | None, profile: str | None, env: Mapping[str, str] | None
) -> dict[str, Any]:
    env = os.environ if env is None else env
    profile_name = requested_profile(profile, env)[0]
    path = config_file_path(env)
    document = load_config(path)  # a malformed file stops here and is never overwritten
    profile_table: dict[str, Any] = document.setdefault("profiles", {}).setdefault(profile_name, {})
    target = profile_table
    if spec is not None:
        existing = profile_table.setdefault(spec.name, {})
        if not isinstance(existing, dict):
            raise ConfigError(
                f"[profiles.{profile_name}] in {path} has a value named {spec.name!r} instead of a table",
                hint=f"Remove that line so that [profiles.{profile_name}.{spec.name}] can hold its settings.",
            )
        target = existing
    if stored is None:
        target.pop(name, None)
        if spec is not None and not target:
            profile_table.pop(spec.name, None)
    else:
        target[name] = stored
    write_config(path, document)
    return {
        "config_file": str(path),
        "profile": profile_name,
        "key": f"{spec.name}.{name}" if spec else name,
        "value": stored,
        "removed": stored is None,
    }
