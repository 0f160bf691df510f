"""The ``cyberdip`` command line. Each command parses its options, calls one service, renders.

Every query command takes ``--json`` and then prints only JSON on stdout (errors included, as
``{"error": ..., "suggestions": [...]}``) and exits non-zero on failure.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cyberdip.analysis import provenance as provenance_figures
from cyberdip.interfaces import charts
from cyberdip.model import record_type_for
from cyberdip.model.errors import DataError, NotFound, Problem
from cyberdip.model.sharing import TLP, version_key
from cyberdip.services import (
    catalogue,
    export,
    likeminded,
    loading,
    norms,
    provenance,
    read_models,
    sharing,
    stix_export,
    sync,
    threat_imports,
    vote_imports,
    votes,
)
from cyberdip.services import timeline as timeline_service
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import NotInitialised, Workbench

app = typer.Typer(
    help="cyberdip — a cyber diplomacy workbench: states, agreements, norms, incidents, with sources.",
    no_args_is_help=True,
    add_completion=False,
)
import_app = typer.Typer(help="Import records from files.", no_args_is_help=True)
app.add_typer(import_app, name="import")

console = Console()
errors = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print only JSON on stdout.")


def run() -> None:
    app()


@contextmanager
def _workbench(as_json: bool = False) -> Iterator[Workbench]:
    """Open the workbench from the environment; turn known failures into clear exits."""
    workbench = Workbench.open(Settings.from_env())
    try:
        yield workbench
    except NotFound as exc:
        _fail(str(exc), as_json, suggestions=exc.suggestions)
    except NotInitialised as exc:
        _fail(str(exc), as_json)
    except DataError as exc:
        problems = [str(p) for p in exc.problems]
        _fail(f"{len(problems)} problem(s); nothing was written.", as_json, problems=problems, code=2)
    finally:
        workbench.close()


def _fail(message: str, as_json: bool, code: int = 1, **extra: Any) -> None:
    if as_json:
        print(json.dumps({"error": message, **extra}, ensure_ascii=False))
    else:
        errors.print(f"[bold red]error:[/] {message}", highlight=False)
        for problem in extra.get("problems", []):
            errors.print(f"  - {problem}", highlight=False, markup=False)
    raise typer.Exit(code)


def _print_json(value: Any) -> None:
    print(json.dumps(to_jsonable_python(value), ensure_ascii=False, indent=2))


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}", param_hint=option) from None


# ------------------------------------------------------------------------------------------------


@app.command()
def init(
    curated: Path | None = typer.Option(None, help="Load this curated folder instead of the shipped one."),
    as_json: bool = JsonOption,
) -> None:
    """Create or upgrade the database and load the curated dataset (safe to run again)."""
    with _workbench(as_json) as workbench:
        summary = loading.init_database(workbench, curated=curated)
        if as_json:
            _print_json({"load": summary.load_id, **summary.counts()})
            return
        counts = summary.counts()
        console.print(
            f"Database ready at [bold]{workbench.engine.url.render_as_string(hide_password=True)}[/]\n"
            f"Curated dataset: {counts['added']} added, {counts['changed']} changed, "
            f"{counts['removed']} removed, {counts['unchanged']} unchanged"
            + (f", {counts['kept_user_version']} kept as edited by users" if counts["kept_user_version"] else "")
        )


@import_app.command("records")
def import_records(
    path: Path = typer.Argument(..., help="A YAML/JSON file of records, or a folder of kind files."),
    as_json: bool = JsonOption,
) -> None:
    """Add or update your own records (kept across curated reloads)."""
    with _workbench(as_json) as workbench:
        summary = loading.import_records(workbench, path)
        if as_json:
            _print_json({"load": summary.load_id, **summary.counts()})
        else:
            counts = summary.counts()
            console.print(f"Imported {path}: {counts['added']} added, {counts['changed']} changed, "
                          f"{counts['unchanged']} unchanged")


@import_app.command("unga")
def import_unga(
    path: Path = typer.Argument(..., help="unvotes tables (folder or un_votes.csv[.gz]), Voeten's table, or the "
                                "UN Digital Library CSV; the format is detected."),
    as_json: bool = JsonOption,
) -> None:
    """Import UN General Assembly roll-call votes."""
    with _workbench(as_json) as workbench:
        summary = vote_imports.import_unga(workbench, path)
    if as_json:
        _print_json(summary)
        return
    console.print(f"Imported {summary.rollcalls} roll calls and {summary.votes} votes ({summary.format} format)"
                  + (f"; {summary.merged_with_existing} matched roll calls already stored" if
                     summary.merged_with_existing else ""))
    for matter, count in summary.tagged.items():
        console.print(f"  {count} roll calls tagged {matter}")


def _threat_summary(summary: threat_imports.ThreatImportSummary, path: Path, as_json: bool) -> None:
    if as_json:
        _print_json(summary)
        return
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
    console.print(f"Imported {path} ({summary.format}): {summary.added} added, {summary.changed} changed, "
                  f"{summary.unchanged} unchanged" + (f", {summary.links} group links" if summary.links else ""))
    if counts:
        console.print(f"  {counts}", highlight=False)
    for warning in summary.warnings[:20]:
        errors.print(f"  warning: {warning}", highlight=False, markup=False)
    if len(summary.warnings) > 20:
        errors.print(f"  ... and {len(summary.warnings) - 20} more warnings")


@import_app.command("eurepoc")
def import_eurepoc(path: Path = typer.Argument(..., help="Folder with the EuRepoC v1.1 CSV files (or the global "
                                               "database CSV)."), as_json: bool = JsonOption) -> None:
    """Import EuRepoC incidents; each attribution row becomes a claim."""
    with _workbench(as_json) as workbench:
        _threat_summary(threat_imports.import_incidents(workbench, "eurepoc", path), path, as_json)


@import_app.command("cfr")
def import_cfr(path: Path = typer.Argument(..., help="The CFR Cyber Operations Tracker CSV export."),
               as_json: bool = JsonOption) -> None:
    """Import the CFR Cyber Operations Tracker (shifted and mis-encoded rows are reported)."""
    with _workbench(as_json) as workbench:
        _threat_summary(threat_imports.import_incidents(workbench, "cfr", path), path, as_json)


@import_app.command("dcid")
def import_dcid(path: Path = typer.Argument(..., help="The DCID 2.0 incidents CSV."),
                as_json: bool = JsonOption) -> None:
    """Import the Dyadic Cyber Incident and Dispute data (DCID 2.0)."""
    with _workbench(as_json) as workbench:
        _threat_summary(threat_imports.import_incidents(workbench, "dcid", path), path, as_json)


@import_app.command("misp")
def import_misp(
    path: Path = typer.Argument(..., help="The MISP galaxy threat-actor cluster (threat-actor.json)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date the file was retrieved (claims are dated by it)."),
    as_json: bool = JsonOption,
) -> None:
    """Import MISP threat actors (aliases; CFR sponsor fields become claims) and link them to other sources."""
    with _workbench(as_json) as workbench:
        summary = threat_imports.import_groups(workbench, "misp", path, as_of=_date(as_of, "--as-of"))
        _threat_summary(summary, path, as_json)


@import_app.command("attack")
def import_attack(path: Path = typer.Argument(..., help="A MITRE ATT&CK STIX 2.0 or 2.1 bundle (.json or .json.gz)."),
                  as_json: bool = JsonOption) -> None:
    """Import MITRE ATT&CK intrusion sets and link them to groups from other sources by shared aliases."""
    with _workbench(as_json) as workbench:
        _threat_summary(threat_imports.import_groups(workbench, "attack", path), path, as_json)


fetch_app = typer.Typer(help="Download public datasets and import them.", no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")


@fetch_app.command("unga")
def fetch_unga(
    url: str = typer.Option(vote_imports.UNDL_URL, help="Address of the UN Digital Library voting CSV (it changes with "
                            "each update; see https://digitallibrary.un.org/record/4060887)."),
    folder: Path = typer.Option(Path("."), help="Where to save the downloaded file."),
    as_json: bool = JsonOption,
) -> None:
    """Download the UN Digital Library's General Assembly voting file and import it."""
    with _workbench(as_json) as workbench:
        saved, summary = vote_imports.fetch_unga(workbench, url, folder)
    if as_json:
        _print_json({"file": str(saved), **to_jsonable_python(summary)})
    else:
        console.print(f"Saved {saved}; imported {summary.rollcalls} roll calls and {summary.votes} votes")


