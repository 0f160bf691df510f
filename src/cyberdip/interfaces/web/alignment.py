"""The alignment explorer: heatmap, blocs map, partner finder and coalition builder.

One page, one GET form, so every view is a permalink. Only the section asked for (``section=``,
the heatmap by default) is computed: alignment between a few states costs milliseconds, but
community detection over twenty seeds or a coalition forecast costs seconds, so those run only
when their tab is opened. Results are kept in a small in-process memo keyed by the database and
its last load, so going back to a view or downloading its tables does not compute it again, and
any import makes every memoised result stale at once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from cyberdip.interfaces import maps, svgcharts
from cyberdip.interfaces.web.pages import workbench
from cyberdip.interfaces.web.render import Table, cell, page, record_link, svg
from cyberdip.model.errors import DataError, NotFound
from cyberdip.model.values import date_ceil, parse_partial_date
from cyberdip.services import catalogue, likeminded, memo
from cyberdip.services.votes import Selection, select_rollcalls

router = APIRouter(include_in_schema=False)

SECTIONS = {"heatmap": "Heatmap", "blocs": "Blocs", "partners": "Partner finder", "coalition": "Coalition builder"}
#: measure → (symbol, name)
MEASURES = {"kappa": ("κ", "Cohen's κ"), "pi": ("π", "Scott's π"), "s_abs": ("S", "S (absolute)"),
            "s_sq": ("S²", "S (squared)"), "agreement": ("agreement", "Voeten agreement")}
RULES = {"auto": None, "simple": False, "two-thirds": True}
DEFAULT_STATES = "USA, GBR, FRA, RUS, CHN"
MAX_STATES = 40
VOTE_COLOURS = {"yes": "#009E73", "no": "#D55E00", "abstain": "#E69F00"}
EXAMPLE_RESOLUTIONS = ("A/RES/74/247", "A/RES/73/27", "A/RES/73/266")


# ---------------------------------------------------------------------------------------------
# The form


@dataclass(frozen=True)
class Form:
    """The page's query, as typed: every view is ``/alignment?`` + these fields."""
    states: str = ""
    matter: str = ""
    sessions: str = ""
    start: str = ""
    end: str = ""
    measure: str = "kappa"
    section: str = "heatmap"
    partner: str = ""
    resolution: str = ""
    sponsors: str = ""
    rule: str = "auto"
    limit: str = ""

    KEYS: ClassVar[dict[str, str]] = {"start": "from", "end": "to"}  # attribute → query parameter, where they differ

    @classmethod
    def parse(cls, query: Any) -> Form:
        values = {f.name: (query.get(cls.KEYS.get(f.name, f.name)) or "").strip()[:2000]
                  for f in fields(cls)}
        form = cls(**{k: v for k, v in values.items() if v})
        if form.measure not in MEASURES:
            form = replace(form, measure="kappa")
        if form.section not in SECTIONS:
            form = replace(form, section="heatmap")
        if form.rule not in RULES:
            form = replace(form, rule="auto")
        return form

    def params(self) -> list[tuple[str, str]]:
        defaults = Form()
        return [(self.KEYS.get(f.name, f.name), getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) and (getattr(self, f.name) != getattr(defaults, f.name)
                                             or f.name == "section")]

    def link(self, **changes: str) -> str:
        return "/alignment?" + urlencode(replace(self, **changes).params())

    def hidden(self, *shown: str) -> list[tuple[str, str]]:
        """The parameters not shown as fields, kept as hidden inputs so submitting keeps them."""
        return [(k, v) for k, v in self.params() if k not in shown]


@dataclass
class Notice:
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, href)
    error: bool = True


