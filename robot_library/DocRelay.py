"""The `robot_library.DocRelay` keyword library: a thin layer over core.services.Client.

Assembled, as SeleniumLibrary is, from keyword components (robot_library.keywords) that share one
small context (robot_library._context): the import arguments and the providers configured so far.
"""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import library

from core._version import __version__
from core.hints import use_front_end
from robot_library._context import LibraryContext
from robot_library._docs import LIBRARY_DOC
from robot_library._support import (
    Secret as Secret,  # re-exported: Robot reads the import arguments' type hints from this module
)
from robot_library._support import SecretMasker, plain_settings
from robot_library.keywords import (
    CheckKeywords,
    ExtractionKeywords,
    OutputKeywords,
    ProviderKeywords,
    ResultKeywords,
    ReviewKeywords,
)


@library(scope="GLOBAL", version=__version__, doc_format="ROBOT", auto_keywords=False)
class DocRelay(
    ProviderKeywords, ExtractionKeywords, ResultKeywords, ReviewKeywords, CheckKeywords, OutputKeywords
):
    __doc__ = LIBRARY_DOC

    def __init__(
        self,
        provider: str | None = None,
        profile: str | None = None,
        timeout: timedelta | None = None,
        model: str | None = None,
        poll_interval: timedelta | None = None,
        **settings: Secret | str,
    ) -> None:
        """Import the library, optionally choosing the provider, profile, timeout, default model and
        provider settings (see `Providers and configuration`).

        Nothing is contacted or checked at import: a wrong setting fails the first keyword.

        | Library    robot_library.DocRelay
        | Library    robot_library.DocRelay    provider=cradl    model=las:model:invoice
        | ...        client_id=%{CRADL_CLIENT_ID}    client_secret=${CRADL_SECRET}
        | Library    robot_library.DocRelay    profile=work    timeout=5 min
        """
        use_front_end("robot")  # hints name arguments as `model=`, not `--model`
        self.ROBOT_LIBRARY_LISTENER = SecretMasker(self)
        self.context = LibraryContext(
            provider=provider,
            profile=profile,
            timeout=timeout,
            model=model,
            poll_interval=poll_interval,
            settings=plain_settings(settings),  # registers secrets before anything is logged
        )

    def _close_clients(self) -> None:
        self.context.close_all()
