"""TAXII 2.1 endpoints. Each docstring cites its section of the OASIS TAXII 2.1 specification.

Partners authenticate with ``Authorization: Bearer <API key>``. Every failure is a TAXII error
envelope (§3.6.1). Collections a partner holds no grant on answer 404, as if they did not exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection

from cyberdip import __version__
from cyberdip.model.errors import DataError
from cyberdip.services import sharing, taxii
from cyberdip.services.workbench import Workbench

TAXII = "application/taxii+json;version=2.1"
router = APIRouter(include_in_schema=False)


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


def _accepts_taxii(accept: str | None) -> bool:
    """§1.6.8 media types: TAXII 2.1 content, with or without the version parameter."""
    if not accept:
        return True
    for item in accept.split(","):
        media = item.split(";")[0].strip().lower()
        params = item.replace(" ", "").lower()
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json" and ("version=" not in params or "version=2.1" in params):
            return True
    return False


def negotiated(accept: Annotated[str | None, Header()] = None) -> None:
    if not _accepts_taxii(accept):
        raise TaxiiError(406, "Not Acceptable", f"this server answers {TAXII}, not {accept}")


def connection(request: Request) -> Iterator[Connection]:
    workbench: Workbench = request.app.state.workbench
    workbench.require_schema()
    with workbench.writing() as conn:  # reads are audited: every request writes its audit entry
        yield conn


Conn = Annotated[Connection, Depends(connection)]


def partner(conn: Conn, authorization: Annotated[str | None, Header()] = None) -> str:
    """§1.6.9 authentication: a partner's API key as a bearer token."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise TaxiiError(401, "Unauthorized", "send your API key as 'Authorization: Bearer <key>'")
    who = sharing.authenticate(conn, authorization.split(" ", 1)[1].strip())
    if who is None:
        raise TaxiiError(401, "Unauthorized", "unknown or revoked API key")
    return who


Partner = Annotated[str, Depends(partner)]
Negotiated = Depends(negotiated)


def _collection_resource(granted: taxii.Access) -> dict[str, Any]:
    c = granted.collection
    return {"id": c["id"], "title": c["title"], "description": c["description"] or "", "alias": c["alias"],
            "can_read": granted.can_read, "can_write": granted.can_write,
            "media_types": ["application/stix+json;version=2.1"]}


@router.get("/taxii2/", dependencies=[Negotiated])
def discovery(who: Partner) -> Response:
    """§4.1 Server Discovery."""
    return taxii_json({"title": "cyberdip sharing hub", "description": "Threat data shared under agreements",
                       "default": "/taxii2/api/", "api_roots": ["/taxii2/api/"]})


@router.get("/taxii2/api/", dependencies=[Negotiated])
def api_root(who: Partner) -> Response:
    """§4.2 Get API Root Information."""
    return taxii_json({"title": "cyberdip", "description": f"cyberdip {__version__}", "versions": [TAXII],
                       "max_content_length": 10_485_760})


@router.get("/taxii2/api/status/{status_id}/", dependencies=[Negotiated])
def status(conn: Conn, who: Partner, status_id: str) -> Response:
    """§4.3 Get Status: only the partner that made the request sees it."""
    try:
        return taxii_json(taxii.status(conn, who, status_id))
    except taxii.Forbidden:
        raise TaxiiError(404, "Not Found", "no such status resource") from None


@router.get("/taxii2/api/collections/", dependencies=[Negotiated])
def collections(conn: Conn, who: Partner) -> Response:
    """§5.1 Get Collections: only those the partner may read or write."""
    return taxii_json({"collections": [_collection_resource(a) for a in taxii.collections_for(conn, who)]})


def _granted(conn: Connection, who: str, collection_id: str) -> taxii.Access:
    try:
        granted = taxii.access(conn, who, collection_id)
    except taxii.Forbidden:
        granted = None
    if granted is None or not (granted.can_read or granted.can_write):
        raise TaxiiError(404, "Not Found", "no such collection")
    return granted


@router.get("/taxii2/api/collections/{collection_id}/", dependencies=[Negotiated])
def collection(conn: Conn, who: Partner, collection_id: str) -> Response:
    """§5.2 Get a Collection."""
    return taxii_json(_collection_resource(_granted(conn, who, collection_id)))


def _filters(request: Request) -> taxii.Filters:
    """§3.4 filtering: added_after, match[id], match[type], match[spec_version]."""
    params = request.query_params
    known = {"added_after", "limit", "next", "match[id]", "match[type]", "match[spec_version]", "match[version]"}
    unknown = [k for k in params if k not in known]
    if unknown:
        raise TaxiiError(400, "Bad Request", f"unknown parameter(s): {', '.join(unknown)}")
    added_after = params.get("added_after")
    if added_after and not _timestamp(added_after):
        raise TaxiiError(400, "Bad Request", f"added_after must be a STIX timestamp, got {added_after!r}")
    def listed(name: str) -> tuple[str, ...]:
        return tuple(v for value in params.getlist(name) for v in value.split(",") if v)

    versions = listed("match[version]") or ("last",)
    bad = [v for v in versions if v not in ("last", "first", "all") and not _timestamp(v)]
    if bad:
        raise TaxiiError(400, "Bad Request", f"match[version] takes last, first, all or timestamps, got {bad[0]!r}")
    return taxii.Filters(added_after, listed("match[id]"), listed("match[type]"), listed("match[spec_version]"),
                         versions)


def _timestamp(value: str) -> bool:
    import datetime as dt

    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value.endswith("Z")
    except ValueError:
        return False


