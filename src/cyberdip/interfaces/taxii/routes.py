"""TAXII 2.1 endpoints. Each docstring cites its section of the OASIS TAXII 2.1 specification.

Partners authenticate with ``Authorization: Bearer <API key>``. Every failure is a TAXII error
envelope (§3.6.1). Collections a partner holds no grant on answer 404, as if they did not exist.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cyberdip import __version__
from cyberdip.model.errors import DataError
from cyberdip.model.sharing import version_key
from cyberdip.services import hub_access, taxii
from cyberdip.services.hub_access import Access
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import NotInitialised, Workbench
from cyberdip.store.sharing import AccessTables, AuditEntry

TAXII = "application/taxii+json;version=2.1"
MAX_CONTENT = 10_485_760


@dataclass(frozen=True)
class Operation:
    """One TAXII endpoint: served by the TAXII application and described in the OpenAPI document."""

    method: str
    path: str
    handler: Any  # called with the request and the path's parameters
    query: tuple[str, ...]
    body: bool


OPERATIONS: list[Operation] = []


Handler = TypeVar("Handler", bound=Callable[..., Any])


def _operation(method: str, path: str, *query: str, body: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for ``method path`` (query: the parameters it reads from the query string)."""
    def register(handler: Handler) -> Handler:
        OPERATIONS.append(Operation(method, path, handler, query, body))
        return handler
    return register


def _endpoint(handler: Any) -> Any:
    """The Starlette endpoint calling ``handler`` with the path's parameters; sync handlers run in
    the thread pool, async ones on the event loop."""
    if asyncio.iscoroutinefunction(handler):
        async def on_loop(request: Request) -> Response:
            return await handler(request, **request.path_params)  # type: ignore[no-any-return]
        return on_loop

    def in_thread_pool(request: Request) -> Response:
        return handler(request, **request.path_params)  # type: ignore[no-any-return]
    return in_thread_pool


_LISTING: tuple[str, ...] = ("added_after", "limit", "next", "match[id]", "match[type]", "match[spec_version]",
                             "match[version]")


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
    if _CONTROL.search(request.url.path):
        return "the path holds a control character"
    for name, value in request.query_params.multi_items():
        if _CONTROL.search(name) or _CONTROL.search(value):
            return f"parameter {name[:40]!r} holds a control character"
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Caller(NamedTuple):
    """One request's connection, the partner making it, and the hub's access tables."""

    conn: Connection
    who: str
    tables: AccessTables


def _screen(request: Request, negotiate: bool) -> Workbench:
    """Checks every request passes before it reaches the database."""
    if negotiate and not _accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(406, "Not Acceptable", f"this server answers {TAXII}, not {request.headers.get('accept')}")
    hostile = _control_characters(request)
    if hostile:
        raise TaxiiError(400, "Bad Request", hostile)
    workbench: Workbench = request.app.state.workbench
    workbench.require_schema()
    return workbench


def _caller(conn: Connection, request: Request, workbench: Workbench) -> Caller:
    tables = workbench.access.tables(conn)
    return Caller(conn, _partner(tables, request, workbench.settings), tables)


@contextmanager
def session(request: Request, *, negotiate: bool = True, write: bool = False) -> Iterator[Caller]:
    """The connection for one request and the partner making it; every request is audited, refused
    ones included, before it is answered.

    Reads run without the write lock, and their audit entries are committed by the audit batcher
    together with those of concurrent requests (group commit); the answer waits for that commit,
    and if it fails nothing is answered. Writes run in one transaction with their audit entries.

    Authentication (§1.6.9): an API key as ``Authorization: Bearer <key>``, or a client
    certificate that a trusted TLS-terminating proxy forwards in the configured header."""
    workbench = _screen(request, negotiate)
    refused: TaxiiError | None = None
    if write:
        with workbench.writing() as conn:
            try:
                yield _caller(conn, request, workbench)
            except TaxiiError as exc:
                refused = exc  # commit the refusal's audit entries, then answer
    else:
        read = _AuditedRead()
        with read.open(request, workbench, workbench.reading(snapshot=False)) as caller:
            yield caller
        read.logged.result()
        refused = read.refused
    if refused:
        raise refused