def _sessions(text: str) -> tuple[int, ...]:
    """``73``, ``73, 74``, ``70-74`` → the session numbers."""
    found: list[int] = []
    for part in re.split(r"[,;\s]+", text.replace("–", "-").replace("—", "-")):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", part)
        if not match:
            raise ValueError(f"sessions: “{part}” is not a session number or range (e.g. 73, 73-74)")
        low, high = int(match[1]), int(match[2] or match[1])
        if not 1 <= low <= high <= 999:
            raise ValueError(f"sessions: “{part}” is not a range of General Assembly sessions (1–999)")
        found.extend(range(low, high + 1))
    return tuple(sorted(set(found)))


# ---------------------------------------------------------------------------------------------
# The page


@dataclass
class View:
    """Everything one request resolved, shared by the sections."""
    connection: Connection
    form: Form
    has_votes: bool
    selection: Selection | None
    known: tuple[int, ...]  # the General Assembly sessions with imported votes
    states: list[str]  # resolved state ids, in the order given
    names: dict[str, str]
    notices: list[Notice] = field(default_factory=list)


@router.get("/alignment")
def explorer(request: Request) -> Response:
    started = time.perf_counter()
    bench = workbench(request)
    with bench.reading() as connection:
        stats = catalogue.statistics(connection)
        has_votes = stats["records"].get("rollcall", 0) > 0
        known = memo.memoised(connection, ("alignment", "sessions"),
                              lambda: _known_sessions(connection)) if has_votes else ()
        form = Form.parse(request.query_params)
        if "states" not in request.query_params:
            form = replace(form, states=DEFAULT_STATES)
            if known and not {"sessions", "from", "to", "matter"} & set(request.query_params):
                form = replace(form, sessions=str(known[-1]))
        matters = memo.memoised(connection, ("alignment", "matters"),
                                lambda: catalogue.list_records(connection, "matter"))
        view = View(connection, form, has_votes, None, known, [], {})
        view.selection = _selection(view, matters)
        view.states = _resolve_states(view)
        compute = {"heatmap": _heatmap, "blocs": _blocs, "partners": _partners, "coalition": _coalition}
        section_started = time.perf_counter()
        api, tables, context = compute[form.section](view)
        section_seconds = time.perf_counter() - section_started
        state_options = memo.memoised(connection, ("alignment", "states"), lambda: catalogue.list_records(
            connection, "actor", subkinds=["state"], limit=5000)) if form.section == "partners" else []
    return page(request, "alignment.html", title=f"Alignment explorer · {SECTIONS[form.section]}", api=api,
                tables=tables, form=form, sections=SECTIONS, measures=MEASURES, matters=matters,
                known_sessions=known, has_votes=has_votes, notices=view.notices,
                state_options=state_options, section=form.section, rules=RULES,
                section_ms=round(section_seconds * 1000), page_ms=lambda: round(
                    (time.perf_counter() - started) * 1000), **context)


def _known_sessions(connection: Connection) -> tuple[int, ...]:
    return tuple(sorted({c.session for c in select_rollcalls(connection, Selection()) if c.session is not None}))


def _selection(view: View, matters: list[dict[str, Any]]) -> Selection | None:
    """The roll calls the form picks out, or None (with notices) when part of it is malformed."""
    form, ok = view.form, True
    sessions: tuple[int, ...] = ()
    try:
        sessions = _sessions(form.sessions)
    except ValueError as exc:
        view.notices.append(Notice(str(exc)))
        ok = False
    dates: dict[str, str | None] = {"start": None, "end": None}
    for name, label in (("start", "from"), ("end", "to")):
        value = getattr(form, name)
        if value:
            try:
                dates[name] = parse_partial_date(value)
            except ValueError:
                view.notices.append(Notice(f"{label}: “{value}” is not a date; use YYYY, YYYY-MM or YYYY-MM-DD"))
                ok = False
    matter: str | None = None
    if form.matter:
        ids = {m["id"] for m in matters}
        if form.matter in ids:
            matter = form.matter
        else:
            try:
                found = catalogue.resolve(view.connection, form.matter)
            except NotFound as exc:
                options = _similar_matters(form.matter, matters, exc.suggestions)
                view.notices.append(Notice(f"No single matter matches “{form.matter}”." + (
                    " Did you mean:" if options else " Choose one from the list."),
                    [(_matter_name(matters, m), form.link(matter=m)) for m in options]))
                return None
            if found.kind != "matter":
                view.notices.append(Notice(f"“{form.matter}” is {found.name} ({found.id}), not a matter."))
                return None
            matter = found.id
    if not ok:
        return None
    return Selection(matter=matter, sessions=sessions, start=dates["start"], end=dates["end"])


