"""Keywords that choose a provider and ask it about itself: Use Provider, List Models, Run Doctor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from robot_library._context import Component
from robot_library._support import (
    DocRelayFailure,
    Secret,
    Stopwatch,
    keyword_call,
    log_json,
    one_line,
    plain_settings,
    robot_value,
)


class ProviderKeywords(Component):
    """Choosing the provider, and what it offers."""

    # -- configuration ---
    @keyword
    def use_provider(
        self,
        name: str,
        *,
        profile: str | None = None,
        timeout: timedelta | None = None,
        model: str | None = None,
        **settings: Secret | str,
    ) -> None:
        """Switch to provider ``name`` (``local``, ``cradl``, ``contractfit``, ``deepopinion``) for the
        keywords that follow.

        ``settings`` are that provider's settings (see `Providers and configuration`); ``profile``,
        ``timeout`` and ``model`` default to the import arguments. Without any of them, a provider used
        earlier in the run is switched back to with the settings it had. The settings are checked now;
        the service is contacted by the first keyword that needs it.

        | Use Provider    cradl    client_id=${CLIENT_ID}    client_secret=${CLIENT_SECRET}
        | ...             model=las:model:invoice    timeout=2 min
        | Use Provider    local
        | Use Provider    contractfit    api_key=${CONTRACTFIT_KEY}    inbox=invoices
        """
        key = name.strip().lower()
        with keyword_call():
            plain = plain_settings(settings)
            changed = bool(plain or profile or timeout is not None or model)
            if not changed and key in self.context.sessions:
                self.context.current = key
            elif self.context.is_import_provider(key):  # the import arguments' settings, updated by these
                self.context.open(
                    key,
                    profile=profile,
                    timeout=timeout,
                    model=model or self.context.model,
                    settings={**self.context.settings, **plain},
                )
            else:
                self.context.open(key, profile=profile, timeout=timeout, model=model, settings=plain)
            session = self.context.session()
            where = f", profile {session.client.settings.profile}" if session.client.settings.profile else ""
            default_model = f", default model {session.model}" if session.model else ""
            logger.info(f"Using provider {session.client.provider_name}{where}{default_model}")

    # -- service information ---------------------------------------------------------------------
    @keyword
    def list_models(self) -> list[dict[str, Any]]:
        """The models the current provider offers with these credentials, as a list of dictionaries
        with ``id``, ``name``, ``description``, ``provider``, ``fields`` and ``extras``.

        | @{models} =    List Models
        | Should Be Equal    ${models}[0][id]    invoice
        """
        watch = Stopwatch()
        with keyword_call():
            session = self.context.session()
            models = [model.model_dump(mode="json") for model in session.client.models()]
            names = ", ".join(str(m["id"]) for m in models[:10]) + (" ..." if len(models) > 10 else "")
            provider = session.client.provider_name
            logger.info(f"{provider} has {len(models)} models ({names}), listed in {watch}")
            log_json(models)
            return [robot_value(m) for m in models]

    @keyword
    def run_doctor(self) -> list[dict[str, Any]]:
        """Check the configuration, credentials, network and TLS of the current provider, as
        ``docrelay doctor`` does. Returns the checks (``name``, ``ok``, ``detail``, ``error_type``) and
        fails, naming every failed check, if any failed. Useful in a Suite Setup.

        | Run Doctor
        """
        watch = Stopwatch()
        with keyword_call():
            session = self.context.session()
            checks = [check.model_dump(mode="json") for check in session.client.doctor()]
            failed = [c for c in checks if not c["ok"]]
            logger.info(
                f"Doctor for {session.client.provider_name}: {len(checks) - len(failed)} of "
                f"{len(checks)} checks passed in {watch}"
            )
            log_json(checks)
            if failed:
                raise DocRelayFailure(one_line("; ".join(f"{c['name']}: {c['detail']}" for c in failed)))
            return [robot_value(c) for c in checks]
