"""State, organisation and instrument pages.

Each page calls the same service functions as its ``/api`` twins (``catalogue.profile``,
``norms.state_record``, ``norms.incidents``, ``norms.claims``, ``likeminded.partners``,
``likeminded.ideal_points``, ``timeline.timeline``) and links them. Every list on a page is a
:class:`Table`, so it can be downloaded as CSV or JSON from the page's own address. Maps come from
:mod:`cyberdip.interfaces.maps`; the two small charts (a line of ideal points, bars of members per
year) are drawn here as inline SVG.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from cyberdip.analysis.attribution import LEVEL_WORDS, LEVELS
from cyberdip.interfaces import maps
from cyberdip.interfaces.web.pages import kind_page
from cyberdip.interfaces.web.render import Cell, Table, page, record_link, svg
from cyberdip.model.errors import DataError
from cyberdip.model.values import date_ceil, date_floor
from cyberdip.services import catalogue, likeminded, memo, norms
from cyberdip.services import profiles as profile_service
from cyberdip.services import timeline as timeline_service
from cyberdip.services.catalogue import ProfileItem
from cyberdip.services.votes import Selection

router = APIRouter(include_in_schema=False)

#: how many partners a state page ranks, and how many sessions of ideal points it draws
PARTNERS = 10
#: rows a state page draws of its long lists (incidents, claims, findings, responses); the incident
#: list pages through every one, and each table's download holds all its rows
STATE_ROWS = 50
SESSIONS = 10
#: membership roles that do not make an actor a member (for counts and maps)
NOT_MEMBERS = ("observer", "partner", "dialogue_partner")
#: party roles, strongest first (a state that signed and ratified is shown as a party)
PARTY_ROLES = ("party", "signatory", "sponsor", "co_sponsor", "supporter", "participant")
ADD_RECORDS = "Add records with `cyberdip import records FILE` (see docs/curation.md for the format)."
IMPORT_VOTES = ("No UN General Assembly votes are imported. Import them with `cyberdip import unga PATH` "
                "(the unvotes tables, Voeten's Dataverse file or the UN Digital Library export) or "
                "`cyberdip fetch unga`; then ideal points and vote alignment appear here.")


def _api(path: str, **params: Any) -> str:
    pairs = [(k, v) for k, value in params.items() if value is not None
             for v in (value if isinstance(value, (list, tuple)) else [value])]
    return f"/api/{quote(path, safe=':/')}" + (f"?{urlencode(pairs)}" if pairs else "")


def source_cell(sources: Sequence[dict[str, Any]]) -> Cell | None:
    """The first source of a fact, linked; the others counted (and named in the tooltip)."""
    if not sources:
        return None
    first = sources[0]
    text = str(first.get("publisher") or first.get("title") or "source")
    if len(sources) > 1:
        text += f" +{len(sources) - 1}"
    title = "; ".join(str(s.get("title", "")) for s in sources)
    return Cell(text, str(first.get("url") or "") or None, title)


def _names(connection: Connection, ids: Iterable[str | None]) -> dict[str, str]:
    return catalogue.names(connection, (i for i in ids if i))


def _link(record_id: str | None, names: dict[str, str]) -> Cell | None:
    return record_link(record_id, names.get(record_id, record_id)) if record_id else None


def _memo(*key: Any) -> tuple[Any, ...]:
    """Shorthand: the memo key for this module's answers."""
    return ("web.profiles", *key)


def _profile(connection: Connection, record_id: str, at: dt.date | None = None) -> catalogue.Profile:
    """``catalogue.profile``, remembered until the knowledge base changes (pages only read it)."""
    found: catalogue.Profile = memo.memoised(
        connection, _memo("profile", record_id, at), lambda: catalogue.profile(connection, record_id, at=at))
    return found


# ------------------------------------------------------------------------------------------------
# Charts (inline SVG; every label escaped here)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering ``low``–``high``."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10) + 0.0)  # + 0.0: no "-0"
        value += step
    return ticks