def _page(conn: Connection, who: str, collection_id: str, request: Request, limit: int, manifest: bool) -> Response:
    granted = _granted(conn, who, collection_id)
    try:
        page = taxii.read_objects(conn, who, collection_id, _filters(request), limit=limit,
                                  cursor=request.query_params.get("next"), secret=request.app.state.taxii_secret,
                                  manifest=manifest, granted=granted)
    except taxii.Forbidden:
        raise TaxiiError(403, "Forbidden", "your grants do not allow reading this collection") from None
    except DataError as exc:
        raise TaxiiError(400, "Bad Request", "; ".join(p.reason for p in exc.problems)) from None
    body: dict[str, Any] = {"more": page.more}
    if page.next:
        body["next"] = page.next
    body["objects"] = page.manifest if manifest else page.objects
    headers = {}
    if page.first_added:
        headers = {"X-TAXII-Date-Added-First": page.first_added, "X-TAXII-Date-Added-Last": page.last_added or ""}
    return taxii_json(body, headers)


@router.get("/taxii2/api/collections/{collection_id}/objects/", dependencies=[Negotiated])
def get_objects(conn: Conn, who: Partner, collection_id: str, request: Request,
                limit: Annotated[int, Query(ge=1)] = 100) -> Response:
    """§5.4 Get Objects, filtered by TLP and grants, paged with signed cursors."""
    return _page(conn, who, collection_id, request, limit, manifest=False)


@router.get("/taxii2/api/collections/{collection_id}/manifest/", dependencies=[Negotiated])
def get_manifest(conn: Conn, who: Partner, collection_id: str, request: Request,
                 limit: Annotated[int, Query(ge=1)] = 100) -> Response:
    """§5.3 Get Object Manifests: the same visibility as objects."""
    return _page(conn, who, collection_id, request, limit, manifest=True)


@router.get("/taxii2/api/collections/{collection_id}/objects/{object_id}/", dependencies=[Negotiated])
def get_object(conn: Conn, who: Partner, collection_id: str, object_id: str, request: Request) -> Response:
    """§5.6 Get an Object: every visible version, or none (404) — withheld objects are not found."""
    granted = _granted(conn, who, collection_id)
    filters = _filters(request)
    try:
        page = taxii.read_objects(conn, who, collection_id, taxii.Filters(filters.added_after, (object_id,),
                                                                          versions=filters.versions),
                                  limit=taxii.MAX_PAGE, cursor=None, secret=request.app.state.taxii_secret,
                                  granted=granted)
    except taxii.Forbidden:
        raise TaxiiError(403, "Forbidden", "your grants do not allow reading this collection") from None
    if not page.objects:
        raise TaxiiError(404, "Not Found", f"no object {object_id} you may see")
    return taxii_json({"more": False, "objects": page.objects})


@router.post("/taxii2/api/collections/{collection_id}/objects/")
async def add_objects(conn: Conn, who: Partner, collection_id: str, request: Request) -> Response:
    """§5.5 Add Objects: validated object by object; the status resource says which were stored."""
    content_type = (request.headers.get("content-type") or "").replace(" ", "").lower()
    if not content_type.startswith("application/taxii+json") or ("version=" in content_type
                                                                  and "version=2.1" not in content_type):
        raise TaxiiError(415, "Unsupported Media Type", f"send {TAXII}")
    raw = await request.body()
    if len(raw) > 10_485_760:
        raise TaxiiError(413, "Payload Too Large", "envelopes are limited to 10 MiB")
    try:
        envelope = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TaxiiError(400, "Bad Request", f"not JSON: {exc.msg} at line {exc.lineno}") from None
    granted = _granted(conn, who, collection_id)
    try:
        result = taxii.add_objects(conn, who, granted.collection["id"], envelope, granted=granted)
    except taxii.Forbidden:
        raise TaxiiError(403, "Forbidden", "your grants do not allow writing to this collection") from None
    except DataError as exc:
        raise TaxiiError(400, "Bad Request", "; ".join(p.reason for p in exc.problems)) from None
    return Response(json.dumps(result), status_code=202, media_type=TAXII)


@router.get("/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/", dependencies=[Negotiated])
def get_versions(conn: Conn, who: Partner, collection_id: str, object_id: str, request: Request) -> Response:
    """§5.7 Get Object Versions: the versions of an object the partner may see."""
    granted = _granted(conn, who, collection_id)
    try:
        page = taxii.read_objects(conn, who, collection_id, taxii.Filters(ids=(object_id,), versions=("all",)),
                                  limit=taxii.MAX_PAGE, cursor=None, secret=request.app.state.taxii_secret,
                                  granted=granted)
    except taxii.Forbidden:
        raise TaxiiError(403, "Forbidden", "your grants do not allow reading this collection") from None
    if not page.objects:
        raise TaxiiError(404, "Not Found", f"no object {object_id} you may see")
    return taxii_json({"more": False, "versions": sorted(o.get("modified", "") for o in page.objects)})


@router.delete("/taxii2/api/collections/{collection_id}/objects/{object_id}/")
def delete_object(conn: Conn, who: Partner, collection_id: str, object_id: str, request: Request) -> Response:
    """§5.8 Delete an Object (every version, or those named by match[version] timestamps)."""
    granted = _granted(conn, who, collection_id)
    versions = _filters(request).versions
    try:
        removed = taxii.delete_object(conn, who, granted.collection["id"], object_id, versions, granted=granted)
    except taxii.Forbidden:
        raise TaxiiError(403, "Forbidden", "your grants do not allow deleting in this collection") from None
    if not removed:
        raise TaxiiError(404, "Not Found", f"no object {object_id}")
    return Response(status_code=200, media_type=TAXII)