def _similar_matters(text: str, matters: list[dict[str, Any]], suggested: list[str]) -> list[str]:
    """Matters whose name or id contains what was typed, else those the search suggested."""
    wanted = text.casefold()
    ids = [str(m["id"]) for m in matters]
    found = [str(m["id"]) for m in matters if wanted in str(m["name"]).casefold() or wanted in str(m["id"])]
    return (found or [s for s in suggested if s in ids])[:8]


def _article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _matter_name(matters: list[dict[str, Any]], matter_id: str) -> str:
    return next((str(m["name"]) for m in matters if m["id"] == matter_id), matter_id)


def _resolve_state(view: View, ref: str, relink: Callable[[str], str]) -> str | None:
    """A state id for what the user typed, or None with a notice suggesting what they may mean."""
    try:
        record = catalogue.resolve(view.connection, ref)
    except NotFound as exc:
        states = [s for s in exc.suggestions if s.startswith("state:")][:5]
        names = catalogue.names(view.connection, states)
        hint = " Did you mean:" if states else " Try a name (Germany), an ISO code (DEU) or an id (state:DEU)."
        view.notices.append(Notice(f"No single state matches “{ref}”.{hint}",
                                   [(f"{names[s]} ({s})", relink(names[s])) for s in states]))
        return None
    if record.subkind != "state":
        view.notices.append(Notice(f"“{ref}” is {record.name} ({record.id}), "
                                   f"{_article(record.subkind or record.kind)}, not a state."))
        return None
    view.names[record.id] = record.name
    return record.id


def _resolve_states(view: View) -> list[str]:
    refs = [r.strip() for r in re.split(r"[,;\n]+", view.form.states) if r.strip()]
    if len(refs) > MAX_STATES:
        view.notices.append(Notice(f"{len(refs)} states given; the heatmap shows at most {MAX_STATES}. "
                                   "The blocs tab covers every state."))
        refs = refs[:MAX_STATES]
    found: list[str] = []
    for ref in refs:
        def relink(name: str, ref: str = ref) -> str:
            return view.form.link(states=", ".join(name if r == ref else r for r in refs))
        state = _resolve_state(view, ref, relink)
        if state and state not in found:
            found.append(state)
    return found


def _selection_params(selection: Selection) -> list[tuple[str, str]]:
    params = [("session", str(s)) for s in selection.sessions]
    for key, value in (("matter", selection.matter), ("from", selection.start), ("to", selection.end)):
        if value:
            params.append((key, value))
    return params


Computed = tuple[str | None, list[Table], dict[str, Any]]


def _problems(exc: DataError, known: Sequence[int] = ()) -> Notice:
    text = "; ".join(p.reason if p.where in ("selection", "coalition") else str(p) for p in exc.problems)
    if known and "no UN roll calls" in text:
        text = text.split("; import votes", 1)[0] + f". The imported votes cover sessions {known[0]}–{known[-1]}."
    return Notice(text)


def _no_votes(view: View, what: str) -> Computed:
    view.notices.append(Notice(f"{what} needs UN votes: import them first (see above). The partner finder works "
                               "without them.", [("Open the partner finder", view.form.link(section="partners"))],
                               error=False))
    return None, [], {}


# ---------------------------------------------------------------------------------------------
# a. Heatmap