def bar_chart(counts: Sequence[tuple[int, int]], *, title: str, unit: str, highlight: int | None = None) -> str:
    """Bars of a count per year, with a tooltip per bar; ``highlight`` marks one year."""
    width, height, left, right, top, bottom = 640.0, 210.0, 40.0, 10.0, 12.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((n for _, n in counts), default=0) or 1
    ticks = [t for t in nice_ticks(0, most) if t == int(t)]
    if ticks[-1] < most:  # the axis ends on a round number above the highest bar
        ticks.append(ticks[-1] + (ticks[1] - ticks[0] if len(ticks) > 1 else most))
    peak = ticks[-1]
    step = plot_w / max(len(counts), 1)
    out = [f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for tick in ticks:
        value = int(tick)
        y = top + plot_h - plot_h * value / peak
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee5"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6776">{value}'
                   "</text>")
    label_every = 1 if len(counts) <= 12 else 5 if len(counts) <= 60 else 10
    for index, (year, n) in enumerate(counts):
        x = left + index * step
        h = plot_h * n / peak
        colour = maps.CATEGORIES[1] if year == highlight else maps.CATEGORIES[0]
        out.append(f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{max(step * 0.8, 0.8):.1f}" '
                   f'height="{h:.1f}" fill="{colour}"><title>{year}: {n} {escape(unit)}</title></rect>')
        if year % label_every == 0 or len(counts) == 1:
            out.append(f'<text x="{x + step / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" '
                       f'fill="#5b6776">{year}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(points: Sequence[tuple[int, float]], *, title: str, x_label: str, y_label: str) -> str:
    """A line through (x, y) points with a zero line; each point has a tooltip."""
    width, height, left, right, top, bottom = 640.0, 220.0, 48.0, 12.0, 12.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min([*ys, 0.0]), max([*ys, 0.0])
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 1, y1 + 1
    pad = (y1 - y0) * 0.08
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float) -> float:
        return left + (plot_w * (x - x0) / (x1 - x0) if x1 > x0 else plot_w / 2)

    def py(y: float) -> float:
        return top + plot_h - plot_h * (y - y0) / (y1 - y0)

    out = [f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for value in nice_ticks(y0, y1):
        y = py(value)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#5b6776" if value == 0 else "#d9dee5"}"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6776">'
                   f"{value:+g}</text>")
    line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
    out.append(f'<polyline points="{line}" fill="none" stroke="{maps.CATEGORIES[0]}" stroke-width="2"/>')
    for x, y in points:
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{maps.CATEGORIES[0]}">'
                   f"<title>{escape(x_label)} {x}: {y:+.3f}</title></circle>")
        out.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 15:.1f}" text-anchor="middle" font-size="11" '
                   f'fill="#5b6776">{x}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" font-size="11" '
               f'fill="#5b6776">{escape(x_label)}</text>')
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="11" fill="#5b6776" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def yearly_counts(periods: Iterable[tuple[str | None, str | None]], *, first: int | None = None,
                  today: dt.date | None = None) -> list[tuple[int, int]]:
    """How many of the periods (start, end as partial dates) are under way at the end of each year
    (this year: today). A period without a start counts from the first year."""
    today = today or dt.date.today()
    spans = [(date_floor(s) if s else None, date_ceil(e) if e else None) for s, e in periods]
    years = [s.year for s, _ in spans if s] + ([first] if first is not None else [])
    if not spans or not years:
        return []
    result = []
    for year in range(min(years), today.year + 1):
        day = min(dt.date(year, 12, 31), today)
        result.append((year, sum(1 for s, e in spans if (s is None or s <= day) and (e is None or e >= day))))
    return result


def _year(value: str | None) -> int | None:
    return int(value[:4]) if value and value[:4].isdigit() else None


def _parse_at(text: str | None) -> tuple[dt.date | None, str | None]:
    if not text:
        return None, None
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, f"“{text}” is not a date: give it as YYYY-MM-DD (e.g. ?at=1990-01-01). Showing today instead."


# ------------------------------------------------------------------------------------------------
# State


#: the kinds of records a state page lists from its profile (incidents, claims and responses come
#: from the norm services)
STATE_PROFILE_KINDS = ("actor", "membership", "party", "instrument", "event")


