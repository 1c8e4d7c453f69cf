"""Resolving settings: explicit argument > handed over (--secrets-stdin) > environment > profile file >
provider fallbacks > default."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core.config.handover import HANDOVER_ORIGIN, handed_over
from core.config.schema import (
    DEFAULT_PROFILE,
    DEFAULT_TIMEOUT,
    GLOBAL_SETTINGS,
    PROVIDER_ENV,
    TUNING_SETTINGS,
    ProviderSpec,
    as_text,
    check_ca_bundle,
    env_var,
    known_provider_names,
    parse_bool,
    parse_keyring_reference,
    parse_lease,
    parse_rate_limit,
    parse_timeout,
    provider_spec,
    static_specs,
)
from core.config.secrets import read_secret
from core.config.store import config_file_path, load_config, select_profile
from core.errors import ConfigError
from core.providers import DEFAULT_PROVIDER
from core.redact import MASK, redact_text, register_secret

log = logging.getLogger("docrelay.config")

Candidate = tuple[Any, str]  # (raw value, origin)


@dataclass(frozen=True)
class Settings:
    """Everything one provider needs, resolved, with where each value came from.

    `values` holds the provider's settings as text, secrets included: never print or log `values`;
    use `shown()` (secrets masked as "***"), which the repr uses too.
    """

    provider: str
    profile: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: str | None = None
    truststore: bool = False
    rate_limit: float | None = None  # requests per second to the provider; None: no client-side pacing
    journal: str | None = None  # batches' journal: a file, or a postgresql:// URL; None: the default file
    journal_password: str | None = field(default=None, repr=False)  # the database password, if not in the URL
    journal_lease: float | None = None  # seconds a shared-journal claim lasts; None: the default (30)
    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    origins: Mapping[str, str] = field(default_factory=dict, repr=False)
    secrets: frozenset[str] = field(default=frozenset(), repr=False)
    setting_names: tuple[str, ...] = field(default=(), repr=False)
    config_file: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "origins", MappingProxyType(dict(self.origins)))

    def secret_names(self) -> frozenset[str]:
        """Names of this provider's secret settings (and of any value read from the credential store)."""
        return self.secrets

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    def require(self, name: str, why: str = "") -> str:
        """The value of `name`, or a ConfigError saying every way to set it."""
        value = self.values.get(name)
        if value:
            return value
        flag = f"--profile {self.profile} " if self.profile and self.profile != DEFAULT_PROFILE else ""
        table = f"[profiles.{self.profile or DEFAULT_PROFILE}]"
        where = f" in {self.config_file}" if self.config_file else ""
        variable = env_var(name, self.provider)
        if name in self.secrets:
            fix = f"run `docrelay {flag}config set-secret {name}` to keep it in the OS credential store"
        else:
            fix = f'run `docrelay {flag}config set {name} VALUE` (or add {name} = "..." to {table}{where})'
        reason = f" ({why})" if why else ""
        raise ConfigError(
            f"Missing {self.provider} setting {name}{reason}",
            hint=f"Set the environment variable {variable}, or {fix}.",
            provider=self.provider,
        )

    def shown(self) -> dict[str, Any]:
        """Everything, secrets masked, for `docrelay config show`; unset settings appear as None."""
        names = list(self.setting_names) + [n for n in self.values if n not in self.setting_names]
        return {
            "provider": self.provider,
            "profile": self.profile,
            "config_file": self.config_file,
            "timeout": self.timeout,
            "ca_bundle": self.ca_bundle,
            "truststore": self.truststore,
            "rate_limit": self.rate_limit,
            "journal": _shown_journal(self.journal),
            "journal_password": MASK if self.journal_password else None,
            "journal_lease": self.journal_lease,
            "settings": {
                n: (MASK if n in self.secrets and self.values.get(n) else self.values.get(n)) for n in names
            },
            "origins": dict(self.origins),
        }

    def __repr__(self) -> str:
        return (
            f"Settings(provider={self.provider!r}, profile={self.profile!r}, timeout={self.timeout!r}, "
            f"ca_bundle={self.ca_bundle!r}, truststore={self.truststore!r}, "
            f"journal={_shown_journal(self.journal)!r}, "
            f"values={self.shown()['settings']!r})"
        )


