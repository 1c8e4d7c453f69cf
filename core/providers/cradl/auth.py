"""Cradl's two token endpoints and the ready-token mode.

- Legacy (`auth.lucidtech.ai`): `POST ?grant_type=client_credentials` with HTTP Basic client credentials.
- Cradl app (`auth.cradl.ai`, Kinde): a form with grant_type, client_id, client_secret and audience.

The style follows the token URL's host; an `audience=` query parameter on the URL also selects the form
style with that audience (for self-hosted or test identity providers).
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.errors import AuthError, InputError, ServiceError
from core.redact import register_secret
from core.transport import HttpClient, IssuedToken, TokenAuth

log = logging.getLogger("docrelay.cradl")

FORM_STYLE_HOSTS = ("auth.cradl.ai", "auth.lucidtech.io", "kinde.com")
DEFAULT_AUDIENCE = "https://api.cradl.ai/v1"
# The identity provider of the Cradl app (Kinde) sometimes answers a good request with 400; the
# official SDK tries 4 times (waits 1, 2, 4 s) before it gives up. So do we, then call it refused.
BAD_REQUEST_WAITS = (1.0, 2.0, 4.0)


def token_request_style(auth_url: str) -> tuple[str, str | None, str]:
    """("basic" | "form", audience, URL without the audience parameter)."""
    parts = urlsplit(auth_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    audience = next((v for k, v in query if k == "audience"), None)
    kept = urlencode([(k, v) for k, v in query if k != "audience"])
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, kept, parts.fragment))
    host = (parts.hostname or "").lower()
    if audience or any(host == h or host.endswith("." + h) for h in FORM_STYLE_HOSTS):
        return "form", audience or DEFAULT_AUDIENCE, url
    return "basic", None, url


class CradlClientCredentials(TokenAuth):
    """Client credentials exchanged for a bearer token, renewed 60 s before it expires."""

    # The spec documents 403 (not 401) for a refused token: renew on either, once.
    refresh_statuses = (401, 403)

    def __init__(
        self,
        token_client: HttpClient,
        client_id: str,
        client_secret: str,
        *,
        margin: float = 60,
        bad_request_waits: tuple[float, ...] = BAD_REQUEST_WAITS,
    ) -> None:
        super().__init__(margin=margin)
        self.bad_request_waits = bad_request_waits
        register_secret(client_secret)
        self.http = token_client
        self.client_id = client_id
        self._client_secret = client_secret
        self.style, self.audience, _ = token_request_style(token_client.base_url)

    def fetch_token(self) -> IssuedToken:
        if self.style == "form":
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "audience": self.audience or DEFAULT_AUDIENCE,
            }
            reply = self._call(data=form, headers={})
        else:
            pair = base64.b64encode(f"{self.client_id}:{self._client_secret}".encode()).decode("ascii")
            register_secret(pair)
            reply = self._call(
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {pair}"},
            )
        token = reply.get("access_token")
        if not isinstance(token, str) or not token:
            raise ServiceError(
                "The Cradl token endpoint answered without an access_token",
                hint="Check auth_url: it must be the OAuth2 token endpoint of your Cradl app.",
                provider="cradl",
            )
        expires_in = reply.get("expires_in")
        return IssuedToken(
            token, expires_in=float(expires_in) if isinstance(expires_in, (int, float)) else None
        )

    def _call(self, *, data: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        for wait in self.bad_request_waits:
            try:
                return self._call_once(data=data, headers=headers)
            except AuthError as exc:
                if exc.status != 400:
                    raise
                log.info("cradl: the token endpoint answered 400; asking again in %.1f s", wait)
                time.sleep(wait)
        return self._call_once(data=data, headers=headers)

    def _call_once(self, *, data: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        try:
            reply = self.http.request_json(
                "POST",
                "",
                params={"grant_type": "client_credentials"} if self.style == "basic" else None,
                data=data,
                headers=headers,
                idempotent=True,  # asking for a token twice is harmless
                send_auth=False,
                credentials=True,  # the client secret is in the body or the Basic header
            )
        except AuthError as exc:
            raise AuthError(
                "Cradl refused the client credentials",
                hint="Check client_id and client_secret (docrelay config show --provider cradl), "
                "and that auth_url matches your Cradl app.",
                provider="cradl",
                status=exc.status,
            ) from None
        except InputError as exc:  # a form-style identity provider answers 400 invalid_client
            raise AuthError(
                f"Cradl refused the token request: {exc.message}",
                hint="Check client_id, client_secret and auth_url.",
                provider="cradl",
                status=exc.status,
            ) from None
        return reply if isinstance(reply, dict) else {}