@kind_page("state")
def state_page(request: Request, connection: Connection, record_id: str) -> Response:
    p: catalogue.Profile = memo.memoised(
        connection, _memo("state-profile", record_id),
        lambda: catalogue.profile(connection, record_id, referring_kinds=STATE_PROFILE_KINDS))
    sections = p.sections
    record: norms.StateRecord = memo.memoised(
        connection, _memo("state_record", record_id), lambda: norms.state_record(connection, record_id))
    # each incident against it once (ours first): the first rows drawn, all of them for the download
    shown_rows = None if request.query_params.get("download") == "against" else STATE_ROWS
    against_page: norms.IncidentPage = memo.memoised(
        connection, _memo("against", record_id, shown_rows),
        lambda: norms.incident_page(connection, against=record_id, sort="-date", limit=shown_rows))
    against = against_page.rows
    against_ids: list[str] = memo.memoised(connection, _memo("against-ids", record_id),
                                           lambda: norms.incident_ids(connection, against=record_id))
    claims: list[dict[str, Any]] = memo.memoised(
        connection, _memo("claims", record_id), lambda: _state_claims(connection, record_id, against_ids))
    report: likeminded.PartnerReport = memo.memoised(
        connection, _memo("partners", record_id, PARTNERS),
        lambda: likeminded.partners(connection, record_id, limit=PARTNERS))
    series, sessions, ideal_note = _ideal_points(connection, record_id)
    closest = [x for x in report.partners if x.score > 0]  # a score of zero or less is no partnership

    strengths: dict[str, list[Any]] = memo.memoised(connection, _memo("against-strengths", record_id),
                                                    lambda: norms.attributions(connection, against_ids))
    agency_items = sections.get("Agencies and bodies", [])
    data = profile_service.details(connection, [item.id for item in agency_items])
    short = _short_names(connection, {e.id for x in closest
                                      for e in x.components["affiliations"].evidence if e.detail == "both"})
    names = _names(connection, [
        *(c.get(k) for c in claims for k in ("claimant", "attributed_to", "subject", "claimant_state")),
        *(x for row in against for x in row.attributed_to),
        *(x for found in strengths.values() for s in found for x in (s.state, *s.claimants)),
        *(c for row in record.attributed_incidents for c in (*row["claimants"], *row["contested_by"])),
        *(row["norm"] for row in record.norms_engaged), *record.norm_summary,
        *(c["instrument"] for c in record.commitments),
        *(r.get("actor") for r in (*record.responses_made, *record.responses_received)),
        *(t for r in (*record.responses_made, *record.responses_received) for t in r.get("targets", [])),
        *(r.get("incident") for r in (*record.responses_made, *record.responses_received)),
    ])

    agencies = Table("agencies", "Agencies and bodies", ["agency", "roles", "founded", "dissolved", "source"],
                     [[record_link(i.id, i.name), ", ".join(r.replace("_", " ") for r in data.get(i.id, {})
                                                            .get("roles", [])),
                       i.start, i.end, source_cell(i.sources)] for i in agency_items],
                     empty=f"No agencies recorded for {p.name}. {ADD_RECORDS}")
    memberships = _membership_table(sections.get("Memberships", []), p.name)
    instruments = Table("instruments", "Instruments it is party to", ["instrument", "role", "date", "source"],
                        [[_other_link(i), _role(i), i.start, source_cell(i.sources)]
                         for i in sections.get("Instruments it is party to", [])],
                        empty=f"No signatures or ratifications recorded for {p.name}. {ADD_RECORDS}")
    strategies = Table("strategies", "Own strategies and instruments", ["adopted", "ended", "instrument", "kind",
                                                                        "source"],
                       [[i.start, i.end, record_link(i.id, i.name), (i.subkind or "").replace("_", " "),
                         source_cell(i.sources)] for i in sections.get("Own strategies and instruments", [])],
                       empty=f"No national strategy recorded for {p.name}. {ADD_RECORDS}")
    commitments = Table("commitments", "Commitments it made through those instruments",
                        ["commitment", "instrument", "role", "since"],
                        [[record_link(c["commitment"], c["text"]), _link(c["instrument"], names),
                          (c.get("role") or "").replace("_", " "), c.get("since")] for c in record.commitments],
                        empty="None of the instruments it joined records commitments.")
    events = Table("events", "Events it took part in", ["date", "event", "kind", "source"],
                   [[i.start, record_link(i.id, i.name), (i.subkind or "").replace("_", " "), source_cell(i.sources)]
                    for i in sections.get("Events", [])],
                   empty=f"No summits, dialogues or visits recorded for {p.name}. {ADD_RECORDS}")
    attributed = Table("attributed", "Incidents attributed to it", ["date", "incident", "attribution strength",
                                                                   "claimed by", "contested by"],
                       [[row["date"], record_link(row["incident"], row["name"]), row["strength"].replace("_", " "),
                         ", ".join(names.get(c, c) for c in row["claimants"]),
                         ", ".join(names.get(c, c) for c in row["contested_by"])]
                        for row in record.attributed_incidents],
                       empty=f"No incident is attributed to {p.name} in the knowledge base.",
                       shown=STATE_ROWS, more=f"/incidents?{urlencode({'by': record_id})}")
    victim = Table("against", "Incidents against it", ["date", "incident", "attributed to", "strength",
                                                         "claimed by"],
                   [[row.start, record_link(row.id, row.name),
                     ", ".join(names.get(s.state, s.state) for s in strengths[row.id])
                     or ", ".join(names.get(s, s) for s in row.attributed_to) or "no attribution recorded",
                     "; ".join(s.level.replace("_", " ") for s in strengths[row.id]),
                     "; ".join(", ".join(names.get(c, c) for c in s.claimants) for s in strengths[row.id])]
                    for row in against],
                   empty=f"No incident against {p.name} is recorded.", total=against_page.total,
                   shown=STATE_ROWS, more=f"/incidents?{urlencode({'against': record_id})}")
    claim_table = Table("claims", "Attribution claims by, against or about incidents against it",
                        ["date", "claimant", "about", "attributed to", "type", "basis", "confidence", "source"],
                        [[c.get("date"), _link(c.get("claimant"), names) or c.get("claimant_name"),
                          _link(c.get("subject"), names), _link(c.get("attributed_to"), names),
                          str(c.get("type", "")).replace("_", " "), c.get("basis"), c.get("confidence"),
                          source_cell(c.get("sources", []))] for c in claims],
                        empty="No attribution claims by or against it are recorded.", shown=STATE_ROWS)
    engaged = Table("norms-engaged", "Norms it is alleged to have engaged", ["incident", "norm", "finding",
                                                                             "explanation"],
                    [[record_link(row["incident"], row["name"]), _link(row["norm"], names),
                      row["status"].replace("_", " "), row["explanation"]] for row in record.norms_engaged],
                    empty="No finding against it: no incident in which it is the addressee of a norm is alleged "
                          "to breach one.", shown=STATE_ROWS)
    statuses = sorted({s for counts in record.norm_summary.values() for s in counts})
    norm_summary = Table("norm-summary", "Findings per norm (as addressee)", ["norm", *statuses],
                         [[_link(norm, names), *(counts.get(s, 0) for s in statuses)]
                          for norm, counts in record.norm_summary.items()],
                         numeric=statuses, empty="No norm findings about it.")
    responses = Table("responses", "Responses it made and received",
                      ["date", "direction", "by", "kind", "incident", "aimed at", "summary", "source"],
                      [[r.get("date"), direction, _link(r.get("actor"), names), r.get("kind"),
                        _link(r.get("incident"), names),
                        ", ".join(names.get(t, t) for t in r.get("targets", [])), r.get("summary"),
                        source_cell(r.get("sources", []))]
                       for direction, rows in (("made", record.responses_made), ("received", record.responses_received))
                       for r in rows],
                      empty="No responses (statements, sanctions, indictments) made or received are recorded.",
                      shown=STATE_ROWS)
    partners = Table("partners", f"Closest partners of {p.name}", ["rank", "state", "score", "votes",
                                                                   "affiliations", "shared", "agreements",
                                                                   "joint attributions", "incidents"],
                     [[rank, record_link(x.id, x.name), x.score, x.components["votes"].summary,
                       x.components["affiliations"].summary,
                       _shared(x.components["affiliations"].evidence, short),
                       x.components["agreements"].summary, x.components["joint_attributions"].summary,
                       x.components["incidents"].summary] for rank, x in enumerate(closest, 1)],
                     numeric=["rank", "score"],
                     empty="No partner found: it shares no organisation, instrument or attribution with another "
                           f"state in the knowledge base. {ADD_RECORDS}")
    ideal = Table("ideal-points", "Ideal point per General Assembly session", ["session", "ideal point"],
                  [[s, x] for s, x in series], numeric=["session", "ideal point"],
                  empty=ideal_note or IMPORT_VOTES)

    code = maps.state_code(record_id)
    peak = max((x.score for x in closest), default=0.0) or 1.0
    fills = {maps.state_code(x.id) or "": maps.sequential(0.35 + 0.65 * x.score / peak) for x in closest}
    labels = {maps.state_code(x.id) or "": f"{x.name}: partner #{rank}, score {x.score:.3f}"
              for rank, x in enumerate(closest, 1)}
    if code:
        fills[code], labels[code] = maps.CATEGORIES[1], p.name
    legend = [(maps.CATEGORIES[1], p.name)]
    if closest:
        legend.append((maps.sequential(1.0), f"its {len(closest)} closest partners (darker: closer)"))
    world = maps.world_map(maps.Layer(fills, labels, legend),
                           title=f"{p.name} and its {len(closest)} closest partners")
    chart = line_chart(series, title=f"Ideal point of {p.name} per General Assembly session",
                       x_label="session", y_label="ideal point") if series else None

    tables = [agencies, memberships, instruments, strategies, commitments, events, attributed, victim, claim_table,
              engaged, norm_summary, responses, partners, ideal]
    twins = [
        ("Profile", _api(f"records/{record_id}")),
        ("Norm record", _api(f"record/{record_id}")),
        ("Incidents", _api("incidents", actor=record_id)),
        ("Attribution claims", _api(f"claims/{record_id}")),
        ("Partners", _api(f"partners/{record_id}", limit=PARTNERS)),
        ("Ideal points", _api("ideal-points", session=list(sessions), state=record_id) if sessions else None),
        ("Timeline", _api("timeline", actor=record_id)),
    ]
    summary = _state_summary(p, data, record, against_page.total, strengths, closest, names)
    return page(request, "state.html", title=p.name, api=_api(f"records/{record_id}"), tables=tables, p=p,
                world=svg(world), chart=svg(chart) if chart else None, report=report, sessions=sessions,
                twins=[(label, href) for label, href in twins if href], record=record, summary=summary)


