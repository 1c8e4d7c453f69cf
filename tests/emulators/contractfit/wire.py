"""Request plumbing the contract.fit emulator needs beyond JSON: multipart forms and X-Fields masks.

Masks follow flask-restx's syntax: comma-separated field names, `name{sub,fields}` for nested objects
(applied to each item of a list), `*` for all remaining fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

from tests.emulators.base import ApiError


@dataclass(frozen=True)
class FilePart:
    filename: str
    content_type: str
    data: bytes
    ascii_name: bool  # False when the raw header held non-ASCII bytes or an RFC 2231 `filename*`


@dataclass(frozen=True)
class Form:
    fields: dict[str, str]
    files: dict[str, FilePart]


_PARAM = re.compile(rb';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def _params(header: bytes) -> dict[str, bytes]:
    return {
        m.group(1).decode("ascii", "replace").lower(): m.group(2) or m.group(3) or b""
        for m in _PARAM.finditer(header)
    }


def parse_multipart(body: bytes, content_type: str) -> Form:
    """The fields and files of a multipart/form-data body (ApiError 400 if it is not one)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if "multipart/form-data" not in (content_type or "").lower() or match is None:
        raise ApiError(400, "The request must be multipart/form-data")
    delimiter = b"\r\n--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, FilePart] = {}
    chunks = (b"\r\n" + body).split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise ApiError(400, "Malformed multipart body: a part has no header/body separator")
        headers: dict[str, bytes] = {}
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("ascii", "replace")] = value.strip()
        disposition = headers.get("content-disposition", b"")
        params = _params(disposition)
        field = params.get("name", b"").decode("utf-8", "replace")
        if "filename" in params or "filename*" in params:
            raw_name = params.get("filename", b"") or params.get("filename*", b"")
            files[field] = FilePart(
                filename=raw_name.decode("utf-8", "replace"),
                content_type=headers.get("content-type", b"application/octet-stream").decode("latin-1"),
                data=content,
                ascii_name="filename*" not in params and raw_name.isascii(),
            )
        else:
            fields[field] = content.decode("utf-8", "replace")
    return Form(fields, files)


def form_bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1")


# -- X-Fields -------------------------------------------------------------------------------------

MaskTree = dict[str, Union["MaskTree", None]]


def parse_mask(text: str) -> MaskTree:
    """`id,status_data{success}` -> {"id": None, "status_data": {"success": None}}."""
    tokens = re.findall(r"[{},]|[^{},\s]+", text)
    position = 0

    def level(depth: int) -> MaskTree:
        nonlocal position
        tree: MaskTree = {}
        last: str | None = None
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ",":
                last = None
            elif token == "{":
                if last is None or tree[last] is not None:
                    raise ApiError(400, f"Mask parse error: unexpected '{{' in {text!r}")
                tree[last] = level(depth + 1)
            elif token == "}":
                if depth == 0:
                    raise ApiError(400, f"Mask parse error: unbalanced '}}' in {text!r}")
                return tree
            else:
                if last is not None:
                    raise ApiError(400, f"Mask parse error: missing ',' before {token!r} in {text!r}")
                tree[token] = None
                last = token
        if depth:
            raise ApiError(400, f"Mask parse error: missing '}}' in {text!r}")
        return tree

    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):  # flask-restx accepts one outer pair
        tokens = tokens[1:-1]
    tree = level(0)
    if not tree:
        raise ApiError(400, f"Mask parse error: empty mask {text!r}")
    return tree


def apply_mask(data: Any, mask: MaskTree) -> Any:
    """Keep only the masked fields; fields the object does not have are left out."""
    if isinstance(data, list):
        return [apply_mask(item, mask) for item in data]
    if not isinstance(data, Mapping):
        return data
    kept: dict[str, Any] = {}
    for name, sub in mask.items():
        if name == "*":
            kept.update({k: v for k, v in data.items() if k not in mask})
        elif name in data:
            kept[name] = data[name] if sub is None else apply_mask(data[name], sub)
    return kept
