"""Validation against tests/specs/deepopinion-schema.json, the JSON Schema written from DeepOpinion's
API reference (DeepOpinion publishes no OpenAPI document).

Offers the three checks the shared emulator pipeline calls on its `spec` (check_request,
documents_status, check_response). A request is validated as the instance
`{path, query, headers, content_type, body}`: path parameters by name, query values as strings (a
list if repeated), only the `authorization` header, a JSON body decoded, a multipart body summarised
as `{field: {filename, content_type, size}}` (plain form fields as strings).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.emulators.spec import NOT_IN_SPEC

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "specs" / "deepopinion-schema.json"
_URI = "urn:docrelay:tests:specs:deepopinion-schema"
_LIMIT = 600


@dataclass(frozen=True)
class Part:
    """One multipart/form-data part."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes, content_type_header: str) -> dict[str, Part]:
    """The parts of a multipart/form-data body; ValueError if it is not one."""
    match = re.search(r'boundary="?([^";]+)"?', content_type_header or "")
    if match is None:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    if not body.startswith(delimiter):
        raise ValueError("multipart body does not start with its boundary")
    parts: dict[str, Part] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a blank line after its headers")
        headers = {}
        for line in head.decode("latin-1").strip().split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if not disposition.startswith("form-data") or name is None:
            raise ValueError("multipart part without Content-Disposition: form-data; name=...")
        data = data[:-2] if data.endswith(b"\r\n") else data
        parts[name.group(1)] = Part(
            name.group(1), filename.group(1) if filename else None, headers.get("content-type"), data
        )
    return parts


def request_instance(
    path_params: Mapping[str, str], query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    content_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower() or None
    decoded: Any = None
    if content_type == "application/json":
        decoded = json.loads(body or b"null")
    elif content_type == "multipart/form-data":
        decoded = {
            part.name: (
                {"filename": part.filename, "content_type": part.content_type, "size": len(part.data)}
                if part.filename is not None
                else part.data.decode("utf-8", "replace")
            )
            for part in parse_multipart(body, headers.get("content-type", "")).values()
        }
    elif body:
        decoded = body.decode("utf-8", "replace")
    instance: dict[str, Any] = {
        "path": dict(path_params),
        "query": {k: v[0] if len(v) == 1 else list(v) for k, v in query.items()},
        "headers": {k: v for k, v in headers.items() if k == "authorization"},
        "content_type": content_type,
        "body": decoded,
    }
    return instance


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")


class SchemaValidator:
    """Thread-safe (compiled validators are read-only); build with `SchemaValidator.load()` (cached)."""

    def __init__(self, document: dict[str, Any]) -> None:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
        from referencing import Registry, Resource

        registry: Registry[Any] = Registry().with_resource(_URI, Resource.from_contents(document))
        self.operations: dict[tuple[str, str], dict[str, Any]] = {}
        self._validators: dict[tuple[str, str, str], Any] = {}
        self._patterns: list[tuple[str, str, re.Pattern[str]]] = []
        for key, operation in document["x-operations"].items():
            method, template = key.split(" ", 1)
            self.operations[(method, template)] = operation
            self._patterns.append((method, template, _template_regex(template)))
            schemas = {"request": operation["request"], **operation["responses"]}
            for name, schema in schemas.items():
                ref = _URI + schema["$ref"]
                self._validators[(method, template, name)] = Draft202012Validator(
                    {"$ref": ref}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
                )

    @classmethod
    def load(cls) -> SchemaValidator:
        return _load(str(SCHEMA_FILE))

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        for known_method, template, pattern in self._patterns:
            found = pattern.match(path)
            if found and known_method == method:
                return template, found.groupdict()
        return None

    # -- the three checks the emulator pipeline calls ------------------------------------------
    def documents_status(self, method: str, template: str, status: int) -> bool:
        responses = self.operations.get((method, template), {}).get("responses", {})
        return str(status) in responses or "default" in responses

    def check_request(
        self,
        method: str,
        path: str,
        template: str | None,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> str | None:
        matched = self.match(method, path)
        if matched is None or (template is not None and matched[0] != template):
            return f"{NOT_IN_SPEC}{method} {path}"
        template, path_params = matched
        try:
            instance = request_instance(path_params, query, headers, body)
        except ValueError as exc:
            return _limit(f"request body cannot be read: {exc}")
        return self._problem(self._validators[(method, template, "request")], instance, "request")

    def check_response(
        self, method: str, template: str, status: int, body: bytes, content_type: str
    ) -> str | None:
        responses = self.operations.get((method, template), {}).get("responses", {})
        name = str(status) if str(status) in responses else "default"
        if name not in responses:
            return f"status {status} is not documented for {method} {template}"
        if content_type != "application/json":
            return f"response content type {content_type or 'none'} is not application/json"
        try:
            data = json.loads(body) if body else None
        except ValueError as exc:
            return f"response body is not JSON: {exc}"
        return self._problem(self._validators[(method, template, name)], data, "response body")

    @staticmethod
    def _problem(validator: Any, instance: Any, what: str) -> str | None:
        from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

        error = best_match(validator.iter_errors(instance))
        if error is None:
            return None
        return _limit(f"{what} {error.json_path}: {error.message}")


def _limit(text: str) -> str:
    return text if len(text) <= _LIMIT else text[: _LIMIT - 3] + "..."


@functools.lru_cache(maxsize=2)
def _load(path: str) -> SchemaValidator:
    return SchemaValidator(json.loads(Path(path).read_text(encoding="utf-8")))
