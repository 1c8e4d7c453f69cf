"""TLS trust (CA bundle, OS store) and proxies, against loopback servers and a CA made at test time."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ConfigError, NetworkError
from core.transport import HttpClient, RetryPolicy
from tests.test_transport_support import (
    LoopbackServer,
    Reply,
    TestPki,
    TunnelProxy,
    fast_client,
    free_port,
    make_pki,
)

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARIABLES, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def https_server(pki: TestPki) -> Iterator[LoopbackServer]:
    with LoopbackServer([Reply(200, {"secure": True})], tls=pki.server_context) as server:
        yield server


def test_custom_ca_bundle_is_trusted(pki: TestPki, https_server: LoopbackServer) -> None:
    with HttpClient(https_server.url, provider="svc", ca_bundle=pki.ca_pem) as client:
        assert client.request_json("GET", "/x") == {"secure": True}


def test_unknown_ca_is_a_network_error_with_the_tls_hint(https_server: LoopbackServer) -> None:
    with fast_client(https_server.url) as client, pytest.raises(NetworkError) as caught:
        client.get("/x")
    error = caught.value
    assert error.exit_code == 9
    assert error.message.startswith("Secure connection to 127.0.0.1:")
    assert "certificate could not be verified" in error.message
    for words in ("DOCRELAY_CA_BUNDLE", "DOCRELAY_TRUSTSTORE=1", "HTTPS_PROXY"):
        assert words in error.full_message
    assert "after" not in error.message  # a certificate problem is not retried


def test_ca_bundle_wins_over_requests_ca_bundle(
    pki: TestPki, https_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with HttpClient(https_server.url, provider="svc", ca_bundle=str(pki.ca_pem)) as client:
        assert client.get("/x").status_code == 200


def test_missing_default_ca_file_is_a_network_error_not_a_crash(
    https_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What a frozen exe without certifi's bundle meets; requests raises a bare OSError for it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with fast_client(https_server.url) as client, pytest.raises(NetworkError) as caught:
        client.get("/x")
    assert caught.value.exit_code == 9
    assert "TLS CA certificate bundle" in caught.value.message
    assert "DOCRELAY_CA_BUNDLE" in caught.value.full_message


def test_truststore_uses_the_system_store_plus_the_ca_bundle(
    pki: TestPki, https_server: LoopbackServer
) -> None:
    with fast_client(https_server.url, use_truststore=True) as client, pytest.raises(NetworkError):
        client.get("/x")  # the test CA is not in the system store
    with HttpClient(https_server.url, provider="svc", use_truststore=True, ca_bundle=pki.ca_pem) as client:
        assert client.get("/x").status_code == 200


def test_truststore_is_imported_only_when_enabled() -> None:
    code = (
        "import sys; from core.transport import HttpClient; "
        "HttpClient('https://127.0.0.1:9', provider='svc').close(); "
        "print('truststore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_missing_or_invalid_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    cases = [
        (tmp_path / "missing.pem", "CA bundle not found"),
        (tmp_path, "is a folder"),
        (garbage, "holds no usable certificates"),
    ]
    for bundle, words in cases:
        with pytest.raises(ConfigError) as caught:
            HttpClient("https://127.0.0.1", provider="svc", ca_bundle=bundle)
        assert caught.value.exit_code == 3
        assert words in caught.value.message
        assert "DOCRELAY_CA_BUNDLE" in caught.value.full_message or "PEM" in caught.value.full_message


def test_http_proxy_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer([Reply(200, "via proxy")]) as proxy, LoopbackServer([Reply(200, "direct")]) as target:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with fast_client(target.url) as client:
            assert client.get("/a").text == "via proxy"
        assert proxy.received[0].path == f"{target.url}/a"  # absolute URI: the proxy form
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with fast_client(target.url) as client:
            assert client.get("/b").text == "direct"
        assert [r.path for r in target.received] == ["/b"]


def test_proxy_variables_are_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests would scan the environment on every call; the client reads it once per origin."""
    import urllib.request

    scans: list[int] = []
    real = urllib.request.getproxies_environment

    def counting() -> dict[str, str]:
        scans.append(1)
        return real()

    monkeypatch.setattr(urllib.request, "getproxies_environment", counting)
    monkeypatch.setattr(urllib.request, "getproxies", counting)
    with LoopbackServer([Reply(200, "a")] * 5) as proxy, LoopbackServer([Reply(200, "direct")] * 5) as target:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with fast_client(target.url) as client:
            for n in range(5):
                assert client.get(f"/{n}").text == "a"
        assert len(proxy.received) == 5, "every call still goes through the proxy"
        assert 0 < len(scans) <= 2, f"the environment was scanned {len(scans)} times for 5 calls"


@pytest.mark.parametrize("use_truststore", [False, True])
def test_https_proxy_tunnel_keeps_the_tls_settings(
    pki: TestPki, https_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, use_truststore: bool
) -> None:
    with TunnelProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with fast_client(https_server.url, ca_bundle=pki.ca_pem, use_truststore=use_truststore) as client:
            assert client.request_json("GET", "/x") == {"secure": True}
        assert proxy.targets == [f"127.0.0.1:{https_server.port}"]


def test_unreachable_proxy_is_a_network_error_about_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    with (
        fast_client("http://127.0.0.1:9", retry=RetryPolicy(max_attempts=2)) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.post("/x", data=b"1")
    assert "through the proxy" in caught.value.message
    assert "HTTPS_PROXY" in caught.value.full_message
    assert "after 2 attempts" in caught.value.message  # never reached anything: even a POST is retried
