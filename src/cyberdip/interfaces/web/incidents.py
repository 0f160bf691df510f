"""Incident, incident list, norm catalogue and timeline pages.

Each page calls the service its ``/api`` twin calls and links to it: the incident page
``norms.assess_ref`` (``/api/assess/{id}``), the norm catalogue ``catalogue.list_records``
(``/api/norms``) and the timeline ``timeline.timeline`` (``/api/timeline``). The incident list
calls ``norms.incidents`` (``/api/incidents``); which norms each incident engages comes from
``incident_views.all_findings``: the same assessment, computed once per load of the database
instead of once per request.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from cyberdip.analysis.attribution import Strength
from cyberdip.interfaces import maps
from cyberdip.interfaces.web.pages import kind_page, workbench
from cyberdip.interfaces.web.render import Cell, Table, cell, page, record_link, svg
from cyberdip.model import Incident
from cyberdip.model.errors import NotFound
from cyberdip.services import catalogue, incident_links, incident_views, norms
from cyberdip.services import timeline as timeline_service

router = APIRouter(include_in_schema=False)

# ---------------------------------------------------------------------------------------------
# Vocabulary shown to readers

#: finding status → (label, CSS class of its badge), strongest first
STATUS: dict[str, tuple[str, str]] = {
    "violation_alleged": ("violation alleged", "violation"),
    "contested": ("contested", "contested"),
    "undetermined": ("undetermined", "undetermined"),
    "compliance": ("compliance", "compliance"),
    "not_engaged": ("not engaged", "not-engaged"),
}
ACTOR_TYPES = {
    "state": "a state's own agencies or armed forces",
    "state_proxy": "a proxy acting for a state",
    "criminal": "criminals",
    "hacktivist": "hacktivists",
    "unknown": "unknown",
}
NEXUS = {
    "organ": "its own agencies or armed forces",
    "directed": "directed or controlled the operators",
    "supported": "gave material support",
    "tolerated": "knew and let it happen",
    "territory": "only its territory or infrastructure was used",
}
LAUNCH_RESPONSE = {"acted": "acted to stop it", "refused": "refused to act", "no_response": "did not respond"}
CATEGORY = {"norm": "norm", "international_law": "international law", "commitment": "commitment"}
CLAIM_TYPES = {
    "political_statement": "political statement",
    "indictment": "indictment",
    "sanctions": "sanctions",
    "technical_report": "technical report",
    "media_report": "media report",
    "self_attribution": "self-attribution",
}
STRENGTH = {
    "several_governments": "several governments",
    "one_government": "one government",
    "industry": "industry reports only",
    "media": "media reports only",
    "self": "self-claimed only",
    "none": "none",
}
#: colours of the timeline's kinds (Okabe and Ito, as the maps use)
KIND_COLOURS = dict(zip(timeline_service.ALL_KINDS, [*maps.CATEGORIES, "#999999", "#7f3c8d"], strict=False))
ID_PATTERN = re.compile(r"[a-z]+:[A-Za-z0-9_\-/]+(?:\.[A-Za-z0-9_\-/]+)*")
TIMELINE_LIMIT = 5000  # records read for the chart and the download
TIMELINE_SHOWN = 500  # rows of them rendered in the page (the latest)


def _text(value: Any) -> str:
    return str(value).replace("_", " ")


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _with_names(text: str, names: dict[str, str]) -> str:
    """Replace record ids in a service's sentence by the records' names."""
    return ID_PATTERN.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def _source(sources: Sequence[dict[str, Any]] | None) -> Cell | None:
    if not sources:
        return None
    first = sources[0]
    return cell(first.get("publisher") or first.get("title"), str(first.get("url")), first.get("title"))


def _claimant(claim: dict[str, Any], names: dict[str, str]) -> Cell:
    if claim.get("claimant"):
        return record_link(claim["claimant"], names.get(claim["claimant"]))
    return cell(claim.get("claimant_name") or "unknown")


@dataclass
class Problem:
    """A filter the page could not use: what is wrong, and links to what the reader may have meant."""
    message: str
    suggestions: list[Cell] = field(default_factory=list)
    lead: str = "Did you mean:"


def _problem(request: Request, parameter: str, exc: Exception, names: dict[str, str] | None = None) -> Problem:
    if isinstance(exc, NotFound):
        suggestions = [cell(f"{(names or {}).get(s, s)} ({s})", _with_param(request, parameter, s))
                       for s in exc.suggestions]
        if not suggestions:
            return Problem(f"{parameter}: nothing in the knowledge base matches “{exc.ref}”.",
                           [cell(f"search for “{exc.ref}”", f"/search?q={quote(exc.ref)}")], "Try the")
        return Problem(f"{parameter}: nothing in the knowledge base matches “{exc.ref}”.", suggestions)
    return Problem(f"{parameter}: {exc}")


def _with_param(request: Request, name: str, value: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items()
              if k != name and k not in ("download", "format")]
    return request.url.path + "?" + urlencode([*params, (name, value)])


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()[:200]
    return value or None


# ---------------------------------------------------------------------------------------------
# The incident page


@dataclass
class Fact:
    label: str
    text: str | None = None
    links: list[Cell] = field(default_factory=list)

    @property
    def unknown(self) -> bool:
        return self.text is None and not self.links


@dataclass
class FindingView:
    norm: Cell
    addressee: Cell | None
    status: str
    label: str
    css: str
    met: list[str]
    unmet: list[str]
    unknown: list[str]
    explanation: str
    attribution: str | None
    commitments: list[dict[str, str | None]]


def _facts(incident: Incident, names: dict[str, str]) -> list[tuple[str, list[Fact]]]:
    def links(ids: Iterable[str]) -> list[Cell]:
        return [record_link(i, names.get(i)) for i in ids]

    when = incident.start + (f" to {incident.end}" if incident.end else "")
    launch = []
    for x in incident.launched_from:
        notified = {True: "notified", False: "not notified", None: "notification not known"}[x.notified]
        reaction = LAUNCH_RESPONSE.get(x.response or "", "response not known")
        launch.append(cell(f"{names.get(x.state, x.state)} ({notified}; {reaction})", f"/r/{quote(x.state, safe=':')}"))
    nexus = [cell(f"{names.get(n.state, n.state)}: {NEXUS[n.nexus.value]}", f"/r/{quote(n.state, safe=':')}")
             for n in incident.nexus]
    who = [
        Fact("When", when),
        Fact("Also known as", ", ".join(incident.aliases) or None) if incident.aliases else None,
        Fact("Carried out by", ACTOR_TYPES.get(incident.actor_type or "") if incident.actor_type else None),
        Fact("Alleged state involvement (nexus)", links=nexus),
        Fact("Threat groups", links=links(incident.groups)),
        Fact("Launched from the territory of", links=launch),
    ]
    whom = [
        Fact("Victims", links=links(incident.victims)),
        Fact("Sectors", ", ".join(_text(s) for s in incident.sectors) or None),
        Fact("Critical infrastructure hit", _yes_no(incident.critical_infrastructure)),
        Fact("Public services impaired", _yes_no(incident.public_services_impaired)),
        Fact("Targeted a CERT or CSIRT", _yes_no(incident.targets_cert)),
        Fact("Targeted an international organisation", _yes_no(incident.targets_international_organization)),
        Fact("Targeted elections or political processes", _yes_no(incident.targets_elections)),
    ]
    how = [
        Fact("Supply-chain compromise", _yes_no(incident.supply_chain)),
        Fact("Through a managed service provider", _yes_no(incident.managed_service_provider)),
        Fact("Zero-day vulnerabilities used", _yes_no(incident.zero_days)),
        Fact("Self-propagating (worm-like spread)", _yes_no(incident.self_propagating)),
        Fact("Vulnerability withheld by", links=links(incident.vulnerability_withheld_by))
        if incident.vulnerability_withheld_by else None,
    ]
    effect = [
        Fact("Effects", ", ".join(_text(e.value) for e in incident.effects) or None),
        Fact("Effects across borders", _yes_no(incident.cross_border)),
        Fact("Context", _text(incident.context) if incident.context else None),
        Fact("Target a lawful military objective", _yes_no(incident.military_objective))
        if incident.context == "armed_conflict" else None,
        Fact("Assistance requested", _yes_no(incident.assistance_requested)),
        Fact("Assistance given", _yes_no(incident.assistance_given)),
        Fact("Notes", incident.notes) if incident.notes else None,
    ]
    return [(title, [f for f in facts if f is not None]) for title, facts in
            (("Who", who), ("Against whom", whom), ("How", how), ("Effects and context", effect))]


def _finding_view(finding: Any, names: dict[str, str], norm_names: dict[str, str]) -> FindingView:
    label, css = STATUS[finding.status]
    return FindingView(
        norm=record_link(finding.norm, norm_names.get(finding.norm)),
        addressee=record_link(finding.addressee, names.get(finding.addressee)) if finding.addressee else None,
        status=finding.status, label=label, css=css, met=[_with_names(c, names) for c in finding.met],
        unmet=[_with_names(c, names) for c in finding.unmet], unknown=[_with_names(c, names) for c in finding.unknown],
        explanation=_with_names(finding.explanation, names),
        attribution=_with_names(finding.attribution, names) if finding.attribution else None,
        commitments=[{"text": c.text, "instrument": c.instrument, "since": c.since} for c in finding.commitments])


def _incident_map(incident: Incident, attribution: Sequence[Strength], claims: Sequence[dict[str, Any]],
                  names: dict[str, str]) -> str | None:
    attributed = {s.state for s in attribution} | {n.state for n in incident.nexus
                                                   if n.nexus.value in ("organ", "directed", "supported")}
    victims = {v for v in incident.victims if v.startswith("state:")}
    attributing = {c.get("claimant_state") or c.get("claimant") or "" for c in claims
                   if c.get("claimant_kind") == "government"}
    colours = {"attributed": maps.CATEGORIES[5], "victim": maps.CATEGORIES[0], "attributing": maps.CATEGORIES[2]}
    fills: dict[str, str] = {}
    labels: dict[str, str] = {}
    for role, states in (("attributing", attributing), ("victim", victims), ("attributed", attributed)):
        for state in states:
            code = maps.state_code(state)
            if not code:
                continue
            fills[code] = colours[role]  # later roles win: attributed over victim over attributing
            roles = [r for r, s in (("attributed to", attributed), ("victim", victims),
                                    ("attributing government", attributing)) if state in s]
            labels[code] = f"{names.get(state, state)}: {', '.join(roles)}"
    if not fills:
        return None
    legend = [(colours["attributed"], "attributed to (by a claim or the alleged nexus)"),
              (colours["victim"], "victim"), (colours["attributing"], "government that attributed it")]
    return maps.world_map(maps.Layer(fills, labels, legend),
                          title=f"{incident.name}: attributed states, victim states and attributing governments")


@kind_page("incident")
def incident_page(request: Request, connection: Connection, record_id: str) -> Response:
    assessment = norms.assess_ref(connection, record_id)
    incident = Incident.model_validate(assessment.incident)
    claims = assessment.claims
    group_claims = [c for group in incident.groups for c in norms.claims(connection, group)
                    if c.get("subject") == group]
    responses = incident_views.responses(connection, record_id)
    others = incident_links.linked(connection, record_id)
    same = [x.id for x in others if x.status == "same"]
    for other_claim in norms.claims_about(connection, same):  # the same incident's claims in other datasets
        claims = [*claims, {**other_claim, "_from": other_claim.get("subject")}]
    datasets = {x.id: incident_links.DATASET_LABELS.get(x.dataset, x.dataset) for x in others}
    stored_origin = catalogue.resolve(connection, record_id).origin
    ids = {*incident.victims, *incident.groups, *incident.vulnerability_withheld_by,
           *(n.state for n in incident.nexus), *(x.state for x in incident.launched_from),
           *(f.addressee for f in assessment.findings), *(f.norm for f in assessment.findings),
           *(s.state for s in assessment.attribution),
           *(c for s in assessment.attribution for c in (*s.claimants, *s.contested_by)),
           *(c.get(k) or "" for c in [*claims, *group_claims]
             for k in ("claimant", "claimant_state", "attributed_to", "subject")),
           *(r["actor"] for r in responses), *(t for r in responses for t in r["targets"]),
           *(found for x in others for found in ID_PATTERN.findall(x.basis))}
    names = catalogue.names(connection, ids)
    norm_names = {f.norm: names.get(f.norm, f.norm) for f in assessment.findings}

    order = list(STATUS)
    views = sorted((_finding_view(f, names, norm_names) for f in assessment.findings),
                   key=lambda v: order.index(v.status))
    engaged = [v for v in views if v.status != "not_engaged"]
    quiet = [v for v in views if v.status == "not_engaged"]
    settle: dict[str, list[FindingView]] = {}  # a missing fact → the open findings it would decide
    for v in engaged:
        for condition in v.unknown:
            settle.setdefault(condition, []).append(v)

    claim_table = Table("claims", "Attribution claims", ["date", "claimant", "kind of claimant", "attributed to",
                                                         "type", "basis", "confidence", "source", "record"],
                        [[c.get("date") or "unknown", _claimant(c, names), _text(c.get("claimant_kind", "")),
                          record_link(c["attributed_to"], names.get(c["attributed_to"])),
                          CLAIM_TYPES.get(c.get("type", ""), c.get("type")), c.get("basis"), c.get("confidence"),
                          _source(c.get("sources")),
                          record_link(c["_from"], datasets.get(c["_from"])) if c.get("_from") else "this one"]
                         for c in claims],
                        empty="No public attribution claim is recorded for this incident. Add one with "
                              "`cyberdip import records` (a claim record whose subject is this incident).")
    group_table = Table("group-claims", "Claims tying the threat groups to states",
                        ["date", "group", "claimant", "attributed to", "type", "source"],
                        [[c.get("date"), record_link(c["subject"], names.get(c["subject"])), _claimant(c, names),
                          record_link(c["attributed_to"], names.get(c["attributed_to"])),
                          CLAIM_TYPES.get(c.get("type", ""), c.get("type")), _source(c.get("sources"))]
                         for c in group_claims],
                        empty="No claim ties the groups named here to a state.")
    strength_table = Table("attribution", "Attribution strength per state",
                           ["state", "strength", "claimants", "other states named"],
                           [[record_link(s.state, names.get(s.state)), STRENGTH.get(s.level, s.level),
                             ", ".join(names.get(c, c) for c in s.claimants),
                             ", ".join(names.get(c, c) for c in s.contested_by)] for s in assessment.attribution],
                           empty="No state is named by the claims recorded.")
    response_table = Table("responses", "Responses", ["date", "who", "what", "against", "summary", "source"],
                           [[r["date"], record_link(r["actor"], names.get(r["actor"])), _text(r["kind"]),
                             ", ".join(names.get(t, t) for t in r["targets"]), r["summary"],
                             _source(r.get("sources"))] for r in responses],
                           empty="No response (statement, sanctions, indictment…) is recorded for this incident.")
    finding_table = Table("findings", "Every finding", ["norm", "state judged", "status", "explanation"],
                          [[v.norm, v.addressee, v.label, v.explanation] for v in views])
    records_table = Table("records", "The same incident in other datasets",
                          ["dataset", "record", "date", "link", "evidence", "decided by"],
                          [[datasets[x.id], record_link(x.id, x.name), x.start or "unknown",
                            "same incident" if x.status == "same" else "possibly the same (not confirmed)",
                            _with_names(x.basis, names), x.decided_by] for x in others],
                          empty="No other dataset's record of this incident is linked to it.")
    world = _incident_map(incident, assessment.attribution, claims, names)
    return page(request, "incident.html", title=incident.name, api=f"/api/assess/{quote(record_id, safe=':/')}",
                tables=[claim_table, group_table, strength_table, response_table, finding_table, records_table],
                dataset=incident_links.DATASET_LABELS.get(stored_origin, stored_origin),
                speaks_for=next((x for x in others if x.status == "same"
                                 and incident_links.rank(x.dataset) < incident_links.rank(stored_origin)), None),
                datasets=datasets, incident=incident, facts=_facts(incident, names), engaged=engaged, quiet=quiet,
                settle=settle,
                ruleset=assessment.ruleset, world=svg(world) if world else None,
                claims_link=f"/api/claims/{quote(record_id, safe=':/')}")


# ---------------------------------------------------------------------------------------------
# The incident list


def _short(entry: incident_views.NormEntry | None, norm_id: str) -> str:
    if entry is None:
        return norm_id
    return entry.code if entry.code.startswith("13(") else entry.title


#: incidents shown per page (downloads hold every match)
PAGE_SIZE = 100
#: the actor filters: parameter, what it keeps, and how the page says it
ACTOR_FILTERS = (("actor", "involving", "attributed to it or against it"),
                 ("by", "attributed to", "by a claim or its own record"),
                 ("against", "against", "as a victim"))


@router.get("/incidents")
def incident_list(request: Request, actor: str = "", by: str = "", against: str = "", norm: str = "",
                  start: Annotated[str, Query(alias="from")] = "",
                  end: Annotated[str, Query(alias="to")] = "", sort: str = "date",
                  page_number: Annotated[str, Query(alias="page")] = "1") -> Response:
    refs = {"actor": _clean(actor), "by": _clean(by), "against": _clean(against)}
    norm_ref, start_ref, end_ref = _clean(norm), _clean(start), _clean(end)
    problems: list[Problem] = []
    found_page = norms.IncidentPage(0, 0, [])
    chosen: list[tuple[str, str, Cell]] = []  # (parameter, words, the actor)
    chosen_norm: str | None = None
    downloading = bool(request.query_params.get("download"))
    if sort not in norms.INCIDENT_SORTS:
        problems.append(Problem(f"sort: “{sort}” is not an order; choose date (oldest first), -date (newest "
                                "first) or name."))
    number = int(page_number) if page_number.isdigit() and int(page_number) >= 1 else 0
    if not number:
        problems.append(Problem(f"page: “{page_number}” is not a page number (1, 2, 3 …)."))
    with workbench(request).reading() as connection:
        catalogue_entries = incident_views.norm_catalogue(connection)
        by_id = {n.id: n for n in catalogue_entries}
        if norm_ref:
            try:
                found = catalogue.resolve(connection, norm_ref)
                if found.kind == "norm":
                    chosen_norm = found.id
                else:
                    problems.append(Problem(f"norm: “{norm_ref}” is {found.name} ({found.id}), not a norm. "
                                            "Choose one from the list."))
            except NotFound as exc:
                problems.append(_problem(request, "norm", exc, {n.id: n.title for n in catalogue_entries}))
        for parameter, words, _ in ACTOR_FILTERS:
            ref = refs[parameter]
            if not ref:
                continue
            try:
                found = catalogue.resolve(connection, ref)
                chosen.append((parameter, words, record_link(found.id, found.name)))
                if found.kind != "actor":
                    problems.append(Problem(f"{parameter}: “{ref}” is {found.name} ({found.id}), "
                                            f"{'an' if found.kind[0] in 'aeiou' else 'a'} {found.kind}, "
                                            "not an actor. Choose a state, an organisation, an agency or a "
                                            "threat group."))
            except NotFound as exc:
                problems.append(_problem(request, parameter, exc, catalogue.names(connection, exc.suggestions)))
        if not problems:
            try:
                found_page = norms.incident_page(
                    connection, actor=refs["actor"], by=refs["by"], against=refs["against"], norm=chosen_norm,
                    start=start_ref, end=end_ref, sort=sort, offset=0 if downloading else (number - 1) * PAGE_SIZE,
                    limit=None if downloading else PAGE_SIZE)
            except ValueError as exc:  # a malformed date
                problems.append(Problem(f"period: {exc}"))
        rows = found_page.rows
        engaged = incident_views.all_findings(connection).engaged_norms() if rows else {}
        names = catalogue.names(connection, {i for r in rows for i in (*r.attributed_to, *r.victims)})
        datasets = incident_links.datasets_of(connection, [i for r in rows for i in (r.id, *r.also)])
    if start_ref and end_ref and not problems and start_ref > end_ref:
        problems.append(Problem(f"period: “from” ({start_ref}) is after “to” ({end_ref}); nothing can match."))
    filtered = any((*refs.values(), norm_ref, start_ref, end_ref))
    table = Table("incidents", "Incidents", ["date", "incident", "attributed to", "victims", "norms engaged",
                                             "recorded by"],
                  [[r.start or "unknown", record_link(r.id, r.name),
                    ", ".join(names.get(a, a) for a in r.attributed_to),
                    ", ".join(names.get(v, v) for v in r.victims),
                    ", ".join(_short(by_id.get(n), n) for n in engaged.get(r.id, [])),
                    Cell(", ".join(dict.fromkeys(datasets.get(i, "") for i in (r.id, *r.also))), None,
                         "; ".join((r.id, *r.also)))] for r in rows],
                  empty="No incident matches these filters. Widen the period, clear the norm, or try another "
                        "actor: a state (Russia or state:RUS), an organisation or a threat group (APT28)."
                  if filtered else "No incidents are recorded yet: run `cyberdip init` to load the curated dataset.")
    params = [(k, v) for k, v in (*refs.items(), ("norm", chosen_norm or norm_ref), ("from", start_ref),
                                  ("to", end_ref)) if v]
    sort_params = params + ([("sort", sort)] if sort != "date" else [])
    pages = max(1, -(-found_page.total // PAGE_SIZE))
    paging = {"page": number, "pages": pages, "first": found_page.offset + 1 if rows else 0,
              "last": found_page.offset + len(rows), "total": found_page.total,
              "previous": _incidents_url(sort_params, number - 1) if number > 1 else None,
              "next": _incidents_url(sort_params, number + 1) if number < pages else None}
    sorts = [(label, _incidents_url(params + ([("sort", key)] if key != "date" else []), 1), key == sort)
             for key, label in (("date", "oldest first"), ("-date", "newest first"), ("name", "by name"))]
    return page(request, "incidents.html", title="Incidents", api="/api/incidents" + (
                    f"?{urlencode(sort_params)}" if sort_params else ""),
                tables=[table], status=400 if problems else 200, problems=problems, norms=catalogue_entries,
                refs={k: v or "" for k, v in refs.items()}, norm=chosen_norm or norm_ref or "",
                start=start_ref or "", end=end_ref or "", sort=sort, chosen=chosen,
                chosen_norm=by_id.get(chosen_norm or ""), paging=paging, sorts=sorts, filtered=filtered)


def _incidents_url(params: list[tuple[str, str]], number: int) -> str:
    return "/incidents?" + urlencode([*params, *([("page", str(number))] if number > 1 else [])])


# ---------------------------------------------------------------------------------------------
# The norm catalogue


@router.get("/norms")
def norm_catalogue(request: Request) -> Response:
    with workbench(request).reading() as connection:
        listed = catalogue.list_records(connection, "norm")
        details = incident_views.norm_catalogue(connection)
        findings = incident_views.all_findings(connection).by_norm()
        states = catalogue.names(connection, {e.addressee for es in findings.values() for e in es})
    wanted = {n["id"] for n in listed}
    entries = [n for n in details if n.id in wanted]
    engaged = {n.id: [e for e in findings.get(n.id, []) if e.status in norms.ENGAGED] for n in entries}
    counts = {n.id: Counter(e.status for e in findings.get(n.id, [])) for n in entries}
    table = Table("norms", "The norm catalogue", ["code", "norm", "category", "source", "year", "addressee",
                                                  "incidents engaging it", "undetermined"],
                  [[n.code, record_link(n.id, n.title), CATEGORY.get(n.category, n.category),
                    cell(n.instrument_symbol or n.instrument_name, f"/r/{quote(n.instrument, safe=':/')}",
                         n.instrument_name) if n.instrument else None, n.year, n.addressee,
                    len({e.incident for e in engaged[n.id]}), counts[n.id]["undetermined"]] for n in entries],
                  numeric=["incidents engaging it", "undetermined"],
                  empty="No norms are recorded yet: run `cyberdip init` to load the curated dataset.")
    flat = Table("engagements", "Incidents engaging each norm", ["norm", "date", "incident", "state judged", "status"],
                 [[record_link(n.id, f"{n.code} {n.title}"), e.date, record_link(e.incident, e.name),
                   record_link(e.addressee, states.get(e.addressee)) if e.addressee else None, STATUS[e.status][0]]
                  for n in entries for e in engaged[n.id]])
    groups = [(title, [n for n in entries if n.category == category]) for category, title in
              (("norm", "The eleven GGE 2015 norms"), ("international_law", "International law"),
               ("commitment", "Commitments in other instruments"))]
    return page(request, "norms.html", title="Norms", api="/api/norms", tables=[table, flat],
                groups=[(t, ns) for t, ns in groups if ns], engaged=engaged, counts=counts, states=states,
                status_labels=STATUS)


# ---------------------------------------------------------------------------------------------
# The timeline


def strip_chart(counts: dict[tuple[str, str], int], title: str) -> tuple[str, list[tuple[str, str]]]:
    """Stacked bars of records per year by kind ((year, kind) → count), as accessible SVG; and the
    legend's (colour, kind)."""
    years = {key: n for key, n in counts.items() if key[0].isdigit()}
    if not years:
        return "", []
    first, last = min(int(y) for y, _ in years), max(int(y) for y, _ in years)
    kinds = [k for k in KIND_COLOURS if any(kind == k for _, kind in years)]
    totals = Counter[int]()
    for (label, _), n in years.items():
        totals[int(label)] += n
    peak_year, peak = max(totals.items(), key=lambda kv: (kv[1], -kv[0]))
    width, height, left, right, top, bottom = 960.0, 200.0, 40.0, 10.0, 12.0, 26.0
    span = last - first + 1
    step = (width - left - right) / span
    bar = max(1.0, step * 0.8)
    scale = (height - top - bottom) / peak
    summary = (f"{sum(totals.values())} records from {first} to {last}; the most in {peak_year} ({peak}). "
               "The table below lists them.")
    out = [f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-labelledby="chart-title '
           f'chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{html.escape(title)}</title>'
           f'<desc id="chart-desc">{html.escape(summary)}</desc>']
    base = height - bottom
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#5b6776" stroke-width="1"/>')
    out.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="#5b6776">{peak}</text>'
               f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="11" fill="#5b6776">0</text>')
    tick = next(t for t in (1, 2, 5, 10, 20, 50, 100) if span / t <= 16)
    for year in range(first, last + 1):
        x = left + (year - first) * step
        y = base
        for kind in kinds:
            n = years.get((str(year), kind), 0)
            if not n:
                continue
            h = n * scale
            y -= h
            out.append(f'<rect x="{x + (step - bar) / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                       f'fill="{KIND_COLOURS[kind]}"><title>{year}: {n} {html.escape(kind)}'
                       f'{"" if n == 1 else "s"}</title></rect>')
        if (year - first) % tick == 0 or (year == last and span <= 16):
            out.append(f'<text x="{x + step / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
                       f'fill="#5b6776">{year}</text>')
    out.append("</svg>")
    return "".join(out), [(KIND_COLOURS[k], k) for k in kinds]


