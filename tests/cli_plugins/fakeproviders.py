"""Providers that fail in each documented way, for the CLI exit-code tests."""

from __future__ import annotations

from core.errors import AuthError, NetworkError, RateLimitError, ServiceError
from core.models import DocumentInfo, JobHandle, ModelInfo, Result, ResultError
from core.providers.base import Capabilities, JobStatus, PredictOptions, Provider
from core.sources import DocumentSource


class _Base(Provider):
    capabilities = Capabilities()
    default_model = "fake"

    def upload(self, source: DocumentSource) -> DocumentInfo:
        return DocumentInfo.from_source(
            source,
            id="d1",
        )

    def start_prediction(
        self, document: DocumentInfo, source: DocumentSource, model: str | None, options: PredictOptions
    ) -> JobHandle:
        return JobHandle(provider=self.name, model=model, document=document, prediction_id="p1")

    def poll(self, job: JobHandle) -> JobStatus:
        return JobStatus(status="succeeded")

    def fetch_result(self, job: JobHandle) -> Result:
        return Result(provider=self.name, model=job.model, status="succeeded", document=job.document)

    def list_models(self) -> list[ModelInfo]:
        return [ModelInfo(id="fake", provider=self.name)]


class Crashing(_Base):
    name = "crashing"

    def upload(self, source: DocumentSource) -> DocumentInfo:
        return {}["a bug"]  # type: ignore[no-any-return]


class NeverDone(_Base):
    name = "never-done"

    def poll(self, job: JobHandle) -> JobStatus:
        return JobStatus(status="pending")


class AuthRefused(_Base):
    name = "auth-refused"

    def upload(self, source: DocumentSource) -> DocumentInfo:
        raise AuthError(
            "The service refused the credentials (401)", hint="Check client_id and client_secret."
        )


class RateLimited(_Base):
    name = "rate-limited"

    def upload(self, source: DocumentSource) -> DocumentInfo:
        raise RateLimitError("Too many requests, still limited after 5 attempts", hint="Lower the rate.")


class ServiceDown(_Base):
    name = "service-down"

    def list_models(self) -> list[ModelInfo]:
        raise ServiceError("The service answered 503 five times", hint="Try again later.")


class Unreachable(_Base):
    name = "unreachable"

    def upload(self, source: DocumentSource) -> DocumentInfo:
        raise NetworkError("Cannot connect to 127.0.0.1:9", hint="Check the URL and your network.")


class JobFails(_Base):
    name = "job-fails"

    def fetch_result(self, job: JobHandle) -> Result:
        return Result(
            provider=self.name,
            model=job.model,
            status="failed",
            document=job.document,
            error=ResultError(type="job_failed", message="document could not be parsed"),
        )
