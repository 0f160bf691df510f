"""JSON API routes. Each parses its parameters, calls one service function and returns JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import Connection

from cyberdip.services import catalogue
from cyberdip.services import timeline as timeline_service
from cyberdip.services.workbench import Workbench

router = APIRouter()


def connection(request: Request) -> Iterator[Connection]:
    workbench: Workbench = request.app.state.workbench
    with workbench.reading() as conn:
        yield conn


Conn = Annotated[Connection, Depends(connection)]


def parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: expected a date as YYYY-MM-DD, got {value!r}") from None


@router.get("/search", summary="Find records by name, alias, acronym, symbol or id")
def search(conn: Conn, q: Annotated[str, Query(min_length=1, max_length=200)],
           limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[catalogue.SearchHit]:
    return catalogue.search(conn, q, limit=limit)


@router.get("/records/{ref:path}/history", summary="The change log of one record")
def record_history(conn: Conn, ref: str) -> list[dict[str, Any]]:
    return catalogue.record_history(conn, ref)


@router.get("/records/{ref:path}", summary="Profile of one record, with related records and sources")
def record(
    conn: Conn,
    ref: str,
    as_of: Annotated[str | None, Query(description="what was known on this date (YYYY-MM-DD)")] = None,
    at: Annotated[str | None, Query(description="keep links valid on this date (YYYY-MM-DD)")] = None,
) -> catalogue.Profile:
    return catalogue.profile(conn, ref, as_of=parse_date(as_of, "as_of"), at=parse_date(at, "at"))


@router.get("/actors", summary="States, agencies, organisations, initiatives...")
def actors(
    conn: Conn,
    kind: Annotated[list[str] | None, Query(description="state, agency, organization, initiative...")] = None,
    role: Annotated[str | None, Query(description="agency role, e.g. national_cert")] = None,
    parent: Annotated[str | None, Query(description="the state or organisation agencies belong to")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[dict[str, Any]]:
    return catalogue.list_records(conn, "actor", subkinds=kind, role=role, parent=parent, limit=limit)


@router.get("/instruments", summary="Agreements, treaties, resolutions, reports, strategies...")
def instruments(
    conn: Conn,
    kind: Annotated[list[str] | None, Query(description="bilateral_agreement, treaty, un_report...")] = None,
    owner: Annotated[str | None, Query(description="national strategies of this state")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[dict[str, Any]]:
    return catalogue.list_records(conn, "instrument", subkinds=kind, parent=owner, limit=limit)


@router.get("/timeline", summary="Dated events, instruments, memberships, incidents and claims")
def timeline(
    conn: Conn,
    actor: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100000)] = 200,
) -> list[timeline_service.Entry]:
    return timeline_service.timeline(conn, actor=actor, start=start, end=end, kinds=kind or (), limit=limit)


@router.get("/stats", summary="What the knowledge base holds")
def stats(conn: Conn) -> dict[str, Any]:
    return catalogue.statistics(conn)
