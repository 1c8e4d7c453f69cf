"""Providers registered by name; each is imported only when it is used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from core.errors import ConfigError
from core.hints import setting

if TYPE_CHECKING:
    from core.providers.base import Provider

# name -> "module:Class"; later providers add one line here and nothing elsewhere.
_REGISTRY: dict[str, str] = {
    "local": "core.providers.local:LocalProvider",
    "cradl": "core.providers.cradl:CradlProvider",
    "contractfit": "core.providers.contractfit:ContractfitProvider",
    "deepopinion": "core.providers.deepopinion:DeepopinionProvider",
}

DEFAULT_PROVIDER = "local"


def provider_names() -> list[str]:
    return sorted(_REGISTRY)


def register(name: str, target: str) -> None:
    """Register a provider class given as "module:Class" (for plug-ins and tests)."""
    _REGISTRY[name] = target


def provider_class(name: str) -> type[Provider]:
    key = (name or "").strip().lower()
    if key not in _REGISTRY:
        raise ConfigError(
            f"Unknown provider {name!r}",
            hint=f"Use one of: {', '.join(provider_names())} ({setting('provider')} or DOCRELAY_PROVIDER).",
        )
    module_name, _, class_name = _REGISTRY[key].partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module_name), class_name)
    return cls