#: treaties whose status a state page states at the top
SUMMARY_TREATIES = (("Budapest Convention", "instrument:budapest-convention"),
                    ("UN Cybercrime Convention", "instrument:un-cybercrime-convention"))
#: agency roles a state page names at the top, with what a missing one is called in ``lacks``
SUMMARY_ROLES = (("Cybersecurity lead", ("cybersecurity_agency", "coordinator"), "cybersecurity_agency"),
                 ("Foreign-ministry cyber unit", ("foreign_ministry_cyber",), "foreign_ministry_cyber"),
                 ("National CERT", ("national_cert",), "national_cert"))


@dataclass(frozen=True)
class SummaryLine:
    """One line of a state's summary: what, the answer (links), and the source of the first fact."""

    label: str
    values: list[Cell | str]
    source: Cell | None = None
    more: str | None = None  # the section of the page with the rest


def _state_summary(p: catalogue.Profile, agency_data: dict[str, dict[str, Any]], record: norms.StateRecord,
                   against: int, strengths: dict[str, list[Any]],
                   closest: Sequence[likeminded.Partner], names: dict[str, str]) -> list[SummaryLine]:
    """The answer at the top of a state page: its cyber bodies, strategy, treaty status, memberships,
    incidents by and against it and closest partners, each linked and sourced."""
    lines = []
    agencies = [i for i in p.sections.get("Agencies and bodies", []) if not i.end]
    lacks = {a.get("what"): a for a in p.record.get("lacks") or []}
    for label, roles, absence in SUMMARY_ROLES:
        found = [i for i in agencies if set(agency_data.get(i.id, {}).get("roles", [])) & set(roles)]
        if found:
            lines.append(SummaryLine(label, [record_link(i.id, i.name) for i in found[:3]],
                                     source_cell(found[0].sources), "agencies"))
        elif absence in lacks:
            gap = lacks[absence]
            lines.append(SummaryLine(label, [f"none as of {gap.get('as_of')}"], source_cell(gap.get("sources", [])),
                                     "agencies"))
        else:
            lines.append(SummaryLine(label, ["none recorded"], None, "agencies"))
    strategies = [i for i in p.sections.get("Own strategies and instruments", [])
                  if i.subkind == "national_strategy" and not i.end]
    strategy = max(strategies, key=lambda i: i.start or "", default=None)
    lines.append(SummaryLine("National strategy", [record_link(strategy.id, f"{strategy.name} ({strategy.start})")]
                             if strategy else ["none in force recorded" if "national_strategy" not in lacks
                                               else f"none as of {lacks['national_strategy'].get('as_of')}"],
                             source_cell(strategy.sources) if strategy else None, "affiliations"))
    joined = {(i.other or {}).get("id"): i for i in p.sections.get("Instruments it is party to", [])}
    for label, instrument in SUMMARY_TREATIES:
        item = joined.get(instrument)
        status = (f"{_role(item)} since {item.start or 'an unknown date'}" if item
                  else "not a signatory or party on record")
        lines.append(SummaryLine(label, [record_link(instrument, status)],
                                 source_cell(item.sources) if item else None, "affiliations"))
    current = [i for i in p.sections.get("Memberships", []) if i.current and _role(i).replace(" ", "_") == "member"]
    lines.append(SummaryLine(f"Member of ({len(current)})", [_other_link(i) for i in current[:12]]
                             + ([f"and {len(current) - 12} more"] if len(current) > 12 else []) or ["none recorded"],
                             None, "affiliations"))
    by_level = Counter(row["strength"] for row in record.attributed_incidents)
    lines.append(SummaryLine(f"Incidents attributed to it ({len(record.attributed_incidents)})",
                             [Cell(f"{n} {LEVEL_WORDS.get(level, level)}", "#incidents")
                              for level, n in sorted(by_level.items(), key=lambda kv: -LEVELS.index(kv[0]))]
                             or ["none recorded"], None, "incidents"))
    attributed_to = Counter(s.state for found in strengths.values() for s in found)
    lines.append(SummaryLine(f"Incidents against it ({against})",
                             [Cell(f"{n} attributed to {names.get(state, state)}", f"/r/{state}")
                              for state, n in attributed_to.most_common(4)] or
                             ([f"{against}, none attributed"] if against else ["none recorded"]),
                             None, "incidents"))
    lines.append(SummaryLine("Closest partners", [record_link(x.id, x.name) for x in closest[:5]] or ["none found"],
                             None, "partners"))
    return lines