def resolve_settings(
    provider: str | None = None,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    read_keyring: bool = True,
) -> Settings:
    """Resolve the settings of the provider to use.

    `overrides` are explicit arguments (provider settings, timeout, ca_bundle, truststore; also
    provider/profile when those parameters are None); None values are ignored. `env` defaults to
    os.environ. Raises ConfigError for an unknown provider, profile or setting, or an invalid value.
    With read_keyring=False, `keyring:` references are kept as they are instead of being read from the
    credential store: for display only (`docrelay config show`), never to call a service.
    """
    env = os.environ if env is None else env
    explicit = {k: v for k, v in (overrides or {}).items() if v is not None}
    provider_override, profile_override = explicit.pop("provider", None), explicit.pop("profile", None)
    provider = provider or provider_override
    profile = profile or profile_override

    path = config_file_path(env)
    profile_name, table, profile_origin = select_profile(load_config(path), path, profile, env)
    flat_origin = f"profile {profile_name} ({path})"

    provider_candidates = [
        (provider, "argument"),
        (env.get(PROVIDER_ENV), f"env {PROVIDER_ENV}"),
        (table.get("provider"), flat_origin),
    ]
    chosen = _first(provider_candidates) or (DEFAULT_PROVIDER, "default")
    provider_name = as_text(chosen[0], "provider", chosen[1]) or DEFAULT_PROVIDER
    spec = provider_spec(provider_name, chosen[1])
    _check_explicit_names(explicit, spec)

    sub_table = table.get(spec.name)
    sources = _Sources(
        explicit=explicit,
        handed=handed_over(),
        env=env,
        provider=spec.name,
        flat={k: v for k, v in table.items() if not isinstance(v, dict)},
        sub=sub_table if isinstance(sub_table, dict) else {},
        flat_origin=flat_origin,
        sub_origin=f"profile {profile_name}.{spec.name} ({path})",
    )
    _warn_unknown_keys(table, sources, spec)

    origins: dict[str, str] = {"provider": chosen[1]}
    if profile_name:
        origins["profile"] = profile_origin
    fix_flag = f"--profile {profile_name} " if profile_name and profile_name != DEFAULT_PROFILE else ""
    values, secrets = _provider_values(spec, sources, origins, fix_flag, read_keyring)

    timeout = DEFAULT_TIMEOUT
    origins["timeout"] = "default"
    if found := sources.first("timeout"):
        timeout = parse_timeout(*found)
        origins["timeout"] = found[1]

    truststore = False
    origins["truststore"] = "default"
    if found := sources.first("truststore"):
        truststore = parse_bool(found[0], "truststore", found[1])
        origins["truststore"] = found[1]

    rate_limit = None
    if found := sources.first("rate_limit"):
        rate_limit = parse_rate_limit(*found)
        origins["rate_limit"] = found[1]

    journal, journal_password, journal_lease = _journal_settings(sources, origins, read_keyring)

    ca_bundle = None
    if found := sources.first("ca_bundle"):
        # A relative path in the profile file is relative to that file, elsewhere to the working folder.
        base = path.parent if sources.from_file(found[1]) else Path.cwd()
        ca_bundle = check_ca_bundle(found[0], found[1], base)
        origins["ca_bundle"] = found[1]

    return Settings(
        provider=spec.name,
        profile=profile_name,
        timeout=timeout,
        ca_bundle=ca_bundle,
        truststore=truststore,
        rate_limit=rate_limit,
        journal=journal,
        journal_password=journal_password,
        journal_lease=journal_lease,
        values=values,
        origins=origins,
        secrets=secrets,
        setting_names=spec.settings,
        config_file=str(path),
    )


@dataclass(frozen=True)
class _Sources:
    """The places a setting can come from, highest priority first."""

    explicit: Mapping[str, Any]
    handed: Mapping[str, Any]
    env: Mapping[str, str]
    provider: str
    sub: Mapping[str, Any]
    flat: Mapping[str, Any]
    sub_origin: str
    flat_origin: str

    def first(self, name: str) -> Candidate | None:
        variable = env_var(name, None if name in TUNING_SETTINGS else self.provider)
        return _first(
            [
                (self.explicit.get(name), "argument"),
                (self.handed.get(name), HANDOVER_ORIGIN),
                (self.env.get(variable), f"env {variable}"),
                (self.sub.get(name), self.sub_origin),
                (self.flat.get(name), self.flat_origin),
            ]
        )

    def from_file(self, origin: str) -> bool:
        return origin in (self.sub_origin, self.flat_origin)


