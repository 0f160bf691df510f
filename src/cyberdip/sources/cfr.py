"""The Council on Foreign Relations' Cyber Operations Tracker (``cyber-operations-incidents.csv``).

Columns: Title, Date (M/D/YYYY), Affiliations, Description, Response, Victims, Sponsor, Type,
Category, Sources_1..3. Records made:

- an :class:`Incident` ``incident:cfr/<slug of the title>`` per row (``-2``, ``-3``... when two
  titles slug alike: incidents are never merged);
- an :class:`AttributionClaim` ``claim:cfr/<slug>/<ISO3>`` per sponsor state:
  claimant_name "Council on Foreign Relations", claimant_kind researcher, type **media_report**
  — CFR compiles the tracker from the press and vendor reporting it cites (Sources_1..3) and does
  no forensic analysis of its own, so its sponsor field is no stronger than that public reporting;
  dated with the incident's date, with ``Affiliations`` as basis.

Mappings: Type Espionage → espionage; Sabotage → disruption (CFR: malware that disrupts a
physical process); Data destruction → destruction; Denial of service → disruption; Financial
Theft → financial_theft; Doxing → data_theft + data_leak; Defacement → disruption (as EuRepoC
codes defacements). Victims → victims where a name maps to a state (the rest — companies,
regions — are reported with counts). Category → sectors.

The export has quirks, reported as warnings with their line and still imported where sound:

- column-shifted rows (a cell missing or split, so that a URL or a category stands in Type):
  the Type is found where it landed, Category and sources after it; Sponsor is taken from the
  cell before it only when every name in it maps to a state; Victims and Response of such a row
  are not trusted and left out;
- characters lost in the export (``Children?? Hospital``): the text is kept as it is;
- rows without a date: the earliest year named in the description or source URLs is used, at
  year precision, and said in the notes; a row with no year at all is left out.
"""

from __future__ import annotations

from pathlib import Path

from cyberdip.model import AttributionClaim, Citation, Incident
from cyberdip.model.errors import Problem
from cyberdip.model.records import ClaimantKind, ClaimType, Effect
from cyberdip.sources.incident_common import (
    ImportedIncidents,
    Row,
    StateNames,
    StateResolver,
    UniqueIds,
    blank,
    finish,
    iso_date,
    make_slug,
    misencoded,
    read_rows,
    split_values,
    summary_text,
    unique,
    year_hint,
)

CFR_SOURCE = Citation(
    url="https://www.cfr.org/cyber-operations/",
    title="Cyber Operations Tracker",
    publisher="Council on Foreign Relations",
)
CLAIMANT = "Council on Foreign Relations"

COLUMNS = ("Title", "Date", "Affiliations", "Description", "Response", "Victims", "Sponsor", "Type", "Category",
           "Sources_1", "Sources_2", "Sources_3")
TYPE_EFFECTS: dict[str, tuple[Effect, ...]] = {
    "espionage": (Effect.ESPIONAGE,),
    "sabotage": (Effect.DISRUPTION,),
    "data destruction": (Effect.DESTRUCTION,),
    "denial of service": (Effect.DISRUPTION,),
    "financial theft": (Effect.FINANCIAL_THEFT,),
    "doxing": (Effect.DATA_THEFT, Effect.DATA_LEAK),
    "defacement": (Effect.DISRUPTION,),
}
_TYPE, _SPONSOR, _CATEGORY = COLUMNS.index("Type"), COLUMNS.index("Sponsor"), COLUMNS.index("Category")


def read_cfr(path: Path, states: StateResolver) -> ImportedIncidents:
    """Incidents and sponsor claims of the CFR Cyber Operations Tracker (the CSV, or its folder)."""
    file = path / "cyber-operations-incidents.csv" if path.is_dir() else path
    result = ImportedIncidents("cfr")
    errors: list[Problem] = []
    victim_names = StateNames(states, ("Unknown",))
    sponsor_names = StateNames(states, ("Unknown",))
    ids = UniqueIds()
    for row in read_rows(file, COLUMNS, errors):
        _row(row, ids, victim_names, sponsor_names, result, errors)
    sponsor_names.report(file.name, "sponsor", result.warnings)
    victim_names.report(file.name, "victim", result.warnings, min_count=2)
    return finish(result, errors)


