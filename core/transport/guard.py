"""Credentials only where they belong: the configured origin, over https (or plain http on this machine).

requests strips only `Authorization` when a redirect leaves the host, and keeps the body of a 307/308;
an API key header or a login body would follow the redirect anywhere. So a call that carries a credential
(an auth header, or a secret in its body such as a login) refuses any redirect to another scheme, host or
port before it is followed, and refuses plain http to any host but this machine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from core.errors import ConfigError

if TYPE_CHECKING:
    import requests

Origin = tuple[str, str, int | None]
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Header names that carry a credential whoever set them (a strategy or the caller).
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})


def origin_of(url: str) -> Origin:
    """(scheme, host, port) with the default port filled in, so https://h and https://h:443 are one."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def has_credential_header(headers: Mapping[str, str]) -> bool:
    return any(name.lower() in CREDENTIAL_HEADERS for name in headers)


def check_secure_target(url: str, *, provider: str) -> None:
    """ConfigError when a credential would go over plain http to another machine."""
    scheme, host, _ = origin_of(url)
    if scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"Refused to send {provider} credentials over plain http to {host}: anyone on the way could "
            "read them",
            hint=f"Use the https:// address of the service (plain http is allowed only for this machine, "
            f"e.g. http://127.0.0.1); check the URL settings of {provider}",
            provider=provider,
        )


def redirect_guard(configured: str, *, provider: str) -> Callable[..., None]:
    """A requests response hook that raises ConfigError on a redirect leaving `configured`'s origin,
    before requests follows it (hooks run on every response, redirects included, before the next hop)."""
    home = origin_of(configured)

    def guard(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        location = response.headers.get("location")
        if not response.is_redirect or not location:
            return
        target = urljoin(response.url, location)
        if origin_of(target) != home:
            response.close()
            scheme, host, port = origin_of(target)
            raise CrossOriginRedirect(
                f"{provider} redirected a call that carries credentials to another address "
                f"({scheme}://{host}:{port}); docrelay does not send credentials there",
                hint="Configure the service's final https:// address directly (the URL settings); if the "
                "redirect is expected, ask the service's administrator which address to use",
                provider=provider,
                status=response.status_code,
            )

    return guard


class CrossOriginRedirect(ConfigError):
    """A redirect of an authenticated call to another origin; raised from inside requests."""
