"""Retries: which failures, how long to wait, deadlines, and the bytes of every attempt."""

from __future__ import annotations

import email.utils
import io
import time
from pathlib import Path
from typing import IO, ClassVar

import pytest

from core._version import __version__
from core.errors import ConfigError, NetworkError, RateLimitError, ServiceError
from core.transport import HttpClient, RetryPolicy
from core.transport.retry import parse_retry_after
from tests.test_transport_support import FakeTime, LoopbackServer, Reply, fast_client, free_port

RETRYABLE = (408, 429, 500, 502, 503, 504)


def test_user_agent_and_default_timeouts() -> None:
    with (
        LoopbackServer([Reply(200, {"ok": True})]) as server,
        HttpClient(server.url, provider="svc") as client,
    ):
        assert client.request_json("GET", "/ping") == {"ok": True}
        assert client.timeouts.connect == 10.0 and client.timeouts.read == 60.0
        assert client.url_for("") == server.url
        assert client.url_for("/a/b") == client.url_for("a/b") == f"{server.url}/a/b"
        assert client.url_for("https://files.example/x?sig=1") == "https://files.example/x?sig=1"
    assert server.received[0].headers["user-agent"] == f"docrelay/{__version__}"
    assert server.received[0].path == "/ping"


@pytest.mark.parametrize("status", RETRYABLE)
def test_get_is_retried_on_every_retryable_status(status: int) -> None:
    fake = FakeTime()
    with (
        LoopbackServer([Reply(status), Reply(200, "fine")]) as server,
        fast_client(server.url, fake) as client,
    ):
        assert client.get("/x").text == "fine"
    assert len(server.received) == 2
    assert len(fake.sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 415, 422])
def test_permanent_statuses_are_not_retried(status: int) -> None:
    with (
        LoopbackServer([Reply(status, {"message": "no"})]) as server,
        fast_client(server.url) as client,
        pytest.raises(Exception) as caught,
    ):
        client.get("/x")
    assert len(server.received) == 1
    assert getattr(caught.value, "status", None) == status


def test_exponential_backoff_then_give_up_with_service_error() -> None:
    fake = FakeTime()
    with (
        LoopbackServer([Reply(503, {"message": "down for maintenance"})]) as server,
        fast_client(server.url, fake) as client,
        pytest.raises(ServiceError) as caught,
    ):
        client.get("/x")
    assert len(server.received) == 4
    assert fake.sleeps == [1.0, 2.0, 4.0]  # rng=1.0: the top of each full-jitter range
    assert caught.value.exit_code == 8
    assert "after 4 attempts" in caught.value.message
    assert "HTTP 503" in caught.value.message and "down for maintenance" in caught.value.message


def test_full_jitter_stays_within_the_capped_range() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0)
    assert policy.backoff(1, lambda: 0.5) == 0.5
    assert policy.backoff(3, lambda: 0.5) == 2.0
    assert policy.backoff(10, lambda: 1.0) == 5.0
    assert policy.backoff(10, lambda: 0.0) == 0.0


def test_parse_retry_after_forms() -> None:
    from requests.structures import CaseInsensitiveDict

    def parse(**headers: str) -> float | None:
        return parse_retry_after(
            CaseInsensitiveDict({k.replace("_", "-"): v for k, v in headers.items()}), now=0
        )

    assert parse(Retry_After="7") == 7.0
    assert parse(Retry_After="1.5") == 1.5
    assert parse(retry_after_ms="250") == 0.25
    assert parse(x_ms_retry_after_ms="2000", Retry_After="9") == 2.0
    assert parse(Retry_After=email.utils.formatdate(30, usegmt=True)) == 30.0
    assert parse(Retry_After=email.utils.formatdate(-30, usegmt=True)) == 0.0
    assert parse(Retry_After="soon") is None
    assert parse(Retry_After="-3") == 0.0
    assert parse() is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500"}, 1.5)],
)
def test_retry_after_replaces_the_backoff(headers: dict[str, str], expected: float) -> None:
    fake = FakeTime()
    with (
        LoopbackServer([Reply(429, headers=headers), Reply(200)]) as server,
        fast_client(server.url, fake) as c,
    ):
        c.get("/x")
    assert fake.sleeps == [expected]


def test_retry_after_as_http_date() -> None:
    fake = FakeTime()
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    with (
        LoopbackServer([Reply(503, headers={"Retry-After": when}), Reply(200)]) as server,
        fast_client(server.url, fake) as client,
    ):
        client.get("/x")
    assert len(fake.sleeps) == 1 and 28.0 <= fake.sleeps[0] <= 31.0


