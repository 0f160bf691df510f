"""TAXII 2.1 endpoints. Each docstring cites its section of the OASIS TAXII 2.1 specification.

Partners authenticate with ``Authorization: Bearer <API key>``. Every failure is a TAXII error
envelope (§3.6.1). Collections a partner holds no grant on answer 404, as if they did not exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from cyberdip import __version__
from cyberdip.model.errors import DataError
from cyberdip.model.sharing import version_key
from cyberdip.services import sharing, taxii
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench

TAXII = "application/taxii+json;version=2.1"
MAX_CONTENT = 10_485_760
router = APIRouter(tags=["TAXII 2.1"])


def _documented(*names: str, body: bool = False) -> dict[str, Any]:
    """OpenAPI for parameters read from the query string (TAXII names like ``match[type]`` are not
    Python identifiers) and for the envelope a POST takes."""
    extra: dict[str, Any] = {"parameters": [
        {"name": name, "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1} if name == "limit" else {"type": "string"}} for name in names]}
    if body:
        extra["requestBody"] = {"required": True, "content": {TAXII: {"schema": {
            "type": "object", "required": ["objects"],
            "properties": {"objects": {"type": "array", "items": {"type": "object"}}}}}}}
    return extra


_LISTING = ("added_after", "limit", "next", "match[id]", "match[type]", "match[spec_version]", "match[version]")


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str = "") -> None:
        self.status, self.title, self.description = status, title, description


def error_response(exc: TaxiiError) -> JSONResponse:
    """§3.6.1 error message."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"title": exc.title, "description": exc.description, "http_status": str(exc.status)},
                        status_code=exc.status, media_type=TAXII, headers=headers)


def taxii_json(body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type=TAXII, headers=headers)


def _media_type(item: str) -> tuple[str, dict[str, str]]:
    """A media range of an Accept or Content-Type header: its type and its parameters."""
    media, *rest = item.split(";")
    params = {}
    for param in rest:
        name, _, value = param.partition("=")
        params[name.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), params


def _is_taxii_21(media: str, params: dict[str, str]) -> bool:
    """§1.6.8: application/taxii+json, with no version parameter or exactly version 2.1."""
    return media == "application/taxii+json" and params.get("version", "2.1") == "2.1"


def _accepts_taxii(accept: str | None) -> bool:
    """Whether an Accept header admits TAXII 2.1 content (a range with q=0 refuses it, RFC 9110 §12.4.2)."""
    if not accept:
        return True
    for item in accept.split(","):
        media, params = _media_type(item)
        try:
            weight = float(params.get("q", "1"))
        except ValueError:
            continue
        if weight > 0 and (media in ("*/*", "application/*") or _is_taxii_21(media, params)):
            return True
    return False


def _control_characters(request: Request) -> str | None:
    """A path or query string holding control characters (NUL, newlines...): never a valid id,
    filter or cursor, and not storable in PostgreSQL text."""
    texts = [("the path", request.url.path)] + [(f"parameter {name[:40]!r}", name + value)
                                                 for name, value in request.query_params.multi_items()]
    for where, text in texts:
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            return f"{where} holds a control character"
    return None


@contextmanager
def session(request: Request, *, negotiate: bool = True, write: bool = False) -> Iterator[tuple[Connection, str]]:
    """The connection for one request and the partner making it; every request is audited.

    Reads run without the write lock; their audit entries are appended in one short write
    transaction before the answer leaves (and if that fails, nothing is answered). Writes run in one
    transaction with their audit entries. A refused request's audit entries are kept too.

    Authentication (§1.6.9): an API key as ``Authorization: Bearer <key>``, or a client
    certificate that a trusted TLS-terminating proxy forwards in the configured header."""
    if negotiate and not _accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(406, "Not Acceptable", f"this server answers {TAXII}, not {request.headers.get('accept')}")
    hostile = _control_characters(request)
    if hostile:
        raise TaxiiError(400, "Bad Request", hostile)
    workbench: Workbench = request.app.state.workbench
    workbench.require_schema()
    refused: TaxiiError | None = None
    if write:
        with workbench.writing() as conn:
            try:
                yield conn, _partner(conn, request, workbench.settings)
            except TaxiiError as exc:
                refused = exc  # commit the refusal's audit entries, then answer
    else:
        with workbench.reading() as conn, taxii.deferred_audit(conn) as pending:
            try:
                yield conn, _partner(conn, request, workbench.settings)
            except TaxiiError as exc:
                refused = exc
        if pending:
            with workbench.writing() as conn:
                taxii.write_audit(conn, pending)
    if refused:
        raise refused


