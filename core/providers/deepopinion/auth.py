"""DeepOpinion Studio authentication: a JWT from `POST /auth/login`, or a token the user gives.

The Studio API reference shows the token both as `Authorization: Bearer <jwt>` and as the bare token,
so the header form is a setting, named and read as for contract.fit: `token_prefix` is the word before
the token (`Bearer` by default), and `none` (or `raw`) sends the bare token. A 401 makes the
transport call `refresh()` once: with an email and password we log in again and the request is sent
once more; with only a given token there is nothing to renew and the 401 stands.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import AuthError, ConfigError, InputError, ServiceError
from core.redact import register_secret
from core.transport import HttpClient, IssuedToken, TokenAuth

LOGIN_PATH = "/auth/login"
DEFAULT_TOKEN_PREFIX = "Bearer"
_RAW_PREFIX_WORDS = ("none", "raw")


def token_prefix(value: object) -> str | None:
    """The `token_prefix` setting checked: the word before the token, or None for the bare token."""
    text = str(value or DEFAULT_TOKEN_PREFIX).strip()
    if text.lower() in _RAW_PREFIX_WORDS:
        return None
    if not text or any(c.isspace() for c in text):
        raise ConfigError(
            f"Invalid DeepOpinion token_prefix {value!r}",
            hint="Use one word such as Bearer (the default), or none to send the bare token.",
            provider="deepopinion",
        )
    return text


class LoginRefused(AuthError):
    """The email and password were refused: said once, not wrapped again by the call that needed them."""


class DeepopinionAuth(TokenAuth):
    """A given token first (if any); otherwise, and after a 401, a login with email and password."""

    def __init__(
        self,
        login_client: HttpClient | None,
        *,
        email: str | None = None,
        password: str | None = None,
        token: str | None = None,
        prefix: str | None = DEFAULT_TOKEN_PREFIX,
        margin: float = 60,
    ) -> None:
        super().__init__(margin=margin)
        if password:
            register_secret(password)
        if token:
            register_secret(token)
        self.http = login_client
        self.email = email
        self._password = password
        self._given_token = token
        self._given_used = False
        self.prefix = prefix
        self.login_count = 0

    @property
    def can_login(self) -> bool:
        return bool(self.http is not None and self.email and self._password)

    def header(self, token: str) -> tuple[str, str]:
        return "Authorization", (f"{self.prefix} {token}" if self.prefix else token)

    def refresh(self, sent_headers: Mapping[str, str]) -> bool:
        # Without a way to log in, sending the same refused token again cannot help.
        return self.can_login and super().refresh(sent_headers)

    def fetch_token(self) -> IssuedToken:
        if self._given_token and (not self._given_used or not self.can_login):
            self._given_used = True
            return IssuedToken(self._given_token)
        return self.login()

    def login(self) -> IssuedToken:
        """`POST /auth/login` with the email and password; the reply's `auth_token`."""
        assert self.http is not None and self.email and self._password
        self.login_count += 1
        try:
            reply = self.http.request_json(
                "POST",
                LOGIN_PATH,
                json={"email": self.email, "password": self._password},
                idempotent=True,  # logging in twice is harmless
                send_auth=False,
                credentials=True,  # the password is in the body
            )
        except (AuthError, InputError) as exc:
            said = exc.message.partition("): ")[2] or exc.message  # the service's own words
            raise LoginRefused(
                f"DeepOpinion refused the login of {self.email} (HTTP {exc.status}): {said}",
                hint="Check email and password (`docrelay config show --provider deepopinion`); "
                "a new password is set with `docrelay config set-secret password --stdin`.",
                provider="deepopinion",
                status=exc.status,
                request_id=exc.request_id,
            ) from None
        token = reply.get("auth_token") if isinstance(reply, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise ServiceError(
                "DeepOpinion answered the login without an auth_token",
                hint="Check url: it must be the Studio API (e.g. https://api.deepopinion.ai).",
                provider="deepopinion",
            )
        return IssuedToken(token.strip())