@asynccontextmanager
async def loop_session(request: Request) -> AsyncIterator[Caller]:
    """``session`` for a read that runs on the event loop: waiting for the audit commit frees the
    loop for other requests (whose entries then join the same batch)."""
    workbench = _screen(request, True)
    read = _AuditedRead()
    with read.open(request, workbench, workbench.loop_reading()) as caller:
        yield caller
    await asyncio.wrap_future(read.logged)
    if read.refused:
        raise read.refused


class _AuditedRead:
    """A read request's audit: admitted to the batcher, its entries gathered on the connection and
    handed in however the request ends; the caller waits for ``logged`` before answering."""

    logged: Future[None]
    refused: TaxiiError | None = None

    @contextmanager
    def open(self, request: Request, workbench: Workbench,
             reading: AbstractContextManager[Connection]) -> Iterator[Caller]:
        pending: list[AuditEntry] = []
        workbench.audit.admit()
        try:
            with reading as conn, taxii.deferred_audit(conn, pending):
                caller = _caller(conn, request, workbench)  # refusing an unknown caller leaves no entries
                try:
                    yield caller
                except TaxiiError as exc:
                    self.refused = exc
        finally:
            self.logged = workbench.audit.submit(pending)


def _partner(tables: AccessTables, request: Request, settings: Settings) -> str:
    authorization = request.headers.get("authorization")
    if authorization:
        if not authorization.lower().startswith("bearer "):
            raise TaxiiError(401, "Unauthorized", "send your API key as 'Authorization: Bearer <key>'")
        who = hub_access.partner_for_key(tables, authorization.split(" ", 1)[1].strip())
        if who is None:
            raise TaxiiError(401, "Unauthorized", "unknown or revoked API key")
        return who
    forwarded = request.headers.get(settings.client_cert_header) if settings.client_cert_header else None
    if forwarded and request.client and settings.trusts_proxy(request.client.host):
        try:
            who = hub_access.partner_for_certificate(tables, forwarded)
        except DataError as exc:
            raise TaxiiError(401, "Unauthorized", "; ".join(p.reason for p in exc.problems)) from None
        if who is None:
            raise TaxiiError(401, "Unauthorized", "this client certificate is not registered to a partner, or revoked")
        return who
    raise TaxiiError(401, "Unauthorized", "send your API key as 'Authorization: Bearer <key>'")


def _collection_resource(granted: Access) -> dict[str, Any]:
    c = granted.collection
    return {"id": c["id"], "title": c["title"], "description": c["description"] or "", "alias": c["alias"],
            "can_read": granted.can_read, "can_write": granted.can_write,
            "media_types": ["application/stix+json;version=2.1"]}


@_operation("GET", "/taxii2/")
def discovery(request: Request) -> Response:
    """§4.1 Server Discovery."""
    with session(request):
        return taxii_json({"title": "cyberdip sharing hub", "description": "Threat data shared under agreements",
                           "default": "/taxii2/api/", "api_roots": ["/taxii2/api/"]})


@_operation("GET", "/taxii2/api/")
def api_root(request: Request) -> Response:
    """§4.2 Get API Root Information."""
    with session(request):
        return taxii_json({"title": "cyberdip", "description": f"cyberdip {__version__}", "versions": [TAXII],
                           "max_content_length": MAX_CONTENT})


@_operation("GET", "/taxii2/api/status/{status_id}/")
def status(request: Request, status_id: str) -> Response:
    """§4.3 Get Status: only the partner that made the request sees it."""
    with session(request) as caller:
        try:
            return taxii_json(taxii.status(caller.conn, caller.who, status_id))
        except taxii.Forbidden:
            raise TaxiiError(404, "Not Found", "no such status resource") from None


@_operation("GET", "/taxii2/api/collections/")
def collections(request: Request) -> Response:
    """§5.1 Get Collections: only those the partner may read or write."""
    with session(request) as caller:
        return taxii_json({"collections": [_collection_resource(a)
                                           for a in taxii.collections_for(caller.tables, caller.who)]})


