"""The three ways contract.fit accepts credentials, and the choice between them.

- API key: `X-API-Key: <key>` (the `POST /auth/api-key` description). Never the `api_key=` query
  parameter the same text allows: query strings end up in proxy and server logs.
- HTTP Basic: username and password on every request (the spec's `basic` scheme).
- JWT: `POST /auth {username, password}` -> `{authentication_token}`, then
  `Authorization: <prefix> <jwt>` (the spec's `token` scheme). The prefix is not documented:
  `Bearer` by default, `token_prefix=none` sends the bare token. A 401 logs in once more and
  retries the request once (TokenAuth and the HttpClient do that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import AuthError, ConfigError, InputError, ServiceError
from core.redact import register_secret
from core.transport import AuthStrategy, BasicAuth, HeaderApiKey, HttpClient, IssuedToken, TokenAuth

API_KEY_HEADER = "X-API-Key"
DEFAULT_TOKEN_PREFIX = "Bearer"
AUTH_METHODS = ("api_key", "jwt", "basic")
_RAW_PREFIX_WORDS = ("none", "raw")

_CREDENTIALS_HINT = (
    "Set DOCRELAY_CONTRACTFIT_API_KEY (recommended for bots: a key scoped to one inbox), or "
    "DOCRELAY_CONTRACTFIT_USERNAME and DOCRELAY_CONTRACTFIT_PASSWORD; or store them with "
    "`docrelay config set-secret api_key --stdin --provider contractfit`"
)


def token_prefix(value: str | None) -> str | None:
    """The word before the JWT in `Authorization`; None sends the token alone."""
    text = (value or DEFAULT_TOKEN_PREFIX).strip()
    if text.lower() in _RAW_PREFIX_WORDS:
        return None
    if not text or any(c.isspace() for c in text):
        raise ConfigError(
            f"Invalid contract.fit token_prefix {value!r}",
            hint="Use one word such as Bearer (the default), or none to send the bare token.",
            provider="contractfit",
        )
    return text


class ContractfitLogin(TokenAuth):
    """A JWT from `POST /auth`, fetched on first use, renewed before its `exp` and after a 401."""

    def __init__(self, login_client: HttpClient, username: str, password: str, prefix: str | None) -> None:
        super().__init__(margin=60)
        register_secret(password)
        self.http = login_client
        self.username = username
        self._password = password
        self.prefix = prefix

    def header(self, token: str) -> tuple[str, str]:
        return "Authorization", f"{self.prefix} {token}" if self.prefix else token

    def fetch_token(self) -> IssuedToken:
        try:
            reply = self.http.request_json(
                "POST",
                "/auth",
                json={"username": self.username, "password": self._password},
                idempotent=True,  # logging in twice is harmless
                send_auth=False,
                credentials=True,  # the password is in the body
            )
        except (AuthError, InputError) as exc:
            raise AuthError(
                f"contract.fit refused the username and password of {self.username!r}: {exc.message}",
                hint="Check username and password (`docrelay config show --provider contractfit`), "
                "or use an API key (DOCRELAY_CONTRACTFIT_API_KEY)",
                provider="contractfit",
                status=exc.status,
            ) from None
        token = reply.get("authentication_token") if isinstance(reply, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise ServiceError(
                "contract.fit answered the login (POST /auth) without an authentication_token",
                hint="Check that url points at the contract.fit API (it ends in /api)",
                provider="contractfit",
            )
        return IssuedToken(token.strip())


def describe_credentials(settings: Mapping[str, Any]) -> str:
    """Which credentials will be used, without any secret (for `docrelay doctor`)."""
    method = auth_method(settings)
    if method == "api_key":
        return f"an API key in the {API_KEY_HEADER} header"
    if method == "basic":
        return f"HTTP Basic as {settings.get('username')!r}"
    prefix = token_prefix(settings.get("token_prefix"))
    sent = f"'{prefix} <token>'" if prefix else "the bare token"
    return f"a JWT from POST /auth for {settings.get('username')!r}, sent as {sent}"


def auth_method(settings: Mapping[str, Any]) -> str:
    """`auth_method` if set, else api_key when a key is configured, else jwt."""
    chosen = str(settings.get("auth_method") or "").strip().lower().replace("-", "_")
    if chosen and chosen not in AUTH_METHODS:
        raise ConfigError(
            f"Unknown contract.fit auth_method {settings.get('auth_method')!r}",
            hint=f"Use one of {', '.join(AUTH_METHODS)}, or leave it unset to choose by the credentials set.",
            provider="contractfit",
        )
    if chosen:
        return chosen
    return "api_key" if settings.get("api_key") else "jwt"


def build_auth(settings: Mapping[str, Any], http: HttpClient) -> AuthStrategy:
    """The strategy for these settings, or a ConfigError that says which setting is missing."""
    method = auth_method(settings)
    if method == "api_key":
        key = settings.get("api_key")
        if not key:
            raise ConfigError(
                "contract.fit needs credentials: api_key is not set",
                hint=_CREDENTIALS_HINT,
                provider="contractfit",
            )
        return HeaderApiKey(str(key), header=API_KEY_HEADER)
    username, password = settings.get("username"), settings.get("password")
    if not username or not password:
        missing = "username" if not username else "password"
        raise ConfigError(
            f"contract.fit needs credentials: {missing} is not set",
            hint=_CREDENTIALS_HINT,
            provider="contractfit",
        )
    if method == "basic":
        return BasicAuth(str(username), str(password))
    prefix = token_prefix(settings.get("token_prefix"))
    # The login is a call to the same API, so it shares the API's pacing.
    login_client = http.sibling(http.base_url, limiter=http.limiter)
    return ContractfitLogin(login_client, str(username), str(password), prefix)
