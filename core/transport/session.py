"""The requests Session behind one HttpClient: what it merges into every call, and what it leaves out.

requests' own `prepare_request` and `merge_environment_settings` took about 0.6 ms of a small call's
2.1 ms of CPU (measured on a slow two-core machine, docs/benchmarks.md); in a batch that CPU is what
keeps calls from being in flight. This session merges the same settings with less work: the
environment's proxy and CA settings are read once per origin (they do not change while docrelay runs),
and the session's headers, params and cookies are merged without requests' generic merging. It never
adds a `.netrc` login: requests would send it as Basic auth in place of the credentials docrelay was
configured with, and to services that need none.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from core.transport.guard import origin_of


class ServiceSession(requests.Session):
    """A requests Session for one service's calls; see the module's docstring for what differs.

    HttpClient sets neither cookies nor hooks on the session nor cookies per call: a call takes the
    cookies the service set before, and its own hooks."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[Any, Any] = {}

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        key = (origin_of(str(url)), tuple(sorted((proxies or {}).items())), stream, verify, cert)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        headers = CaseInsensitiveDict(self.headers)
        for name, value in (request.headers or {}).items():
            if value is None:  # as requests does: None removes a session header
                headers.pop(name, None)
            else:
                headers[name] = value
        own: Any = self.params
        params: Any = {**own, **request.params} if own else request.params
        # A jar of this call's own: a redirect's cookies go into it while other workers read the session's.
        cookies = RequestsCookieJar()
        if self.cookies:
            cookies.update(self.cookies)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=str(request.method).upper(),
            url=request.url,
            files=request.files,
            data=request.data,
            json=request.json,
            headers=headers,
            params=params,
            auth=request.auth or self.auth,
            cookies=cookies,
            hooks=request.hooks,
        )
        return prepared
