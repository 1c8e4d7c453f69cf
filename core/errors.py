"""One error hierarchy for every layer; each class carries the exit code of CONTRACT section 5.

Every message says what went wrong and what to do next. Messages are redacted before they are
stored, so an error can be printed or logged anywhere.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DocRelayError(Exception):
    """Base of every error docrelay raises on purpose."""

    exit_code: ClassVar[int] = 1
    type: ClassVar[str] = "internal_error"
    # Every further document would meet this error too (settings, credentials, quota): a run over many
    # documents stops at it instead of failing each one.
    stops_run: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        provider: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        from core.hints import word
        from core.redact import redact_text
        from core.sources import displayable

        # displayable: a file name with undecodable bytes must not break JSON or UTF-8 output.
        # word: hints name arguments in the words of the front end that runs (core.hints).
        self.message = displayable(redact_text(word(message)))
        self.hint = displayable(redact_text(word(hint))) if hint else None
        self.provider = provider
        self.status = status
        self.request_id = request_id
        self.details = details or {}
        super().__init__(self.full_message)

    @property
    def full_message(self) -> str:
        """The message followed by what to do next, as one or two sentences."""
        if self.hint:
            return f"{self.message.rstrip('.')}. {self.hint}"
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The `error` object of the CLI's JSON envelope."""
        out: dict[str, Any] = {
            "type": self.type,
            "message": self.full_message,
            "exit_code": self.exit_code,
        }
        if self.provider:
            out["provider"] = self.provider
        if self.status is not None:
            out["http_status"] = self.status
        if self.request_id:
            out["request_id"] = self.request_id
        if self.details:
            out["details"] = self.details
        return out


class InternalError(DocRelayError):
    """A bug in docrelay; the message says so and where the log is."""


class UsageError(DocRelayError):
    exit_code = 2
    type = "usage_error"


class JournalError(UsageError):
    """The batch journal cannot be used as it is (damaged, or a row docrelay does not understand).
    The message says how to recover; nothing is sent while it stands."""

    type = "journal_error"
    stops_run = True  # every further document would meet the same journal


class ConfigError(DocRelayError):
    exit_code = 3
    type = "config_error"
    stops_run = True


class InputError(DocRelayError):
    exit_code = 4
    type = "input_error"


class AuthError(DocRelayError):
    exit_code = 5
    type = "auth_error"
    stops_run = True


class NotFoundError(DocRelayError):
    exit_code = 6
    type = "not_found"


class RateLimitError(DocRelayError):
    """Too many requests; still limited after the retries."""

    exit_code = 7
    type = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class QuotaExceededError(RateLimitError):
    """The plan's quota is used up: retrying cannot help, so it is never retried."""

    type = "quota_exceeded"
    stops_run = True


class ServiceError(DocRelayError):
    """The service failed (5xx after retries) or gave an answer we cannot use."""

    exit_code = 8
    type = "service_error"


class JobFailedError(ServiceError):
    """The service accepted the document but reported that processing failed."""

    type = "job_failed"


class NetworkError(DocRelayError):
    """The service could not be reached: DNS, connection, proxy or TLS."""

    exit_code = 9
    type = "network_error"


class UnreachableError(NetworkError):
    """Nothing reached the service: DNS, a refused or timed-out connection, the proxy, or TLS."""


class JournalUnavailableError(NetworkError):
    """The journal's database could not be reached (or went away) during a batch: the batch stops, since
    every further document would need it; what was journaled is kept and nothing is paid twice."""

    stops_run = True  # every further document would need the journal too (read by the batch steps)


class JobTimeoutError(DocRelayError):
    """The job did not finish in time; `job` is the handle to resume with."""

    exit_code = 10
    type = "timeout"

    def __init__(self, message: str, *, job: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job = job

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.job:
            out["job"] = self.job
        return out


class BatchFailedError(DocRelayError):
    """A run over many documents finished but some failed; `details` holds the run's whole output
    (summary and each document's result, with its error)."""

    exit_code = 11
    type = "batch_failed"

    @classmethod
    def raise_if_any(cls, summary: dict[str, int], details: dict[str, Any]) -> None:
        """Raise with `details` when `summary` (core.models.summarize) counts a failed document."""
        if summary["failed"]:
            raise cls(
                f"{summary['failed']} of {summary['total']} documents failed",
                hint="Each failure's error is in data.results; fix those documents and run again.",
                details=details,
            )


class Interrupted(DocRelayError):
    """Stopped by the user (Ctrl+C); what finished is kept, and running the same command again resumes."""

    exit_code = 130
    type = "interrupted"


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "internal error (a bug: the message says so and where the log is)",
    2: "usage error",
    3: "configuration error (missing or invalid settings or credentials)",
    4: "input error (file missing, unreadable, empty, unsupported, too large)",
    5: "authentication or permission refused (401/403)",
    6: "not found (model, document, job)",
    7: "rate limit or quota exhausted",
    8: "service error (5xx after retries, or the service reported the job failed)",
    9: "network or TLS error",
    10: "timeout: the job did not finish in time; the output still carries the job handle",
    11: "batch finished, some documents failed (per-document errors in the output)",
    130: "interrupted (Ctrl+C); run the same command again to resume",
}


def error_class_for_type(error_type: str | None) -> type[DocRelayError]:
    """The error class whose `type` is `error_type` (InternalError when unknown)."""
    stack: list[type[DocRelayError]] = [DocRelayError]
    while stack:
        cls = stack.pop()
        if cls.type == error_type:
            return cls
        stack.extend(cls.__subclasses__())
    return InternalError
