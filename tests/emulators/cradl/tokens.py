"""Access tokens of the Cradl emulator: JWT-shaped (HS256, emulator-local key) so that clients that
read `exp` or the claims the `cradl` SDK expects find them, and checkable without shared state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Literal

TokenState = Literal["ok", "expired", "invalid"]
ORGANIZATION_ID = "las:organization:emulator"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self, audience: str) -> None:
        self._key = secrets.token_bytes(32)
        self.audience = audience

    def issue(self, client_id: str, ttl: float) -> str:
        now = time.time()
        claims = {
            "iss": "cradl-emulator",
            "sub": client_id,
            "aud": self.audience,
            "iat": int(now),
            "exp": int(now + ttl),
            "exp_precise": now + ttl,  # `exp` is whole seconds; tests use sub-second lifetimes
            "scope": "api.lucidtech.ai/documents:read api.lucidtech.ai/documents:write",
            "external_app_client_id": client_id,
            "external_organization_id": ORGANIZATION_ID,
            "jti": secrets.token_hex(8),
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}.{self._sign(header, payload)}"

    def check(self, token: str) -> TokenState:
        claims = self.claims(token)
        if claims is None:
            return "invalid"
        return "ok" if time.time() < float(claims.get("exp_precise", claims["exp"])) else "expired"

    def claims(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(parts[2], self._sign(parts[0], parts[1])):
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        return claims if isinstance(claims, dict) and "exp" in claims else None

    def _sign(self, header: str, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
