"""The ``cyberdip`` command line. Each command parses its options, calls one service, renders.

Every query command that prints a table takes ``--format table|json|csv`` (``--json`` is
``--format json``); with JSON it prints only JSON on stdout (errors included, as
``{"error": ..., "suggestions": [...]}``) and exits non-zero on failure.

The services, and what they import (SQLAlchemy, numpy, scipy, pydantic...), are imported inside
the commands, so ``cyberdip --help`` starts at once.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from cyberdip.interfaces.cli.common import (
    FormatOption,
    Grid,
    JsonOption,
    check_filter,
    check_kinds,
    console,
    date,
    emit,
    errors,
    fail,
    output_format,
    print_json,
    workbench,
)
from cyberdip.interfaces.cli.share import share_app, sync_app

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from cyberdip.analysis import provenance as provenance_figures
    from cyberdip.services import catalogue, threat_imports, votes

app = typer.Typer(
    help="cyberdip — a cyber diplomacy workbench: states, agreements, norms, incidents, with sources.",
    no_args_is_help=True,
    add_completion=False,
)
import_app = typer.Typer(help="Import records from files.", no_args_is_help=True)
app.add_typer(import_app, name="import")

#: the UN Digital Library's voting file (services.vote_imports.UNDL_URL; a test keeps them equal)
UNDL_URL = "https://digitallibrary.un.org/record/4060887/files/2025_12_15_ga_voting.csv"


def run() -> None:
    app()


# ------------------------------------------------------------------------------------------------


@app.command()
def init(
    curated: Path | None = typer.Option(None, help="Load this curated folder instead of the shipped one."),
    votes: bool = typer.Option(True, "--votes/--no-votes",
                               help="Load the shipped UN General Assembly votes 1946-2026 when none are stored."),
    as_json: bool = JsonOption,
) -> None:
    """Create or upgrade the database and load the curated dataset (safe to run again), and the
    shipped UN General Assembly votes the first time."""
    from cyberdip.services import loading, vote_imports

    with workbench(as_json) as bench:
        summary = loading.init_database(bench, curated=curated)
        imported = vote_imports.import_shipped_votes(bench) if votes else None
        if as_json:
            print_json({"load": summary.load_id, **summary.counts(),
                        "rollcalls_imported": imported.rollcalls if imported else 0})
            return
        counts = summary.counts()
        console.print(
            f"Database ready at [bold]{bench.engine.url.render_as_string(hide_password=True)}[/]\n"
            + (f"UN General Assembly votes: {imported.rollcalls:,} roll calls 1946-2026 loaded "
               "(sources and terms: `cyberdip votes --about`)\n" if imported else "")
            + f"Curated dataset: {counts['added']} added, {counts['changed']} changed, "
            f"{counts['removed']} removed, {counts['unchanged']} unchanged"
            + (f", {counts['kept_user_version']} kept as edited by users" if counts["kept_user_version"] else "")
        )


@import_app.command("records")
def import_records(
    path: Path = typer.Argument(..., help="A YAML/JSON file of records, or a folder of kind files."),
    as_json: bool = JsonOption,
) -> None:
    """Add or update your own records (kept across curated reloads)."""
    from cyberdip.services import loading

    with workbench(as_json) as bench:
        summary = loading.import_records(bench, path)
        if as_json:
            print_json({"load": summary.load_id, **summary.counts()})
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
    from cyberdip.services import vote_imports

    with workbench(as_json) as bench:
        summary = vote_imports.import_unga(bench, path)
    if as_json:
        print_json(summary)
        return
    console.print(f"Imported {summary.rollcalls} roll calls and {summary.votes} votes ({summary.format} format)"
                  + (f"; {summary.merged_with_existing} matched roll calls already stored" if
                     summary.merged_with_existing else ""))
    for matter, count in summary.tagged.items():
        console.print(f"  {count} roll calls tagged {matter}")


def _threat_summary(summary: threat_imports.ThreatImportSummary, path: Path, as_json: bool) -> None:
    if as_json:
        print_json(summary)
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
    from cyberdip.services import threat_imports

    with workbench(as_json) as bench:
        _threat_summary(threat_imports.import_incidents(bench, "eurepoc", path), path, as_json)


@import_app.command("cfr")
def import_cfr(path: Path = typer.Argument(..., help="The CFR Cyber Operations Tracker CSV export."),
               as_json: bool = JsonOption) -> None:
    """Import the CFR Cyber Operations Tracker (shifted and mis-encoded rows are reported)."""
    from cyberdip.services import threat_imports

    with workbench(as_json) as bench:
        _threat_summary(threat_imports.import_incidents(bench, "cfr", path), path, as_json)


@import_app.command("dcid")
def import_dcid(path: Path = typer.Argument(..., help="The DCID 2.0 incidents CSV."),
                as_json: bool = JsonOption) -> None:
    """Import the Dyadic Cyber Incident and Dispute data (DCID 2.0)."""
    from cyberdip.services import threat_imports

    with workbench(as_json) as bench:
        _threat_summary(threat_imports.import_incidents(bench, "dcid", path), path, as_json)


@import_app.command("misp")
def import_misp(
    path: Path = typer.Argument(..., help="The MISP galaxy threat-actor cluster (threat-actor.json)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date the file was retrieved (claims are dated by it)."),
    as_json: bool = JsonOption,
) -> None:
    """Import MISP threat actors (aliases; CFR sponsor fields become claims) and link them to other sources."""
    from cyberdip.services import threat_imports

    with workbench(as_json) as bench:
        summary = threat_imports.import_groups(bench, "misp", path, as_of=date(as_of, "--as-of"))
        _threat_summary(summary, path, as_json)


@import_app.command("attack")
def import_attack(path: Path = typer.Argument(..., help="A MITRE ATT&CK STIX 2.0 or 2.1 bundle (.json or .json.gz)."),
                  as_json: bool = JsonOption) -> None:
    """Import MITRE ATT&CK intrusion sets and link them to groups from other sources by shared aliases."""
    from cyberdip.services import threat_imports

    with workbench(as_json) as bench:
        _threat_summary(threat_imports.import_groups(bench, "attack", path), path, as_json)


fetch_app = typer.Typer(help="Download public datasets and import them.", no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")


@fetch_app.command("unga")
def fetch_unga(
    url: str = typer.Option(UNDL_URL, help="Address of the UN Digital Library voting CSV (it changes with "
                            "each update; see https://digitallibrary.un.org/record/4060887)."),
    folder: Path = typer.Option(Path("."), help="Where to save the downloaded file."),
    as_json: bool = JsonOption,
) -> None:
    """Download the UN Digital Library's General Assembly voting file and import it."""
    from cyberdip.services import vote_imports

    with workbench(as_json) as bench:
        saved, summary = vote_imports.fetch_unga(bench, url, folder)
    if as_json:
        from pydantic_core import to_jsonable_python

        print_json({"file": str(saved), **to_jsonable_python(summary)})
    else:
        console.print(f"Saved {saved}; imported {summary.rollcalls} roll calls and {summary.votes} votes")