def _provider_values(
    spec: ProviderSpec, sources: _Sources, origins: dict[str, str], fix_flag: str, read_keyring: bool
) -> tuple[dict[str, str], frozenset[str]]:
    """The provider's settings (keyring references resolved) and the names to treat as secret."""
    values: dict[str, str] = {}
    secrets = set(spec.secrets)
    for name in spec.settings:
        found = sources.first(name)
        text = as_text(found[0], name, found[1], secret=name in spec.secrets) if found else None
        if found is None or text is None:
            continue
        origin = found[1]
        reference = parse_keyring_reference(text) if sources.from_file(origin) else None
        if reference is not None:
            origin = f"{origin} via keyring:{reference[0]}/{reference[1]}"
            if read_keyring:
                fix = f"run `docrelay {fix_flag}config set-secret {name}` or set {env_var(name, spec.name)}"
                text = read_secret(*reference, setting=name, origin=found[1], fix=fix)
                secrets.add(name)
            else:
                secrets.discard(name)  # the reference itself is no secret; show it
        values[name] = text
        origins[name] = origin

    _apply_fallbacks(spec, sources.env, values, origins)
    for name, default in spec.defaults.items():
        if name not in values:
            values[name] = default
            origins[name] = "default"
    for name in secrets & set(values):
        register_secret(values[name])
    return values, frozenset(secrets)


def _journal_settings(
    sources: _Sources, origins: dict[str, str], read_keyring: bool
) -> tuple[str | None, str | None, float | None]:
    """journal, journal_password (a keyring: reference in the profile file is read) and journal_lease."""
    journal = password = lease = None
    if found := sources.first("journal"):
        journal = as_text(found[0], "journal", found[1])
        origins["journal"] = found[1]
        if journal and "://" in journal:
            from urllib.parse import urlsplit

            with contextlib.suppress(ValueError):  # not a URL after all: opening the journal says so
                register_secret(urlsplit(journal).password)
    if found := sources.first("journal_password"):
        password = as_text(found[0], "journal_password", found[1], secret=True)
        origin = found[1]
        reference = parse_keyring_reference(password) if password and sources.from_file(origin) else None
        if reference is not None:
            origins["journal_password"] = f"{origin} via keyring:{reference[0]}/{reference[1]}"
            fix = "run `docrelay config set-secret journal_password` or set DOCRELAY_JOURNAL_PASSWORD"
            if read_keyring:  # else the reference stays: for display only
                password = read_secret(*reference, setting="journal_password", origin=origin, fix=fix)
        else:
            origins["journal_password"] = origin
        register_secret(password)
    if found := sources.first("journal_lease"):
        lease = parse_lease(*found)
        origins["journal_lease"] = found[1]
    return journal, password, lease


def _shown_journal(journal: str | None) -> str | None:
    return redact_text(journal) if journal else None


def _first(candidates: Iterable[Candidate]) -> Candidate | None:
    """The first candidate with a value; None and blank text count as not set."""
    for value, origin in candidates:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return value, origin
    return None


def _check_explicit_names(explicit: Mapping[str, Any], spec: ProviderSpec) -> None:
    valid = (*spec.settings, *TUNING_SETTINGS)
    for name in explicit:
        if name not in valid:
            raise ConfigError(
                f"Unknown setting {name!r} for provider {spec.name}",
                hint=f"Valid settings: {', '.join(valid)}.",
                provider=spec.name,
            )


def _apply_fallbacks(
    spec: ProviderSpec, env: Mapping[str, str], values: dict[str, str], origins: dict[str, str]
) -> None:
    """Fill settings still missing from the provider's own conventions (e.g. Cradl's SDK variables)."""
    hook = getattr(spec.provider_class, "fallback_settings", None)
    missing = [n for n in spec.settings if n not in values]
    if hook is None or not missing:
        return
    offered: Mapping[str, tuple[Any, str]] = hook(env) or {}
    for name in missing:
        if name in offered:
            raw, origin = offered[name]
            text = as_text(raw, name, origin, secret=name in spec.secrets)
            if text is not None:
                values[name] = text
                origins[name] = origin


def _warn_unknown_keys(table: Mapping[str, Any], sources: _Sources, spec: ProviderSpec) -> None:
    """Log keys no provider knows (probably typos); they are ignored."""
    known = {n for s in static_specs() for n in s.settings} | set(spec.settings) | set(GLOBAL_SETTINGS)
    known.discard("profile")
    providers = set(known_provider_names())
    for key, value in table.items():
        if isinstance(value, dict) and key not in providers:
            log.warning("Ignoring table %r in %s: no provider has that name", key, sources.flat_origin)
        elif not isinstance(value, dict) and key not in known:
            log.warning("Ignoring unknown setting %r in %s", key, sources.flat_origin)
    for key in sources.sub:
        if key not in spec.settings and key not in TUNING_SETTINGS:
            log.warning("Ignoring %r in %s: not a %s setting", key, sources.sub_origin, spec.name)
