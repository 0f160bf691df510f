"""JSON API routes. Each parses its parameters, calls one service function and returns JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from pydantic import Field
from sqlalchemy import Connection

from cyberdip.services import catalogue, forecasts, likeminded, memo, norms, provenance
from cyberdip.services import timeline as timeline_service
from cyberdip.services.votes import Selection
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
           limit: Annotated[int, Query(ge=1, le=500)] = 20,
           kind: Annotated[list[str] | None, Query(description="only this kind or subkind (repeatable)")] = None,
           ) -> list[catalogue.SearchHit]:
    return catalogue.search(conn, q, limit=limit, kinds=kind or ())


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
    known, valid = parse_date(as_of, "as_of"), parse_date(at, "at")
    return memo.memoised(conn, ("api-profile", ref, known, valid),  # a profile reads ~1,000 records of a large state
                         lambda: catalogue.profile(conn, ref, as_of=known, at=valid))


@router.get("/sources", summary="How well the curated knowledge base is sourced")
def sources(conn: Conn) -> dict[str, Any]:
    """Primary share of citations per record kind, records resting on one source, oldest checks,
    and how complete each member or party list is."""
    return provenance.report(conn).as_dict()


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


# ------------------------------------------------------------------------------------------------
# Like-minded analytics


def selection(
    matter: Annotated[str | None, Query(description="matter id or name; sub-matters included")] = None,
    session: Annotated[list[Annotated[int, Field(ge=1, le=999)]] | None,
                       Query(description="General Assembly session(s)")] = None,
    start: Annotated[str | None, Query(alias="from", description="from this date")] = None,
    end: Annotated[str | None, Query(alias="to", description="up to this date")] = None,
) -> Selection:
    return Selection(matter=matter, sessions=tuple(session or ()), start=start, end=end)


Chosen = Annotated[Selection, Depends(selection)]


@router.get("/align", summary="Voting alignment between states (agreement, S, π, κ)")
def align(conn: Conn, chosen: Chosen,
          state: Annotated[list[str], Query(min_length=2, description="two or more states")]) -> dict[str, Any]:
    return likeminded.align(conn, state, chosen).summary()


@router.get("/blocs", summary="Voting blocs by community detection on the κ network, with stability")
def blocs(conn: Conn, chosen: Chosen, measure: str = "kappa",
          seeds: Annotated[int, Query(ge=1, le=200)] = 20,
          resolution: Annotated[float, Query(ge=0.1, le=10)] = 1.0) -> dict[str, Any]:
    return likeminded.blocs(conn, chosen, measure=measure, seeds=seeds, resolution=resolution).summary()


@router.get("/ideal-points", summary="Ideal points per General Assembly session (ordinal IRT)")
def ideal_points(conn: Conn, chosen: Chosen,
                 state: Annotated[list[str] | None, Query(description="only these states")] = None,
                 anchor: str = "state:USA") -> list[dict[str, Any]]:
    result = likeminded.ideal_points(conn, chosen, anchor=anchor)
    shown = {catalogue.resolve(conn, s).id for s in state or []}
    return [{"session": s.session, "state": st, "name": result.names.get(st, st), "ideal_point": x}
            for s in result.sessions for st, x in s.points.items() if not shown or st in shown]


@router.get("/partners/{state}", summary="States ranked by cyber like-mindedness, with evidence")
def partners(conn: Conn, state: str, matter: str | None = None, as_of: str | None = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 20) -> likeminded.PartnerReport:
    return likeminded.partners(conn, state, matter=matter, as_of=parse_date(as_of, "as_of"), limit=limit)


@router.get("/coalition", summary="A General Assembly vote forecast from the votes before it, and the fewest states "
                                   "to turn it")
def coalition(conn: Conn, resolution: str | None = None, matter: str | None = None, important: bool | None = None,
              sponsor: Annotated[list[str] | None, Query(description="a sponsor (repeatable)")] = None,
              title: Annotated[str | None, Query(description="a draft's title (with matter and date)")] = None,
              date: Annotated[str | None, Query(description="the day of the draft's vote")] = None,
              ) -> likeminded.CoalitionResult:
    draft = forecasts.Draft(title, matter or "", date, tuple(sponsor or [])) if title and date else None
    return likeminded.coalition(conn, resolution=resolution, matter=matter, important=important,
                                sponsors=sponsor or [], draft=draft)


@router.get("/backtest", summary="Every recorded vote on a matter forecast from the votes before it, beside two "
                                 "baselines")
def backtest(conn: Conn, matter: str = "matter:cyber", start: Annotated[str, Query(alias="from")] = "2018-01-01",
             ) -> forecasts.Backtest:
    return forecasts.backtest(conn, matter=matter, start=start)


# ------------------------------------------------------------------------------------------------
# Norms, incidents, attribution claims


@router.get("/norms", summary="The norm catalogue: GGE 2015 norms, international law, commitments")
def norm_catalogue(conn: Conn) -> list[dict[str, Any]]:
    return catalogue.list_records(conn, "norm")


@router.get("/norms/summary", summary="Per norm, how often each state is the addressee of each finding")
def norm_summary(conn: Conn, since: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
    return norms.norm_summary(conn, since=since)


@router.get("/incident-schema", summary="JSON Schema of an incident, as `POST /api/assess` expects it")
def incident_schema() -> dict[str, Any]:
    return norms.incident_schema()


@router.get("/assess/{ref:path}", summary="Assess a stored incident against every norm, with explanations")
def assess_stored(conn: Conn, ref: str) -> norms.Assessment:
    return norms.assess_ref(conn, ref)


@router.post("/assess", summary="Assess an incident described in the request body (nothing is stored)")
def assess_posted(conn: Conn, incident: Annotated[dict[str, Any], Body()]) -> norms.Assessment:
    return norms.assess_data(conn, incident)


@router.get("/record/{state}", summary="A state's record: attributions, norms engaged, commitments, responses")
def state_record(conn: Conn, state: str) -> norms.StateRecord:
    return norms.state_record(conn, state)


@router.get("/incidents", summary="Incidents, optionally by actor (either way, by or against), norm engaged and "
                                   "period; the total number of matches is in the X-Total-Count header")
def incident_list(conn: Conn, response: Response, actor: str | None = None,
                  by: Annotated[str | None, Query(description="attributed to this actor")] = None,
                  against: Annotated[str | None, Query(description="against this actor (a victim)")] = None,
                  norm: str | None = None,
                  start: Annotated[str | None, Query(alias="from")] = None,
                  end: Annotated[str | None, Query(alias="to")] = None,
                  sort: Annotated[str, Query(description="date (oldest first), -date or name")] = "date",
                  offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=10000)] = 500) -> list[norms.IncidentRow]:
    found = norms.incident_page(conn, actor=actor, by=by, against=against, norm=norm, start=start, end=end,
                                sort=sort, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(found.total)
    return found.rows


@router.get("/claims", summary="Attribution claims made by one actor (by) and/or naming another (against)")
def claims_between(conn: Conn, by: str | None = None, against: str | None = None) -> list[dict[str, Any]]:
    return norms.claims(conn, by=by, against=against)


@router.get("/claims/{ref:path}", summary="Attribution claims about an incident or group, or by or against an actor")
def claim_list(conn: Conn, ref: str, by: str | None = None, against: str | None = None) -> list[dict[str, Any]]:
    return norms.claims(conn, ref, by=by, against=against)
