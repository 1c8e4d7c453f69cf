"""The state every keyword component of robot_library.DocRelay shares: the import arguments and the
providers configured so far in this run (one `ProviderSession` each), and which one is current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.errors import UsageError
from core.models import JobHandle
from core.polling import PollingOptions
from core.services import Client
from robot_library._support import DocRelayFailure, seconds


@dataclass
class ProviderSession:
    """One configured provider (its client) and the default model the keywords use with it."""

    client: Client
    model: str | None = None


class LibraryContext:
    """Import arguments, and the provider sessions opened from them (or by `Use Provider`)."""

    def __init__(
        self,
        *,
        provider: str | None,
        profile: str | None,
        timeout: timedelta | None,
        model: str | None,
        poll_interval: timedelta | None,
        settings: dict[str, Any],
    ) -> None:
        self.provider = provider or None
        self.profile = profile or None
        self.timeout = timeout
        self.model = model or None
        self.poll_interval = poll_interval
        self.settings = settings
        self.sessions: dict[str, ProviderSession] = {}
        self.current: str | None = None

    def is_import_provider(self, key: str) -> bool:
        return bool(self.provider) and str(self.provider).strip().lower() == key

    def open(
        self,
        provider: str | None,
        *,
        profile: str | None,
        timeout: timedelta | None,
        model: str | None,
        settings: dict[str, Any],
    ) -> ProviderSession:
        """A new current session for `provider` (replacing that provider's earlier one)."""
        client = Client(
            provider,
            profile=profile or self.profile,
            timeout=seconds(timeout if timeout is not None else self.timeout),
            settings=settings,
            polling=self.polling(),
        )
        return self.keep(client, model or None)

    def polling(self) -> PollingOptions | None:
        interval = seconds(self.poll_interval, "poll interval")
        if interval is None:
            return None
        return PollingOptions(initial_delay=interval, factor=1.5, max_interval=max(interval, 15.0))

    def keep(self, client: Client, model: str | None) -> ProviderSession:
        """Make `client` the current session of its provider (closing the one it replaces)."""
        name = client.provider_name
        previous = self.sessions.get(name)
        if previous is not None:
            previous.client.close()
        session = ProviderSession(client, model)
        self.sessions[name] = session
        self.current = name
        return session

    def session(self) -> ProviderSession:
        """The current provider; the first call configures it from the import arguments."""
        if self.current is None:
            return self.open(
                self.provider, profile=None, timeout=None, model=self.model, settings=self.settings
            )
        return self.sessions[self.current]

    def session_for_job(self, job: str) -> tuple[ProviderSession, JobHandle]:
        """The session of the provider a job handle belongs to (configured from the environment and
        profile file if this run has not used that provider yet), and the decoded handle."""
        try:
            handle = JobHandle.decode(job)
        except UsageError:
            raise DocRelayFailure(
                f"That is not a docrelay job handle: {job[:40]!r}. Pass the value that Submit Document "
                "returned, or the one in a timeout's message (it starts with 'drjob1.')"
            ) from None
        current = self.session()
        if handle.provider == current.client.provider_name:
            return current, handle
        session = self.sessions.get(handle.provider)
        if session is None:
            active = self.current
            client = Client.for_job(
                handle,
                profile=handle.profile or self.profile,
                timeout=seconds(self.timeout),
                polling=self.polling(),
            )
            session = self.keep(client, None)
            self.current = active
        return session, handle

    def close_all(self) -> None:
        for session in self.sessions.values():
            session.client.close()
        self.sessions.clear()
        self.current = None

    def session_for_provider(self, provider: str, profile: str | None = None) -> ProviderSession:
        """The session of `provider` (a review or document may belong to another provider than the
        current one), configured from the environment and profile file if not used yet; the current
        provider stays current."""
        current = self.session()
        if provider == current.client.provider_name:
            return current
        session = self.sessions.get(provider)
        if session is None:
            active = self.current
            client = Client(
                provider,
                profile=profile or self.profile,
                timeout=seconds(self.timeout),
                polling=self.polling(),
            )
            session = self.keep(client, None)
            self.current = active
        return session


class Component:
    """Base of the keyword components: what they share is `context`."""

    context: LibraryContext