@app.command()
def search(
    text: str = typer.Argument(..., help="A name, alias, acronym, symbol or id."),
    limit: int = typer.Option(20, min=1, max=500),
    kind: list[str] = typer.Option([], "--kind", help="Only records of this kind or subkind (repeatable): state, "
                                   "agency, organization, instrument, incident, rollcall..."),
    as_json: bool = JsonOption,
) -> None:
    """Find states, agencies, organisations, instruments, events... by name or alias."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        hits = catalogue.search(connection, text, limit=limit, kinds=kind)
    if as_json:
        _print_json(hits)
        return
    if not hits:
        errors.print(f"Nothing matches {text!r}.")
        raise typer.Exit(1)
    table = Table("id", "name", "kind", "matched", "score")
    for hit in hits:
        table.add_row(hit.id, hit.name, hit.subkind or hit.kind, hit.matched, f"{hit.score:.0f}")
    console.print(table)


@app.command()
def show(
    ref: str = typer.Argument(..., help="An id (state:DEU) or a name (Germany, BSI, Budapest Convention)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Show what was known on this date (YYYY-MM-DD)."),
    at: str | None = typer.Option(None, "--at", help="Keep only memberships and links valid on this date."),
    changes: bool = typer.Option(False, "--history", help="Show the record's change log instead."),
    as_json: bool = JsonOption,
) -> None:
    """A profile: for a state its agencies, memberships, instruments and events, with sources."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        if changes:
            log = catalogue.record_history(connection, ref)
            if as_json:
                _print_json(log)
            else:
                _render_history(log)
            return
        result = catalogue.profile(connection, ref, as_of=_date(as_of, "--as-of"), at=_date(at, "--at"))
    if as_json:
        _print_json(result)
    else:
        _render_profile(result)


@app.command()
def timeline(
    actor: str | None = typer.Option(None, help="Only what concerns this actor (id or name)."),
    start: str | None = typer.Option(None, "--from", help="From this date (2015, 2015-09 or 2015-09-25)."),
    end: str | None = typer.Option(None, "--to", help="Up to this date (inclusive)."),
    kind: list[str] = typer.Option([], help="Record kinds to include (repeatable)."),
    limit: int = typer.Option(200, min=1, max=100000),
    as_json: bool = JsonOption,
) -> None:
    """Dated events, instruments, memberships, incidents and claims in order."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        try:
            entries = timeline_service.timeline(
                connection, actor=actor, start=start, end=end, kinds=kind, limit=limit
            )
        except ValueError as exc:
            _fail(str(exc), as_json)
    if as_json:
        _print_json(entries)
        return
    table = Table("date", "kind", "what", "id")
    for entry in entries:
        table.add_row(entry.date, entry.subkind or entry.kind, entry.title, entry.id)
    console.print(table)


@app.command("export")
def export_command(
    fmt: str = typer.Option("json", "--format", help="json, csv, or stix (incidents, groups and claims as a STIX "
                            "2.1 bundle)."),
    kind: list[str] = typer.Option([], help="Only these record kinds (repeatable)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Export the knowledge base (every record with its sources)."""
    if fmt not in ("json", "csv", "stix"):
        raise typer.BadParameter("choose json, csv or stix", param_hint="--format")
    try:
        export.check_kinds(kind)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--kind") from None
    with _workbench() as workbench, workbench.reading() as connection:
        chunks: Iterator[str] = (
            iter([json.dumps(stix_export.export_bundle(connection), indent=2, ensure_ascii=False) + "\n"])
            if fmt == "stix" else export.export_records(connection, fmt, kind)
        )
        if output:
            with output.open("w", encoding="utf-8", newline="") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            errors.print(f"Wrote {output}")
        else:
            for chunk in chunks:
                sys.stdout.write(chunk)