def _short_names(connection: Connection, ids: Iterable[str]) -> dict[str, str]:
    """A short label per record: its shortest alias of at most 20 characters, else its name (cut at 28)."""
    result = {}
    for record_id, data in profile_service.details(connection, ids).items():
        name = str(data.get("name") or record_id)
        aliases = [a for a in data.get("aliases", []) if isinstance(a, str) and 1 < len(a) <= 20]
        if len(name) > 20 and aliases:
            name = min(aliases, key=len)
        result[record_id] = name if len(name) <= 28 else name[:26].rstrip(" ,(") + "…"
    return result


def _shared(evidence: Sequence[likeminded.Evidence], short: dict[str, str]) -> Cell:
    """What two states share, by short names; the full names in the tooltip."""
    both = [e for e in evidence if e.detail == "both"]
    return Cell(", ".join(sorted(short.get(e.id, e.name) for e in both)), None,
                "; ".join(e.name for e in both) or None)


def _state_claims(connection: Connection, state_id: str, against: Sequence[str]) -> list[dict[str, Any]]:
    """Claims made by or against the state, and claims about the incidents against it."""
    found = {c["id"]: c for c in norms.claims(connection, state_id)}
    found.update({c["id"]: c for c in norms.claims_about(connection, against)})
    return sorted(found.values(), key=lambda c: (c.get("date") or "", c["id"]))


