"""Secrets kept in the operating system's credential store through `keyring`, imported only when used."""

from __future__ import annotations

from typing import Any

from core.errors import ConfigError
from core.redact import register_secret

KEYRING_SERVICE = "docrelay"


def _usable_backend() -> Any:
    """The active keyring backend, or None when there is no real credential store."""
    import keyring
    from keyring.backends import fail, null

    try:
        backend = keyring.get_keyring()
    except Exception:  # a misconfigured PYTHON_KEYRING_BACKEND or a broken backend plug-in
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    return backend


def read_secret(service: str, name: str, *, setting: str, origin: str, fix: str) -> str:
    """The secret stored under SERVICE/NAME; a ConfigError naming the setting and the fix otherwise."""
    reference = f"keyring:{service}/{name}"
    backend = _usable_backend()
    if backend is None:
        raise ConfigError(
            f"Setting {setting} from {origin} refers to {reference}, but no OS credential store is available",
            hint=f"Set it through its environment variable instead ({fix}).",
        )
    try:
        value = backend.get_password(service, name)
    except Exception as exc:
        raise ConfigError(
            f"Cannot read {reference} (setting {setting} from {origin}) from the OS credential store: "
            f"{type(exc).__name__}",
            hint=f"Unlock the credential store and try again, or {fix}.",
        ) from None
    if not value:
        raise ConfigError(
            f"Setting {setting} from {origin} refers to {reference}, which is not in the OS credential store",
            hint=f"Store it again: {fix}.",
        )
    text = str(value)
    register_secret(text)
    return text


def store_secret(service: str, name: str, value: str, *, setting: str, env_var: str) -> None:
    """Save a secret in the OS credential store and check that it reads back."""
    register_secret(value)
    alternative = (
        f"Set the environment variable {env_var} instead (for example from your RPA tool's credential "
        "vault); on Linux, a Secret Service keyring (GNOME Keyring, KWallet) makes the credential store "
        "available"
    )
    backend = _usable_backend()
    if backend is None:
        raise ConfigError(f"No OS credential store is available to keep {setting}", hint=alternative)
    try:
        backend.set_password(service, name, value)
        stored = backend.get_password(service, name)
    except Exception as exc:
        raise ConfigError(
            f"The OS credential store refused to keep {setting}: {type(exc).__name__}", hint=alternative
        ) from None
    if stored != value:
        raise ConfigError(f"The OS credential store did not keep {setting} intact", hint=alternative)