def _granted(caller: Caller, collection_id: str, action: str) -> Access:
    """The partner's access; a collection it holds no grant on is not found (its existence is not
    disclosed), and the attempt is audited."""
    collection = hub_access.find_collection(caller.tables, collection_id)
    if collection is None:
        raise TaxiiError(404, "Not Found", "no such collection")
    granted = hub_access.access(caller.tables, caller.who, collection)
    if not (granted.can_read or granted.can_write):
        taxii.audit_refusal(caller.conn, caller.who, collection["id"], action)
        raise TaxiiError(404, "Not Found", "no such collection")
    return granted


@_operation("GET", "/taxii2/api/collections/{collection_id}/")
def collection(request: Request, collection_id: str) -> Response:
    """§5.2 Get a Collection."""
    with session(request) as caller:
        return taxii_json(_collection_resource(_granted(caller, collection_id, "get-collection")))


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
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise TaxiiError(400, "Bad Request", f"limit must be a positive whole number, got {raw!r}")
    return min(int(raw), taxii.MAX_PAGE)


def _read(caller: Caller, collection_id: str, request: Request, filters: taxii.Filters, *,
          limit: int, cursor: str | None, manifest: bool = False) -> taxii.Page:
    granted = _granted(caller, collection_id, "get-manifest" if manifest else "get-objects")
    try:
        return taxii.read_objects(caller.conn, caller.who, collection_id, filters, limit=limit, cursor=cursor,
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


@_operation("GET", "/taxii2/api/collections/{collection_id}/objects/", *_LISTING)
def get_objects(request: Request, collection_id: str) -> Response:
    """§5.4 Get Objects, filtered by TLP and grants, paged with signed cursors."""
    with session(request) as caller:
        page = _read(caller, collection_id, request, _filters(request), limit=_limit(request),
                     cursor=request.query_params.get("next"))
        return _envelope(page, manifest=False)


@_operation("GET", "/taxii2/api/collections/{collection_id}/manifest/", *_LISTING)
def get_manifest(request: Request, collection_id: str) -> Response:
    """§5.3 Get Object Manifests: the same visibility as objects."""
    with session(request) as caller:
        page = _read(caller, collection_id, request, _filters(request), limit=_limit(request),
                     cursor=request.query_params.get("next"), manifest=True)
        return _envelope(page, manifest=True)


@_operation("GET", "/taxii2/api/collections/{collection_id}/objects/{object_id}/",
            "added_after", "limit", "next", "match[version]", "match[spec_version]")
async def get_object(request: Request, collection_id: str, object_id: str) -> Response:
    """§5.6 Get an Object: every visible version asked for, or 404 — withheld objects are not found.

    The busiest call partners make, and a bounded one (one object's versions, a few index probes):
    it runs on the event loop rather than in the thread pool, whose hand-offs and lock contention
    cost more than the work itself (8 concurrent clients: ~900 requests/s instead of ~500). The
    endpoints that can read thousands of objects stay in the thread pool."""
    async with loop_session(request) as caller:
        filters = _filters(request, {"added_after", "limit", "next", "match[version]", "match[spec_version]"})
        page = _read(caller, collection_id, request, taxii.Filters(
            filters.added_after, (object_id,), spec_versions=filters.spec_versions, versions=filters.versions),
            limit=_limit(request), cursor=request.query_params.get("next"))
        if not page.bodies:
            raise TaxiiError(404, "Not Found", f"no object {object_id} you may see")
        return _envelope(page, manifest=False)


@_operation("POST", "/taxii2/api/collections/{collection_id}/objects/", body=True)
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
    with session(request, negotiate=False, write=True) as caller:
        granted = _granted(caller, collection_id, "add-objects")
        try:
            result = taxii.add_objects(caller.conn, caller.who, granted.collection["id"], envelope, granted=granted)
        except taxii.Forbidden:
            raise TaxiiError(403, "Forbidden", "your grants do not allow writing to this collection") from None
        except DataError as exc:
            raise TaxiiError(400, "Bad Request", "; ".join(p.reason for p in exc.problems)) from None
        return Response(json.dumps(result), status_code=202, media_type=TAXII)


@_operation("GET", "/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/",
            "added_after", "limit", "next", "match[spec_version]")
def get_versions(request: Request, collection_id: str, object_id: str) -> Response:
    """§5.8 Get Object Versions: the versions of an object the partner may see."""
    with session(request) as caller:
        filters = _filters(request, {"added_after", "limit", "next", "match[spec_version]"})
        page = _read(caller, collection_id, request, taxii.Filters(
            filters.added_after, (object_id,), spec_versions=filters.spec_versions, versions=("all",)),
            limit=_limit(request), cursor=request.query_params.get("next"), manifest=True)
        if not page.manifest:
            raise TaxiiError(404, "Not Found", f"no object {object_id} you may see")
        body: dict[str, Any] = {"more": page.more}
        if page.next:
            body["next"] = page.next
        body["versions"] = sorted((m["version"] for m in page.manifest), key=version_key)
        return taxii_json(body, _date_headers(page))


@_operation("DELETE", "/taxii2/api/collections/{collection_id}/objects/{object_id}/",
            "match[version]", "match[spec_version]")
def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
    """§5.7 Delete an Object (every version, or those match[version] names). The collection must be
    readable and writable by the partner (403 otherwise); an object it may not see is not found
    (404, as if absent); only the object's producer may delete it (403)."""
    with session(request, write=True) as caller:
        granted = _granted(caller, collection_id, "delete-object")
        versions = _filters(request, {"match[version]", "match[spec_version]"}, default_version="all").versions
        try:
            taxii.delete_object(caller.conn, caller.who, granted.collection["id"], object_id, versions, granted=granted)
        except taxii.Forbidden:
            raise TaxiiError(403, "Forbidden", "deleting needs read and write rights on this collection, and only "
                                               "the partner that shared an object may delete it") from None
        except taxii.Hidden:
            raise TaxiiError(404, "Not Found", f"no object {object_id} you may see") from None
        return Response(status_code=200, media_type=TAXII)


# ---------------------------------------------------------------------------------------------
# The application and its description


def _taxii_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TaxiiError)
    return error_response(exc)


