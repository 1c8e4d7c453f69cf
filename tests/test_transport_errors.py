"""Mapping HTTP failures to core.errors, and the provider's classify hook."""

from __future__ import annotations

import pytest
import requests

from core.errors import (
    AuthError,
    InputError,
    NotFoundError,
    QuotaExceededError,
    RateLimitError,
    ServiceError,
)
from core.transport import DO_NOT_RETRY, RETRY, RetryDecision, RetryPolicy
from core.transport.retry import Classification
from tests.test_transport_support import FakeTime, LoopbackServer, Reply, fast_client

ONE_TRY = RetryPolicy(max_attempts=1)


def _fail(reply: Reply, *, method: str = "GET", retry: RetryPolicy = ONE_TRY) -> Exception:
    with (
        LoopbackServer([reply]) as server,
        fast_client(server.url, retry=retry) as client,
        pytest.raises(Exception) as caught,
    ):
        client.request(method, "/v1/documents?apiKey=hidden")
    return caught.value


def test_400_is_an_input_error_with_the_service_message_and_request_id() -> None:
    error = _fail(Reply(400, {"message": "contentType not supported"}, {"x-request-id": "req-123"}))
    assert isinstance(error, InputError) and error.exit_code == 4
    assert error.message.startswith("testsvc refused the request (HTTP 400, GET 127.0.0.1:")
    assert "/v1/documents): contentType not supported" in error.message
    assert "hidden" not in error.message and "apiKey" not in error.message
    assert (error.provider, error.status, error.request_id) == ("testsvc", 400, "req-123")
    assert error.to_dict()["http_status"] == 400 and error.to_dict()["request_id"] == "req-123"


def test_422_with_a_detail_list_and_415_with_plain_text() -> None:
    error = _fail(Reply(422, {"detail": [{"msg": "field required", "loc": ["body", "name"]}]}))
    assert isinstance(error, InputError) and error.message.endswith(": field required")
    error = _fail(Reply(415, "Image Recognition Error"))
    assert isinstance(error, InputError) and error.message.endswith(": Image Recognition Error")


def test_nested_error_object_and_amazon_request_id() -> None:
    error = _fail(
        Reply(400, {"error": {"code": "X", "message": "bad page range"}}, {"x-amzn-RequestId": "amz-9"})
    )
    assert "bad page range" in str(error)
    assert getattr(error, "request_id", None) == "amz-9"


def test_html_bodies_are_summarized_and_empty_bodies_handled() -> None:
    page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000
    error = _fail(Reply(502, page, {"Content-Type": "text/html"}))
    assert isinstance(error, ServiceError) and error.exit_code == 8
    assert error.message.endswith(": an HTML page: 502 Bad Gateway")
    error = _fail(Reply(404))
    assert isinstance(error, NotFoundError) and error.exit_code == 6
    assert error.message.endswith(": (empty response)")


def test_long_service_messages_are_shortened() -> None:
    error = _fail(Reply(400, {"message": "word " * 500}))
    said = str(error).split("): ", 1)[1]
    assert len(said) < 400 and "…" in said


@pytest.mark.parametrize(("status", "words"), [(401, "refused the credentials"), (403, "refused access")])
def test_401_and_403_are_auth_errors(status: int, words: str) -> None:
    error = _fail(Reply(status, {"message": "Forbidden"}))
    assert isinstance(error, AuthError) and error.exit_code == 5
    assert words in error.message


def test_413_is_an_input_error_about_size() -> None:
    error = _fail(Reply(413, "Request Entity Too Large"))
    assert isinstance(error, InputError) and "too large" in error.message


def test_unexpected_4xx_is_a_service_error() -> None:
    error = _fail(Reply(409, {"message": "conflict"}))
    assert isinstance(error, ServiceError) and "HTTP 409" in error.message


@pytest.mark.parametrize("status", [408, 429])
def test_rate_limit_exhausted_is_a_rate_limit_error_with_retry_after(status: int) -> None:
    retry = RetryPolicy(max_attempts=2)
    error = _fail(Reply(status, {"message": "Too Many Requests"}, {"Retry-After": "2"}), retry=retry)
    assert type(error) is RateLimitError and error.exit_code == 7
    assert error.retry_after == 2.0
    assert "after 2 attempts" in error.message and "Too Many Requests" in error.message


def test_5xx_exhausted_is_a_service_error() -> None:
    error = _fail(Reply(500, {"message": "boom"}), retry=RetryPolicy(max_attempts=3))
    assert isinstance(error, ServiceError) and "after 3 attempts" in error.message


# -- the classify hook -------------------------------------------------------------------------


def cradl_like_classify(response: requests.Response) -> Classification:
    if response.status_code == 429 and "Limit Exceeded" in response.text:
        return QuotaExceededError(
            "The monthly quota of the Cradl plan is used up",
            hint="Upgrade the plan or wait for the next month; retrying does not help",
        )
    return None


def test_classify_hook_turns_a_quota_429_into_quota_exceeded_with_one_request() -> None:
    fake = FakeTime()
    reply = Reply(429, {"message": "Limit Exceeded"}, {"Retry-After": "1", "x-request-id": "q-1"})
    with (
        LoopbackServer([reply]) as server,
        fast_client(server.url, fake, classify=cradl_like_classify) as client,
        pytest.raises(QuotaExceededError) as caught,
    ):
        client.post("/predictions", json={"documentId": "d"})
    assert len(server.received) == 1
    assert fake.sleeps == []
    error = caught.value
    assert error.exit_code == 7 and error.type == "quota_exceeded"
    assert (error.provider, error.status, error.request_id) == ("testsvc", 429, "q-1")


def test_classify_hook_leaves_a_rate_429_to_the_standard_retry() -> None:
    replies = [Reply(429, {"message": "Too Many Requests"}), Reply(200, {"ok": 1})]
    with LoopbackServer(replies) as server, fast_client(server.url, classify=cradl_like_classify) as client:
        assert client.request_json("GET", "/models") == {"ok": 1}
    assert len(server.received) == 2


def test_classify_can_forbid_and_force_retries() -> None:
    def classify(response: requests.Response) -> Classification:
        if response.status_code == 503:
            return DO_NOT_RETRY
        if response.status_code == 200 and response.text == "not yet":
            return RetryDecision(retry=True, after=0.5)
        if response.status_code == 409:
            return RETRY
        return None

    with (
        LoopbackServer([Reply(503)]) as server,
        fast_client(server.url, classify=classify) as client,
        pytest.raises(ServiceError),
    ):
        client.get("/x")
    assert len(server.received) == 1

    fake = FakeTime()
    replies = [Reply(200, "not yet"), Reply(409), Reply(200, "done")]
    with LoopbackServer(replies) as server, fast_client(server.url, fake, classify=classify) as client:
        assert client.post("/x").text == "done"  # RETRY counts as safe even for a POST
    assert fake.sleeps == [0.5, 2.0]


def test_ok_statuses_are_returned_instead_of_raised() -> None:
    with LoopbackServer([Reply(404)]) as server, fast_client(server.url) as client:
        assert client.delete("/documents/1", ok_statuses=(404,)).status_code == 404


def test_request_json_empty_and_non_json_bodies() -> None:
    with (
        LoopbackServer([Reply(204), Reply(200, "<html>login</html>")]) as server,
        fast_client(server.url) as c,
    ):
        assert c.request_json("DELETE", "/x") is None
        with pytest.raises(ServiceError) as caught:
            c.request_json("GET", "/y")
    assert "not JSON" in caught.value.message