def test_retry_after_beyond_the_deadline_gives_up_at_once() -> None:
    fake = FakeTime()
    retry = RetryPolicy(max_attempts=5, deadline=10)
    with (
        LoopbackServer([Reply(429, {"message": "slow down"}, {"Retry-After": "30"})]) as server,
        fast_client(server.url, fake, retry=retry) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.get("/x")
    assert fake.sleeps == []
    assert len(server.received) == 1
    assert caught.value.retry_after == 30.0
    assert caught.value.exit_code == 7
    assert "wait 30 s" in caught.value.message
    assert "longer than the time left" in caught.value.full_message


def test_backoff_never_sleeps_past_the_deadline() -> None:
    fake = FakeTime()
    retry = RetryPolicy(max_attempts=10, deadline=2.5)
    with (
        LoopbackServer([Reply(502)]) as server,
        fast_client(server.url, fake, retry=retry) as client,
        pytest.raises(ServiceError),
    ):
        client.get("/x")
    assert fake.sleeps == [1.0]  # the next wait (2 s) would end past the deadline
    assert sum(fake.sleeps) <= 2.5
    assert len(server.received) == 2


def test_real_wait_honours_retry_after() -> None:
    with (
        LoopbackServer([Reply(429, headers={"Retry-After": "1"}), Reply(200, "ok")]) as server,
        HttpClient(server.url, provider="svc", retry=RetryPolicy(backoff_base=0.01)) as client,
    ):
        started = time.monotonic()
        assert client.get("/x").text == "ok"
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0
    assert len(server.received) == 2


# -- non-idempotent calls --------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_post_is_not_retried_when_it_may_have_been_processed(status: int) -> None:
    with (
        LoopbackServer([Reply(status)]) as server,
        fast_client(server.url) as client,
        pytest.raises((ServiceError, RateLimitError)),
    ):
        client.post("/documents", json={"name": "a"})
    assert len(server.received) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_post_is_retried_when_the_service_says_it_did_not_process_it(status: int) -> None:
    with LoopbackServer([Reply(status), Reply(201, {"id": 1})]) as server, fast_client(server.url) as client:
        assert client.request_json("POST", "/documents", json={"name": "a"}) == {"id": 1}
    assert len(server.received) == 2
    assert server.received[0].body == server.received[1].body == b'{"name": "a"}'


def test_post_with_retry_after_is_retried() -> None:
    fake = FakeTime()
    with (
        LoopbackServer([Reply(500, headers={"Retry-After": "3"}), Reply(200)]) as server,
        fast_client(server.url, fake) as client,
    ):
        client.post("/x", data=b"abc")
    assert fake.sleeps == [3.0]
    assert len(server.received) == 2


def test_post_marked_idempotent_is_retried_on_500_and_dropped_connections() -> None:
    with (
        LoopbackServer([Reply(500), Reply(action="drop"), Reply(200)]) as server,
        fast_client(server.url) as client,
    ):
        client.post("/x", data=b"abc", idempotent=True, headers={"Idempotency-Key": "k1"})
    assert [r.body for r in server.received] == [b"abc"] * 3


def test_post_is_not_retried_after_a_dropped_connection() -> None:
    with (
        LoopbackServer([Reply(action="drop"), Reply(200)]) as server,
        fast_client(server.url) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.post("/documents", json={"name": "a"})
    assert len(server.received) == 1
    assert caught.value.exit_code == 9
    assert "connection to 127.0.0.1" in caught.value.message and "broke" in caught.value.message


def test_put_is_retried_after_a_dropped_connection() -> None:
    with LoopbackServer([Reply(action="drop"), Reply(200)]) as server, fast_client(server.url) as client:
        client.put("/file", data=b"payload")
    assert [r.body for r in server.received] == [b"payload", b"payload"]


def test_get_is_retried_after_a_truncated_body() -> None:
    with (
        LoopbackServer([Reply(200, b"partial", action="truncate"), Reply(200, b"whole")]) as server,
        fast_client(server.url) as client,
    ):
        assert client.get("/x").content == b"whole"
    assert len(server.received) == 2


def test_post_is_retried_on_a_connect_error() -> None:
    port = free_port()
    started: list[LoopbackServer] = []
    fake = FakeTime()

    def sleep_then_start_server(seconds: float) -> None:
        fake.sleep(seconds)
        if not started:
            started.append(LoopbackServer([Reply(201, {"id": 7})], port=port))

    client = HttpClient(
        f"http://127.0.0.1:{port}",
        provider="svc",
        sleep=sleep_then_start_server,
        clock=fake.clock,
        rng=lambda: 1.0,
    )
    try:
        with client:
            assert client.request_json("POST", "/documents", json={"a": 1}) == {"id": 7}
        assert len(started[0].received) == 1
        assert fake.sleeps == [1.0]
    finally:
        for server in started:
            server.close()


def test_connect_errors_exhausted_give_a_network_error() -> None:
    port = free_port()
    fake = FakeTime()
    with fast_client(f"http://127.0.0.1:{port}", fake) as client, pytest.raises(NetworkError) as caught:
        client.get("/x?token=abc")
    assert len(fake.sleeps) == 3
    assert caught.value.exit_code == 9
    assert f"Could not connect to 127.0.0.1:{port}" in caught.value.message
    assert "refused" in caught.value.message.lower()
    assert "after 4 attempts" in caught.value.message
    assert "token" not in caught.value.message


def test_unknown_host_is_a_network_error() -> None:
    retry = RetryPolicy(max_attempts=1)
    with (
        fast_client("http://docrelay-test.invalid", retry=retry) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.get("/x")
    assert "Could not resolve the host name docrelay-test.invalid" in caught.value.message
    assert "DNS" in caught.value.full_message


def test_invalid_url_is_a_config_error() -> None:
    with fast_client("ftp://example.invalid") as client, pytest.raises(ConfigError) as caught:
        client.get("/x")
    assert caught.value.exit_code == 3
    assert "https://" in caught.value.full_message


def test_read_timeout_is_retried_for_get_and_reported_with_its_length() -> None:
    retry = RetryPolicy(max_attempts=2)
    with (
        LoopbackServer([Reply(200, action="hang", delay=0.6)]) as server,
        fast_client(server.url, retry=retry) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.get("/slow", read_timeout=0.2)
    assert len(server.received) == 2
    assert "did not answer within 0.2 s" in caught.value.message
    assert "--timeout" in caught.value.full_message


def test_read_timeout_is_not_retried_for_post() -> None:
    with (
        LoopbackServer([Reply(200, action="hang", delay=0.6)]) as server,
        fast_client(server.url) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.post("/slow", data=b"x", read_timeout=0.2)
    assert len(server.received) == 1
    assert "did not answer within 0.2 s" in caught.value.message


def test_single_number_timeout_is_the_read_timeout() -> None:
    with LoopbackServer() as server, HttpClient(server.url, provider="svc", timeout=30) as client:
        assert (client.timeouts.connect, client.timeouts.read) == (10.0, 30.0)
    with LoopbackServer() as server, HttpClient(server.url, provider="svc", timeout=(3, 4)) as client:
        assert (client.timeouts.connect, client.timeouts.read) == (3.0, 4.0)


# -- the body of every attempt ---------------------------------------------------------------


class TrackingReader(io.BufferedReader):
    """A file stream that remembers the largest read, to prove the upload was streamed."""

    largest_read: ClassVar[int] = 0
    opened: ClassVar[list[TrackingReader]] = []

    def __init__(self, path: Path) -> None:
        super().__init__(io.FileIO(path, "rb"))
        TrackingReader.opened.append(self)

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        TrackingReader.largest_read = max(TrackingReader.largest_read, len(chunk))
        return chunk


def test_file_stream_upload_sends_the_same_bytes_on_the_second_attempt(tmp_path: Path) -> None:
    content = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "scan.pdf"
    path.write_bytes(content)
    TrackingReader.largest_read = 0
    TrackingReader.opened = []

    def open_file() -> IO[bytes]:
        return TrackingReader(path)

    with LoopbackServer([Reply(503), Reply(200)]) as server, fast_client(server.url) as client:
        client.put("/files/1", body=open_file, headers={"Content-Type": "application/pdf"})
    first, second = server.received
    assert second.body == first.body == content
    assert second.headers["content-length"] == str(len(content))
    assert "transfer-encoding" not in second.headers
    assert 0 < TrackingReader.largest_read < len(content)  # streamed in chunks, never read whole
    assert len(TrackingReader.opened) == 2 and all(stream.closed for stream in TrackingReader.opened)


def test_multipart_upload_sends_the_same_parts_on_the_second_attempt(tmp_path: Path) -> None:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(b"%PDF-1.4 " + b"x" * 50_000)
    handles: list[IO[bytes]] = []

    def parts() -> dict[str, tuple[str, IO[bytes], str]]:
        handle = path.open("rb")
        handles.append(handle)
        return {"document": ("invoice.pdf", handle, "application/pdf")}

    with LoopbackServer([Reply(429), Reply(201)]) as server, fast_client(server.url) as client:
        client.post("/upload", files=parts, data={"inbox": "main"})

    def normalized(index: int) -> bytes:
        received = server.received[index]
        boundary = received.headers["content-type"].split("boundary=")[1].encode()
        return received.body.replace(boundary, b"BOUNDARY")

    assert normalized(1) == normalized(0)
    assert path.read_bytes() in server.received[1].body
    assert b'name="inbox"' in server.received[1].body and b"main" in server.received[1].body
    assert len(handles) == 2 and all(handle.closed for handle in handles)


def test_bytes_factory_is_called_for_every_attempt() -> None:
    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        return b"data"

    with LoopbackServer([Reply(502), Reply(200)]) as server, fast_client(server.url) as client:
        client.put("/x", body=make)
    assert len(calls) == 2
    assert [r.body for r in server.received] == [b"data", b"data"]


def test_unreadable_body_is_an_input_error(tmp_path: Path) -> None:
    from core.errors import InputError

    with LoopbackServer() as server, fast_client(server.url) as client, pytest.raises(InputError) as caught:
        client.put("/x", body=lambda: (tmp_path / "gone.pdf").open("rb"))
    assert caught.value.exit_code == 4
    assert server.received == []
