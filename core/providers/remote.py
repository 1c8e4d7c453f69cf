"""The plumbing every HTTP provider shares: one HttpClient and one API wrapper, built lazily and once.

Batch workers share a provider instance, so the client is built under a lock (one client, one token
fetch) and carries the instance's shared rate limiter and a pool sized for the workers.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from core.errors import InputError
from core.providers.base import Provider
from core.sources import XML_TYPE, DocumentSource
from core.transport import AuthStrategy, Classifier, HttpClient, RetryPolicy

ApiT = TypeVar("ApiT")


def retry_policy_for(timeout: float | None) -> RetryPolicy:
    """Retries of one call give up with the job's timeout (--timeout, Robot's timeout=), not later."""
    default = RetryPolicy()
    if timeout is None or timeout <= 0:
        return default
    return RetryPolicy(deadline=min(default.deadline, float(timeout)))


class RemoteProvider(Provider, Generic[ApiT]):
    """Subclasses name their URL setting and default, and build their auth and API wrapper."""

    url_setting: ClassVar[str] = "url"
    default_url: ClassVar[str]

    def __init__(self, settings: Mapping[str, Any], *, timeout: float | None = None) -> None:
        super().__init__(settings, timeout=timeout)
        self._http: HttpClient | None = None
        self._api: ApiT | None = None
        self._build_lock = threading.Lock()

    @abstractmethod
    def build_auth(self, http: HttpClient) -> AuthStrategy:
        """The credentials strategy; raise ConfigError naming what is missing."""

    @abstractmethod
    def make_api(self, http: HttpClient) -> ApiT:
        """The service's API wrapper over the built client."""

    def require_service_type(self, source: DocumentSource) -> None:
        """Refuse, before anything is sent, what only the local engine reads (XML e-invoices)."""
        if source.content_type == XML_TYPE:
            raise InputError(
                f"{source.name} is an XML e-invoice, which the {self.name} service does not read",
                hint="Use the local provider (--provider local): it reads UBL and CII e-invoices exactly.",
                provider=self.name,
            )

    def service_url(self) -> str:
        """The API base: the URL setting, else the default (a provider may derive it)."""
        return str(self.settings.get(self.url_setting) or self.default_url)

    def classifier(self) -> Classifier | None:
        """Per-service exceptions to the transport's status rules (e.g. a quota 429)."""
        return None

    @property
    def api(self) -> ApiT:
        if self._api is None:
            with self._build_lock:
                if self._api is None:
                    http = HttpClient(
                        self.service_url(),
                        provider=self.name,
                        ca_bundle=self.settings.get("ca_bundle"),
                        use_truststore=bool(self.settings.get("truststore")),
                        classify=self.classifier(),
                        retry=retry_policy_for(self.timeout),
                        limiter=self.limiter,  # shared by every call and thread, polling included
                        pool_size=self.pool_size,
                    )
                    try:
                        http.auth = self.build_auth(http)
                        self._api = self.make_api(http)
                    except BaseException:
                        http.close()
                        raise
                    self._http = http
        return self._api

    @property
    def http(self) -> HttpClient | None:
        """The built client, if any call has been made."""
        return self._http

    def close(self) -> None:
        with self._build_lock:
            if self._http is not None:
                # Token and login strategies own a client of their own for the token endpoint.
                own_client = getattr(self._http.auth, "http", None)
                if isinstance(own_client, HttpClient):
                    own_client.close()
                self._http.close()
            self._http = None
            self._api = None