@app.command()
def stats(as_json: bool = JsonOption) -> None:
    """How many records of each kind the knowledge base holds."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = catalogue.statistics(connection)
    if as_json:
        _print_json(result)
        return
    table = Table("kind", "subkind", "records")
    for kind, subkinds in result["by_subkind"].items():
        for subkind, count in subkinds.items():
            table.add_row(kind, subkind, str(count))
    console.print(table)
    console.print(f"{sum(result['records'].values())} records citing {result['sources']} sources")


@app.command()
def sources(
    check: bool = typer.Option(False, "--check", help="Check the curated folder against the provenance rules "
                               "and list every breach (exit 1 if any)."),
    curated: Path | None = typer.Option(None, help="With --check: this curated folder instead of the shipped one."),
    only: str | None = typer.Option(None, help="With --check: only files whose path starts with this "
                                    "(actors/agencies-a-f.yaml)."),
    as_json: bool = JsonOption,
) -> None:
    """How well the curated knowledge base is sourced: primary share per kind, records on one
    source, oldest checks, partial lists; --check lists every breach of the rules."""
    if check:
        try:
            breaches = provenance.check_folder(curated, only=only)
        except DataError as exc:
            problems = [str(p) for p in exc.problems]
            _fail(f"{len(problems)} problem(s) in the curated data", as_json, problems=problems, code=2)
        if as_json:
            _print_json([vars(b) for b in breaches])
        else:
            for breach in breaches:
                console.print(str(breach), highlight=False, markup=False, soft_wrap=True)
            rules = Counter(b.rule for b in breaches)
            console.print(f"{len(breaches)} breach(es)" + (": " + ", ".join(f"{r} {n}" for r, n in rules.most_common())
                                                           if rules else ""), highlight=False)
        if breaches:
            raise typer.Exit(1)
        return
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = provenance.report(connection)
    if as_json:
        _print_json(result.as_dict())
        return
    _print_provenance(result)


def _print_provenance(result: provenance_figures.Report) -> None:
    table = Table("kind", "records", "citations", "primary", "share", "on one source", title="Citations by record kind")
    for share in [*result.kinds, result.total]:
        table.add_row(share.kind, str(share.records), str(share.citations), str(share.primary),
                      f"{share.primary_share:.0%}", str(share.single_source))
    console.print(table)
    console.print("Publisher classes: " + ", ".join(f"{k} {v}" for k, v in result.classes.items()), highlight=False)
    console.print(f"Refused citations: {result.refused}; unclassified: {result.unclassified}; "
                  f"without a check date: {result.unchecked}", highlight=False)
    national = result.national
    if national:
        console.print(f"UN member and observer states ({national.states}) with a CERT and a strategy on record: "
                      f"{national.cert_and_strategy}", highlight=False)
        for what, count in national.recorded.items():
            console.print(f"  {what.replace('_', ' ')}: {count} recorded, {national.lacking[what]} with none, "
                          f"{len(national.missing[what])} unknown", highlight=False)
    if result.oldest_checks:
        console.print(f"Oldest check: {result.oldest_checks[0][0]} ({result.oldest_checks[0][1]})", highlight=False)
    lists = Table("list", "role", "status", "official count", "recorded", "as of", title="Member and party lists")
    for item in result.lists:
        lists.add_row(item.record_id, item.role, item.status, "—" if item.count is None else str(item.count),
                      str(item.recorded), item.as_of)
    console.print(lists)
    console.print("What each partial list is missing: cyberdip show ID, or /sources.", highlight=False)


@app.command("matters")
def matters_command(as_json: bool = JsonOption) -> None:
    """The policy matters (UN cyber process, cybercrime, ransomware ...) with their records."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = catalogue.matters(connection)
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "name", "part of", "instruments", "norms", "events", "roll calls", title="Matters")
    for row in rows:
        table.add_row(row.id, row.name, row.parent or "", *(str(row.referred.get(kind, 0)) for kind in
                                                             ("instrument", "norm", "event", "rollcall")))
    console.print(table)


# ------------------------------------------------------------------------------------------------
# Like-minded analytics

MatterOption = typer.Option(None, "--matter", help="Only roll calls on this matter (id or name), sub-matters included.")
SessionOption = typer.Option([], "--session", help="General Assembly session(s) (repeatable).")
FromOption = typer.Option(None, "--from", help="From this date (2015, 2015-09 or 2015-09-25).")
ToOption = typer.Option(None, "--to", help="Up to this date (inclusive).")
ChartOption = typer.Option(None, "--chart", help="Also write a chart to this .png or .svg file.")


def _selection(matter: str | None, sessions: list[int], start: str | None, end: str | None) -> votes.Selection:
    return votes.Selection(matter=matter, sessions=tuple(sessions), start=start, end=end)


def _chart_written(path: Path | None) -> None:
    if path:
        errors.print(f"Wrote {path}")


