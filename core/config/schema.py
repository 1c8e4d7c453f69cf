"""What can be configured: setting names, which are secret, built-in defaults, variable names, checks.

Provider settings come from two places: each provider class declares `setting_names` and
`secret_settings`, and a static table below lists the CONTRACT's settings of the services, so that
`docrelay config set` can check keys even for a provider whose module is not written (or not loaded).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.hints import setting
from core.providers import provider_class, provider_names

if TYPE_CHECKING:
    from core.providers.base import Provider

DEFAULT_TIMEOUT = 300.0
ENV_PREFIX = "DOCRELAY_"
CONFIG_FILE_ENV = "DOCRELAY_CONFIG_FILE"
PROFILE_ENV = "DOCRELAY_PROFILE"
PROVIDER_ENV = "DOCRELAY_PROVIDER"
DEFAULT_PROFILE = "default"
KEYRING_PREFIX = "keyring:"

# Settings of docrelay itself, valid whatever the provider. `provider` and `profile` choose; the
# others may also sit in a provider's sub-table of a profile. The journal settings choose where batches
# keep their journal: a file (SQLite) or a postgresql:// connection string shared by many robots.
JOURNAL_SETTINGS = ("journal", "journal_password", "journal_lease")
GLOBAL_SETTINGS = (
    "provider",
    "profile",
    "timeout",
    "ca_bundle",
    "truststore",
    "rate_limit",
    *JOURNAL_SETTINGS,
)
TUNING_SETTINGS = ("timeout", "ca_bundle", "truststore", "rate_limit", *JOURNAL_SETTINGS)
GLOBAL_SECRETS = frozenset({"journal_password"})

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_flag(value: Any) -> bool | None:
    """The one reading of true/false text (1/true/yes/on, 0/false/no/off, any case); None for anything
    else, so that a typo is refused by the caller instead of being read as false."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


@dataclass(frozen=True)
class ProviderSpec:
    """The settings one provider reads, which of them are secret, and their built-in defaults."""

    name: str
    settings: tuple[str, ...]
    secrets: frozenset[str] = frozenset()
    defaults: Mapping[str, str] = field(default_factory=dict)
    provider_class: type[Provider] | None = None


_STATIC: dict[str, ProviderSpec] = {
    "local": ProviderSpec("local", ()),
    "cradl": ProviderSpec(
        "cradl",
        ("client_id", "client_secret", "api_url", "auth_url", "access_token"),
        frozenset({"client_secret", "access_token"}),
        {"api_url": "https://api.lucidtech.ai/v1", "auth_url": "https://auth.lucidtech.ai/oauth2/token"},
    ),
    "contractfit": ProviderSpec(
        "contractfit",
        # auth_method: api_key | jwt | basic (unset: by the credentials given); token_prefix: the word
        # before the JWT in Authorization, "none" for the bare token (contract.fit does not document it).
        ("url", "api_key", "username", "password", "inbox", "auth_method", "token_prefix"),
        frozenset({"api_key", "password"}),
        {"url": "https://cfportal.contract-p.fit/api", "token_prefix": "Bearer"},
    ),
    "deepopinion": ProviderSpec(
        "deepopinion",
        ("url", "email", "password", "token", "organization", "project", "token_prefix"),
        frozenset({"password", "token"}),
        # The Studio API documentation's examples all call https://api.deepopinion.ai/...
        # token_prefix: the word before the token in Authorization (as for contractfit); none: bare token.
        {"url": "https://api.deepopinion.ai", "token_prefix": "Bearer"},
    ),
}


def known_provider_names() -> list[str]:
    """Registered providers and those the CONTRACT names, sorted."""
    return sorted(set(provider_names()) | set(_STATIC))


def normalize_provider_name(name: str) -> str:
    return name.strip().lower()


def provider_spec(name: str, origin: str | None = None) -> ProviderSpec:
    """The merged declaration of provider `name`; imports its class only if it is registered."""
    key = normalize_provider_name(name)
    static = _STATIC.get(key)
    if key not in provider_names():
        if static is None:
            source = f" (from {origin})" if origin else ""
            raise ConfigError(
                f"Unknown provider {name!r}{source}",
                hint=f"Use one of: {', '.join(known_provider_names())} "
                f"({setting('provider')} or DOCRELAY_PROVIDER).",
            )
        return static
    cls = provider_class(key)
    base = static or ProviderSpec(key, ())
    extra = tuple(n for n in cls.setting_names if n not in base.settings)
    return ProviderSpec(
        key,
        base.settings + extra,
        base.secrets | frozenset(cls.secret_settings),
        base.defaults,
        cls,
    )