def _partner(conn: Connection, request: Request, settings: Settings) -> str:
    authorization = request.headers.get("authorization")
    if authorization:
        if not authorization.lower().startswith("bearer "):
            raise TaxiiError(401, "Unauthorized", "send your API key as 'Authorization: Bearer <key>'")
        who = sharing.authenticate(conn, authorization.split(" ", 1)[1].strip())
        if who is None:
            raise TaxiiError(401, "Unauthorized", "unknown or revoked API key")
        return who
    forwarded = request.headers.get(settings.client_cert_header) if settings.client_cert_header else None
    if forwarded and request.client and settings.trusts_proxy(request.client.host):
        try:
            who = sharing.authenticate_certificate(conn, forwarded)
        except DataError as exc:
            raise TaxiiError(401, "Unauthorized", "; ".join(p.reason for p in exc.problems)) from None
        if who is None:
            raise TaxiiError(401, "Unauthorized", "this client certificate is not registered to a partner, or revoked")
        return who
    raise TaxiiError(401, "Unauthorized", "send your API key as 'Authorization: Bearer <key>'")


def _collection_resource(granted: taxii.Access) -> dict[str, Any]:
    c = granted.collection
    return {"id": c["id"], "title": c["title"], "description": c["description"] or "", "alias": c["alias"],
            "can_read": granted.can_read, "can_write": granted.can_write,
            "media_types": ["application/stix+json;version=2.1"]}


@router.get("/taxii2/")
def discovery(request: Request) -> Response:
    """§4.1 Server Discovery."""
    with session(request):
        return taxii_json({"title": "cyberdip sharing hub", "description": "Threat data shared under agreements",
                           "default": "/taxii2/api/", "api_roots": ["/taxii2/api/"]})


@router.get("/taxii2/api/")
def api_root(request: Request) -> Response:
    """§4.2 Get API Root Information."""
    with session(request):
        return taxii_json({"title": "cyberdip", "description": f"cyberdip {__version__}", "versions": [TAXII],
                           "max_content_length": MAX_CONTENT})


@router.get("/taxii2/api/status/{status_id}/")
def status(request: Request, status_id: str) -> Response:
    """§4.3 Get Status: only the partner that made the request sees it."""
    with session(request) as (conn, who):
        try:
            return taxii_json(taxii.status(conn, who, status_id))
        except taxii.Forbidden:
            raise TaxiiError(404, "Not Found", "no such status resource") from None


@router.get("/taxii2/api/collections/")
def collections(request: Request) -> Response:
    """§5.1 Get Collections: only those the partner may read or write."""
    with session(request) as (conn, who):
        return taxii_json({"collections": [_collection_resource(a) for a in taxii.collections_for(conn, who)]})


def _granted(conn: Connection, who: str, collection_id: str, action: str) -> taxii.Access:
    """The partner's access; a collection it holds no grant on is not found (its existence is not
    disclosed), and the attempt is audited."""
    try:
        granted = taxii.access(conn, who, collection_id)
    except taxii.Forbidden:
        raise TaxiiError(404, "Not Found", "no such collection") from None
    if not (granted.can_read or granted.can_write):
        taxii.audit_refusal(conn, who, granted.collection["id"], action)
        raise TaxiiError(404, "Not Found", "no such collection")
    return granted


@router.get("/taxii2/api/collections/{collection_id}/")
def collection(request: Request, collection_id: str) -> Response:
    """§5.2 Get a Collection."""
    with session(request) as (conn, who):
        return taxii_json(_collection_resource(_granted(conn, who, collection_id, "get-collection")))


_PARAMETERS = set(_LISTING)