def _heatmap(view: View) -> Computed:
    form, selection = view.form, view.selection
    symbol, measure_name = MEASURES[form.measure]
    api = None
    if selection is not None and len(view.states) >= 2:
        api = "/api/align?" + urlencode([("state", s) for s in view.states] + _selection_params(selection))
    if not view.has_votes:
        return _no_votes(view, "The heatmap")
    if selection is None:
        return api, [], {}
    if len(view.states) < 2:
        view.notices.append(Notice("Choose at least two states for the heatmap (e.g. USA, GBR, FRA, RUS, CHN).",
                                   error=len(view.states) == 1 or bool(form.states)))
        return api, [], {}
    try:
        result = memo.memoised(view.connection, ("alignment", "align", tuple(view.states), selection),
                       lambda: likeminded.align(view.connection, view.states, selection))
    except DataError as exc:
        view.notices.append(_problems(exc, view.known))
        return api, [], {}
    measured = result.matrix
    values = getattr(measured, form.measure)
    order = list(result.states)
    labels = [result.names.get(s, s) for s in order]
    n = len(order)

    def value(i: int, j: int) -> float | None:
        v = float(values[i, j])
        return None if math.isnan(v) else v

    matrix = [[value(i, j) for j in range(n)] for i in range(n)]
    notes = [[f"{int(measured.joint[i, j])} joint votes" for j in range(n)] for i in range(n)]
    diverging = form.measure != "agreement"
    chart = svgcharts.heatmap(
        labels, matrix, title=f"{measure_name} between {', '.join(labels)}; {result.selection}", symbol=symbol,
        colour=maps.diverging if diverging else maps.sequential, scale=(-1.0, 1.0) if diverging else (0.0, 1.0),
        notes=notes, description="Each cell is the measure for one pair of states; the same values are in the "
        "table below the chart.")
    table = Table("matrix", f"{measure_name} matrix ({result.selection}, {result.rollcalls} roll calls)",
                  ["state", *labels], numeric=labels)
    for i, state in enumerate(order):
        table.rows.append([record_link(state, labels[i]), *(None if v is None else round(v, 3) for v in matrix[i])])
    pairs = Table("pairs", "Every measure for each pair",
                  ["state A", "state B", "joint votes", "agreement", "90% interval", "S abs", "S sq", "π", "κ",
                   "κ 90% interval", "note"],
                  numeric=["joint votes", "agreement", "S abs", "S sq", "π", "κ"],
                  empty="No pair of the chosen states voted together.")
    for p in result.pairs:
        interval = None if p.agreement_low is None else f"{p.agreement_low:.2f}–{p.agreement_high:.2f}"
        pairs.rows.append([record_link(p.a, p.a_name), record_link(p.b, p.b_name), p.joint_votes,
                           None if p.agreement is None else round(p.agreement, 3), interval,
                           *(None if v is None else round(v, 3) for v in (p.s_abs, p.s_sq, p.pi, p.kappa)),
                           None if p.kappa_low is None else f"{p.kappa_low:.2f}–{p.kappa_high:.2f}", p.note])
    threshold = 0.0 if diverging else 0.5
    graph = svgcharts.network(labels, matrix, symbol=symbol, threshold=threshold,
                              title=f"Network of the chosen states: a line joins each pair whose {measure_name} is "
                                    f"above {threshold}; thicker and darker is closer")
    few = sum(1 for p in result.pairs if p.few_votes)
    return api, [table, pairs], {"heatmap": svg(chart), "network": svg(graph), "result": result, "few": few,
                                  "measure_name": measure_name, "symbol": symbol, "threshold": threshold}


# ---------------------------------------------------------------------------------------------
# b. Blocs