def _row(row: Row, ids: UniqueIds, victim_names: StateNames, sponsor_names: StateNames,
         result: ImportedIncidents, errors: list[Problem]) -> None:
    cells = [*row.cells, *[""] * (len(COLUMNS) - len(row.cells))]
    title = cells[0].strip()
    if len(title) < 3:
        errors.append(Problem(row.where, f"no title ({title!r})"))
        return
    record_id = ids(f"incident:cfr/{make_slug(title, 'untitled')}")
    warn = result.warnings

    # Where did Type land? In a sound row it is column 8 (or blank); in a shifted one elsewhere.
    type_at = _TYPE
    if cells[_TYPE].strip().casefold() not in TYPE_EFFECTS:
        found = [i for i in range(4, len(cells)) if cells[i].strip().casefold() in TYPE_EFFECTS]
        if found:
            type_at = found[0]
        elif not blank(cells[_TYPE]):
            type_at = -1
    shifted = type_at != _TYPE
    if shifted:
        where_type = f"found in column {type_at + 1}" if type_at >= 0 else "not found"
        warn.append(Problem(row.where, f"column-shifted row (Type holds {cells[_TYPE][:60]!r}; the type is "
                            f"{where_type}): victims and response left out, sponsor kept only if it names states",
                            record=record_id, field="Type"))
    kind = cells[type_at].strip() if type_at >= 0 else ""
    category = cells[type_at + 1] if 0 <= type_at < len(cells) - 1 else ""
    sponsor_cell = cells[type_at - 1] if type_at > 0 else ""
    sources_from = type_at + 2 if type_at >= 0 else len(COLUMNS)
    sponsors: list[str] = []
    if shifted:
        parts = split_values(sponsor_cell, ",")
        resolved = [sponsor_names.quiet(p) for p in parts]
        whole = sponsor_names.quiet(sponsor_cell) if '"' not in sponsor_cell else None
        if whole:
            sponsors = [whole]
        elif parts and '"' not in sponsor_cell and all(resolved):
            sponsors = unique(s for s in resolved if s)
    else:
        sponsors = sponsor_names.many(sponsor_cell)

    fields = [(name, cells[i]) for i, name in enumerate(COLUMNS[:7]) if misencoded(cells[i])]
    if fields:
        warn.append(Problem(row.where, "characters lost in the export ('?' for a letter or apostrophe) in "
                            + ", ".join(name for name, _ in fields) + "; text kept as it is", record=record_id))

    notes: list[str] = []
    raw_date = cells[1].strip()
    try:
        date = iso_date(raw_date) if raw_date else None
    except ValueError as exc:
        errors.append(Problem(row.where, str(exc), record=record_id, field="Date"))
        return
    if date is None:
        date = year_hint(cells[3], *cells[sources_from:])
        if date is None:
            warn.append(Problem(row.where, "no date, and no year in its description or sources: left out",
                                record=record_id, field="Date"))
            result.counts["skipped"] += 1
            return
        notes.append("date not given by CFR; the earliest year in its description or sources is used")
        warn.append(Problem(row.where, f"no date: year {date} taken from its description or sources",
                            record=record_id, field="Date"))

    effects: list[Effect] = []
    for effect in TYPE_EFFECTS.get(kind.casefold(), ()):
        if effect not in effects:
            effects.append(effect)
    victims: list[str] = []
    if not shifted:
        victims = victim_names.many(cells[5])
        if not blank(cells[4]):
            notes.append(f"CFR response: {' '.join(cells[4].split())}")
    if kind:
        notes.append(f"CFR type: {kind}")
    name = title
    try:
        result.records.append(Incident(
            id=record_id,
            name=name,
            start=date,
            summary=summary_text(cells[3], f"CFR Cyber Operations Tracker: {title}"),
            victims=victims,
            sectors=split_values(category, ","),
            effects=effects,
            notes="; ".join(notes) or None,
            sources=[CFR_SOURCE.model_copy(update={"locator": title})],
        ))
    except ValueError as exc:
        errors.append(Problem(row.where, f"invalid incident: {exc}", record=record_id))
        return
    affiliations = " ".join(cells[2].split()) if not shifted or type_at > 2 else ""
    for state in sponsors:
        claim_id = f"claim:cfr/{record_id.split('/', 1)[1]}/{state.split(':', 1)[1]}"
        result.records.append(AttributionClaim(
            id=claim_id,
            subject=record_id,
            claimant_name=CLAIMANT,
            claimant_kind=ClaimantKind.RESEARCHER,
            attributed_to=state,
            type=ClaimType.MEDIA_REPORT,
            basis=affiliations or None,
            date=date,
            sources=[CFR_SOURCE.model_copy(update={"locator": title})],
        ))