def static_specs() -> Iterable[ProviderSpec]:
    return _STATIC.values()


def all_specs() -> list[ProviderSpec]:
    """Every known provider's spec; imports the classes of registered providers."""
    return [provider_spec(name) for name in known_provider_names()]


def env_var(name: str, provider: str | None = None) -> str:
    """The environment variable of a setting: DOCRELAY_TIMEOUT, DOCRELAY_CRADL_CLIENT_ID, ..."""
    if provider is None or name in GLOBAL_SETTINGS:
        return f"{ENV_PREFIX}{name.upper()}"
    stem = "".join(c if c.isalnum() else "_" for c in provider.upper())
    return f"{ENV_PREFIX}{stem}_{name.upper()}"


# -- value checks -----------------------------------------------------------------------------


def as_text(value: Any, name: str, origin: str, *, secret: bool = False) -> str | None:
    """A setting's value as text, or None when empty (an empty value counts as not set)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(
            f"Setting {name} from {origin} must be text, not a true/false value",
            hint=f'Write it as a quoted string, e.g. {name} = "...".',
        )
    if isinstance(value, str):
        # Copy-pasted secrets often carry a line break; inner and other spaces may be meaningful.
        text = value.strip("\r\n") if secret else value.strip()
    elif isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, os.PathLike):
        text = os.fspath(value)
    else:
        raise ConfigError(
            f"Setting {name} from {origin} must be text, not {type(value).__name__}",
            hint=f"Give {name} a single text value.",
        )
    return text or None


def _number(value: Any) -> float:
    """A number given as a number or as text; NaN (refused by every caller) for anything else."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return math.nan


def parse_timeout(value: Any, origin: str) -> float:
    """A positive, finite number of seconds."""
    seconds = _number(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(
            f"Invalid timeout {value!r} from {origin}",
            hint="Give a positive number of seconds, e.g. 300.",
        )
    return seconds


def parse_rate_limit(value: Any, origin: str) -> float:
    """Requests per second to one provider (every call, polling included): a positive, finite number."""
    rate = _number(value)
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigError(
            f"Invalid rate_limit {value!r} from {origin}",
            hint="Give the requests per second allowed by the service's plan as a positive number, e.g. 10 "
            "(or 0.5 for one request every two seconds).",
        )
    return rate


def parse_lease(value: Any, origin: str) -> float:
    """Seconds a shared-journal claim lasts without a heartbeat: a finite number from 2 to 3600."""
    seconds = _number(value)
    if not math.isfinite(seconds) or not 2 <= seconds <= 3600:
        raise ConfigError(
            f"Invalid journal_lease {value!r} from {origin}",
            hint="Give the seconds a robot's claim on a document lasts without a heartbeat, from 2 to 3600 "
            "(default 30).",
        )
    return seconds


def parse_bool(value: Any, name: str, origin: str) -> bool:
    """A true/false setting; an empty value is false (an unset environment variable)."""
    flag = False if str(value).strip() == "" else parse_flag(value)
    if flag is not None:
        return flag
    raise ConfigError(
        f"Invalid value {value!r} for {name} from {origin}",
        hint="Use 1, true or yes to turn it on; 0, false or no to turn it off.",
    )


def check_ca_bundle(value: Any, origin: str, base_dir: Path | None = None) -> str | None:
    """An existing CA bundle file (or directory of certificates), as an absolute path."""
    text = as_text(value, "ca_bundle", origin)
    if text is None:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise ConfigError(
            f"The CA bundle {str(path)!r} from {origin} does not exist",
            hint="Point ca_bundle at a PEM file of trusted certificates, or use truststore to trust the "
            "operating system's certificate store.",
        )
    return str(path.resolve())


def parse_keyring_reference(value: str) -> tuple[str, str] | None:
    """("SERVICE", "NAME") for a `keyring:SERVICE/NAME` value, None for any other value."""
    if not value.startswith(KEYRING_PREFIX):
        return None
    service, sep, name = value[len(KEYRING_PREFIX) :].partition("/")
    if not sep or not service.strip() or not name.strip():
        raise ConfigError(
            f"Invalid keyring reference {value!r}",
            hint="Write it as keyring:SERVICE/NAME, e.g. keyring:docrelay/default/cradl.client_secret, or "
            "store the secret with `docrelay config set-secret KEY`.",
        )
    return service.strip(), name.strip()