@app.command()
def align(
    states: list[str] = typer.Argument(..., help="Two or more states (ids or names)."),
    matter: str | None = MatterOption,
    session: list[int] = SessionOption,
    start: str | None = FromOption,
    end: str | None = ToOption,
    chart: Path | None = ChartOption,
    as_json: bool = JsonOption,
) -> None:
    """Voting alignment between states: agreement, Signorino–Ritter S, Scott's π, Cohen's κ."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = likeminded.align(connection, states, _selection(matter, session, start, end))
    if chart:
        charts.alignment_heatmap(result, chart)
    if as_json:
        _print_json(result.summary())
        return
    table = Table("state", "state", "joint votes", "agreement", "S abs", "S sq", "π", "κ",
                  title=f"{result.selection}: {result.rollcalls} roll calls")
    for pair in result.pairs:
        table.add_row(pair.a_name, pair.b_name, str(pair.joint_votes),
                      *(_number(getattr(pair, m)) for m in ("agreement", "s_abs", "s_sq", "pi", "kappa")))
    console.print(table)
    _chart_written(chart)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@app.command()
def blocs(
    matter: str | None = MatterOption,
    session: list[int] = SessionOption,
    start: str | None = FromOption,
    end: str | None = ToOption,
    measure: str = typer.Option("kappa", help="Similarity the network is weighted by (kappa, pi, agreement...)."),
    seeds: int = typer.Option(20, min=1, max=500, help="Louvain runs, one per seed."),
    resolution: float = typer.Option(1.0, min=0.1, max=10.0, help="Louvain resolution (higher: smaller blocs)."),
    chart: Path | None = ChartOption,
    as_json: bool = JsonOption,
) -> None:
    """Voting blocs: community detection on the chance-corrected agreement network, with stability."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = likeminded.blocs(connection, _selection(matter, session, start, end), measure=measure, seeds=seeds,
                                  resolution=resolution)
    if chart:
        charts.blocs_chart(result, chart)
    if as_json:
        _print_json(result.summary())
        return
    console.print(f"{result.selection}: {result.rollcalls} roll calls; {len(result.blocs)} blocs by {result.measure}; "
                  f"modularity {result.modularity:.3f} (runs: mean {result.modularity_mean:.3f}, "
                  f"spread {result.modularity_spread:.3f})")
    for bloc in result.blocs:
        members = ", ".join(m["name"] for m in bloc["members"])
        console.print(f"[bold]{bloc['name']}[/] — {bloc['size']} states, cohesion {bloc['cohesion']:.2f}\n  {members}",
                      highlight=False)
    _chart_written(chart)


@app.command("ideal-points")
def ideal_points_command(
    session: list[int] = SessionOption,
    start: str | None = FromOption,
    end: str | None = ToOption,
    state: list[str] = typer.Option([], "--state", help="Only show these states (repeatable)."),
    anchor: str = typer.Option("state:USA", help="State whose ideal point is positive."),
    chart: Path | None = ChartOption,
    as_json: bool = JsonOption,
) -> None:
    """One-dimensional ideal points per General Assembly session (ordinal IRT)."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = likeminded.ideal_points(connection, _selection(None, session, start, end), anchor=anchor)
        shown = [catalogue.resolve(connection, s).id for s in state]
    if chart:
        charts.ideal_points_chart(result, shown or [result.anchor], chart)
    rows = [
        {"session": s.session, "state": st, "name": result.names.get(st, st), "ideal_point": round(x, 4)}
        for s in result.sessions for st, x in sorted(s.points.items(), key=lambda kv: -kv[1])
        if not shown or st in shown
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table("session", "state", "ideal point")
    for row in rows:
        table.add_row(str(row["session"]), f"{row['name']} ({row['state']})", f"{row['ideal_point']:+.3f}")
    console.print(table)
    _chart_written(chart)


@app.command()
def partners(
    state: str = typer.Argument(..., help="The state looking for partners (id or name)."),
    matter: str | None = MatterOption,
    as_of: str | None = typer.Option(None, "--as-of", help="Use only what held on this date (YYYY-MM-DD)."),
    limit: int = typer.Option(15, min=1, max=200),
    as_json: bool = JsonOption,
) -> None:
    """States ranked by cyber like-mindedness, with the evidence for each."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        report = likeminded.partners(connection, state, matter=matter, as_of=_date(as_of, "--as-of"), limit=limit)
    if as_json:
        _print_json(report)
        return
    weights = ", ".join(f"{k} {v:+.2f}" for k, v in report.weights.items())
    console.print(f"Partners of [bold]{report.name}[/] as of {report.as_of}"
                  + (f" on {report.matter}" if report.matter else "") + f" — weights: {weights}; votes: "
                  f"{report.vote_selection}", highlight=False)
    table = Table("rank", "state", "score", "votes", "affiliations", "agreements", "joint attributions", "incidents")
    for rank, partner in enumerate(report.partners, 1):
        c = partner.components
        table.add_row(str(rank), partner.name, f"{partner.score:.3f}", c["votes"].summary, c["affiliations"].summary,
                      c["agreements"].summary + "".join(f"\n{e.name}" for e in c["agreements"].evidence[:2]),
                      c["joint_attributions"].summary, c["incidents"].summary)
    console.print(table)