def _blocs(view: View) -> Computed:
    form, selection = view.form, view.selection
    api = None
    if selection is not None:
        api = "/api/blocs?" + urlencode([*_selection_params(selection), ("measure", form.measure)])
    if not view.has_votes:
        return _no_votes(view, "Bloc detection")
    if selection is None:
        return api, [], {}
    try:
        result = memo.memoised(view.connection, ("alignment", "blocs", selection, form.measure),
                       lambda: likeminded.blocs(view.connection, selection, measure=form.measure))
    except DataError as exc:
        view.notices.append(_problems(exc, view.known))
        return api, [], {}
    fills: dict[str, str] = {}
    labels: dict[str, str] = {}
    legend: list[tuple[str, str]] = []
    overview = Table("blocs", "Blocs, each named by its best-known members (the Security Council's permanent "
                     "members and the largest states of each region; else its most central ones) and its size",
                     ["bloc", "named after", "states", "cohesion", "across resampled votes"],
                     numeric=["states", "cohesion", "across resampled votes"])
    members = Table("members", "States by bloc", ["state", "bloc", "bloc named after", "id"])
    bloc_of: dict[str, int] = {}
    for number, bloc in enumerate(result.blocs, start=1):
        colour = maps.CATEGORIES[number - 1] if number <= len(maps.CATEGORIES) else "#9aa5b1"
        legend.append((colour, f"Bloc {number}: {bloc['name']}"))
        overview.rows.append([number, bloc["name"], bloc["size"], round(float(bloc["cohesion"]), 3),
                              bloc["cohesion_resampled"]])
        for member in bloc["members"]:
            bloc_of[member["id"]] = number
            members.rows.append([record_link(member["id"], member["name"]), number, bloc["name"], member["id"]])
            code = maps.state_code(member["id"])
            if code:
                fills[code] = colour
                labels[code] = f"{member['name']} — bloc {number} ({bloc['name']})"
    symbol = MEASURES[form.measure][0]
    world = maps.world_map(maps.Layer(fills, labels, legend),
                           title=f"Voting blocs by {symbol}, {result.selection}: {len(result.blocs)} blocs")
    together = Table("together", "How often the chosen states land in one bloc (share of the 20 runs)",
                     ["state A", "bloc A", "state B", "bloc B", "together"], numeric=["together"],
                     empty="Choose two or more states above to see how stably they group.")
    report = result.report
    index = {s: i for i, s in enumerate(report.states)}
    chosen = [s for s in view.states if s in index]
    for i, a in enumerate(chosen):
        for b in chosen[i + 1:]:
            together.rows.append([record_link(a, result.names.get(a, a)), bloc_of.get(a),
                                  record_link(b, result.names.get(b, b)), bloc_of.get(b),
                                  round(float(report.co_assignment[index[a], index[b]]), 3)])
    placed = [(s, result.names.get(s, s), bloc_of.get(s)) for s in view.states]
    return api, [overview, members, together], {"blocs_map": svg(world), "blocs_result": result,
                                                "placed": placed, "symbol": symbol}


# ---------------------------------------------------------------------------------------------
# c. Partner finder


