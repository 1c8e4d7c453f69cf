"""What the HTTP session carries from one call to the next, and what it must never add on its own.

A service behind a sticky load balancer sets a cookie and expects it back; a `.netrc` entry for the
service's host must not replace the credentials docrelay was configured with (requests would send it
as Basic auth in place of the Authorization header); the session's own headers and the caller's
merge, the caller's winning. Loopback servers record what arrived.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.transport import BearerToken, HttpClient
from tests.test_transport_support import LoopbackServer, Received, Reply


def test_a_cookie_the_service_sets_goes_back_on_later_calls() -> None:
    def reply(received: Received) -> Reply:
        if received.path == "/first":
            return Reply(200, {"ok": True}, {"Set-Cookie": "AWSALB=node-7; Path=/"})
        return Reply(200, {"ok": True})

    with LoopbackServer(reply) as server, HttpClient(server.url, provider="testsvc") as http:
        http.request_json("GET", "/first")
        http.request_json("GET", "/second")
        http.request_json("POST", "/third", json={"a": 1})
    assert "cookie" not in server.received[0].headers
    assert [r.headers.get("cookie") for r in server.received[1:]] == ["AWSALB=node-7", "AWSALB=node-7"]


def test_a_netrc_entry_for_the_host_never_replaces_the_configured_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-for-docrelay\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with (
        LoopbackServer([Reply(200, {"ok": True})]) as server,
        HttpClient(server.url, provider="testsvc", auth=BearerToken("the-token")) as http,
    ):
        http.request_json("GET", "/models")
        http.request_json("GET", "/models", send_auth=False)
    assert server.received[0].headers["authorization"] == "Bearer the-token"
    assert "authorization" not in server.received[1].headers


def test_the_callers_headers_win_over_the_sessions_and_the_session_adds_its_own() -> None:
    with (
        LoopbackServer([Reply(200, {"ok": True})]) as server,
        HttpClient(server.url, provider="testsvc", headers={"X-Team": "finance"}) as http,
    ):
        http.request_json("GET", "/a", headers={"Accept": "application/pdf"}, params={"q": "x y", "n": 2})
    sent = server.received[0]
    assert sent.path == "/a?q=x+y&n=2"
    assert sent.headers["accept"] == "application/pdf"
    assert sent.headers["x-team"] == "finance"
    assert sent.headers["user-agent"].startswith("docrelay/")
