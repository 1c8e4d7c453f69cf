"""Redaction of credentials in any text that may reach a log, an error message or an output.

Two nets: every secret value docrelay has loaded is registered and replaced wherever it appears,
and patterns catch credential-shaped text (Authorization headers, bearer tokens, password fields)
whose value was never registered, such as a token a service just issued.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# Keys whose values are secret wherever they appear (settings, headers, JSON bodies, forms).
SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "client_secret",
        "clientsecret",
        "password",
        "access_token",
        "accesstoken",
        "refresh_token",
        "id_token",
        "token",
        "api_key",
        "apikey",
        "x-api-key",
        "authentication_token",
        "secret",
    }
)

_KEY_ALT = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer abc / Basic abc (header lines and reprs of header dicts)
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}"), rf"\1 {MASK}"),
    # "password": "x"  /  'token': 'x'  /  password=x  /  client_secret: x
    (
        re.compile(rf"""(?i)(["']?\b(?:{_KEY_ALT})\b["']?\s*[:=]\s*)(["'])(?:(?!\2).)*\2"""),
        rf"\1\2{MASK}\2",
    ),
    (re.compile(rf"""(?i)(\b(?:{_KEY_ALT})=)[^&\s"',;]+"""), rf"\1{MASK}"),
    # the password of a URL: postgresql://user:password@host/db
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), rf"\1{MASK}@"),
    # JWTs anywhere
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), MASK),
)

_lock = threading.Lock()
_known: set[str] = set()
_known_sorted: list[str] = []

# Shorter values are too likely to match ordinary text; the patterns above still catch them in context.
_MIN_SECRET_LENGTH = 4


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it appears later."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        _known_sorted[:] = sorted(_known, key=len, reverse=True)


def register_secrets(values: Iterable[str | None]) -> None:
    for value in values:
        register_secret(value)


def redact_text(text: str) -> str:
    """Mask registered secrets and credential-shaped text."""
    if not text:
        return text
    for secret in list(_known_sorted):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: str) -> bool:
    return key.lower().replace("-", "_") in SECRET_KEYS or key.lower() in SECRET_KEYS


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with secret-named keys masked, recursively."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if is_secret_key(str(key)) and value not in (None, ""):
            out[key] = MASK
        elif isinstance(value, Mapping):
            out[key] = redact_mapping(value)
        elif isinstance(value, str):
            out[key] = redact_text(value)
        else:
            out[key] = value
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the final message of every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