def _partners(view: View) -> Computed:
    form = view.form
    subject: str | None = None
    if form.partner:
        subject = _resolve_state(view, form.partner, lambda name: form.link(partner=name))
    elif view.states:
        subject = view.states[0]
    if subject is None:
        if not form.partner:
            view.notices.append(Notice("Choose a state to find partners for (the partner field, or the first "
                                       "state in the list).", error=False))
        return None, [], {}
    if form.matter and (view.selection is None or view.selection.matter is None):
        return None, [], {}  # the matter did not resolve: its notice is shown
    matter = view.selection.matter if view.selection else None
    as_of: dt.date | None = None
    if form.end:
        try:
            as_of = date_ceil(parse_partial_date(form.end))
        except ValueError:
            return None, [], {}  # already reported by the selection
    limit = 20
    if form.limit:
        if not form.limit.isdigit() or not 1 <= int(form.limit) <= 200:
            view.notices.append(Notice(f"limit: “{form.limit}” is not a number from 1 to 200"))
            return None, [], {}
        limit = int(form.limit)
    params = [(k, v) for k, v in (("matter", matter), ("as_of", as_of.isoformat() if as_of else None),
                                  ("limit", str(limit))) if v]
    api = f"/api/partners/{quote(subject, safe=':')}?" + urlencode(params)
    day = as_of or dt.date.today()
    try:
        report = memo.memoised(view.connection, ("alignment", "partners", subject, matter, day, limit),
                       lambda: likeminded.partners(view.connection, subject, matter=matter, as_of=day, limit=limit))
    except DataError as exc:
        view.notices.append(_problems(exc, view.known))
        return api, [], {}
    components = ("votes", "affiliations", "agreements", "joint_attributions", "incidents")
    ranked = Table("partners", f"Partners of {report.name}" + (f" on {_matter_label(view, report.matter)}"
                                                                if report.matter else "") + f" as of {report.as_of}",
                   ["rank", "state", "score", "votes", "affiliations", "agreements", "joint attributions",
                    "incidents"], numeric=["rank", "score"],
                   empty="No state shares votes, affiliations, agreements or attributions with this one.")
    evidence = Table("evidence", "The evidence behind each component",
                     ["partner", "component", "weight", "component score", "evidence", "detail"],
                     numeric=["weight", "component score"])
    for rank, partner in enumerate(report.partners, start=1):
        row: list[Any] = [rank, record_link(partner.id, partner.name), round(partner.score, 3)]
        for name in components:
            component = partner.components[name]
            listed = "; ".join(f"{e.name} ({e.detail})" if e.detail else e.name for e in component.evidence)
            row.append(cell(component.summary, title=listed or None))
            for item in component.evidence:
                evidence.rows.append([partner.name, name.replace("_", " "), component.weight,
                                      round(component.score, 3), _evidence_cell(item.id, item.name), item.detail])
        ranked.rows.append(row)
    best = max((p.score for p in report.partners), default=0.0) or 1.0
    fills: dict[str, str] = {}
    labels: dict[str, str] = {}
    for rank, partner in enumerate(report.partners, start=1):
        code = maps.state_code(partner.id)
        if code:
            fills[code] = maps.sequential(0.15 + 0.85 * max(partner.score, 0.0) / best)
            labels[code] = f"{partner.name} — #{rank}, score {partner.score:.3f}"
    own = maps.state_code(report.state)
    if own:
        fills[own] = maps.CATEGORIES[1]
        labels[own] = f"{report.name} — the state whose partners are ranked"
    legend = [(maps.CATEGORIES[1], report.name), (maps.sequential(0.15), "lower score"),
              (maps.sequential(1.0), f"highest score ({best:.3f})")]
    world = maps.world_map(maps.Layer(fills, labels, legend), title=f"Partners of {report.name} shaded by score")
    weights = ", ".join(f"{k.replace('_', ' ')} {v:+.2f}" for k, v in report.weights.items())
    return api, [ranked, evidence], {"partners_report": report, "partners_map": svg(world), "weights": weights,
                                     "votes_note": not view.has_votes}


def _matter_label(view: View, matter: str | None) -> str:
    return catalogue.names(view.connection, [matter]).get(matter, matter) if matter else ""


def _evidence_cell(record_id: str, name: str) -> Any:
    return record_link(record_id, name) if ":" in record_id and not record_id.startswith("A/") else name


# ---------------------------------------------------------------------------------------------
# d. Coalition builder