def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer a TAXII error message too (§3.6.1)."""
    assert isinstance(exc, HTTPException)
    response = error_response(TaxiiError(exc.status_code, HTTPStatus(exc.status_code).phrase,
                                         f"{request.method} {request.url.path}: {exc.detail}"))
    response.headers.update(exc.headers or {})
    return response


def _not_initialised(request: Request, exc: Exception) -> Response:
    return error_response(TaxiiError(503, "Service Unavailable", str(exc)))


def create_taxii_app(workbench: Workbench, secret: bytes) -> Starlette:
    """The TAXII 2.1 server: a Starlette application of its own, outside the workbench's middleware
    (no compression, no page machinery) since partners' machines call it thousands of times a second."""
    app = Starlette(routes=[Route(op.path, _endpoint(op.handler), methods=[op.method]) for op in OPERATIONS],
                    exception_handlers={TaxiiError: _taxii_error, HTTPException: _http_error,
                                        NotInitialised: _not_initialised})
    app.state.workbench = workbench
    app.state.taxii_secret = secret
    return app


def openapi_paths() -> dict[str, Any]:
    """The TAXII endpoints as OpenAPI path items, for the workbench's /api/openapi.json."""
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        doc = (op.handler.__doc__ or "").strip()
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"{(\w+)}", op.path)]
        parameters += [{"name": name, "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1} if name == "limit" else {"type": "string"}}
                       for name in op.query]
        item: dict[str, Any] = {
            "tags": ["TAXII 2.1"], "summary": doc.splitlines()[0] if doc else op.path, "description": doc,
            "operationId": f"taxii_{op.handler.__name__}", "parameters": parameters,
            "responses": {"200": {"description": "TAXII content", "content": {TAXII: {"schema": {"type": "object"}}}},
                          "default": {"description": "a TAXII error message (§3.6.1)",
                                      "content": {TAXII: {"schema": {"type": "object", "required": ["title"]}}}}}}
        if op.body:
            item["requestBody"] = {"required": True, "content": {TAXII: {"schema": {
                "type": "object", "required": ["objects"],
                "properties": {"objects": {"type": "array", "items": {"type": "object"}}}}}}}
            item["responses"] = {"202": {"description": "a status resource (§4.3.1)", "content": {
                TAXII: {"schema": {"type": "object"}}}}, "default": item["responses"]["default"]}
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return paths
