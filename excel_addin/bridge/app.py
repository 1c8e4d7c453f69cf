"""The bridge's web application (Starlette): the add-in's files and its JSON API, on one origin.

    GET  /taskpane.html            the task pane (the token is written into it: same origin only)
    GET  /assets/NAME              the pane's and the custom functions' scripts, styles and icons
    GET  /functions.json           custom functions metadata;  GET /manifest.xml  the add-in manifest
    GET  /api/health               provider, model, journal, whether a push is running
    PUT  /api/uploads?name=N       a document picked in the pane (64 MB at most, type told by its bytes)
    POST /api/push                 {workbook, sources[], workbook_url?, uploads[]?, provider?, model?}
    GET  /api/jobs/ID              a push's documents and their statuses
    POST /api/plan                 {workbook, snapshot, cursor} -> the planner's actions, the next cursor
    GET  /api/results?workbook=W&since=C   normalized results changed since a cursor
    GET  /api/lookup?key=K         one document's status and fields (the custom functions; read only)

Every answer of the API is JSON; an error is {"error": {"type", "message"}} with a fitting status.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path, PureWindowsPath
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core.errors import DocRelayError, InputError, NotFoundError, UsageError
from core.sources import EXTENSIONS, sniff_content_type
from core.workbook.live import LiveService, PushItem, picked_file
from core.workbook.snapshot import state_from_snapshot
from core.workbook.state import WorkbookState
from excel_addin.bridge.guard import UPLOAD_LIMIT, BodyTooLarge, Guard
from excel_addin.bridge.manifest import render_manifest

log = logging.getLogger("docrelay.bridge")
ASSETS = Path(__file__).resolve().parent.parent / "addin"
UPLOADS = "uploads"
UPLOAD_RETENTION_DAYS = 90
_UPLOAD_ID = re.compile(r"[0-9a-f]{64}")
_CONTENT_SECURITY = (
    "default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
_STATUS = {
    "usage_error": 400,
    "journal_error": 409,
    "config_error": 400,
    "input_error": 422,
    "not_found": 404,
    "auth_error": 502,
    "rate_limited": 503,
    "quota_exceeded": 503,
    "service_error": 502,
    "network_error": 502,
}

Handler = Callable[[Request], Awaitable[Response]]


def create_app(service: LiveService, *, home: Path, port: int, token: str, addin_id: str) -> Guard:
    """The application behind the guard (see excel_addin.bridge.guard)."""
    uploads = home / UPLOADS
    uploads.mkdir(parents=True, exist_ok=True)
    _prune_uploads(uploads)
    assets = {p.name: p for p in ASSETS.iterdir() if p.is_file() and not p.name.startswith(".")}
    pane = (ASSETS / "taskpane.html").read_text(encoding="utf-8")

    async def root(request: Request) -> Response:
        return RedirectResponse("/taskpane.html")

    async def taskpane(request: Request) -> Response:
        html = pane.replace("{{DOCRELAY_TOKEN}}", token)
        return Response(html, media_type="text/html; charset=utf-8", headers=_page_headers())

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return _error(404, "not_found", "No such file.")
        return FileResponse(found, headers={"cache-control": "no-cache"})

    async def functions_json(request: Request) -> Response:
        return FileResponse(ASSETS / "functions.json", headers={"cache-control": "no-cache"})

    async def manifest(request: Request) -> Response:
        return Response(render_manifest(addin_id, port), media_type="application/xml; charset=utf-8")

    async def health(request: Request) -> Response:
        return JSONResponse(service.health(), headers=_api_headers())

    async def upload(request: Request) -> Response:
        name = _file_name(request.query_params.get("name", ""))
        stored = await _store_upload(request, uploads)
        if isinstance(stored, Response):
            return stored
        sha, content_type, size = stored
        _name_upload(uploads, sha, name)
        return JSONResponse(
            {"upload": sha, "name": name, "content_type": content_type, "size": size}, headers=_api_headers()
        )

    async def push(request: Request) -> Response:
        body = await _json_body(request)
        workbook = _workbook_id(body)
        sources = body.get("sources") or []
        if not isinstance(sources, list):
            raise UsageError("`sources` must be a list of paths", hint="Send the selected rows' sources.")
        texts = [str(s) for s in sources if s is not None]
        items = await run_in_threadpool(service.resolve_rows, workbook, texts, _workbook_folder(body))
        for upload_item in body.get("uploads") or []:
            items.append(_uploaded(uploads, upload_item))
        provider, model = _optional_text(body, "provider"), _optional_text(body, "model")
        job = await run_in_threadpool(service.push, workbook, items, provider=provider, model=model)
        return JSONResponse(job, headers=_api_headers())

    encoded: dict[str, tuple[dict[str, Any], bytes]] = {}  # a job's last status, and it as JSON

    async def job(request: Request) -> Response:
        # Panes poll this each second: a status still true is answered on the event loop, encoded once.
        job_id = request.path_params["job"]
        found = service.cached_job(job_id)
        if found is None:
            found = await run_in_threadpool(service.job, job_id)
        last = encoded.get(job_id)
        if last is None or last[0] is not found:
            if len(encoded) >= 64:
                encoded.clear()
            last = encoded[job_id] = (found, _json_bytes(found))
        return Response(last[1], media_type="application/json", headers=_api_headers())

    async def plan(request: Request) -> Response:
        body = await _json_body(request)
        workbook = _workbook_id(body)
        snapshot = body.get("snapshot")
        state = (
            WorkbookState.from_dict(body["state"]) if "state" in body else state_from_snapshot(snapshot or {})
        )
        planned = await run_in_threadpool(service.plan, workbook, state, _cursor(body.get("cursor")))
        return JSONResponse(planned, headers=_api_headers())

    async def results(request: Request) -> Response:
        workbook = _workbook_id(dict(request.query_params))
        since = _cursor(request.query_params.get("since"))
        found, cursor = await run_in_threadpool(service.changes, workbook, since)
        return JSONResponse(
            {"results": [r.to_dict() for r in found], "cursor": cursor}, headers=_api_headers()
        )

    async def lookup(request: Request) -> Response:
        key = request.query_params.get("key", "").strip()
        if not key:
            raise UsageError("No key given", hint="Give the doc_key or the source of a pushed document.")
        return JSONResponse(await run_in_threadpool(service.lookup, key), headers=_api_headers())

    routes = [
        Route("/", root),
        Route("/taskpane.html", taskpane),
        Route("/assets/{name}", asset),
        Route("/functions.json", functions_json),
        Route("/manifest.xml", manifest),
        Route("/api/health", _api(health)),
        Route("/api/uploads", _api(upload), methods=["PUT", "POST"]),
        Route("/api/push", _api(push), methods=["POST"]),
        Route("/api/jobs/{job}", _api(job)),
        Route("/api/plan", _api(plan), methods=["POST"]),
        Route("/api/results", _api(results)),
        Route("/api/lookup", _api(lookup)),
    ]
    app = Starlette(routes=routes)
    return Guard(app, port=port, token=token)


def _api(handler: Handler) -> Handler:
    """Errors as JSON: docrelay's own with their type and a status that fits, anything else as 500."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BodyTooLarge as exc:
            return _error(413, "too_large", str(exc))
        except DocRelayError as exc:
            return _error(_STATUS.get(exc.type, 500), exc.type, exc.full_message)
        except Exception:  # a bug: logged for the developers, a plain message for the pane
            log.error("bridge request %s %s failed", request.method, request.url.path, exc_info=True)
            return _error(500, "internal_error", "The bridge met an internal error; see its log (--verbose).")

    return wrapped