@app.command()
def coalition(
    resolution: str | None = typer.Option(None, "--resolution", help="Reference resolution, e.g. A/RES/74/247."),
    matter: str | None = MatterOption,
    important: bool | None = typer.Option(None, "--important/--simple",
                                          help="Two-thirds rule / simple majority (default: the vote's own flag)."),
    as_json: bool = JsonOption,
) -> None:
    """Predict a General Assembly vote and list the fewest states whose change would turn it."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = likeminded.coalition(connection, resolution=resolution, matter=matter, important=important)
    if as_json:
        _print_json(result)
        return
    console.print(f"[bold]{result.symbol or result.reference}[/] {result.title} (session {result.session})",
                  highlight=False)
    console.print(f"Rule: {result.rule}")
    if result.actual:
        console.print(f"Recorded: {result.actual['yes']} yes, {result.actual['no']} no, {result.actual['abstain']} "
                      f"abstain — {'adopted' if result.actual_adopted else 'not adopted'}")
    p = result.predicted
    console.print(f"Predicted: {p['yes']} yes, {p['no']} no, {p['abstain']} abstain — "
                  f"{'adopted' if result.adopted else 'not adopted'} (expected yes {result.expected['yes']:.1f}, "
                  f"no {result.expected['no']:.1f})")
    console.print(f"Fewest changes that would {'defeat' if result.adopted else 'carry'} it: {result.changes_needed}")
    table = Table("state", "now", "→", "probability", "ideal point", "past votes on the matter")
    for move in result.swing:
        table.add_row(move.name, move.current, move.target, f"{move.probability:.2f}",
                      "" if move.ideal_point is None else f"{move.ideal_point:+.2f}", "; ".join(move.history[-3:]))
    console.print(table)


# ------------------------------------------------------------------------------------------------
# Norms, incidents, attribution claims

STATUS_STYLE = {"violation_alleged": "bold red", "contested": "yellow", "undetermined": "cyan",
                "compliance": "green", "not_engaged": "dim"}


@app.command()
def assess(
    ref: str = typer.Argument(..., help="An incident id or name, or a JSON file describing an incident."),
    show_all: bool = typer.Option(False, "--all", help="Also list the norms the incident does not engage."),
    as_json: bool = JsonOption,
) -> None:
    """Which norms and commitments an incident engages, for which state, why, and what is missing."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        path = Path(ref)
        result = (norms.assess_file(connection, path) if path.suffix == ".json" or path.is_file()
                  else norms.assess_ref(connection, ref))
    if as_json:
        _print_json(result)
        return
    console.print(f"[bold]{result.incident['name']}[/] {result.incident['id']} ({result.incident['start']}) — "
                  f"rules {result.ruleset}", highlight=False)
    for strength in result.attribution:
        console.print(f"  attribution to {strength.state}: {strength.caveat()}", highlight=False)
    for finding in result.findings if show_all else result.engaged():
        style = STATUS_STYLE[finding.status]
        console.print(f"[{style}]{finding.status}[/] {finding.norm}", highlight=False)
        console.print(f"  {finding.explanation}", highlight=False, markup=False)


@app.command()
def record(
    state: str = typer.Argument(..., help="A state (id or name)."),
    as_json: bool = JsonOption,
) -> None:
    """A state's record: incidents attributed to it, norms engaged, commitments, responses."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = norms.state_record(connection, state)
    if as_json:
        _print_json(result)
        return
    console.print(f"[bold]{result.name}[/] {result.state}")
    table = Table("date", "incident", "attribution", "by", title="Incidents attributed to it", title_justify="left")
    for row in result.attributed_incidents:
        table.add_row(row["date"] or "", row["name"], row["strength"], ", ".join(row["claimants"][:4]))
    console.print(table)
    table = Table("norm", "findings", title="Norms engaged as addressee", title_justify="left")
    for norm, counts in result.norm_summary.items():
        table.add_row(norm, ", ".join(f"{k} {v}" for k, v in counts.items()))
    console.print(table)
    console.print(f"Commitments: {len(result.commitments)}; responses made: {len(result.responses_made)}; "
                  f"responses received: {len(result.responses_received)}")


@app.command("norms")
def norms_command(
    since: str | None = typer.Option(None, "--since", help="Only incidents from this date."),
    as_json: bool = JsonOption,
) -> None:
    """Per-norm summary across states: how often each state is the addressee of each finding."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        summary = norms.norm_summary(connection, since=since)
    if as_json:
        _print_json(summary)
        return
    table = Table("norm", "state", "violation alleged", "contested", "undetermined", "compliance")
    for norm, states in summary.items():
        ranked = sorted(states.items(), key=lambda kv: -kv[1].get("violation_alleged", 0) - kv[1].get("contested", 0))
        for state, counts in ranked[:5]:
            table.add_row(norm, state, *(str(counts.get(k, "")) for k in
                                         ("violation_alleged", "contested", "undetermined", "compliance")))
    console.print(table)


@app.command()
def incidents(
    actor: str | None = typer.Option(None, help="Only incidents attributed to or affecting this actor."),
    norm: str | None = typer.Option(None, help="Only incidents engaging this norm (alleged or contested)."),
    start: str | None = FromOption,
    end: str | None = ToOption,
    limit: int = typer.Option(200, min=1, max=10000),
    as_json: bool = JsonOption,
) -> None:
    """Incidents by date, with who they are attributed to."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = norms.incidents(connection, actor=actor, norm=norm, start=start, end=end, limit=limit)
    if as_json:
        _print_json(rows)
        return
    table = Table("date", "incident", "attributed to", "victims", "id")
    for row in rows:
        table.add_row(row.start or "", row.name, ", ".join(row.attributed_to), ", ".join(row.victims[:4]), row.id)
    console.print(table)


@app.command()
def claims(
    ref: str | None = typer.Argument(None, help="An incident, a threat group, or an actor."),
    by: str | None = typer.Option(None, "--by", help="Only claims made by this state, agency or organisation."),
    against: str | None = typer.Option(None, "--against", help="Only claims naming this actor as responsible."),
    as_json: bool = JsonOption,
) -> None:
    """Attribution claims about an incident or group, made by or against an actor (--by X --against Y)."""
    if not (ref or by or against):
        raise typer.BadParameter("name an incident, group or actor, or use --by and/or --against", param_hint="REF")
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = norms.claims(connection, ref, by=by, against=against)
    if as_json:
        _print_json(rows)
        return
    table = Table("date", "claimant", "kind", "says", "type", "basis")
    for c in rows:
        table.add_row(c.get("date") or "", c.get("claimant") or c.get("claimant_name") or "", c["claimant_kind"],
                      f"{c['subject']} → {c['attributed_to']}", c["type"], (c.get("basis") or "")[:60])
    console.print(table)


# ------------------------------------------------------------------------------------------------
# Sharing hub administration

share_app = typer.Typer(help="Sharing hub: partners, keys, collections, grants, audit.", no_args_is_help=True)
app.add_typer(share_app, name="share")
partner_app = typer.Typer(help="Partners: agencies of states that share with this hub.", no_args_is_help=True)
key_app = typer.Typer(help="API keys (shown once, stored only as a digest).", no_args_is_help=True)
collection_app = typer.Typer(help="Collections of shared objects.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cert_app = typer.Typer(help="Client certificates as partner identities (behind a TLS-terminating proxy).",
                       no_args_is_help=True)
share_app.add_typer(partner_app, name="partner")
share_app.add_typer(key_app, name="key")
share_app.add_typer(cert_app, name="cert")
operator_app = typer.Typer(help="Operators: people who may open the sharing pages of the web workbench.",
                           no_args_is_help=True)
share_app.add_typer(operator_app, name="operator")


@operator_app.command("add")
def operator_add(name: str = typer.Argument(..., help="The operator's name, e.g. 'A. Analyst (CERT-Bund)'."),
                 as_json: bool = JsonOption) -> None:
    """Create an operator; their sign-in token is printed once and only its digest is kept."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        token = sharing.add_operator(connection, name)
    _print_json({"operator": name, "token": token}) if as_json else console.print(
        f"Sign-in token for {name} (store it now; it cannot be shown again):\n{token}")