@app.command()
def search(
    text: str = typer.Argument(..., help="A name, alias, acronym, symbol or id."),
    limit: int = typer.Option(20, min=1, max=500),
    kind: list[str] = typer.Option([], "--kind", help="Only records of this kind or subkind (repeatable): state, "
                                   "agency, organization, instrument, incident, rollcall..."),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Find states, agencies, organisations, instruments, events... by name or alias."""
    from cyberdip.services import catalogue

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        check_kinds(connection, kind, fmt == "json")
        hits = catalogue.search(connection, text, limit=limit, kinds=kind)
    if fmt == "json":
        print_json(hits)
        return
    if not hits:
        errors.print(f"Nothing matches {text!r}.")
        raise typer.Exit(1)
    grid = Grid(["id", "name", "kind", "matched", "score"])
    for hit in hits:
        grid.add(hit.id, hit.name, hit.subkind or hit.kind, hit.matched, f"{hit.score:.0f}")
    emit(fmt, grid)


@app.command()
def show(
    ref: str = typer.Argument(..., help="An id (state:DEU) or a name (Germany, BSI, Budapest Convention)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Show what was known on this date (YYYY-MM-DD)."),
    at: str | None = typer.Option(None, "--at", help="Keep only memberships and links valid on this date."),
    changes: bool = typer.Option(False, "--history", help="Show the record's change log instead."),
    fmt: str | None = typer.Option(None, "--format", metavar="table|json|csv",
                                   help="table (default), json or csv (csv: the related records, one row each "
                                   "with its section; with --history the change log)."),
    as_json: bool = JsonOption,
) -> None:
    """A profile: for a state its agencies, memberships, instruments and events, with sources."""
    from cyberdip.services import catalogue

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        if changes:
            log = catalogue.record_history(connection, ref)
            if fmt == "json":
                print_json(log)
            else:
                _render_history(log, fmt)
            return
        result = catalogue.profile(connection, ref, as_of=date(as_of, "--as-of"), at=date(at, "--at"))
    if fmt == "json":
        print_json(result)
    elif fmt == "csv":
        grid = Grid(["section", "from", "to", "what", "id", "current", "source"])
        for title, items in result.sections.items():
            for item in items:
                grid.add(title, item.start or "", item.end or "", item.name, item.id, "yes" if item.current else "no",
                         item.sources[0]["url"] if item.sources else "")
        emit(fmt, grid)
    else:
        _render_profile(result)


@app.command()
def timeline(
    actor: str | None = typer.Option(None, help="Only what concerns this actor (id or name)."),
    start: str | None = typer.Option(None, "--from", help="From this date (2015, 2015-09 or 2015-09-25)."),
    end: str | None = typer.Option(None, "--to", help="Up to this date (inclusive)."),
    kind: list[str] = typer.Option([], help="Record kinds to include (repeatable)."),
    limit: int = typer.Option(200, min=1, max=100000),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Dated events, instruments, memberships, incidents and claims in order."""
    from cyberdip.services import timeline as timeline_service

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        try:
            entries = timeline_service.timeline(
                connection, actor=actor, start=start, end=end, kinds=kind, limit=limit
            )
        except ValueError as exc:
            fail(str(exc), fmt == "json")
    if fmt == "json":
        print_json(entries)
        return
    grid = Grid(["date", "kind", "what", "id"])
    for entry in entries:
        grid.add(entry.date, entry.subkind or entry.kind, entry.title, entry.id)
    emit(fmt, grid)


@app.command("export")
def export_command(
    ref: str | None = typer.Argument(None, help="One record (an id or a name, e.g. Germany) with everything "
                                     "linked to it; without it, the whole knowledge base.", show_default=False),
    fmt: str | None = typer.Option(None, "--format", help="json (default), csv, or stix (incidents, groups and "
                                   "claims as a STIX 2.1 bundle); with REF: json.", show_default=False),
    kind: list[str] = typer.Option([], help="Only these record kinds (repeatable)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Export the knowledge base (every record with its sources), or one record with all linked to it.

    With REF: the record, its profile's sections (memberships, parties, agencies...), the claims by
    and against it (about it, for an incident or group), and for a state its record (incidents
    attributed to it, norms engaged, commitments, responses).
    """
    from cyberdip.services import export, stix_export

    if ref is not None:
        if fmt not in (None, "json"):
            raise typer.BadParameter("one record exports as json", param_hint="--format")
        if kind:
            raise typer.BadParameter("--kind selects records of the whole knowledge base; not with REF",
                                     param_hint="--kind")
        with workbench() as bench, bench.reading() as connection:
            document = json.dumps(_record_export(connection, ref), ensure_ascii=False, indent=2) + "\n"
        _write([document], output)
        return
    fmt = fmt or "json"
    if fmt not in ("json", "csv", "stix"):
        raise typer.BadParameter("choose json, csv or stix", param_hint="--format")
    try:
        export.check_kinds(kind)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--kind") from None
    with workbench() as bench, bench.reading() as connection:
        chunks: Iterator[str] = (
            iter([json.dumps(stix_export.export_bundle(connection), indent=2, ensure_ascii=False) + "\n"])
            if fmt == "stix" else export.export_records(connection, fmt, kind)
        )
        _write(chunks, output)


def _write(chunks: Iterator[str] | list[str], output: Path | None) -> None:
    if output:
        with output.open("w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        errors.print(f"Wrote {output}")
    else:
        for chunk in chunks:
            sys.stdout.write(chunk)


def _record_export(connection: Connection, ref: str) -> dict[str, Any]:
    """One record and everything linked to it, as plain JSON values."""
    from pydantic_core import to_jsonable_python

    from cyberdip.services import catalogue, norms

    profile = catalogue.profile(connection, ref)
    record_id = str(profile.record["id"])
    document: dict[str, Any] = {"id": record_id, "name": profile.name, "kind": profile.kind,
                                **to_jsonable_python(profile)}
    if profile.kind == "actor":
        document["claims_by"] = norms.claims(connection, by=record_id)
        document["claims_against"] = norms.claims(connection, against=record_id)
    elif profile.kind in ("incident", "claim") or record_id.startswith("group:"):
        document["claims"] = norms.claims(connection, record_id) if profile.kind != "claim" else []
    if record_id.startswith("state:"):
        document["state_record"] = norms.state_record(connection, record_id)
    return dict(to_jsonable_python(document))


@app.command()
def stats(fmt: str | None = FormatOption, as_json: bool = JsonOption) -> None:
    """How many records of each kind the knowledge base holds."""
    from cyberdip.services import catalogue

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        result = catalogue.statistics(connection)
    if fmt == "json":
        print_json(result)
        return
    grid = Grid(["kind", "subkind", "records"])
    for kind, subkinds in result["by_subkind"].items():
        for subkind, count in subkinds.items():
            grid.add(kind, subkind, str(count))
    emit(fmt, grid)
    if fmt == "table":
        console.print(f"{sum(result['records'].values())} records citing {result['sources']} sources")


@app.command()
def sources(
    check: bool = typer.Option(False, "--check", help="Check the curated folder against the provenance rules "
                               "and list every breach (exit 1 if any)."),
    curated: Path | None = typer.Option(None, help="With --check: this curated folder instead of the shipped one."),
    only: str | None = typer.Option(None, help="With --check: only files whose path starts with this "
                                    "(actors/agencies-a-f.yaml)."),
    fmt: str | None = typer.Option(None, "--format", metavar="table|json|csv",
                                   help="table (default), json or csv (csv: the citations table and the lists "
                                   "table, separated by a blank line; with --check the breaches)."),
    as_json: bool = JsonOption,
) -> None:
    """How well the curated knowledge base is sourced: primary share per kind, records on one
    source, oldest checks, partial lists; --check lists every breach of the rules."""
    from cyberdip.model.errors import DataError
    from cyberdip.services import provenance

    fmt = output_format(fmt, as_json)
    if check:
        try:
            breaches = provenance.check_folder(curated, only=only)
        except DataError as exc:
            problems = [str(p) for p in exc.problems]
            fail(f"{len(problems)} problem(s) in the curated data", fmt == "json", problems=problems, code=2)
        if fmt == "json":
            print_json([vars(b) for b in breaches])
        elif fmt == "csv":
            grid = Grid(["record", "where", "rule", "url", "detail"])
            for b in breaches:
                grid.add(b.record_id, b.where or "", b.rule, b.url or "", b.detail)
            emit(fmt, grid)
        else:
            for breach in breaches:
                console.print(str(breach), highlight=False, markup=False, soft_wrap=True)
            rules = Counter(b.rule for b in breaches)
            console.print(f"{len(breaches)} breach(es)" + (": " + ", ".join(f"{r} {n}" for r, n in rules.most_common())
                                                           if rules else ""), highlight=False)
        if breaches:
            raise typer.Exit(1)
        return
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        result = provenance.report(connection)
    if fmt == "json":
        print_json(result.as_dict())
        return
    _print_provenance(result, fmt)


def _print_provenance(result: provenance_figures.Report, fmt: str) -> None:
    kinds = Grid(["kind", "records", "citations", "primary", "share", "on one source"],
                 title="Citations by record kind")
    for share in [*result.kinds, result.total]:
        kinds.add(share.kind, str(share.records), str(share.citations), str(share.primary),
                  f"{share.primary_share:.0%}", str(share.single_source))
    lists = Grid(["list", "role", "status", "official count", "recorded", "as of"], title="Member and party lists")
    for item in result.lists:
        lists.add(item.record_id, item.role, item.status, "—" if item.count is None else str(item.count),
                  str(item.recorded), item.as_of)
    if fmt == "csv":
        emit(fmt, kinds, lists)
        return
    emit(fmt, kinds)
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
    emit(fmt, lists)
    console.print("What each partial list is missing: cyberdip show ID, or /sources.", highlight=False)


@app.command("matters")
def matters_command(fmt: str | None = FormatOption, as_json: bool = JsonOption) -> None:
    """The policy matters (UN cyber process, cybercrime, ransomware ...) with their records."""
    from cyberdip.services import catalogue

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        rows = catalogue.matters(connection)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["id", "name", "part of", "instruments", "norms", "events", "roll calls"], title="Matters")
    for row in rows:
        grid.add(row.id, row.name, row.parent or "", *(str(row.referred.get(kind, 0)) for kind in
                                                       ("instrument", "norm", "event", "rollcall")))
    emit(fmt, grid)


# ------------------------------------------------------------------------------------------------
# Like-minded analytics

MatterOption = typer.Option([], "--matter", help="Only roll calls on this matter (id or name), sub-matters included; "
                            "repeat it for several matters together.")
SessionOption = typer.Option([], "--session", help="General Assembly session(s) (repeatable).")
FromOption = typer.Option(None, "--from", help="From this date (2015, 2015-09 or 2015-09-25).")
ToOption = typer.Option(None, "--to", help="Up to this date (inclusive).")
ChartOption = typer.Option(None, "--chart", help="Also write a chart to this .png or .svg file.")
SymbolOption = typer.Option([], "--symbol", help="Only the roll calls on these resolutions (repeatable: A/RES/75/240 "
                            "or 75/240).")


def _selection(matter: str | None, sessions: list[int], start: str | None, end: str | None,
               symbols: Sequence[str] = ()) -> votes.Selection:
    from cyberdip.services import votes

    return votes.Selection(matter=matter, sessions=tuple(sessions), start=start, end=end,
                           symbols=tuple(f"A/RES/{s}" if s[:1].isdigit() else s for s in symbols))


def _chart_written(path: Path | None) -> None:
    if path:
        errors.print(f"Wrote {path}")


@app.command()
def align(
    states: list[str] = typer.Argument(..., help="Two or more states (ids or names)."),
    matter_refs: list[str] = MatterOption,
    session: list[int] = SessionOption,
    start: str | None = FromOption,
    end: str | None = ToOption,
    symbol: list[str] = SymbolOption,
    rule: str = typer.Option("measures", "--rule", help="measures (every pair: agreement, S, π, κ) or state-dept "
                             "(every state's voting coincidence with the first state, as the US State Department "
                             "reports it)."),
    chart: Path | None = ChartOption,
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Voting alignment between states: agreement, Signorino–Ritter S, Scott's π, Cohen's κ; or
    the State Department's voting coincidence (--rule state-dept)."""
    matter = ",".join(matter_refs) or None  # several matters: their roll calls together
    from cyberdip.interfaces import charts
    from cyberdip.services import likeminded

    fmt = output_format(fmt, as_json)
    if rule not in ("measures", "state-dept"):
        raise typer.BadParameter(f"choose measures or state-dept, not {rule!r}", param_hint="--rule")
    if rule == "state-dept":
        with workbench(fmt == "json") as bench, bench.reading() as connection:
            check_filter(connection, matter, "matter", "--matter", fmt == "json")
            rows = likeminded.state_department(connection, states[0], _selection(matter, session, start, end, symbol))
        if fmt == "json":
            print_json(rows)
            return
        wanted = set(states[1:])
        grid = Grid(["state", "identical", "opposite", "abstention vs yes/no", "coincidence", "abstention as ½"],
                    title=f"Voting coincidence with {states[0]}: identical / (identical + opposite)")
        for row in rows:
            if not wanted or row.name in wanted or row.state in wanted or row.state[6:] in wanted:
                grid.add(row.name, str(row.identical), str(row.opposite), str(row.partial), _number(row.coincidence),
                         _number(row.with_partial))
        emit(fmt, grid)
        return
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        check_filter(connection, matter, "matter", "--matter", fmt == "json")
        result = likeminded.align(connection, states, _selection(matter, session, start, end, symbol))
    if chart:
        charts.alignment_heatmap(result, chart)
    if fmt == "json":
        print_json(result.summary())
        return
    grid = Grid(["state", "state", "joint votes", "agreement", "90% interval", "S abs", "S sq", "π",
                 "κ (90% interval)"],
                title=f"{result.selection}: {result.rollcalls} roll calls")
    for pair in result.pairs:
        interval = ("—" if pair.agreement_low is None else f"{pair.agreement_low:.2f}–{pair.agreement_high:.2f}")
        kappa = _number(pair.kappa) + (f" ({pair.kappa_low:.2f}–{pair.kappa_high:.2f})"
                                       if pair.kappa_low is not None and pair.kappa_high is not None else "")
        grid.add(pair.a_name, pair.b_name, str(pair.joint_votes) + (" (few)" if pair.few_votes else ""),
                 _number(pair.agreement), interval, *(_number(getattr(pair, m)) for m in ("s_abs", "s_sq", "pi")),
                 kappa)
    emit(fmt, grid)
    if fmt == "table":
        for note in sorted({pair.note for pair in result.pairs if pair.note}):
            errors.print(f"Note: {note}.")
    _chart_written(chart)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@app.command()
def blocs(
    matter_refs: list[str] = MatterOption,
    session: list[int] = SessionOption,
    start: str | None = FromOption,
    end: str | None = ToOption,
    symbol: list[str] = SymbolOption,
    measure: str = typer.Option("kappa", help="Similarity the network is weighted by (kappa, pi, agreement...)."),
    seeds: int = typer.Option(20, min=1, max=500, help="Louvain runs, one per seed."),
    resolution: float = typer.Option(1.0, min=0.1, max=10.0, help="Louvain resolution (higher: smaller blocs)."),
    members: bool = typer.Option(False, "--members", help="List every bloc's member states."),
    chart: Path | None = ChartOption,
    as_json: bool = JsonOption,
) -> None:
    """Voting blocs: community detection on the chance-corrected agreement network, with stability."""
    matter = ",".join(matter_refs) or None  # several matters: their roll calls together
    from cyberdip.interfaces import charts
    from cyberdip.services import likeminded

    with workbench(as_json) as bench, bench.reading() as connection:
        check_filter(connection, matter, "matter", "--matter", as_json)
        result = likeminded.blocs(connection, _selection(matter, session, start, end, symbol), measure=measure,
                                  seeds=seeds, resolution=resolution)
    if chart:
        charts.blocs_chart(result, chart)
    if as_json:
        print_json(result.summary())
        return
    console.print(f"{result.selection}: {result.rollcalls} roll calls; {len(result.blocs)} blocs by {result.measure}; "
                  f"modularity {result.modularity:.3f} (runs: mean {result.modularity_mean:.3f}, "
                  f"spread {result.modularity_spread:.3f})")
    for bloc in result.blocs:
        resampled = bloc["cohesion_resampled"]
        console.print(f"[bold]{escape(bloc['name'])}[/], cohesion {bloc['cohesion']:.2f} across seeds"
                      + (f", {resampled:.2f} across resampled votes" if resampled is not None else ""),
                      highlight=False)
        if members:
            console.print("  " + ", ".join(m["name"] for m in bloc["members"]), highlight=False)
    _chart_written(chart)


@app.command("ideal-points")
def ideal_points_command(
    session: list[int] = SessionOption,
    start: str | None = FromOption,
    end: str | None = ToOption,
    state: list[str] = typer.Option([], "--state", help="Only show these states (repeatable)."),
    anchor: str = typer.Option("state:USA", help="State whose ideal point is positive."),
    chart: Path | None = ChartOption,
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """One-dimensional ideal points per General Assembly session (ordinal IRT)."""
    from cyberdip.interfaces import charts
    from cyberdip.services import catalogue, likeminded

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        shown = [catalogue.resolve(connection, s).id for s in state]
        result = likeminded.ideal_points(connection, _selection(None, session, start, end), anchor=anchor)
    if chart:
        charts.ideal_points_chart(result, shown or [result.anchor], chart)
    rows = [
        {"session": s.session, "state": st, "name": result.names.get(st, st), "ideal_point": round(x, 4)}
        for s in result.sessions for st, x in sorted(s.points.items(), key=lambda kv: -kv[1])
        if not shown or st in shown
    ]
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["session", "state", "ideal point"])
    for row in rows:
        grid.add(str(row["session"]), f"{row['name']} ({row['state']})", f"{row['ideal_point']:+.3f}")
    emit(fmt, grid)
    _chart_written(chart)


@app.command()
def partners(
    state: str = typer.Argument(..., help="The state looking for partners (id or name)."),
    matter_refs: list[str] = MatterOption,
    as_of: str | None = typer.Option(None, "--as-of", help="Use only what held on this date (YYYY-MM-DD)."),
    limit: int = typer.Option(15, min=1, max=200),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """States ranked by cyber like-mindedness, with the evidence for each."""
    matter = ",".join(matter_refs) or None  # several matters: their roll calls together
    from cyberdip.services import likeminded

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        check_filter(connection, matter, "matter", "--matter", fmt == "json")
        report = likeminded.partners(connection, state, matter=matter, as_of=date(as_of, "--as-of"), limit=limit)
    if fmt == "json":
        print_json(report)
        return
    grid = Grid(["rank", "state", "score", "votes", "affiliations", "agreements", "joint attributions", "incidents"])
    for rank, partner in enumerate(report.partners, 1):
        c = partner.components
        grid.add(str(rank), partner.name, f"{partner.score:.3f}", c["votes"].summary, c["affiliations"].summary,
                 c["agreements"].summary + "".join(f"\n{e.name}" for e in c["agreements"].evidence[:2]),
                 c["joint_attributions"].summary, c["incidents"].summary)
    if fmt == "table":
        weights = ", ".join(f"{k} {v:+.2f}" for k, v in report.weights.items())
        console.print(f"Partners of [bold]{report.name}[/] as of {report.as_of}"
                      + (f" on {report.matter}" if report.matter else "") + f" — weights: {weights}; votes: "
                      f"{report.vote_selection}", highlight=False)
    emit(fmt, grid)


@app.command()
def coalition(
    resolution: str | None = typer.Option(None, "--resolution", help="Reference resolution, e.g. A/RES/74/247 "
                                          "(forecast from the votes before it)."),
    matter_refs: list[str] = MatterOption,
    title: str | None = typer.Option(None, "--title", help="A draft's title (with --matter and --date)."),
    date: str | None = typer.Option(None, "--date", help="The day of the draft's vote: only votes before it count."),
    sponsor: list[str] = typer.Option([], "--sponsor", help="A sponsor (repeatable): guides the forecast of a text "
                                      "with no earlier version."),
    important: bool | None = typer.Option(None, "--important/--simple",
                                          help="Two-thirds rule / simple majority (default: the vote's own flag)."),
    fmt: str | None = typer.Option(None, "--format", metavar="table|json|csv",
                                   help="table (default), json or csv (csv: the swing states' table)."),
    as_json: bool = JsonOption,
) -> None:
    """Forecast a General Assembly vote from the votes before it and list the fewest states whose
    change would turn it."""
    matter = ",".join(matter_refs) or None  # several matters: their roll calls together
    from cyberdip.services import forecasts, likeminded

    fmt = output_format(fmt, as_json)
    if (title or date) and not (title and date and matter):
        raise typer.BadParameter("a draft needs --title, --matter and --date", param_hint="--title")
    draft = forecasts.Draft(title, matter or "", date, tuple(sponsor)) if title and date else None
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        check_filter(connection, matter, "matter", "--matter", fmt == "json")
        result = likeminded.coalition(connection, resolution=resolution, matter=matter, important=important,
                                      sponsors=sponsor, draft=draft)
    if fmt == "json":
        print_json(result)
        return
    grid = Grid(["state", "now", "→", "probability", "its votes on earlier versions"])
    for move in result.swing:
        grid.add(move.name, move.current, move.target, f"{move.probability:.2f}", "; ".join(move.history[:3]))
    if fmt == "csv":
        emit(fmt, grid)
        return
    console.print(f"[bold]{escape(result.symbol or result.reference)}[/] {escape(result.title)}"
                  + (f" (session {result.session})" if result.session else ""), highlight=False)
    console.print("Forecast from " + (", ".join(result.read_from) + " (earlier votes on the same text)"
                                      if result.read_from else "no earlier vote on the same text"))
    console.print(f"Rule: {result.rule}")
    if result.actual:
        console.print(f"Recorded: {result.actual['yes']} yes, {result.actual['no']} no, {result.actual['abstain']} "
                      f"abstain — {'adopted' if result.actual_adopted else 'not adopted'}")
    p = result.predicted
    console.print(f"Predicted: {p['yes']} yes, {p['no']} no, {p['abstain']} abstain — "
                  f"{'adopted' if result.adopted else 'not adopted'} (expected yes {result.expected['yes']:.1f}, "
                  f"no {result.expected['no']:.1f})")
    console.print(f"Fewest changes that would {'defeat' if result.adopted else 'carry'} it: {result.changes_needed}")
    emit(fmt, grid)


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
    from cyberdip.services import norms

    with workbench(as_json) as bench, bench.reading() as connection:
        path = Path(ref)
        result = (norms.assess_file(connection, path) if path.suffix == ".json" or path.is_file()
                  else norms.assess_ref(connection, ref))
    if as_json:
        print_json(result)
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
    fmt: str | None = typer.Option(None, "--format", metavar="table|json|csv",
                                   help="table (default), json or csv (csv: the incidents table and the norms "
                                   "table, separated by a blank line)."),
    as_json: bool = JsonOption,
) -> None:
    """A state's record: incidents attributed to it, norms engaged, commitments, responses."""
    from cyberdip.services import norms

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        result = norms.state_record(connection, state)
    if fmt == "json":
        print_json(result)
        return
    attributed = Grid(["date", "incident", "attribution", "by"], title="Incidents attributed to it",
                      options={"title_justify": "left"})
    for row in result.attributed_incidents:
        attributed.add(row["date"] or "", row["name"], row["strength"], ", ".join(row["claimants"][:4]))
    engaged = Grid(["norm", "findings"], title="Norms engaged as addressee", options={"title_justify": "left"})
    for norm, counts in result.norm_summary.items():
        engaged.add(norm, ", ".join(f"{k} {v}" for k, v in counts.items()))
    if fmt == "csv":
        emit(fmt, attributed, engaged)
        return
    console.print(f"[bold]{result.name}[/] {result.state}")
    emit(fmt, attributed, engaged)
    console.print(f"Commitments: {len(result.commitments)}; responses made: {len(result.responses_made)}; "
                  f"responses received: {len(result.responses_received)}")


@app.command("norms")
def norms_command(
    since: str | None = typer.Option(None, "--since", help="Only incidents from this date."),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Per-norm summary across states: how often each state is the addressee of each finding."""
    from cyberdip.services import norms

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        summary = norms.norm_summary(connection, since=since)
    if fmt == "json":
        print_json(summary)
        return
    grid = Grid(["norm", "state", "violation alleged", "contested", "undetermined", "compliance"])
    for norm, states in summary.items():
        ranked = sorted(states.items(), key=lambda kv: -kv[1].get("violation_alleged", 0) - kv[1].get("contested", 0))
        for state, counts in ranked[:5]:
            grid.add(norm, state, *(str(counts.get(k, "")) for k in
                                    ("violation_alleged", "contested", "undetermined", "compliance")))
    emit(fmt, grid)


@app.command()
def incidents(
    actor: str | None = typer.Option(None, help="Only incidents attributed to or affecting this actor."),
    norm: str | None = typer.Option(None, help="Only incidents engaging this norm (alleged or contested)."),
    start: str | None = FromOption,
    end: str | None = ToOption,
    limit: int = typer.Option(200, min=1, max=10000),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Incidents by date, with who they are attributed to."""
    from cyberdip.services import norms

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        check_filter(connection, norm, "norm", "--norm", fmt == "json")
        rows = norms.incidents(connection, actor=actor, norm=norm, start=start, end=end, limit=limit)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["date", "incident", "attributed to", "victims", "id"])
    for row in rows:
        grid.add(row.start or "", row.name, ", ".join(row.attributed_to), ", ".join(row.victims[:4]), row.id)
    emit(fmt, grid)


@app.command("votes")
def rollcall_votes(
    ref: str | None = typer.Argument(None, help="A resolution symbol (A/RES/75/240 or 75/240) or a roll call id."),
    about: bool = typer.Option(False, "--about", help="Say where the shipped UN votes come from, and their terms."),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """How each state voted on a General Assembly resolution, with the tally."""
    from cyberdip.services import vote_imports
    from cyberdip.services import votes as vote_service

    fmt = output_format(fmt, as_json)
    if about:
        shipped = vote_imports.shipped_votes_about()
        if fmt == "json":
            print_json(shipped)
            return
        console.print(f"[bold]{shipped['title']}[/] (shipped with cyberdip; `cyberdip fetch unga` updates them)")
        sources: list[dict[str, str]] = shipped.get("sources", [])  # type: ignore[assignment]
        for source in sources:
            console.print(f"- {source['what']}: {source['name']} <{source['url']}>. Terms: {source['terms']}.")
        console.print(str(shipped.get("notes", "")))
        return
    if not ref:
        raise typer.BadParameter("name a resolution symbol or roll call, or ask --about", param_hint="REF")
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        found = vote_service.rollcall_votes(connection, ref)
    if fmt == "json":
        print_json([asdict(call) for call in found])
        return
    if fmt == "csv":
        grid = Grid(["roll call", "symbol", "date", "state", "vote"])
        for call in found:
            for vote in call.votes:
                grid.add(call.id, call.symbol or "", call.date, vote.state, vote.vote)
        emit(fmt, grid)
        return
    for call in found:
        kind = " (amendment)" if call.amendment else " (separate paragraph)" if call.paragraph else ""
        console.print(f"[bold]{escape(call.symbol or call.id)}[/]{kind}, {call.date}: {escape(call.title)}")
        console.print(", ".join(f"{word} {count}" for word, count in call.tally.items()))
        grid = Grid(["state", "vote"])
        for vote in call.votes:
            grid.add(vote.name, vote.vote)
        emit(fmt, grid)


@app.command()
def claims(
    ref: str | None = typer.Argument(None, help="An incident, a threat group, or an actor."),
    by: str | None = typer.Option(None, "--by", help="Only claims made by this state, agency or organisation."),
    against: str | None = typer.Option(None, "--against", help="Only claims naming this actor as responsible."),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Attribution claims about an incident or group, made by or against an actor (--by X --against Y)."""
    from cyberdip.services import norms

    if not (ref or by or against):
        raise typer.BadParameter("name an incident, group or actor, or use --by and/or --against", param_hint="REF")
    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        rows = norms.claims(connection, ref, by=by, against=against)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["date", "claimant", "kind", "says", "type", "basis"])
    for c in rows:
        grid.add(c.get("date") or "", c.get("claimant") or c.get("claimant_name") or "", c["claimant_kind"],
                 f"{c['subject']} → {c['attributed_to']}", c["type"], c.get("basis") or "")
    emit(fmt, grid)


app.add_typer(share_app, name="share")
app.add_typer(sync_app, name="sync")


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
    from cyberdip.services import loading, read_models, vote_imports
    from cyberdip.services.settings import Settings
    from cyberdip.services.workbench import NotInitialised, Workbench

    if workers > 1 and not os.environ.get("CYBERDIP_SECRET"):
        os.environ["CYBERDIP_SECRET"] = secrets.token_urlsafe(32)  # every worker must sign cursors alike
    settings = Settings.from_env()
    bench = Workbench.open(settings)
    try:
        try:
            bench.require_schema()
        except NotInitialised:
            errors.print("First start: creating the database and loading the curated dataset...")
            loading.init_database(bench, progress=lambda step: errors.print(f"  {step}..."))
            errors.print("  loading the UN General Assembly votes 1946-2026 (about 15 s)...")
            vote_imports.import_shipped_votes(bench)
        read_models.bring_up_to_date(bench, progress=lambda step: errors.print(f"Bringing pages up to date: "
                                                                              f"{step}..."))
        errors.print(f"Starting on http://{host or settings.host}:{port or settings.port}/ (database "
                     f"{settings.database_url}); it answers once the map shapes and incident findings are loaded")
        if workers > 1:
            uvicorn.run("cyberdip.interfaces.asgi:app_from_env", factory=True, workers=workers,
                        host=host or settings.host, port=port or settings.port, access_log=access_log)
        else:
            uvicorn.run(create_app(bench), host=host or settings.host, port=port or settings.port,
                        access_log=access_log)
    finally:
        bench.close()


@app.command()
def forecast(
    resolution: str | None = typer.Option(None, "--resolution", help="A recorded resolution, forecast as the day "
                                          "before its vote would have (e.g. A/RES/75/240)."),
    title: str | None = typer.Option(None, "--title", help="A draft's title (its earlier versions are found by it)."),
    matter: str | None = typer.Option(None, "--matter", help="The draft's matter (id or name)."),
    date: str | None = typer.Option(None, "--date", help="The day of the draft's vote: only votes before it count."),
    sponsor: list[str] = typer.Option([], "--sponsor", help="A sponsor of the draft (repeatable)."),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Forecast each state's vote on a resolution or a draft from the votes before it."""
    from cyberdip.services import forecasts

    fmt = output_format(fmt, as_json)
    if not resolution and not (title and matter and date):
        raise typer.BadParameter("give --resolution, or a draft's --title, --matter and --date (and --sponsor)",
                                 param_hint="--resolution")
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        result = (forecasts.forecast_resolution(connection, resolution) if resolution else
                  forecasts.forecast_draft(connection, forecasts.Draft(title or "", matter or "", date or "",
                                                                       tuple(sponsor))))
    if fmt == "json":
        print_json(result)
        return
    grid = Grid(["state", "forecast", "yes", "abstain", "no", "from", *(["recorded"] if result.actual else [])])
    for state in sorted(result.states, key=lambda s: s.name):
        grid.add(state.name, state.forecast, f"{state.yes:.2f}", f"{state.abstain:.2f}", f"{state.no:.2f}",
                 state.basis, *([state.actual or ""] if result.actual else []))
    if fmt == "table":
        console.print(f"[bold]{escape(result.symbol or result.title)}[/] ({result.date}), read from "
                      + (", ".join(result.series_votes) or "no earlier vote on the same text"), highlight=False)
        tally = result.tally
        console.print(f"Forecast: {tally['yes']} yes, {tally['no']} no, {tally['abstain']} abstain"
                      + (f"; recorded: {result.actual['yes']} yes, {result.actual['no']} no, "
                         f"{result.actual['abstain']} abstain" if result.actual else ""))
    emit(fmt, grid)


@app.command()
def backtest(
    matter: str = typer.Option("matter:cyber", "--matter", help="The matter whose recorded votes are forecast."),
    start: str = typer.Option("2018-01-01", "--from", help="Forecast the votes from this date on."),
    fmt: str | None = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Forecast every recorded vote on a matter from the votes before it, beside two baselines."""
    from cyberdip.services import forecasts

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        result = forecasts.backtest(connection, matter=matter, start=start)
    if fmt == "json":
        print_json(result)
        return
    grid = Grid(["vote", "date", "states", "forecast", "last vote", "majority", "tally error", "last vote err",
                 "majority err"], title=f"Votes on {result.matter} since {result.start}: share of state votes "
                                        "forecast right, and tally error")
    for row in result.rows:
        grid.add(row.symbol, row.date, str(row.voted), f"{row.model:.3f}", f"{row.last_vote:.3f}",
                 f"{row.majority:.3f}", str(row.model_tally_error), str(row.last_vote_tally_error),
                 str(row.majority_tally_error))
    grid.add("all", "", str(sum(r.voted for r in result.rows)), f"{result.accuracy['model']:.3f}",
             f"{result.accuracy['last_vote']:.3f}", f"{result.accuracy['majority']:.3f}",
             f"{result.mean_tally_error['model']:.1f}", f"{result.mean_tally_error['last_vote']:.1f}",
             f"{result.mean_tally_error['majority']:.1f}")
    emit(fmt, grid)


# ------------------------------------------------------------------------------------------------
# Rendering


def _render_profile(result: catalogue.Profile) -> None:
    from cyberdip.model import record_type_for

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
        grid = Grid(["from", "to", "what", "id", "source"], title=f"{title} ({len(items)})",
                    styles={"id": "dim", "source": "dim"}, options={"title_justify": "left", "show_edge": False})
        for item in items:
            source = item.sources[0]["url"] if item.sources else ""
            what = escape(item.name) if item.current else f"{escape(item.name)} [dim](ended)[/]"
            grid.add(item.start or "", item.end or "", what, item.id, source)
        emit("table", grid)


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


def _render_history(log: list[dict[str, Any]], fmt: str) -> None:
    grid = Grid(["at", "load", "field", "old", "new"])
    for change in log:
        grid.add(str(change["at"]), f"{change['load']} ({change['origin']})", change["field"],
                 _value(change["old"], fmt), _value(change["new"], fmt))
    emit(fmt, grid)


def _value(value: Any, fmt: str) -> str:
    """A changed value as JSON: whole in CSV, its first 60 characters in a table."""
    text = json.dumps(value, ensure_ascii=False) if value is not None else ""
    return text if fmt == "csv" or len(text) <= 60 else text[:57] + "..."