def _coalition(view: View) -> Computed:
    form = view.form
    matter = view.selection.matter if view.selection else None
    if form.matter and matter is None:
        return None, [], {}  # the matter did not resolve: its notice is shown
    if not form.resolution and not matter:
        view.notices.append(Notice("Give a reference resolution (its symbol, e.g. A/RES/74/247) or choose a matter "
                                   "to forecast its latest vote. Examples:", [
                                       (symbol, form.link(resolution=symbol)) for symbol in EXAMPLE_RESOLUTIONS],
                                   error=False))
        if not view.has_votes:
            return _no_votes(view, "The coalition builder")
        return None, [], {}
    important = RULES[form.rule]
    params = [("resolution", form.resolution)] if form.resolution else [("matter", matter or "")]
    sponsors = [name.strip() for name in form.sponsors.split(",") if name.strip()]
    params += [("sponsor", name) for name in sponsors]
    if important is not None:
        params.append(("important", "true" if important else "false"))
    api = "/api/coalition?" + urlencode(params)
    if not view.has_votes:
        return _no_votes(view, "The coalition builder")
    try:
        result = memo.memoised(view.connection, ("alignment", "coalition", form.resolution, matter, important,
                                                 tuple(sponsors)),
                               lambda: likeminded.coalition(view.connection, resolution=form.resolution or None,
                                                            matter=None if form.resolution else matter,
                                                            important=important, sponsors=sponsors))
    except (DataError, NotFound) as exc:
        view.notices.append(_problems(exc) if isinstance(exc, DataError) else Notice(str(exc)))
        return api, [], {}
    swing_ids = {s.id: s for s in result.swing}
    fills: dict[str, str] = {}
    labels: dict[str, str] = {}
    for forecast in result.forecasts:
        code = maps.state_code(forecast.id)
        if not code:
            continue
        fills[code] = VOTE_COLOURS.get(forecast.predicted, "#9aa5b1")
        text = (f"{forecast.name}: predicted {forecast.predicted} (yes {forecast.yes:.2f}, abstain "
                f"{forecast.abstain:.2f}, no {forecast.no:.2f})")
        if forecast.id in swing_ids:
            move = swing_ids[forecast.id]
            text += f" — swing state: {move.current} → {move.target}"
        labels[code] = text
    tally = result.predicted
    legend = [(VOTE_COLOURS[k], f"predicted {k}: {tally[k]}") for k in ("yes", "no", "abstain")]
    world = maps.world_map(maps.Layer(fills, labels, legend),
                           title=f"Predicted votes on {result.symbol or result.reference}")
    present = tally["yes"] + tally["no"]
    total = present + tally["abstain"]
    share = 2 / 3 if result.important else 1 / 2
    bar = svgcharts.bar([(f"yes {tally['yes']}", tally["yes"], VOTE_COLOURS["yes"]),
                         (f"no {tally['no']}", tally["no"], VOTE_COLOURS["no"]),
                         (f"abstain {tally['abstain']}", tally["abstain"], VOTE_COLOURS["abstain"])],
                        title=f"Predicted tally: {tally['yes']} yes, {tally['no']} no, {tally['abstain']} abstain",
                        threshold=present * share / total if total else None,
                        threshold_label="⅔ of yes + no" if result.important else "½ of yes + no")
    swing = Table("swing", "The fewest states whose change would " + ("defeat it" if result.adopted
                                                                     else "adopt it"),
                  ["state", "now", "→", "probability", "its votes on earlier versions"],
                  numeric=["probability"], empty="No set of changes would turn the outcome.")
    for s in result.swing:
        swing.rows.append([record_link(s.id, s.name), s.current, s.target, round(s.probability, 3),
                           "; ".join(s.history)])
    forecasts = Table("forecasts", "Every state's predicted vote",
                      ["state", "predicted", "P(yes)", "P(abstain)", "P(no)", "its votes on earlier versions"],
                      numeric=["P(yes)", "P(abstain)", "P(no)"])
    for f in sorted(result.forecasts, key=lambda f: (-f.yes, f.name)):
        forecasts.rows.append([record_link(f.id, f.name), f.predicted, round(f.yes, 3), round(f.abstain, 3),
                               round(f.no, 3), "; ".join(f.history)])
    return api, [swing, forecasts], {"coalition": result, "coalition_map": svg(world), "tally_bar": svg(bar)}
