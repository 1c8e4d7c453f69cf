"""Credentials go only where they belong (issue 13, items 1 and 23): never along a redirect to another
origin (host, port or scheme), whether they travel in a header or in a login body, and never over plain
http to a host that is not this machine. Two loopback listeners: the configured one redirects, the other
records what reaches it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError
from core.services import Client
from tests.test_transport_support import LoopbackServer, Received, Reply

SECRET = "s3cr3t-value-that-must-stay-home"


@pytest.fixture
def elsewhere() -> Iterator[LoopbackServer]:
    """The listener a redirect points at: it must never see a credential."""
    with LoopbackServer(lambda received: Reply(200, {"ok": True})) as server:
        yield server


def redirecting_to(target: LoopbackServer) -> Callable[[Received], Reply]:
    def reply(received: Received) -> Reply:
        return Reply(307, b"", {"Location": f"{target.url}{received.path}"})

    return reply


def client(provider: str, tmp_path: Path, **settings: Any) -> Client:
    return Client(provider, settings=settings, env={"DOCRELAY_CONFIG_FILE": str(tmp_path / "none.toml")})


def assert_nothing_leaked(elsewhere: LoopbackServer) -> None:
    for received in elsewhere.received:
        shown = str(received.headers) + received.body.decode("utf-8", "replace")
        assert SECRET not in shown and "authorization" not in received.headers
    assert elsewhere.received == []  # refused before the second request was sent at all


CASES = {
    "contract.fit X-API-Key header": ("contractfit", lambda url: {"url": url, "api_key": SECRET}),
    "contract.fit login password": (
        "contractfit",
        lambda url: {"url": url, "username": "robot", "password": SECRET, "auth_method": "jwt"},
    ),
    "Cradl form login client_secret": (
        "cradl",
        lambda url: {
            "api_url": url,
            "auth_url": f"{url}/oauth2/token?audience=https://api.example",
            "client_id": "robot",
            "client_secret": SECRET,
        },
    ),
    "DeepOpinion login password": (
        "deepopinion",
        lambda url: {"url": url, "email": "robot@example.com", "password": SECRET},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_credential_follows_a_redirect_to_another_origin(
    case: str, tmp_path: Path, elsewhere: LoopbackServer
) -> None:
    provider, settings = CASES[case]
    with LoopbackServer(redirecting_to(elsewhere)) as configured:
        with (
            client(provider, tmp_path, **settings(configured.url)) as c,
            pytest.raises(ConfigError) as refused,
        ):
            c.models()
        assert configured.received, "the configured service was asked"
    assert "redirect" in refused.value.message and str(elsewhere.port) in refused.value.message
    assert refused.value.exit_code == 3
    assert_nothing_leaked(elsewhere)


def test_a_redirect_within_the_configured_origin_is_followed(tmp_path: Path) -> None:
    def reply(received: Received) -> Reply:
        if received.path.startswith("/moved"):
            return Reply(200, [{"id": 1, "name": "Invoices", "project": None}])
        return Reply(307, b"", {"Location": f"/moved{received.path}"})

    with (
        LoopbackServer(reply) as configured,
        client("contractfit", tmp_path, url=configured.url, api_key=SECRET) as c,
    ):
        c.models()
        assert [r.headers.get("x-api-key") for r in configured.received] == [SECRET, SECRET]


@pytest.mark.parametrize(
    ("provider", "settings"),
    [
        ("contractfit", {"url": "http://contractfit.example.com/api", "api_key": SECRET}),
        ("cradl", {"api_url": "http://api.example.com/v1", "access_token": SECRET}),
        (
            "cradl",
            {"auth_url": "http://auth.example.com/oauth2/token", "client_id": "x", "client_secret": SECRET},
        ),
        ("deepopinion", {"url": "http://do.example.com", "email": "a@b.c", "password": SECRET}),
    ],
)
def test_no_credential_over_plain_http_to_another_machine(
    provider: str, settings: dict[str, str], tmp_path: Path
) -> None:
    with client(provider, tmp_path, **settings) as c, pytest.raises(ConfigError) as refused:
        c.models()
    assert "plain http" in refused.value.message and "https://" in refused.value.full_message
    assert SECRET not in refused.value.full_message


def test_plain_http_to_this_machine_is_allowed(tmp_path: Path) -> None:
    with (
        LoopbackServer([Reply(200, [])]) as local,
        client("contractfit", tmp_path, url=f"http://localhost:{local.port}", api_key=SECRET) as c,
    ):
        assert c.models() == []
        assert local.received[0].headers["x-api-key"] == SECRET
