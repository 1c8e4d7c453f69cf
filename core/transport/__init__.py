"""The HTTP transport under every remote provider: one `HttpClient` per provider client.

Like azure-core's pipeline, but smaller: each concern is a small object the client composes —
`Timeouts`, a `RetryPolicy`, an `AuthStrategy`, TLS trust (`ca_bundle` / `use_truststore`), an optional
shared `Limiter`, and an optional `classify` hook. Failures come out as core.errors classes.

How a provider builds its client (settings are the CONTRACT section 3 names)::

    from core.errors import QuotaExceededError
    from core.transport import BearerToken, HttpClient, IssuedToken, RetryPolicy, TokenAuth
    from core.transport import scaled_read_timeout

    def classify(response):                       # optional: per-service exceptions to the rules
        if response.status_code == 429 and "Limit Exceeded" in response.text:
            return QuotaExceededError("The monthly quota is used up", hint="...")   # raised, never retried
        return None                               # None: standard handling (or RETRY / DO_NOT_RETRY)

    api = HttpClient(
        settings["api_url"],                      # base_url; request paths are relative to it
        provider="cradl",                         # named in every error message
        auth=BearerToken(token),                  # or HeaderApiKey(key, header=, prefix=), BasicAuth(user,
                                                  #    password), a TokenAuth (below); None: none
        timeout=settings.get("timeout"),          # one number = read timeout; (connect, read); Timeouts()
        ca_bundle=settings.get("ca_bundle"),      # DOCRELAY_CA_BUNDLE; a missing file is a ConfigError
        use_truststore=settings.get("truststore", False),   # DOCRELAY_TRUSTSTORE=1: the OS trust store
        retry=RetryPolicy(max_attempts=5, deadline=180),     # optional; these are the defaults
        limiter=shared_limiter,                   # optional; one RateLimiter(rate) per provider, shared
        classify=classify,
    )
    with api:
        doc = api.request_json("POST", "/documents", json={"name": name})          # not retried unless safe
        api.put(doc["fileUrl"], body=source.open_stream, send_auth=True,            # body factory: a fresh
                headers={"Content-Type": source.content_type},                      # stream per attempt
                read_timeout=scaled_read_timeout(source.size))

Per call: `idempotent=True` lets a POST be retried like a PUT (idempotency key, token request);
`send_auth` (default: only for base_url's host) sends credentials to another host such as a file URL;
`ok_statuses=(404,)` returns those responses instead of raising; `deadline=` bounds one call's retries;
`body=` / `files=` are factories, called once per attempt, so a retry never sends an empty stream.

A token endpoint gets its own client with the same TLS and retry settings; the strategy only says
how to ask for a token (caching, renewal 60 s ahead of expiry, one fetch for all threads and the
re-authentication after a 401 come from TokenAuth)::

    class MyTokenAuth(TokenAuth):
        def __init__(self, token_client: HttpClient, client_id: str, client_secret: str) -> None:
            super().__init__(margin=60)
            register_secret(client_secret)
            self.http, self.client_id, self.client_secret = token_client, client_id, client_secret

        def fetch_token(self) -> IssuedToken:
            reply = self.http.request_json("POST", "", data={...}, idempotent=True)  # "" = the token URL
            return IssuedToken(reply["access_token"], expires_in=reply.get("expires_in"))

    api = HttpClient(settings["api_url"], provider="cradl", ...)           # without auth first, then
    api.auth = MyTokenAuth(api.sibling(settings["auth_url"]), client_id, client_secret)

Importing this package is cheap; `requests` is imported when an HttpClient is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers only: at run time __getattr__ imports these on first use
    from core.transport.auth import AuthStrategy, BasicAuth, BearerToken, HeaderApiKey, IssuedToken, TokenAuth
    from core.transport.client import HttpClient, scaled_read_timeout
    from core.transport.failures import describe_target, service_message
    from core.transport.retry import DO_NOT_RETRY, RETRY, Classifier, RetryDecision, RetryPolicy

# The package's surface: what providers build their clients from. Anything else is imported from its
# own module (core.transport.retry, .ratelimit, .tls, ...).
__all__ = [
    "DO_NOT_RETRY",
    "RETRY",
    "AuthStrategy",
    "BasicAuth",
    "BearerToken",
    "Classifier",
    "HeaderApiKey",
    "HttpClient",
    "IssuedToken",
    "RetryDecision",
    "RetryPolicy",
    "TokenAuth",
    "describe_target",
    "scaled_read_timeout",
    "service_message",
]
_MODULES = ("auth", "client", "failures", "retry")


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        for module in _MODULES:
            value = getattr(importlib.import_module(f"core.transport.{module}"), name, None)
            if value is not None:
                return value
    raise AttributeError(f"module 'core.transport' has no attribute {name!r}")