def _filters(request: Request, allowed: set[str] = _PARAMETERS, *, default_version: str = "last") -> taxii.Filters:
    """§3.4 filtering: added_after, match[id], match[type], match[spec_version], match[version].
    Each parameter may appear once (several values go comma-separated, §3.4.1)."""
    params = request.query_params
    unknown = [k for k in params if k not in allowed]
    if unknown:
        raise TaxiiError(400, "Bad Request", f"unknown parameter(s) here: {', '.join(unknown)}")
    repeated = sorted({k for k in params if len(params.getlist(k)) > 1})
    if repeated:
        raise TaxiiError(400, "Bad Request", f"give each parameter once, with values separated by commas: "
                                             f"{', '.join(repeated)}")
    added_after = params.get("added_after")
    try:
        added_after = taxii.added_after_key(added_after) if added_after is not None else None
    except DataError as exc:
        raise TaxiiError(400, "Bad Request", exc.problems[0].reason) from None

    def listed(name: str) -> tuple[str, ...]:
        return tuple(v for v in params.get(name, "").split(",") if v)

    versions = listed("match[version]") or (default_version,)
    bad = [v for v in versions if v not in ("last", "first", "all") and taxii.parse_timestamp(v) is None]
    if bad:
        raise TaxiiError(400, "Bad Request", f"match[version] takes last, first, all or timestamps, got {bad[0]!r}")
    keys = tuple(v if v in ("last", "first", "all") else version_key(v) for v in versions)
    return taxii.Filters(added_after, listed("match[id]"), listed("match[type]"), listed("match[spec_version]"),
                         keys)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "100")
    if not raw.isdigit() or int(raw) < 1:
        raise TaxiiError(400, "Bad Request", f"limit must be a positive whole number, got {raw!r}")
    return min(int(raw), taxii.MAX_PAGE)


def _read(conn: Connection, who: str, collection_id: str, request: Request, filters: taxii.Filters, *,
          limit: int, cursor: str | None, manifest: bool = False) -> taxii.Page:
    granted = _granted(conn, who, collection_id, "get-manifest" if manifest else "get-objects")
    try:
        return taxii.read_objects(conn, who, collection_id, filters, limit=limit, cursor=cursor,
                                  secret=request.app.state.taxii_secret, manifest=manifest, granted=granted)
    except taxii.Forbidden:
        raise TaxiiError(403, "Forbidden", "your grants do not allow reading this collection") from None
    except DataError as exc:
        raise TaxiiError(400, "Bad Request", "; ".join(p.reason for p in exc.problems)) from None


def _date_headers(page: taxii.Page) -> dict[str, str]:
    """§3.4.3: when the first and last objects given were added; an empty page gives the position
    the partner is at (its added_after or cursor), so polling from X-TAXII-Date-Added-Last goes on."""
    if not (page.first_added and page.last_added):
        return {}
    return {"X-TAXII-Date-Added-First": page.first_added, "X-TAXII-Date-Added-Last": page.last_added}


def _envelope(page: taxii.Page, *, manifest: bool) -> Response:
    """§3.7 envelope; objects are spliced in as stored, not decoded and encoded again. An empty
    page has no "objects" property (§1.6.6: empty lists are not used in TAXII)."""
    body = '{"more":' + ("true" if page.more else "false")
    if page.next:
        body += ',"next":' + json.dumps(page.next)
    items = [json.dumps(m) for m in page.manifest] if manifest else page.bodies
    if items:
        body += ',"objects":[' + ",".join(items) + "]"
    return Response(body + "}", media_type=TAXII, headers=_date_headers(page))


@router.get("/taxii2/api/collections/{collection_id}/objects/", openapi_extra=_documented(*_LISTING))
def get_objects(request: Request, collection_id: str) -> Response:
    """§5.4 Get Objects, filtered by TLP and grants, paged with signed cursors."""
    with session(request) as (conn, who):
        page = _read(conn, who, collection_id, request, _filters(request), limit=_limit(request),
                     cursor=request.query_params.get("next"))
        return _envelope(page, manifest=False)


@router.get("/taxii2/api/collections/{collection_id}/manifest/", openapi_extra=_documented(*_LISTING))
def get_manifest(request: Request, collection_id: str) -> Response:
    """§5.3 Get Object Manifests: the same visibility as objects."""
    with session(request) as (conn, who):
        page = _read(conn, who, collection_id, request, _filters(request), limit=_limit(request),
                     cursor=request.query_params.get("next"), manifest=True)
        return _envelope(page, manifest=True)


@router.get("/taxii2/api/collections/{collection_id}/objects/{object_id}/",
            openapi_extra=_documented("added_after", "limit", "next", "match[version]", "match[spec_version]"))
