"""Home, search and record pages. Each calls the same service function as its /api twin and links to it.

``/r/{id}`` is every record's permalink: states, organisations, instruments and incidents have their
own page (registered with :func:`kind_page` by the modules beside this one); any other record gets
the generic profile.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from cyberdip.interfaces.web.render import Table, cell, page, record_link
from cyberdip.model.errors import NotFound
from cyberdip.services import catalogue, norms, provenance
from cyberdip.services import timeline as timeline_service
from cyberdip.services.workbench import Workbench

router = APIRouter(include_in_schema=False)

#: record kind or subkind → the page that shows it (given the resolved record id)
KindPage = Callable[[Request, Connection, str], Response]
_KIND_PAGES: dict[str, KindPage] = {}


def kind_page(*kinds: str) -> Callable[[KindPage], KindPage]:
    def register(function: KindPage) -> KindPage:
        for kind in kinds:
            _KIND_PAGES[kind] = function
        return function
    return register


def workbench(request: Request) -> Workbench:
    bench: Workbench = request.app.state.workbench
    return bench


@router.get("/")
def home(request: Request) -> Response:
    with workbench(request).reading() as connection:
        stats = catalogue.statistics(connection)
        latest = timeline_service.latest(connection, kinds=("event", "instrument"), limit=10)
        incidents = norms.incident_page(connection, sort="-date", limit=10).rows
        attributed = catalogue.names(connection, (s for i in incidents for s in i.attributed_to))
    counts = Table("holdings", "What the workbench holds", ["kind", "records", "of which"], numeric=["records"],
                   empty="The knowledge base is empty: run `cyberdip init` to load the curated dataset.")
    for kind, total in stats["records"].items():
        parts = ", ".join(f"{sub} {n}" for sub, n in stats["by_subkind"][kind].items() if sub)
        counts.rows.append([kind, total, parts])
    events = Table("latest", "Latest events and instruments", ["date", "what", "kind"],
                   [[e.date, record_link(e.id, e.title), e.subkind or e.kind] for e in latest],
                   empty="Nothing dated yet.")
    recent = Table("incidents", "Latest incidents", ["date", "incident", "attributed to"],
                   [[i.start, record_link(i.id, i.name), ", ".join(attributed[s] for s in i.attributed_to)]
                    for i in incidents],
                   empty="No incidents recorded yet.")
    return page(request, "home.html", title="Home", api="/api/stats", tables=[counts, events, recent],
                stats=stats)


@router.get("/search")
def search(request: Request, q: str = "", kind: str = "") -> Response:
    hits = []
    if q.strip():
        with workbench(request).reading() as connection:
            hits = catalogue.search(connection, q[:200], limit=50, kinds=[kind] if kind else ())
    results = Table("results", f"Results for “{q}”" if q else "Results", ["name", "kind", "matched", "id"],
                    [[record_link(h.id, h.name), h.subkind or h.kind, h.matched, h.id] for h in hits],
                    empty=f"Nothing matches “{q}”. Try a shorter name, an acronym (BSI, CERT-In) or an id "
                          "(state:DEU)." if q else "Type a name, an acronym or an id above.")
    api = f"/api/search?q={quote(q)}" + (f"&kind={quote(kind)}" if kind else "")
    return page(request, "search.html", title="Search", api=api, tables=[results], q=q, kind=kind)


@router.get("/sources")
def sources(request: Request) -> Response:
    with workbench(request).reading() as connection:
        result = provenance.report(connection)
    kinds = Table("kinds", "Citations by record kind",
                  ["kind", "records", "citations", "primary citations", "primary share", "records on one source"],
                  [[k.kind, k.records, k.citations, k.primary, f"{k.primary_share:.0%}", k.single_source]
                   for k in [*result.kinds, result.total]],
                  numeric=["records", "citations", "primary citations", "records on one source"],
                  empty="The knowledge base is empty: run `cyberdip init` to load the curated dataset.")
    classes = Table("classes", "Citations by publisher class", ["class", "citations"],
                    [[name.replace("_", " "), count] for name, count in result.classes.items()], numeric=["citations"])
    lists = Table("lists", "Member and party lists", ["list", "role", "status", "official count", "recorded",
                                                       "as of", "missing"],
                  [[record_link(item.record_id, item.name), item.role, item.status, item.count, item.recorded,
                    item.as_of, item.missing or ""] for item in result.lists],
                  empty="No list declares how complete it is.")
    national = Table("national", "States with each national body or text", ["what", "on record", "says none",
                                                                           "unknown"],
                     [[what.replace("_", " "), count, result.national.lacking[what], len(result.national.missing[what])]
                      for what, count in result.national.recorded.items()] if result.national else [],
                     numeric=["on record", "says none", "unknown"])
    oldest = Table("oldest", "Oldest checks", ["checked", "record", "source"],
                   [[checked, record_link(record_id, record_id), cell(url, url)]
                    for checked, record_id, url in result.oldest_checks])
    return page(request, "sources.html", title="Sources", api="/api/sources",
                tables=[kinds, national, classes, lists, oldest], result=result)


@router.get("/r/{ref:path}")
def record(request: Request, ref: str) -> Response:
    with workbench(request).reading() as connection:
        try:
            found = catalogue.resolve(connection, ref)
        except NotFound as exc:
            return page(request, "not_found.html", title="Not found", api=None, status=404, ref=ref,
                        suggestions=exc.suggestions)
        special = _KIND_PAGES.get(found.subkind or "") or _KIND_PAGES.get(found.kind)
        if special:
            return special(request, connection, found.id)
        profile = catalogue.profile(connection, found.id)
    sections = [Table(f"section-{i}", title, ["from", "to", "what", "source"],
                      [[item.start, item.end, record_link(item.other["id"], item.name) if item.other
                        else record_link(item.id, item.name),
                        cell(item.sources[0]["publisher"], item.sources[0]["url"], item.sources[0]["title"])
                        if item.sources else None] for item in items])
                for i, (title, items) in enumerate(profile.sections.items())]
    return page(request, "record.html", title=profile.name, api=f"/api/records/{quote(found.id, safe=':/')}",
                tables=sections, p=profile, sections=sections)
