"""Authentication strategies: small objects the HTTP client asks for credentials on every attempt.

`apply(headers)` adds the credentials; after a 401 the client calls `refresh(sent_headers)` once and,
if it returns True, sends the request once more. Every secret a strategy holds or obtains is
registered with core.redact, so it is masked in any log line or error message.

For a service that issues tokens, subclass `TokenAuth` and implement `fetch_token()`; caching,
renewal ahead of expiry, thread safety and the 401 refresh come with the base class.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field

from core.redact import register_secret


class AuthStrategy:
    """Base of the strategies; the default refuses to refresh (a 401 then fails at once)."""

    # The statuses after which `refresh` is offered (once per call); some services answer 403.
    refresh_statuses: tuple[int, ...] = (401,)

    def apply(self, headers: MutableMapping[str, str]) -> None:
        """Add credentials to the headers of one attempt."""

    def refresh(self, sent_headers: Mapping[str, str]) -> bool:
        """Called after a 401 to the request sent with `sent_headers`. True: send it once more."""
        return False


class NoAuth(AuthStrategy):
    """No credentials (token endpoints, pre-signed URLs)."""


class BearerToken(AuthStrategy):
    """A ready-made token sent as `Authorization: Bearer <token>`; it cannot be renewed."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("token must not be empty")
        register_secret(token)
        self._token = token

    def apply(self, headers: MutableMapping[str, str]) -> None:
        headers["Authorization"] = f"Bearer {self._token}"


class HeaderApiKey(AuthStrategy):
    """An API key in a header: `<header>: <prefix> <key>` (no prefix: the key alone)."""

    def __init__(self, api_key: str, *, header: str = "X-Api-Key", prefix: str | None = None) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        register_secret(api_key)
        self._value = f"{prefix} {api_key}" if prefix else api_key
        self.header = header

    def apply(self, headers: MutableMapping[str, str]) -> None:
        headers[self.header] = self._value


class BasicAuth(AuthStrategy):
    """HTTP Basic: `Authorization: Basic base64(username:password)`."""

    def __init__(self, username: str, password: str) -> None:
        register_secret(password)
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        register_secret(encoded)
        self._header = f"Basic {encoded}"

    def apply(self, headers: MutableMapping[str, str]) -> None:
        headers["Authorization"] = self._header


@dataclass(frozen=True)
class IssuedToken:
    """A token a service issued; `expires_in` in seconds when the service says."""

    value: str = field(repr=False)
    expires_in: float | None = None


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim (epoch seconds) of a JWT, read without verifying it; None if not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


class TokenAuth(AuthStrategy):
    """Base for strategies that fetch a token: lazy, cached in memory, renewed `margin` seconds before
    it expires (by `expires_in` or the JWT `exp`, whichever is sooner), fetched once for all threads.

    Subclasses implement `fetch_token()` (usually one call through their own `HttpClient`, which
    raises core.errors classes) and may override `header()` for a scheme other than Bearer. A plain
    function works too: `TokenAuth(fetch=lambda: IssuedToken(...))`.
    """

    def __init__(
        self,
        *,
        fetch: Callable[[], IssuedToken] | None = None,
        margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self.margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at: float | None = None
        self.fetch_count = 0

    def fetch_token(self) -> IssuedToken:
        """Obtain a new token from the service."""
        if self._fetch is None:
            raise NotImplementedError("subclasses implement fetch_token() or pass fetch=")
        return self._fetch()

    def header(self, token: str) -> tuple[str, str]:
        return "Authorization", f"Bearer {token}"

    def token(self) -> str:
        """The current token, fetched or renewed first when needed."""
        with self._lock:
            now = self._clock()
            if self._token is None or (self._renew_at is not None and now >= self._renew_at):
                self._store(self.fetch_token(), now)
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        with self._lock:
            self._token = None
            self._renew_at = None

    def apply(self, headers: MutableMapping[str, str]) -> None:
        name, value = self.header(self.token())
        headers[name] = value

    def refresh(self, sent_headers: Mapping[str, str]) -> bool:
        with self._lock:
            # Only drop the token that was refused: when another worker already renewed it, reuse theirs.
            if self._token is not None and self._token_in(sent_headers, self._token):
                self._token = None
                self._renew_at = None
        return True

    def _token_in(self, headers: Mapping[str, str], token: str) -> bool:
        name, value = self.header(token)
        return any(k.lower() == name.lower() and v == value for k, v in headers.items())

    def _store(self, issued: IssuedToken, now: float) -> None:
        if not issued.value:
            raise ValueError("fetch_token() returned an empty token")
        register_secret(issued.value)
        self.fetch_count += 1
        expiries = [now + issued.expires_in] if issued.expires_in is not None else []
        exp = jwt_expiry(issued.value)
        if exp is not None:
            # The JWT exp is wall-clock time; convert it to this strategy's clock.
            expiries.append(now + (exp - time.time()))
        self._token = issued.value
        if expiries:
            expires_at = min(expiries)
            lifetime = max(0.0, expires_at - now)
            # A token shorter-lived than twice the margin is renewed halfway, not on every call.
            self._renew_at = expires_at - min(self.margin, lifetime / 2)
        else:
            self._renew_at = None