@operator_app.command("revoke")
def operator_revoke(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Revoke an operator: their token and any open workbench session stop working at once."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        sharing.revoke_operator(connection, name)
    _print_json({"revoked": name}) if as_json else console.print(f"Revoked operator {name}")
share_app.add_typer(collection_app, name="collection")
share_app.add_typer(audit_app, name="audit")


@partner_app.command("add")
def partner_add(agency: str = typer.Argument(..., help="The partner's agency (id or name), e.g. CERT-In."),
                name: str | None = typer.Option(None, help="Display name (default: the agency's name)."),
                as_json: bool = JsonOption) -> None:
    """Register an agency of a state as a sharing partner."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        partner = sharing.add_partner(connection, agency, name)
    _print_json(partner) if as_json else console.print(f"Added partner {partner['id']} ({partner['name']})")


@partner_app.command("list")
def partner_list(as_json: bool = JsonOption) -> None:
    """List partners."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = sharing.list_partners(connection)
    if as_json:
        _print_json(rows)
        return
    table = Table("partner", "name", "agency", "state")
    for row in rows:
        table.add_row(row["id"], row["name"], row["agency_id"], row["state_id"] or "")
    console.print(table)


@key_app.command("issue")
def key_issue(partner: str = typer.Argument(..., help="Partner id, e.g. partner:ind-cert-in."),
              as_json: bool = JsonOption) -> None:
    """Issue an API key; it is printed once and only its digest is kept."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        key = sharing.issue_key(connection, partner)
    _print_json({"partner": partner, "key": key}) if as_json else console.print(
        f"Key for {partner} (store it now; it cannot be shown again):\n{key}")


@key_app.command("revoke")
def key_revoke(key_id: str = typer.Argument(..., help="The key's id (the part after 'cdk_')."),
               as_json: bool = JsonOption) -> None:
    """Revoke an API key."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        sharing.revoke_key(connection, key_id)
    _print_json({"revoked": key_id}) if as_json else console.print(f"Revoked {key_id}")


@cert_app.command("add")
def cert_add(partner: str = typer.Argument(..., help="Partner id, e.g. partner:ind-cert-in."),
             certificate: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                help="The partner's client certificate (PEM)."),
             as_json: bool = JsonOption) -> None:
    """Register a client certificate as the partner's identity (its SHA-256 fingerprint is kept)."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        fingerprint = sharing.add_certificate(connection, partner, certificate.read_text(encoding="utf-8"),
                                              certificate.name)
    _print_json({"partner": partner, "fingerprint": fingerprint}) if as_json else console.print(
        f"Certificate {fingerprint} now identifies {partner}")


@cert_app.command("list")
def cert_list(as_json: bool = JsonOption) -> None:
    """List registered client certificates."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = sharing.list_certificates(connection)
    if as_json:
        _print_json(rows)
        return
    table = Table("fingerprint (SHA-256)", "partner", "label", "revoked")
    for row in rows:
        table.add_row(row["fingerprint"], row["partner_id"], row["label"], str(row["revoked_at"] or ""))
    console.print(table)


@cert_app.command("revoke")
def cert_revoke(fingerprint: str = typer.Argument(..., help="The certificate's SHA-256 fingerprint."),
                as_json: bool = JsonOption) -> None:
    """Revoke a client certificate."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        sharing.revoke_certificate(connection, fingerprint)
    _print_json({"revoked": fingerprint}) if as_json else console.print(f"Revoked {fingerprint}")


@collection_app.command("add")
def collection_add(alias: str = typer.Argument(..., help="Short alias, e.g. cert-exchange."),
                   title: str = typer.Option(..., help="Title shown to partners."),
                   description: str | None = typer.Option(None), as_json: bool = JsonOption) -> None:
    """Create a collection."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        collection = sharing.add_collection(connection, alias, title, description)
    _print_json(collection) if as_json else console.print(f"Added collection {collection['alias']} "
                                                          f"({collection['id']})")