@router.get("/timeline")
def timeline_page(request: Request, actor: str = "", start: Annotated[str, Query(alias="from")] = "",
                  end: Annotated[str, Query(alias="to")] = "",
                  kind: Annotated[list[str] | None, Query()] = None) -> Response:
    actor_ref, start_ref, end_ref = _clean(actor), _clean(start), _clean(end)
    kinds = [k for k in dict.fromkeys(k.strip() for k in kind or []) if k][:20]
    problems: list[Problem] = []
    entries: list[timeline_service.Entry] = []
    chosen_actor: Cell | None = None
    with workbench(request).reading() as connection:
        if actor_ref:
            try:
                found = catalogue.resolve(connection, actor_ref)
                chosen_actor = record_link(found.id, found.name)
            except NotFound as exc:
                problems.append(_problem(request, "actor", exc, catalogue.names(connection, exc.suggestions)))
        unknown = [k for k in kinds if k not in timeline_service.ALL_KINDS]
        if unknown:
            problems.append(Problem(f"kind: unknown kind {', '.join(f'“{k}”' for k in unknown)}; choose from "
                                    f"{', '.join(timeline_service.ALL_KINDS)}.",
                                    [cell(k, _with_param(request, "kind", k)) for k in timeline_service.ALL_KINDS],
                                    "Show only:"))
        per_year: dict[tuple[str, str], int] = {}
        if not problems:
            downloading = request.query_params.get("download") == "timeline"
            try:
                per_year = timeline_service.year_counts(connection, actor=actor_ref, start=start_ref, end=end_ref,
                                                        kinds=kinds)
                entries = timeline_service.timeline(
                    connection, actor=actor_ref, start=start_ref, end=end_ref, kinds=kinds,
                    limit=TIMELINE_LIMIT if downloading else TIMELINE_SHOWN, latest=not downloading)
            except ValueError as exc:  # a malformed date
                problems.append(Problem(f"period: {exc}"))
    if start_ref and end_ref and not problems and start_ref > end_ref:
        problems.append(Problem(f"period: “from” ({start_ref}) is after “to” ({end_ref}); nothing can match."))
    shown_kinds = kinds or list(timeline_service.ALL_KINDS if actor_ref else timeline_service.DEFAULT_KINDS)
    filtered = bool(actor_ref or start_ref or end_ref or kinds)
    table = Table("timeline", "Timeline", ["date", "end", "kind", "what", "id"],
                  [[e.date, e.end, (e.subkind and e.subkind != e.kind and f"{e.kind} · {_text(e.subkind)}") or e.kind,
                    record_link(e.id, e.title), e.id] for e in entries],
                  empty="Nothing dated matches these filters. Widen the period, tick more kinds, or try another "
                        "actor (a state such as China, an organisation such as NATO, an agency such as BSI)."
                  if filtered else "Nothing dated is recorded yet: run `cyberdip init` to load the curated dataset.")
    shown = Table(table.name, table.caption, table.columns, table.rows[-TIMELINE_SHOWN:], table.empty)
    total = sum(per_year.values())
    chart_kinds = [k for k in KIND_COLOURS if any(kk == k for _, kk in per_year)]
    by_year = Table("per-year", "Records per year and kind", ["year", *chart_kinds, "total"],
                    [[year, *(per_year.get((year, k), 0) for k in chart_kinds),
                      sum(per_year.get((year, k), 0) for k in chart_kinds)]
                     for year in sorted({y for y, _ in per_year})], numeric=[*chart_kinds, "total"])
    title = "Records per year by kind" + (f" for {chosen_actor.text}" if chosen_actor else "")
    chart, legend = strip_chart(per_year, title)
    params = [("actor", actor_ref), ("from", start_ref), ("to", end_ref), *(("kind", k) for k in kinds),
              ("limit", str(TIMELINE_LIMIT))]
    query = urlencode([(k, v) for k, v in params if v])
    return page(request, "timeline.html", title="Timeline", api=f"/api/timeline?{query}",
                tables=[table, by_year], status=400 if problems else 200, problems=problems, shown=shown,
                by_year=by_year, chart=svg(chart) if chart else None, legend=legend, actor=actor_ref or "",
                start=start_ref or "", end=end_ref or "", kinds=shown_kinds, all_kinds=timeline_service.ALL_KINDS,
                default_kinds=timeline_service.DEFAULT_KINDS, chosen_actor=chosen_actor,
                truncated=total > TIMELINE_LIMIT, total=total, limit=TIMELINE_LIMIT,
                shown_limit=TIMELINE_SHOWN)
