"""Validation of requests and responses against a service's published OpenAPI document.

openapi-core does the work. Its own check of the document is switched off because vendor specs are
not always strict OpenAPI (Cradl's uses `patternProperties`); request and response validation are
unaffected. The spec's servers are replaced by a fixed base so one compiled spec serves every port.
"""

from __future__ import annotations

import copy
import functools
import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
_HOST = "http://emulator.invalid"
_MESSAGE_LIMIT = 600
NOT_IN_SPEC = "not in the spec: "

SpecPatch = Callable[[dict[str, Any]], None]


class SpecValidator:
    """Checks one service's traffic. Thread-safe; build with `SpecValidator.load()` (cached)."""

    def __init__(self, document: dict[str, Any], api_prefix: str) -> None:
        from openapi_core import Config, OpenAPI

        self.api_prefix = api_prefix
        spec = copy.deepcopy(document)
        spec["servers"] = [{"url": _HOST + api_prefix}]
        self._document = spec
        self._response_validators: dict[tuple[str, str, int, str], Any] = {}
        self._app = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
        self._query_names: dict[tuple[str, str], frozenset[str]] = {}
        self._statuses: dict[tuple[str, str], frozenset[str]] = {}
        for template, item in spec.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method, operation in item.items():
                if not isinstance(operation, dict) or method == "parameters":
                    continue
                params = [*shared, *operation.get("parameters", [])]
                key = (method.upper(), template)
                self._query_names[key] = frozenset(p["name"] for p in params if p.get("in") == "query")
                self._statuses[key] = frozenset(operation.get("responses", {}))

    @classmethod
    def load(cls, file_name: str, api_prefix: str, patch: SpecPatch | None = None) -> SpecValidator:
        return _load(file_name, api_prefix, patch)

    def documents_status(self, method: str, template: str, status: int) -> bool:
        statuses = self._statuses.get((method, template), frozenset())
        return str(status) in statuses or "default" in statuses

    def check_request(
        self,
        method: str,
        path: str,
        template: str | None,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> str | None:
        """None if the request conforms, else what is wrong. `template` is the spec path, if known."""
        from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

        request = self._request(method, path, query, headers, body)
        if template is not None:
            known = self._query_names.get((method, template))
            if known is not None:
                unknown = sorted(set(query) - known)
                if unknown:
                    allowed = ", ".join(sorted(known)) or "none"
                    return f"unknown query parameter(s) {', '.join(unknown)} (the spec allows: {allowed})"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Unsupported scheme type": oauth2 is checked by us
                self._app.validate_request(request)
        except (PathNotFound, OperationNotFound) as exc:
            return f"{NOT_IN_SPEC}{method} {path} ({exc})"
        except Exception as exc:  # openapi-core raises several unrelated classes
            return _describe(exc)
        return None

    def check_response(
        self, method: str, template: str, status: int, body: bytes, content_type: str
    ) -> str | None:
        """None if our response matches the operation's documented schema, else what is wrong.

        Compiled jsonschema validators (the library openapi-core itself uses, in its OAS 3.0 read
        mode) cached per operation and status: openapi-core's own response check re-resolves the
        spec on every call and costs about 2 ms, this about a tenth of that."""
        from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

        validator = self._response_validator(method, template, status, content_type)
        if isinstance(validator, str):
            return validator
        if validator is None:
            return None
        try:
            data = json.loads(body) if body else None
        except ValueError as exc:
            return f"response body is not JSON: {exc}"
        error = best_match(validator.iter_errors(data))
        if error is None:
            return None
        return _limit(f"response body {error.json_path}: {error.message}")

    def _response_validator(self, method: str, template: str, status: int, content_type: str) -> Any:
        key = (method, template, status, content_type)
        if key not in self._response_validators:
            self._response_validators[key] = self._compile_response(*key)
        return self._response_validators[key]

    def _compile_response(self, method: str, template: str, status: int, content_type: str) -> Any:
        from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

        operation = self._document["paths"].get(template, {}).get(method.lower())
        if operation is None:
            return f"{method} {template} is not in the spec"
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return f"status {status} is not documented for {method} {template}"
        content = response.get("content") or {}
        if not content:
            return None
        media = content.get(content_type)
        if media is None:
            documented = ", ".join(content)
            return f"response content type {content_type or 'none'} is not documented (spec: {documented})"
        schema = media.get("schema")
        if schema is None:
            return None
        root = {
            **schema,
            "components": self._document.get("components", {}),
        }  # lets "#/components/..." resolve
        return OAS30ReadValidator(root, format_checker=oas30_format_checker)

    def _request(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> Any:
        from openapi_core.testing import MockRequest

        content_type = headers.get("content-type", "")
        return MockRequest(
            _HOST,
            method.lower(),
            path,
            args=dict(query),
            headers=dict(headers),
            data=body,
            content_type=content_type,
        )


def _describe(exc: BaseException) -> str:
    details: list[str] = []
    cause = exc.__cause__
    for schema_error in getattr(cause, "schema_errors", None) or []:
        where = getattr(schema_error, "json_path", "$")
        details.append(f"{where}: {getattr(schema_error, 'message', schema_error)}")
    text = str(exc).split(":", 1)[0] if details else str(exc)
    if details:
        text += ": " + "; ".join(details)
    return _limit(text)


def _limit(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


@functools.lru_cache(maxsize=8)
def _load(file_name: str, api_prefix: str, patch: SpecPatch | None) -> SpecValidator:
    text = (SPECS_DIR / file_name).read_text(encoding="utf-8")
    if file_name.endswith((".yaml", ".yml")):
        import yaml  # type: ignore[import-untyped]

        document = yaml.safe_load(text)
    else:
        document = json.loads(text)
    if patch is not None:
        patch(document)
    return SpecValidator(document, api_prefix)