@collection_app.command("list")
def collection_list(as_json: bool = JsonOption) -> None:
    """List collections."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = sharing.list_collections(connection)
    if as_json:
        _print_json(rows)
        return
    table = Table("alias", "id", "title")
    for row in rows:
        table.add_row(row["alias"], row["id"], row["title"])
    console.print(table)


@share_app.command("grant")
def share_grant(
    partner: str = typer.Argument(..., help="Partner id."),
    collection: str = typer.Argument(..., help="Collection alias or id."),
    read: bool = typer.Option(True, "--read/--no-read"),
    write: bool = typer.Option(False, "--write/--no-write"),
    tlp: str = typer.Option("green", help="Highest TLP level the partner may receive: clear, green, amber, "
                            "amber+strict."),
    as_json: bool = JsonOption,
) -> None:
    """Grant a partner access to a collection by hand."""
    try:
        level = TLP(tlp)
    except ValueError:
        raise typer.BadParameter("choose clear, green, amber or amber+strict", param_hint="--tlp") from None
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        row = sharing.grant(connection, partner, collection, read=read, write=write, max_tlp=level)
    _print_json(row) if as_json else console.print(f"Granted {partner}: read={read} write={write} up to "
                                                   f"TLP:{level.value.upper()}")


@share_app.command("derive")
def share_derive(as_json: bool = JsonOption) -> None:
    """Derive grants from the instruments in force that carry a sharing clause (and end stale ones)."""
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        result = sharing.derive_grants(connection)
    if as_json:
        _print_json(result)
        return
    console.print(f"{len(result.granted)} grants in force from instruments; {len(result.ended)} ended")
    for row in result.granted:
        console.print(f"  {row.partner_id} → {row.collection_id}: read={row.can_read} write={row.can_write} "
                      f"TLP:{row.max_tlp.upper()} ({row.basis})", highlight=False)


@share_app.command("explain")
def share_explain(partner: str = typer.Argument(...), collection: str = typer.Argument(...),
                  as_json: bool = JsonOption) -> None:
    """Why a partner can or cannot see or write a collection."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = sharing.explain(connection, partner, collection)
    if as_json:
        _print_json(result)
        return
    verdict = "can read" if result.can_read else "cannot read"
    console.print(f"{result.partner} {verdict} '{result.collection}'"
                  + (f" up to TLP:{result.max_tlp.upper()}" if result.max_tlp else "")
                  + (" and can write" if result.can_write else ""))
    for reason in result.reasons:
        console.print(f"  - {reason}", highlight=False)


object_app = typer.Typer(help="Objects in the hub's collections, as its operators see them.", no_args_is_help=True)
share_app.add_typer(object_app, name="object")


@share_app.command("publish")
def share_publish(collection: str = typer.Argument(..., help="Collection alias or id."),
                  path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A STIX 2.1 bundle, or a JSON "
                                              "list of STIX objects."),
                  as_json: bool = JsonOption) -> None:
    """Share objects as the hub's own operators: each is checked against the STIX 2.1 rules, and their
    statement marking-definitions then vouch for every partner's objects that cite them."""
    from cyberdip.services import taxii

    with _workbench(as_json) as workbench:
        try:
            document = taxii.parse_json(path.read_bytes())
        except DataError as exc:
            raise DataError([Problem(str(path), p.reason) for p in exc.problems]) from None
        objects = document.get("objects") if isinstance(document, dict) else document
        if not isinstance(objects, list):
            raise DataError([Problem(str(path), "expected a STIX bundle or a JSON list of STIX objects")])
        with workbench.writing() as connection:
            result = taxii.publish(connection, collection, objects)
    if as_json:
        _print_json(result)
        return
    console.print(f"Published {result['success_count']} object(s) in '{result['collection']}', "
                  f"refused {result['failure_count']}")
    for failure in result["failures"]:
        console.print(f"  - {failure['id']}: {failure['message']}", highlight=False)
    if result["failure_count"]:
        raise typer.Exit(1)


@object_app.command("delete")
def object_delete(collection: str = typer.Argument(..., help="Collection alias or id."),
                  object_id: str = typer.Argument(..., help="The STIX id, e.g. indicator--…"),
                  version: list[str] = typer.Option([], "--version", help="Only this version (its modified "
                                                    "timestamp); repeat for several. Default: every version."),
                  as_json: bool = JsonOption) -> None:
    """Remove an object whoever shared it (partners may delete only their own); audited."""
    from cyberdip.services import taxii

    versions = tuple(version_key(v) for v in version) or ("all",)
    with _workbench(as_json) as workbench, workbench.writing() as connection:
        removed = taxii.remove(connection, collection, object_id, versions)
    _print_json({"object": object_id, "removed": removed}) if as_json else console.print(
        f"Removed {removed} version(s) of {object_id}")