def _error(status: int, kind: str, message: str) -> JSONResponse:
    body = {"error": {"type": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=_api_headers())


def _json_bytes(data: Any) -> bytes:
    """JSON as JSONResponse writes it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _api_headers() -> dict[str, str]:
    return {"cache-control": "no-store"}


def _page_headers() -> dict[str, str]:
    return {"cache-control": "no-store", "content-security-policy": _CONTENT_SECURITY}


async def _json_body(request: Request) -> dict[str, Any]:
    if "application/json" not in request.headers.get("content-type", ""):
        raise UsageError("The request must be JSON", hint="Send Content-Type: application/json.")
    try:
        data = json.loads(await request.body())
    except ValueError as exc:
        raise UsageError(f"The request is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError("The request must be a JSON object")
    return data


def _workbook_id(body: dict[str, Any]) -> str:
    workbook = body.get("workbook")
    if not isinstance(workbook, str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", workbook):
        raise UsageError(
            "The request names no workbook", hint="Reload the task pane: it gives each workbook an id."
        )
    return workbook


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _cursor(value: Any) -> float:
    if value in (None, ""):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"The cursor {value!r} is not one the bridge gave") from None
    if number != number or number < 0:  # NaN or negative
        raise UsageError(f"The cursor {value!r} is not one the bridge gave")
    return number


def _workbook_folder(body: dict[str, Any]) -> Path | None:
    """The folder of the open workbook, when it is a file on this computer (relative sources need it)."""
    url = body.get("workbook_url")
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip()
    if text.lower().startswith("file:"):
        from urllib.parse import unquote, urlparse

        text = unquote(urlparse(text).path)
        if len(text) > 2 and text[0] == "/" and text[2] == ":":
            text = text[1:]
    if os.name == "nt" and PureWindowsPath(text).is_absolute():
        return Path(text).parent
    if text.startswith("/") and os.name != "nt":
        return Path(text).parent
    return None  # OneDrive/SharePoint (https) or a workbook never saved


def _file_name(name: str) -> str:
    """The name a picked file is shown under: its last path part, without control characters."""
    base = re.split(r"[\\/]", name.strip())[-1]
    base = "".join(ch for ch in base if ch.isprintable())[:200].strip()
    return base or "document"


async def _store_upload(request: Request, folder: Path) -> tuple[str, str, int] | Response:
    """Stream the body to a file in `folder`, named by its SHA-256 and the type its first bytes tell."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False)  # noqa: SIM115
    try:
        with handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > UPLOAD_LIMIT:
                    raise BodyTooLarge("The document is larger than 64 MB, the most the pane may upload.")
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise InputError("The uploaded document is empty", hint="Pick the file again.")
        content_type = sniff_content_type(head)
        if content_type is None:
            return _error(
                415,
                "unsupported_type",
                "The file is not a PDF, an image (JPEG, PNG, TIFF, WebP) or an e-invoice XML: "
                "docrelay cannot read it.",
            )
        sha = digest.hexdigest()
        os.replace(handle.name, folder / (sha + EXTENSIONS.get(content_type, "")))
        return sha, content_type, size
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)


def _name_upload(folder: Path, sha: str, name: str) -> None:
    """A hard link (else a copy) of the stored upload under the name the user picked, in a folder of
    its own, so that messages about the document name the user's file."""
    stored = next(p for p in folder.glob(sha + "*") if p.is_file())
    named = folder / sha / name
    if named.exists():
        return
    named.parent.mkdir(exist_ok=True)
    try:
        os.link(stored, named)
    except OSError:
        shutil.copyfile(stored, named)


def _uploaded(folder: Path, item: Any) -> PushItem:
    if not isinstance(item, dict) or not _UPLOAD_ID.fullmatch(str(item.get("upload", ""))):
        raise UsageError("An upload is named wrongly", hint="Pick the files again in the pane.")
    name = _file_name(str(item.get("name") or "document"))
    named = folder / str(item["upload"]) / name
    if not named.is_file():
        raise NotFoundError("An uploaded file is no longer on the bridge", hint="Pick the files again.")
    return picked_file(named, name)


def _prune_uploads(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_RETENTION_DAYS * 86400
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            pass  # in use, or gone: tried again at the next start