def _ideal_points(connection: Connection, state_id: str) -> tuple[list[tuple[int, float]], tuple[int, ...], str | None]:
    """The state's ideal points over the last sessions with votes, the sessions, and why none are shown."""
    sessions: tuple[int, ...] = memo.memoised(
        connection, _memo("sessions", SESSIONS), lambda: profile_service.recent_sessions(connection,
                                                                                                       SESSIONS))
    if not sessions:
        return [], (), IMPORT_VOTES
    selection = Selection(sessions=sessions)
    try:
        result: likeminded.IdealPointsResult = memo.memoised(
            connection, _memo("ideal", sessions), lambda: likeminded.ideal_points(connection, selection))
    except DataError as exc:
        return [], sessions, f"Ideal points could not be estimated: {exc.problems[0].reason if exc.problems else exc}"
    series = result.series(state_id)
    if not series:
        return [], sessions, (f"No ideal point for this state in sessions {sessions[0]}–{sessions[-1]}: it cast "
                              "too few recorded votes (or none).")
    return series, sessions, None


def _role(item: ProfileItem) -> str:
    return (item.other or {}).get("role", "").replace("_", " ")


def _other_link(item: ProfileItem) -> Cell:
    other = item.other or {}
    return record_link(other.get("id") or item.id, other.get("name") or item.name)


def _membership_table(items: Sequence[ProfileItem], name: str) -> Table:
    return Table("memberships", "Memberships of organisations and initiatives",
                 ["organisation", "role", "joined", "left", "status", "source"],
                 [[_other_link(i), _role(i), i.start, i.end, "current" if i.current else "ended",
                   source_cell(i.sources)] for i in items],
                 empty=f"No memberships recorded for {name}. {ADD_RECORDS}")


# ------------------------------------------------------------------------------------------------
# Organisation or initiative