@audit_app.command("verify")
def audit_verify(as_json: bool = JsonOption) -> None:
    """Check the audit chain: any altered, inserted or deleted entry is found."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        result = sharing.verify_audit(connection)
    if as_json:
        _print_json(result)
    elif result.intact:
        console.print(f"Audit log intact: {result.entries} entries")
    else:
        errors.print(f"[bold red]Audit log broken at entry {result.first_broken}:[/] {result.reason}")
    if not result.intact:
        raise typer.Exit(1)


@audit_app.command("show")
def audit_show(partner: str | None = typer.Option(None, help="Only this partner's entries."),
               as_json: bool = JsonOption) -> None:
    """What was done, and what was given to whom."""
    with _workbench(as_json) as workbench, workbench.reading() as connection:
        rows = sharing.audit_log(connection, partner)
    if as_json:
        _print_json(rows)
        return
    table = Table("seq", "at", "partner", "collection", "action", "objects", "outcome")
    for row in rows:
        table.add_row(str(row["seq"]), str(row["at"])[:19], row["partner_id"] or "", row["collection_id"] or "",
                      row["action"], str(len(row["object_ids"])), row["outcome"])
    console.print(table)


sync_app = typer.Typer(help="Federation: pull partner hubs' TAXII collections.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


@sync_app.command("pull")
def sync_pull(
    source: str = typer.Option(..., "--from", help="The partner hub's TAXII API root, e.g. https://hub/taxii2/api/"),
    collection: str = typer.Option(..., help="The remote collection's id."),
    key: str = typer.Option(..., help="The API key the partner hub issued to us."),
    into: str = typer.Option(..., help="Our collection (alias or id) to store the objects in."),
    partner: str = typer.Option(..., "--as", help="Our partner record for that hub: pulled objects are "
                                "attributed to it."),
    page_size: int = typer.Option(1000, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Pull a partner hub's collection incrementally (resumable; nothing lost or duplicated)."""
    with _workbench(as_json) as workbench:
        result = sync.pull(workbench, base_url=source, collection=collection, key=key, into=into, partner=partner,
                           page_size=page_size)
    if as_json:
        _print_json(result)
    else:
        console.print(f"Pulled {result.received} objects in {result.pages} page(s) from {result.remote}: "
                      f"{result.stored} new; resume point {result.added_after}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Listen address (default CYBERDIP_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default CYBERDIP_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Server processes (each uses a core; SQLite writes take turns)."),
    access_log: bool = typer.Option(False, "--access-log/--no-access-log",
                                    help="Log every HTTP request to stderr (TAXII requests are audited either way)."),
) -> None:
    """Start the workbench: web pages at /, JSON API at /api (docs at /api/docs), TAXII 2.1 at /taxii2/.

    Initialises the database with the curated dataset first if it was never initialised.
    """
    import os
    import secrets

    import uvicorn

    from cyberdip.interfaces.asgi import create_app

    if workers > 1 and not os.environ.get("CYBERDIP_SECRET"):
        os.environ["CYBERDIP_SECRET"] = secrets.token_urlsafe(32)  # every worker must sign cursors alike
    settings = Settings.from_env()
    workbench = Workbench.open(settings)
    try:
        try:
            workbench.require_schema()
        except NotInitialised:
            errors.print("First start: creating the database and loading the curated dataset...")
            loading.init_database(workbench, progress=lambda step: errors.print(f"  {step}..."))
        read_models.bring_up_to_date(workbench, progress=lambda step: errors.print(f"Bringing pages up to date: "
                                                                                  f"{step}..."))
        errors.print(f"Starting on http://{host or settings.host}:{port or settings.port}/ (database "
                     f"{settings.database_url}); it answers once the map shapes and incident findings are loaded")
        if workers > 1:
            uvicorn.run("cyberdip.interfaces.asgi:app_from_env", factory=True, workers=workers,
                        host=host or settings.host, port=port or settings.port, access_log=access_log)
        else:
            uvicorn.run(create_app(workbench), host=host or settings.host, port=port or settings.port,
                        access_log=access_log)
    finally:
        workbench.close()


# ------------------------------------------------------------------------------------------------
# Rendering


def _render_profile(result: catalogue.Profile) -> None:
    record = result.record
    header = f"[bold]{result.name}[/]  [dim]{record.get('id')}[/]"
    if result.as_of:
        header += f"  [yellow](as known on {result.as_of})[/]"
    if result.at:
        header += f"  [yellow](valid on {result.at})[/]"
    console.print(header)
    skip = {"id", "name", "sources", "coverage", "lacks"}
    declared = list(record_type_for(str(record["id"])).model_fields)  # the same order on every database
    for key, value in sorted(record.items(), key=lambda item: declared.index(item[0]) if item[0] in declared
                             else len(declared)):
        if key in skip or value in (None, [], ""):
            continue
        if key in result.references:
            value = ", ".join(f"{r['name']} ({r['id']})" for r in result.references[key])
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        console.print(f"  [cyan]{key}[/]: {value}", highlight=False)
    for absence in record.get("lacks") or []:
        note = f" — {absence['note']}" if absence.get("note") else ""
        console.print(f"  [cyan]has no[/] {absence['what'].replace('_', ' ')} (as of {absence['as_of']}){note}",
                      highlight=False)
    _render_sources(result.sources, indent="  ")
    for coverage in result.lists:
        style = "yellow" if coverage["status"] == "partial" else "green"
        console.print(f"  [{style}]{coverage['text']}[/]", highlight=False)
    for title, items in result.sections.items():
        table = Table(title=f"{title} ({len(items)})", title_justify="left", show_edge=False)
        table.add_column("from")
        table.add_column("to")
        table.add_column("what")
        table.add_column("id", style="dim")
        table.add_column("source", style="dim")
        for item in items:
            source = item.sources[0]["url"] if item.sources else ""
            what = item.name if item.current else f"{item.name} [dim](ended)[/]"
            table.add_row(item.start or "", item.end or "", what, item.id, source)
        console.print(table)


def _render_sources(sources: list[dict[str, Any]], indent: str = "") -> None:
    for source in sources:
        locator = f", {source['locator']}" if source.get("locator") else ""
        quote = f": “{source['quote']}”" if source.get("quote") else ""
        checked = f" (checked {source['checked']})" if source.get("checked") else ""
        published = f" ({source['published']})" if source.get("published") else ""
        kind = escape(f" [{source['class'].replace('_', ' ')}]") if source.get("class") else ""
        what = f"{source['title']} — {source['publisher']}{kind}{published}{locator}{quote}{checked}"
        console.print(
            f"{indent}[dim]source:[/] {what}\n"
            f"{indent}        {source['url']}",
            highlight=False,
        )


def _render_history(log: list[dict[str, Any]]) -> None:
    table = Table("at", "load", "field", "old", "new")
    for change in log:
        table.add_row(change["at"], f"{change['load']} ({change['origin']})", change["field"],
                      _short(change["old"]), _short(change["new"]))
    console.print(table)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else ""
    return text if len(text) <= 60 else text[:57] + "..."

