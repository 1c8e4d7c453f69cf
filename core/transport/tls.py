"""TLS trust: the default certifi bundle, a custom CA bundle, or the operating system's store.

Certificate checks are never switched off. Behind a company proxy that inspects HTTPS, users either
point `ca_bundle` (DOCRELAY_CA_BUNDLE) at their company's CA file or set `use_truststore`
(DOCRELAY_TRUSTSTORE=1) to trust what Windows/macOS/Linux trust. truststore is imported only then.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError

if TYPE_CHECKING:
    from requests.adapters import HTTPAdapter

TLS_HINT = (
    "If a company proxy or firewall inspects HTTPS, set DOCRELAY_CA_BUNDLE to your company's CA "
    "certificate file (PEM) or DOCRELAY_TRUSTSTORE=1 to use the system certificate store; check "
    "HTTPS_PROXY/NO_PROXY too. `docrelay doctor` tests the connection"
)


def validate_ca_bundle(ca_bundle: str | os.PathLike[str]) -> str:
    """The bundle's path as a string, after checking that it is a readable PEM file of certificates."""
    path = Path(ca_bundle).expanduser()
    shown = str(ca_bundle)
    if not path.exists():
        raise ConfigError(
            f"CA bundle not found: {shown}",
            hint="Set ca_bundle (DOCRELAY_CA_BUNDLE) to an existing PEM file, or unset it.",
        )
    if path.is_dir():
        raise ConfigError(
            f"CA bundle {shown} is a folder, not a file",
            hint="Point ca_bundle (DOCRELAY_CA_BUNDLE) at a PEM file of CA certificates.",
        )
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"CA bundle {shown} holds no usable certificates",
            hint="Export your company's root CA as Base-64 (PEM) and point ca_bundle at that file.",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"Cannot read CA bundle {shown}: {exc.strerror or exc}", hint="Check the file's permissions."
        ) from exc
    return str(path)


def system_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """An SSL context that trusts the operating system's store (plus `ca_bundle` if given)."""
    try:
        import truststore
    except ImportError as exc:  # pragma: no cover - a declared dependency; only a broken install lacks it
        raise ConfigError(
            "use_truststore is set but the truststore package is not installed",
            hint="Reinstall docrelay (pip install docrelay) or unset DOCRELAY_TRUSTSTORE.",
        ) from exc
    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def ssl_context_adapter(context: ssl.SSLContext, *, pool_size: int) -> HTTPAdapter:
    """An HTTPAdapter whose connections (direct and through proxies) use `context`."""
    from requests.adapters import HTTPAdapter

    class _ContextAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            proxy_kwargs["ssl_context"] = context
            return super().proxy_manager_for(proxy, **proxy_kwargs)

    return _ContextAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