@kind_page("organization", "initiative")
def organisation_page(request: Request, connection: Connection, record_id: str) -> Response:
    at, problem = _parse_at(request.query_params.get("at"))
    whole = _profile(connection, record_id)
    shown = _profile(connection, record_id, at) if at else whole
    everyone = whole.sections.get("Members", [])
    members = shown.sections.get("Members", [])
    if not at:
        members = [m for m in members if m.current]
    counted = [m for m in members if _role(m).replace(" ", "_") not in NOT_MEMBERS]
    day = at or dt.date.today()

    member_rows = [[_other_link(i), _role(i), i.start, i.end, "current" if i.current else "ended",
                    source_cell(i.sources)] for i in everyone]
    at_rows = [[_other_link(i), _role(i), i.start, i.end, source_cell(i.sources)] for i in members]
    history = Table("memberships", "Every membership, current and ended", ["member", "role", "joined", "left",
                                                                          "status", "source"],
                    member_rows, empty=f"No members recorded for {whole.name}. {ADD_RECORDS}")
    on_day = Table("members", f"Members on {day.isoformat()}" if at else "Current members",
                   ["member", "role", "joined", "left", "source"], at_rows,
                   empty=(f"No members recorded for {whole.name} on {day.isoformat()}."
                          if everyone else f"No members recorded for {whole.name}. {ADD_RECORDS}"))
    founded = _year(whole.record.get("founded"))
    counts = yearly_counts(((i.start, i.end) for i in everyone
                            if _role(i).replace(" ", "_") not in NOT_MEMBERS), first=founded)
    by_year = Table("members-by-year", "Members at the end of each year (this year: today)", ["year", "members"],
                    [[year, n] for year, n in counts], numeric=["year", "members"],
                    empty="No membership dates recorded.")
    chart = bar_chart(counts, title=f"Members of {whole.name} at the end of each year",
                      unit="members", highlight=at.year if at else None) if counts else None

    fills: dict[str, str] = {}
    labels: dict[str, str] = {}
    colours = {"member": maps.CATEGORIES[0], "observer": maps.CATEGORIES[1], "partner": maps.CATEGORIES[2],
               "dialogue partner": maps.CATEGORIES[2]}
    not_states = []
    for item in sorted(members, key=lambda i: _role(i) != "member"):  # a member record wins over an observer one
        code = maps.state_code((item.other or {}).get("id", ""))
        if not code:
            not_states.append(item)
            continue
        if code not in fills:
            role = _role(item)
            fills[code] = colours.get(role, maps.CATEGORIES[3])
            since = f" since {item.start}" if item.start else ""
            labels[code] = f"{(item.other or {}).get('name', code)}: {role}{since}"
    used = {_role(i) for i in members if maps.state_code((i.other or {}).get("id", ""))}
    legend = [(colour, role) for role, colour in colours.items() if role in used]
    legend += [(maps.CATEGORIES[3], role) for role in sorted(used - set(colours))]
    when = f"on {day.isoformat()}" if at else "today"
    world = maps.world_map(maps.Layer(fills, labels, legend), title=f"Members of {whole.name} {when}")

    others = [Table(f"related-{n}", title, ["from", "to", "what", "source"],
                    [[i.start, i.end, record_link(i.id, i.name), source_cell(i.sources)] for i in items])
              for n, (title, items) in enumerate((t, i) for t, i in whole.sections.items() if t != "Members")]
    tables = [on_day, history, by_year, *others]
    api = _api(f"records/{record_id}", at=at.isoformat() if at else None)
    return page(request, "organisation.html", title=whole.name, api=api, tables=tables, p=whole,
                status=400 if problem else 200, problem=problem, at=at, day=day, counted=len(counted),
                world=svg(world), chart=svg(chart) if chart else None, not_states=not_states, others=others)


# ------------------------------------------------------------------------------------------------
# Instrument


