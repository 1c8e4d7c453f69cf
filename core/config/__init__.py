"""Configuration: explicit argument > handed over on stdin (--secrets-stdin) > environment > profile file >
provider fallbacks > built-in default.

    from core.config import resolve_settings
    settings = resolve_settings(provider="cradl", profile="work", overrides={"timeout": 60})
    client_id = settings.require("client_id", "to get a Cradl access token")

The profile file is docrelay.toml in the user's configuration folder (or DOCRELAY_CONFIG_FILE), with
tables [profiles.NAME] of flat keys and optional [profiles.NAME.PROVIDER] sub-tables whose keys win
for that provider. Importing this package is cheap: keyring, TOML and provider modules load on use.
"""

from __future__ import annotations

from core.config.edit import set_secret, set_value
from core.config.handover import (
    MAX_HANDOVER_BYTES,
    clear_handover,
    parse_handover,
    read_handover_from_fd,
    use_handover,
)
from core.config.resolve import Settings, resolve_settings
from core.config.schema import (
    DEFAULT_TIMEOUT,
    GLOBAL_SETTINGS,
    ProviderSpec,
    env_var,
    known_provider_names,
    provider_spec,
)
from core.config.store import config_file_path
from core.providers import DEFAULT_PROVIDER

__all__ = [
    "DEFAULT_PROVIDER",
    "DEFAULT_TIMEOUT",
    "GLOBAL_SETTINGS",
    "MAX_HANDOVER_BYTES",
    "ProviderSpec",
    "Settings",
    "clear_handover",
    "config_file_path",
    "env_var",
    "known_provider_names",
    "parse_handover",
    "provider_spec",
    "read_handover_from_fd",
    "resolve_settings",
    "set_secret",
    "set_value",
    "use_handover",
]