async def get_object(request: Request, collection_id: str, object_id: str) -> Response:
    """§5.6 Get an Object: every visible version asked for, or 404 — withheld objects are not found.

    The busiest call partners make, and a bounded one (one object's versions, a few index probes):
    it runs on the event loop rather than in the thread pool, whose hand-offs and lock contention
    cost more than the work itself (8 concurrent clients: ~900 requests/s instead of ~500). The
    endpoints that can read thousands of objects stay in the thread pool."""
    with session(request) as (conn, who):
        filters = _filters(request, {"added_after", "limit", "next", "match[version]", "match[spec_version]"})
        page = _read(conn, who, collection_id, request, taxii.Filters(
            filters.added_after, (object_id,), spec_versions=filters.spec_versions, versions=filters.versions),
            limit=_limit(request), cursor=request.query_params.get("next"))
        if not page.bodies:
            raise TaxiiError(404, "Not Found", f"no object {object_id} you may see")
        return _envelope(page, manifest=False)


@router.post("/taxii2/api/collections/{collection_id}/objects/", openapi_extra=_documented(body=True))
async def add_objects(request: Request, collection_id: str) -> Response:
    """§5.5 Add Objects: validated object by object; the status resource says which were stored.
    The envelope must be strict JSON (no NaN or Infinity) nested at most taxii.MAX_DEPTH levels."""
    if not _accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(406, "Not Acceptable", f"this server answers {TAXII}")
    if not _is_taxii_21(*_media_type(request.headers.get("content-type") or "")):
        raise TaxiiError(415, "Unsupported Media Type", f"send {TAXII}")
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_CONTENT:
        raise TaxiiError(413, "Payload Too Large", f"envelopes are limited to {MAX_CONTENT} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_CONTENT:
            raise TaxiiError(413, "Payload Too Large", f"envelopes are limited to {MAX_CONTENT} bytes")
    try:
        envelope = taxii.parse_json(bytes(raw))
    except DataError as exc:
        raise TaxiiError(400, "Bad Request", exc.problems[0].reason) from None
    return await run_in_threadpool(_add_objects, request, collection_id, envelope)


def _add_objects(request: Request, collection_id: str, envelope: Any) -> Response:
    with session(request, negotiate=False, write=True) as (conn, who):
        granted = _granted(conn, who, collection_id, "add-objects")
        try:
            result = taxii.add_objects(conn, who, granted.collection["id"], envelope, granted=granted)
        except taxii.Forbidden:
            raise TaxiiError(403, "Forbidden", "your grants do not allow writing to this collection") from None
        except DataError as exc:
            raise TaxiiError(400, "Bad Request", "; ".join(p.reason for p in exc.problems)) from None
        return Response(json.dumps(result), status_code=202, media_type=TAXII)


@router.get("/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/",
            openapi_extra=_documented("added_after", "limit", "next", "match[spec_version]"))
def get_versions(request: Request, collection_id: str, object_id: str) -> Response:
    """§5.8 Get Object Versions: the versions of an object the partner may see."""
    with session(request) as (conn, who):
        filters = _filters(request, {"added_after", "limit", "next", "match[spec_version]"})
        page = _read(conn, who, collection_id, request, taxii.Filters(
            filters.added_after, (object_id,), spec_versions=filters.spec_versions, versions=("all",)),
            limit=_limit(request), cursor=request.query_params.get("next"), manifest=True)
        if not page.manifest:
            raise TaxiiError(404, "Not Found", f"no object {object_id} you may see")
        body: dict[str, Any] = {"more": page.more}
        if page.next:
            body["next"] = page.next
        body["versions"] = sorted((m["version"] for m in page.manifest), key=version_key)
        return taxii_json(body, _date_headers(page))


@router.delete("/taxii2/api/collections/{collection_id}/objects/{object_id}/",
               openapi_extra=_documented("match[version]", "match[spec_version]"))
def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
    """§5.7 Delete an Object (every version, or those match[version] names). The collection must be
    readable and writable by the partner (403 otherwise); an object it may not see is not found
    (404, as if absent); only the object's producer may delete it (403)."""
    with session(request, write=True) as (conn, who):
        granted = _granted(conn, who, collection_id, "delete-object")
        versions = _filters(request, {"match[version]", "match[spec_version]"}, default_version="all").versions
        try:
            taxii.delete_object(conn, who, granted.collection["id"], object_id, versions, granted=granted)
        except taxii.Forbidden:
            raise TaxiiError(403, "Forbidden", "deleting needs read and write rights on this collection, and only "
                                               "the partner that shared an object may delete it") from None
        except taxii.Hidden:
            raise TaxiiError(404, "Not Found", f"no object {object_id} you may see") from None
        return Response(status_code=200, media_type=TAXII)