@kind_page("instrument")
def instrument_page(request: Request, connection: Connection, record_id: str) -> Response:
    p = _profile(connection, record_id)
    parties = p.sections.get("Parties", [])
    commitment_items = p.sections.get("Commitments", [])
    details = profile_service.details(connection, [c.id for c in commitment_items])
    restated = {c.id: list(details.get(c.id, {}).get("norms", [])) for c in commitment_items}
    entries = timeline_service.timeline(connection, actor=record_id, limit=5000)
    names = _names(connection, [n for ids in restated.values() for n in ids])

    party_table = Table("parties", "Parties, signatories and supporters", ["actor", "role", "date", "source"],
                        [[_other_link(i), _role(i), i.start, source_cell(i.sources)] for i in parties],
                        empty=f"No parties recorded for this instrument. {ADD_RECORDS}")
    commitments = Table("commitments", "Commitments", ["commitment", "norms it restates", "source"],
                        [[record_link(c.id, c.name), ", ".join(names.get(n, n) for n in restated[c.id]) or "—",
                          source_cell(c.sources)] for c in commitment_items],
                        empty=f"No commitments recorded for this instrument. {ADD_RECORDS}")
    norm_rows: list[list[Any]] = [[record_link(i.id, i.name), "states it", source_cell(i.sources)]
                                  for i in p.sections.get("Norms", [])]
    seen = {i.id for i in p.sections.get("Norms", [])}
    through: dict[str, list[str]] = defaultdict(list)
    for commitment, ids in restated.items():
        for norm in ids:
            through[norm].append(commitment)
    norm_rows += [[_link(norm, names), f"restated by {len(cs)} commitment{'s' if len(cs) > 1 else ''}", None]
                  for norm, cs in sorted(through.items()) if norm not in seen]
    norm_table = Table("norms", "Norms it states or restates", ["norm", "how", "source"], norm_rows,
                       empty="It states no norm and none of its commitments is linked to one.")
    record = p.record
    key_dates = [(record.get(k), label) for k, label in (("adopted", "adopted or signed"),
                                                          ("in_force", "entered into force"), ("ended", "ended"))]
    events = [[when, Cell(label), "instrument"] for when, label in key_dates if when]
    events += [[e.date, record_link(e.id, e.title), (e.subkind or e.kind).replace("_", " ")]
               for e in entries if e.id != record_id]
    events.sort(key=lambda row: str(row[0]))
    timeline = Table("timeline", "Timeline", ["date", "what", "kind"], events,
                     empty="Nothing dated is recorded about this instrument.")

    fills: dict[str, str] = {}
    labels: dict[str, list[str]] = defaultdict(list)
    colours = {"party": maps.CATEGORIES[0], "signatory": maps.CATEGORIES[4], "other": maps.CATEGORIES[2]}
    best: dict[str, int] = {}
    for item in parties:
        code = maps.state_code((item.other or {}).get("id", ""))
        if not code:
            continue
        role = (item.other or {}).get("role", "")
        rank = PARTY_ROLES.index(role) if role in PARTY_ROLES else len(PARTY_ROLES)
        labels[code].append(f"{role.replace('_', ' ')}{' ' + item.start if item.start else ''}")
        if code not in best or rank < best[code]:
            best[code] = rank
            fills[code] = colours.get(role, colours["other"])
    names_by_code = {maps.state_code((i.other or {}).get("id", "")): (i.other or {}).get("name", "") for i in parties}
    tooltips = {code: f"{names_by_code.get(code) or code}: {'; '.join(parts)}" for code, parts in labels.items()}
    by_role = {role: sum(1 for rank in best.values() if PARTY_ROLES[min(rank, len(PARTY_ROLES) - 1)] == role)
               for role in PARTY_ROLES}
    used = set(fills.values())
    legend = [(colour, "party" if role == "party" else "signatory (not yet party)" if role == "signatory"
               else "sponsor, supporter or participant") for role, colour in colours.items() if colour in used]
    world = maps.world_map(maps.Layer(fills, tooltips, legend), title=f"Parties to {p.name}")
    joined = [(i.start, None) for i in parties if (i.other or {}).get("role") == "party"]
    unit = "parties"
    if not joined:
        joined, unit = [(i.start, None) for i in parties], "actors"
    counts = yearly_counts(joined, first=_year(record.get("adopted")))
    chart = bar_chart(counts, title=f"{unit.capitalize()} of {p.name} at the end of each year",
                      unit=unit) if len(counts) > 1 else None

    others = [Table(f"related-{n}", title, ["from", "to", "what", "source"],
                    [[i.start, i.end, record_link(i.id, i.name), source_cell(i.sources)] for i in items])
              for n, (title, items) in enumerate((t, i) for t, i in p.sections.items()
                                                 if t not in ("Parties", "Commitments", "Norms"))]
    tables = [party_table, commitments, norm_table, timeline, *others]
    twins = [("Profile", _api(f"records/{record_id}")), ("Timeline", _api("timeline", actor=record_id, limit=5000))]
    return page(request, "instrument.html", title=p.name, api=_api(f"records/{record_id}"), tables=tables, p=p,
                world=svg(world), chart=svg(chart) if chart else None, others=others, twins=twins,
                state_parties=len(fills), unit=unit, by_role=by_role)
