"""Auth strategies, token caching and renewal, the 401 refresh, and secrets kept out of logs and errors."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time

import pytest

from core.errors import AuthError
from core.transport import (
    BasicAuth,
    BearerToken,
    HeaderApiKey,
    HttpClient,
    IssuedToken,
    RetryPolicy,
    TokenAuth,
)
from core.transport.auth import jwt_expiry
from tests.test_transport_support import LoopbackServer, Received, Reply, fast_client


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLXBhcnQ"


class CountingTokens(TokenAuth):
    """Issues tok-1, tok-2, ... like a token endpoint would."""

    def __init__(self, *, expires_in: float | None = 3600, delay: float = 0.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.expires_in = expires_in
        self.delay = delay

    def fetch_token(self) -> IssuedToken:
        time.sleep(self.delay)
        return IssuedToken(f"tok-{self.fetch_count + 1}-abcdef", expires_in=self.expires_in)


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def test_static_strategies_set_their_headers() -> None:
    with LoopbackServer() as server:
        for auth, (name, value) in [
            (BearerToken("abc-token"), ("authorization", "Bearer abc-token")),
            (HeaderApiKey("key-123"), ("x-api-key", "key-123")),
            (
                HeaderApiKey("key-123", header="Authorization", prefix="Token"),
                ("authorization", "Token key-123"),
            ),
            (
                BasicAuth("user", "pa55word"),
                ("authorization", "Basic " + base64.b64encode(b"user:pa55word").decode()),
            ),
        ]:
            with fast_client(server.url, auth=auth) as client:
                client.get("/x")
            assert server.received[-1].headers[name] == value


def test_credentials_go_only_to_the_base_urls_host_unless_asked() -> None:
    with (
        LoopbackServer() as api,
        LoopbackServer() as files,
        fast_client(api.url, auth=BearerToken("abc-token")) as client,
    ):
        client.put(f"{files.url}/file/1", data=b"x")
        client.put(f"{files.url}/file/2", data=b"x", send_auth=True)
        client.get("/same-host")
    assert "authorization" not in files.received[0].headers
    assert files.received[1].headers["authorization"] == "Bearer abc-token"
    assert api.received[0].headers["authorization"] == "Bearer abc-token"


def test_token_is_fetched_lazily_cached_and_renewed_ahead_of_expiry() -> None:
    clock = Clock()
    auth = CountingTokens(expires_in=3600, clock=clock)
    assert auth.fetch_count == 0
    with LoopbackServer() as server, fast_client(server.url, auth=auth) as client:
        client.get("/a")
        clock.now += 3539  # 61 s before expiry: still good
        client.get("/b")
        assert auth.fetch_count == 1
        clock.now += 2  # inside the 60 s margin
        client.get("/c")
    assert auth.fetch_count == 2
    tokens = [r.headers["authorization"] for r in server.received]
    assert tokens == ["Bearer tok-1-abcdef", "Bearer tok-1-abcdef", "Bearer tok-2-abcdef"]


def test_jwt_exp_counts_when_sooner_than_expires_in() -> None:
    token = _jwt({"exp": int(time.time()) + 600, "sub": "bot"})
    assert jwt_expiry(token) == pytest.approx(time.time() + 600, abs=2)
    assert jwt_expiry("not-a-jwt") is None
    clock = Clock()
    auth = TokenAuth(fetch=lambda: IssuedToken(token, expires_in=3600), clock=clock)
    auth.token()
    clock.now += 530
    auth.token()
    assert auth.fetch_count == 1
    clock.now += 20  # 50 s before the JWT exp
    auth.token()
    assert auth.fetch_count == 2


def test_short_lived_tokens_are_renewed_halfway_not_on_every_call() -> None:
    clock = Clock()
    auth = CountingTokens(expires_in=30, clock=clock)
    auth.token()
    clock.now += 14
    auth.token()
    assert auth.fetch_count == 1
    clock.now += 2
    auth.token()
    assert auth.fetch_count == 2


def test_concurrent_workers_fetch_the_token_once() -> None:
    auth = CountingTokens(delay=0.05)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(auth.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert auth.fetch_count == 1
    assert set(results) == {"tok-1-abcdef"}


def test_401_renews_the_token_and_retries_once() -> None:
    auth = CountingTokens()
    with (
        LoopbackServer([Reply(401), Reply(200, "ok")]) as server,
        fast_client(server.url, auth=auth) as client,
    ):
        assert client.post("/documents", json={}).text == "ok"  # safe for a POST: it was refused
    assert auth.fetch_count == 2
    assert [r.headers["authorization"] for r in server.received] == [
        "Bearer tok-1-abcdef",
        "Bearer tok-2-abcdef",
    ]


def test_401_after_the_refresh_is_an_auth_error() -> None:
    auth = CountingTokens()
    with (
        LoopbackServer([Reply(401, {"message": "Unauthorized"})]) as server,
        fast_client(server.url, auth=auth) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get("/x")
    assert len(server.received) == 2
    assert caught.value.exit_code == 5 and caught.value.status == 401


def test_401_with_a_static_token_fails_at_once() -> None:
    with (
        LoopbackServer([Reply(401)]) as server,
        fast_client(server.url, auth=BearerToken("abc-token")) as client,
        pytest.raises(AuthError),
    ):
        client.get("/x")
    assert len(server.received) == 1


def test_401_refresh_is_shared_by_concurrent_workers() -> None:
    def reply(received: Received) -> Reply:
        time.sleep(0.05)  # let every worker send the old token first
        return Reply(401) if "tok-1" in received.headers["authorization"] else Reply(200)

    auth = CountingTokens()
    auth.token()
    errors: list[BaseException] = []
    with LoopbackServer(reply) as server, fast_client(server.url, auth=auth) as client:

        def work() -> None:
            try:
                client.get("/x")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert auth.fetch_count == 2
    assert len(server.received) >= 5  # one success per worker plus at least one refusal


class FormTokenAuth(TokenAuth):
    """The pattern a provider follows: a token client (a sibling of the API client) and fetch_token()."""

    def __init__(self, token_client: HttpClient, client_secret: str) -> None:
        super().__init__()
        self.http = token_client
        self._secret = client_secret

    def fetch_token(self) -> IssuedToken:
        reply = self.http.request_json("POST", "", data={"client_secret": self._secret}, idempotent=True)
        return IssuedToken(reply["access_token"], expires_in=reply["expires_in"])


def test_token_strategy_on_a_sibling_client() -> None:
    grant = Reply(200, {"access_token": "issued-token-1234", "expires_in": 3600})
    with LoopbackServer([grant]) as token_server, LoopbackServer() as api_server:
        api = fast_client(api_server.url, timeout=(3, 7), retry=RetryPolicy(max_attempts=2))
        token_client = api.sibling(f"{token_server.url}/oauth2/token")
        assert (token_client.timeouts, token_client.retry) == (api.timeouts, api.retry)
        assert token_client.auth is None and token_client.limiter is None
        api.auth = FormTokenAuth(token_client, "cs-secret-value")
        with api, token_client:
            api.get("/models")
            api.get("/models")
    assert [r.path for r in token_server.received] == ["/oauth2/token"]
    assert token_server.received[0].body == b"client_secret=cs-secret-value"
    assert [r.headers["authorization"] for r in api_server.received] == ["Bearer issued-token-1234"] * 2


def test_token_endpoint_refusal_is_an_auth_error() -> None:
    with (
        LoopbackServer([Reply(401, {"error": "invalid_client"})]) as token_server,
        LoopbackServer() as api,
        fast_client(token_server.url) as token_client,
        fast_client(api.url, auth=FormTokenAuth(token_client, "cs-secret-value")) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get("/models")
    assert "invalid_client" in caught.value.message
    assert api.received == []


# -- secrets never in logs or errors ------------------------------------------------------------

SECRET_TOKEN = "tkn-Zq81-secret-value-907"
SECRET_PASSWORD = "pw-Hx42-very-secret"


def test_secrets_never_appear_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    fetched = "fetched-Yb55-token-value"

    def echo(received: Received) -> Reply:  # a service that quotes the credentials it refused
        credential = received.headers["authorization"].split(" ", 1)[1]
        return Reply(401, {"message": f"invalid token {credential}"})

    caplog.set_level(logging.DEBUG, logger="docrelay")
    errors: list[AuthError] = []
    with LoopbackServer(echo) as server:
        for auth in (
            BearerToken(SECRET_TOKEN),
            BasicAuth("bot", SECRET_PASSWORD),
            TokenAuth(fetch=lambda: IssuedToken(fetched, expires_in=3600)),
        ):
            with fast_client(server.url, auth=auth, retry=RetryPolicy(max_attempts=2)) as client:
                with pytest.raises(AuthError) as caught:
                    client.get(f"/docs?token={SECRET_TOKEN}&X-Amz-Signature=sig-abcdef&page=2")
                errors.append(caught.value)
    basic = base64.b64encode(f"bot:{SECRET_PASSWORD}".encode()).decode()
    http_lines = [r.getMessage() for r in caplog.records if r.name == "docrelay.http"]
    assert any("GET" in line and "-> 401" in line and "page=2" in line for line in http_lines)
    texts = [caplog.text, *http_lines]
    for error in errors:
        texts += [str(error), error.full_message, json.dumps(error.to_dict())]
        assert "invalid token ***" in error.message
    for text in texts:
        for secret in (SECRET_TOKEN, SECRET_PASSWORD, fetched, basic, "sig-abcdef"):
            assert secret not in text


def test_redaction_filter_is_installed_on_the_docrelay_handlers() -> None:
    from core.redact import RedactingFilter

    handler = logging.StreamHandler()
    logger = logging.getLogger("docrelay")
    logger.addHandler(handler)
    try:
        with LoopbackServer() as server, fast_client(server.url):
            pass
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger("docrelay.http").filters)
    finally:
        logger.removeHandler(handler)
