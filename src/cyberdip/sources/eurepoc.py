"""The European Repository of Cyber Incidents (EuRepoC) Global Database v1.1.

Reads ``EuRepoC_Global_Database_1.1.csv`` (one row per incident) and, beside it,
``EuRepoC_Attribution_dataset_1.1.csv`` (one row per attribution) and
``EuRepoC_Receiver_dataset_1.1.csv`` (one row per receiver and category). ``path`` is the global
file or the folder holding the three.

Records made:

- an :class:`Incident` ``incident:eurepoc/<ID>`` per global row;
- an :class:`AttributionClaim` ``claim:eurepoc/<ID>/<attribution_ID>`` per attribution row that
  names someone (the same attribution ID on several rows, one per attributed initiator, gets
  ``-2``, ``-3``...; a row without attribution ID gets ``line<N>``). Rows that attribute to nobody
  (no initiator named and no state to point at — "Unknown - not attributed", or an unnamed
  non-state group) cannot be a claim and are reported as warnings, with counts;
- an :class:`Actor` ``group:eurepoc/<slug>`` (kind group) per distinct attributed initiator
  that is not a state: its name is the first of the ``/``-separated names, the others are
  aliases; the affiliation in brackets and ``< umbrella`` notes are dropped.

Mappings (only where the data says so; anything else is left unknown):

- ``attributed_to``: initiator category ``State`` → the initiator country's state (the organ
  named is kept in ``basis``); a named non-state initiator → its group; an unnamed
  "state-affiliation suggested" initiator → the state, with that nuance in ``basis``.
- ``type`` from ``attribution_type``: self-attribution → self_attribution; technical report →
  technical_report; political statement → political_statement; domestic legal action,
  "... indictment / sanctions" → indictment (sanctions when the claimant is a treasury/OFAC);
  media reports → media_report; "type unclear" / missing → from the basis (attacker confirms →
  self_attribution, IT-security community → technical_report, government → political_statement,
  otherwise media_report).
- ``claimant_kind`` from ``attribution_basis`` first (attacker confirms → self, IT-security
  community → company, receiver government / state entity → government, media-based → media,
  EU institution / international organisation → international_organization), else from the type
  (technical → company, political/legal → government, media → media), else other.
  ``claimant_name``: ``attributing_actor``, else ``attribution_it_company``, else the attacker
  itself for self-attribution, else "unnamed (EuRepoC: <basis>)". ``claimant_state``:
  ``attributing_country``. ``date``: ``attribution_date``, else the incident's start date (said
  in ``basis`` and counted in a warning).
- effects: incident_type Disruption → disruption; Data theft → data_theft; "Data theft &
  Doxing" → data_theft + data_leak; Ransomware → extortion + disruption; ``data_theft`` column
  coded (not none) → data_theft; ``disruption`` column coded → disruption; physical effects
  coded → physical_damage; MITRE impact: Data Destruction, Disk Wipe, Firmware Corruption →
  destruction; Data Encrypted for Impact, (Network/Endpoint) Denial of Service, Service Stop,
  System Shutdown/Reboot, Account Access Removal, Inhibit System Recovery, Defacement →
  disruption; Data Exfiltration → data_theft. Hijacking is not an effect of our vocabulary.
- ``zero_days``: Yes → true, No → false. ``supply_chain``: true when MITRE initial access names
  Supply Chain Compromise (never false: absence is not evidence).
- ``critical_infrastructure``: true when a receiver category is "Critical infrastructure";
  ``targets_international_organization``: a receiver category "International / supranational
  organization"; ``targets_elections``: a receiver sub-category "Election infrastructure /
  related systems" (or "election" in incident_type). None otherwise.
- ``context``: armed_conflict when the offline conflict is coded HIIK 4 (limited war) or 5 (war);
  lower intensities say nothing about peace, so the context is left unknown.
- ``actor_type``: from initiator_category when all its entries agree: State → state,
  "state-affiliation suggested" → state_proxy, non-state group with sub-category Hacktivist(s) →
  hacktivist, Criminal(s) → criminal. ``nexus``: organ for the initiator country when the
  category is State.
- ``victims``: receiver countries that map to a state; ``sectors``: receiver categories and
  sub-categories.
- ``notes`` keep EuRepoC's own assessments verbatim for later comparison:
  state_responsibility_indicator, IL_breach_indicator (+ subcode),
  evidence_for_sanctions_indicator, weighted_cyber_intensity.

Political responses are not turned into Response records: EuRepoC's categories ("stabilizing
measures", "preventive measures") do not map to our response kinds.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

from cyberdip.model import Actor, ActorKind, AttributionClaim, Citation, Incident
from cyberdip.model.errors import Problem
from cyberdip.model.records import ClaimantKind, ClaimType, Effect, Nexus, StateNexus
from cyberdip.sources.incident_common import (
    ImportedIncidents,
    Row,
    StateNames,
    StateResolver,
    UniqueIds,
    add_effects,
    blank,
    finish,
    iso_date,
    make_slug,
    parse_list,
    read_rows,
    split_values,
    summary_text,
    unique,
    year_hint,
)

GLOBAL = "EuRepoC_Global_Database_1.1.csv"
ATTRIBUTIONS = "EuRepoC_Attribution_dataset_1.1.csv"
RECEIVERS = "EuRepoC_Receiver_dataset_1.1.csv"

EUREPOC_SOURCE = Citation(
    url="https://zenodo.org/records/7848941",
    title="European Repository of Cyber Incidents: Global Dataset v1.1",
    publisher="European Repository of Cyber Incidents (EuRepoC)",
    published="2023",
)

#: Names in country columns that are regions or placeholders, not states: skipped silently.
NOT_COUNTRIES = ("Unknown", "Not available", "Europe", "South America")
_REGION = re.compile(r"\((?:region)\)\s*$", re.IGNORECASE)

_TYPE_EFFECTS: dict[str, tuple[Effect, ...]] = {
    "disruption": (Effect.DISRUPTION,),
    "data theft": (Effect.DATA_THEFT,),
    "data theft & doxing": (Effect.DATA_THEFT, Effect.DATA_LEAK),
    "ransomware": (Effect.EXTORTION, Effect.DISRUPTION),
    "hijacking with misuse": (),
    "hijacking without misuse": (),
}
_MITRE_EFFECTS: dict[str, tuple[Effect, ...]] = {
    "data destruction": (Effect.DESTRUCTION,),
    "disk wipe": (Effect.DESTRUCTION,),
    "firmware corruption": (Effect.DESTRUCTION,),
    "data encrypted for impact": (Effect.DISRUPTION,),
    "network denial of service": (Effect.DISRUPTION,),
    "endpoint denial of service": (Effect.DISRUPTION,),
    "service stop": (Effect.DISRUPTION,),
    "system shutdown/reboot": (Effect.DISRUPTION,),
    "account access removal": (Effect.DISRUPTION,),
    "inhibit system recovery": (Effect.DISRUPTION,),
    "defacement": (Effect.DISRUPTION,),
    "data exfiltration": (Effect.DATA_THEFT,),
}

_BASIS_KIND = {
    "attacker confirms": ClaimantKind.SELF,
    "it-security community attributes attacker": ClaimantKind.COMPANY,
    "attribution by receiver government / state entity": ClaimantKind.GOVERNMENT,
    "media-based attribution": ClaimantKind.MEDIA,
    "attribution by eu institution/agency": ClaimantKind.INTERNATIONAL_ORGANIZATION,
    "attribution by international organization": ClaimantKind.INTERNATIONAL_ORGANIZATION,
}
_BASIS_TYPE = {
    "attacker confirms": ClaimType.SELF_ATTRIBUTION,
    "it-security community attributes attacker": ClaimType.TECHNICAL_REPORT,
    "attribution by receiver government / state entity": ClaimType.POLITICAL_STATEMENT,
}


def read_eurepoc(path: Path, states: StateResolver) -> ImportedIncidents:
    """Incidents, attribution claims and threat groups of EuRepoC v1.1 (file or folder)."""
    folder, global_file = (path, path / GLOBAL) if path.is_dir() else (path.parent, path)
    result = ImportedIncidents("eurepoc")
    errors: list[Problem] = []
    names = StateNames(states, NOT_COUNTRIES)
    receivers = _read_receivers(folder / RECEIVERS, names, errors)

    starts: dict[str, str] = {}
    skipped: set[str] = set()
    for row in read_rows(global_file, ("ID", "name", "description", "start_date"), errors):
        incident = _incident(row, receivers.get(row.values.get("ID", "").strip()), names, result, errors)
        if incident is None:
            skipped.add(f"incident:eurepoc/{row.values.get('ID', '').strip()}")
        else:
            if incident.id in starts:
                errors.append(Problem(row.where, f"incident ID {incident.id!r} appears twice"))
                continue
            starts[incident.id] = incident.start
            result.records.append(incident)
    for incident_id in set(receivers) - {key.rsplit("/", 1)[1] for key in starts}:
        result.warnings.append(Problem(RECEIVERS, f"receivers listed for incident {incident_id}, which "
                                       f"{global_file.name} does not have"))
    _read_claims(folder / ATTRIBUTIONS, starts, skipped, names, result, errors)
    names.report(global_file.name + " and companions", "country", result.warnings)
    return finish(result, errors)


# ---------------------------------------------------------------------------------------------
# Receivers


class _Receivers:
    def __init__(self) -> None:
        self.victims: list[str] = []
        self.categories: list[str] = []
        self.subcategories: list[str] = []


def _read_receivers(file: Path, names: StateNames, errors: list[Problem]) -> dict[str, _Receivers]:
    out: dict[str, _Receivers] = defaultdict(_Receivers)
    for row in read_rows(file, ("ID", "receiver_country", "receiver_category"), errors):
        incident = row.values.get("ID", "").strip()
        if not incident.isdigit():
            errors.append(Problem(row.where, f"receiver row without a numeric incident ID ({incident!r})"))
            continue
        entry = out[incident]
        country = row.values.get("receiver_country", "")
        state = None if _REGION.search(country) else names(country)
        if state and state not in entry.victims:
            entry.victims.append(state)
        for attr, column in (("categories", "receiver_category"), ("subcategories", "receiver_category_subcode")):
            value = row.values.get(column, "").strip()
            if not blank(value) and value not in getattr(entry, attr):
                getattr(entry, attr).append(value)
    return dict(out)


# ---------------------------------------------------------------------------------------------
# Incidents


def _incident(row: Row, receivers: _Receivers | None, names: StateNames, result: ImportedIncidents,
              errors: list[Problem]) -> Incident | None:
    v = row.values
    raw_id = v.get("ID", "").strip()
    if not raw_id.isdigit():
        errors.append(Problem(row.where, f"no numeric incident ID ({raw_id!r})"))
        return None
    try:
        start = iso_date(v["start_date"]) if v.get("start_date", "").strip() else ""
        end = iso_date(v["end_date"]) if v.get("end_date", "").strip() else None
        categories = parse_list(v.get("receiver_category"))
        countries = parse_list(v.get("receiver_country"))
        initiator_categories = parse_list(v.get("initiator_category"))
        initiator_subcategories = parse_list(v.get("initiator_category_subcode"))
        initiator_countries = parse_list(v.get("initiator_country"))
    except ValueError as exc:
        errors.append(Problem(row.where, str(exc), record=f"incident:eurepoc/{raw_id}"))
        return None
    record_id = f"incident:eurepoc/{raw_id}"
    note = None
    if not start:
        hint = year_hint(v.get("end_date", ""), v.get("attribution_date", ""), v.get("name", ""),
                         v.get("description", ""), v.get("sources_url", ""))
        if hint is None:
            result.warnings.append(Problem(row.where, "no start date, and no year in its other dates, text or "
                                           "sources: "
                                           "incident left out", record=record_id, field="start_date"))
            result.counts["skipped"] += 1
            return None
        start = hint
        note = "start date not given by EuRepoC; the earliest year in its dates or text is used"
        result.warnings.append(Problem(row.where, f"no start date: year {hint} taken from its other dates or "
                                       "text", record=record_id, field="start_date"))
    if end and end < start:
        result.warnings.append(Problem(row.where, f"end date {end} is before the start date {start}; end left out",
                                       record=record_id, field="end_date"))
        end = None

    effects: list[Effect] = []
    for token in split_values(v.get("incident_type")):
        add_effects(effects, *_TYPE_EFFECTS.get(token.casefold(), ()))
    if not blank(v.get("data_theft")):
        add_effects(effects, Effect.DATA_THEFT)
    if not blank(v.get("disruption")):
        add_effects(effects, Effect.DISRUPTION)
    if not (blank(v.get("physical_effects_spatial")) and blank(v.get("physical_effects_temporal"))):
        add_effects(effects, Effect.PHYSICAL_DAMAGE)
    for token in split_values(v.get("MITRE_impact")):
        add_effects(effects, *_MITRE_EFFECTS.get(token.casefold(), ()))

    if receivers is not None:
        victims, all_categories = receivers.victims, unique([*receivers.categories, *categories])
        subcategories = receivers.subcategories
    else:
        victims = unique(s for c in countries if not _REGION.search(c) and (s := names(c)))
        all_categories, subcategories = unique(categories), []
    lowered = {c.casefold() for c in all_categories}
    elections = any("election" in s.casefold() for s in subcategories) or "election" in v.get(
        "incident_type", "").casefold()

    intensity = v.get("offline_conflict_intensity_subcode", "").strip()
    zero_days = {"yes": True, "no": False}.get(v.get("zero_days", "").strip().casefold())
    nexus = []
    if initiator_categories and all(c == "State" for c in initiator_categories):
        for country in unique(initiator_countries):
            state = names(country)
            if state:
                nexus.append(StateNexus(state=state, nexus=Nexus.ORGAN))
    try:
        return Incident(
            id=record_id,
            name=v.get("name", "").strip() if len(v.get("name", "").strip()) >= 3 else f"EuRepoC incident {raw_id}",
            start=start,
            end=end,
            summary=summary_text(v.get("description", ""), f"EuRepoC incident {raw_id}"),
            actor_type=_actor_type(initiator_categories, initiator_subcategories),
            nexus=nexus,
            victims=victims,
            sectors=unique([*all_categories, *subcategories]),
            critical_infrastructure=True if "critical infrastructure" in lowered else None,
            targets_international_organization=True if "international / supranational organization" in lowered
            else None,
            targets_elections=True if elections else None,
            supply_chain=True if "supply chain compromise" in v.get("MITRE_initial_access", "").casefold() else None,
            zero_days=zero_days,
            effects=effects,
            context="armed_conflict" if intensity in ("HIIK 4", "HIIK 5") else None,
            notes="; ".join(x for x in (note, _notes(v)) if x) or None,
            sources=[EUREPOC_SOURCE.model_copy(update={"locator": f"incident {raw_id}"})],
        )
    except ValueError as exc:
        errors.append(Problem(row.where, f"invalid incident: {exc}", record=record_id))
        return None


def _actor_type(categories: list[str], subcategories: list[str]) -> str | None:
    kinds = set(categories)
    if kinds == {"State"}:
        return "state"
    if kinds == {"Non-state actor, state-affiliation suggested"}:
        return "state_proxy"
    if kinds == {"Non-state-group"}:
        subs = set(subcategories)
        if subs == {"Hacktivist(s)"}:
            return "hacktivist"
        if subs == {"Criminal(s)"}:
            return "criminal"
    return None


def _notes(v: dict[str, str]) -> str | None:
    parts = []
    for column in ("state_responsibility_indicator", "IL_breach_indicator", "IL_breach_indicator_subcode",
                   "evidence_for_sanctions_indicator", "weighted_cyber_intensity"):
        value = v.get(column, "").strip().strip("; ").strip()
        if value:
            parts.append(f"{column}: {value}")
    return "EuRepoC " + "; ".join(parts) if parts else None


# ---------------------------------------------------------------------------------------------
# Attribution claims and groups


def _read_claims(file: Path, starts: dict[str, str], skipped: set[str], names: StateNames, result: ImportedIncidents,
                 errors: list[Problem]) -> None:
    ids = UniqueIds()
    groups: dict[str, Actor] = {}
    unattributed: list[int] = []
    undated = 0
    for row in read_rows(file, ("incident_ID", "attribution_ID", "attributed_initiator"), errors):
        v = row.values
        incident_raw = v.get("incident_ID", "").strip()
        subject = f"incident:eurepoc/{incident_raw}"
        if subject not in starts:
            if subject in skipped:
                result.warnings.append(Problem(row.where, f"attribution for incident {incident_raw}, which was left "
                                               "out: no claim made"))
                continue
            errors.append(Problem(row.where, f"attribution for incident {incident_raw!r}, which the global file "
                                  "does not have"))
            continue
        attribution = v.get("attribution_ID", "").strip()
        if attribution.endswith(".0"):
            attribution = attribution[:-2]
        if attribution and not attribution.isdigit():
            errors.append(Problem(row.where, f"unreadable attribution_ID {attribution!r}"))
            continue
        try:
            date = iso_date(v["attribution_date"]) if v.get("attribution_date", "").strip() else None
        except ValueError as exc:
            errors.append(Problem(row.where, str(exc), field="attribution_date"))
            continue
        target, target_note = _attributed_to(v, names, groups)
        if target is None:
            unattributed.append(row.line)
            continue
        basis_raw = v.get("attribution_basis", "").strip()
        claim_type, kind = _type_and_kind(v)
        notes = [x for x in (basis_raw if not blank(basis_raw) else "", target_note) if x]
        if date is None:
            date = starts[subject]
            undated += 1
            notes.append("attribution date not given; the incident's start date is used")
        claim_id = ids(f"claim:eurepoc/{incident_raw}/{attribution or f'line{row.line}'}")
        try:
            result.records.append(AttributionClaim(
                id=claim_id,
                subject=subject,
                claimant_name=_claimant_name(v, kind, basis_raw),
                claimant_kind=kind,
                claimant_state=_country(v.get("attributing_country", ""), names),
                attributed_to=target,
                type=claim_type,
                basis="; ".join(notes) or None,
                date=date,
                sources=[EUREPOC_SOURCE.model_copy(update={"locator": f"incident {incident_raw}, attribution "
                                                           f"{attribution or 'unnumbered'}"})],
            ))
        except ValueError as exc:
            errors.append(Problem(row.where, f"invalid claim: {exc}", record=claim_id))
    result.records.extend(groups.values())
    result.counts["attribution_rows"] = len(unattributed) + sum(1 for r in result.records
                                                                if isinstance(r, AttributionClaim))
    result.counts["unattributed_rows"] = len(unattributed)
    if unattributed:
        shown = ", ".join(str(n) for n in unattributed[:20]) + (" ..." if len(unattributed) > 20 else "")
        result.warnings.append(Problem(file.name, f"{len(unattributed)} attribution row(s) name no initiator and no "
                                       f"state (e.g. 'Unknown - not attributed', an unnamed non-state group): no "
                                       f"claim made (lines {shown})"))
    if undated:
        result.warnings.append(Problem(file.name, f"{undated} claim(s) have no attribution_date: dated with their "
                                       "incident's start date (said in each claim's basis)"))


def _country(raw: str, names: StateNames) -> str | None:
    raw = raw.strip()
    if blank(raw) or _REGION.search(raw) or raw.startswith("EU "):
        return None
    return names(raw)


def _attributed_to(v: dict[str, str], names: StateNames, groups: dict[str, Actor]) -> tuple[str | None, str]:
    name = v.get("attributed_initiator", "").strip()
    category = v.get("attributed_initiator_category", "").strip()
    state = _country(v.get("attributed_initiator_country", ""), names)
    named = not blank(name)
    if category == "State" and state:
        return state, (f"names {name}" if named else "")
    if named:
        return _group(name, groups), (f"initiator country: {v.get('attributed_initiator_country', '').strip()}"
                                      if state else "")
    if category == "Non-state actor, state-affiliation suggested" and state:
        return state, "an unnamed non-state actor, state affiliation suggested"
    return None, ""


_AFFILIATION = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)\s*$")


def _group(raw: str, groups: dict[str, Actor]) -> str:
    text = raw.split("<")[0].strip()
    text = _AFFILIATION.sub("", text).strip() or text
    parts = unique(p.strip() for p in text.split("/") if p.strip()) or [raw.strip()]
    name, aliases = parts[0], parts[1:]
    record_id = f"group:eurepoc/{make_slug(name, 'g' + hashlib.sha256(name.encode()).hexdigest()[:10])}"
    existing = groups.get(record_id)
    if existing is not None:
        merged = unique([*existing.aliases, *(a for a in aliases if a != existing.name)])
        if merged != existing.aliases:
            groups[record_id] = existing.model_copy(update={"aliases": merged})
        return record_id
    groups[record_id] = Actor(
        id=record_id, kind=ActorKind.GROUP, name=name, aliases=aliases,
        summary=f"Attributed initiator as EuRepoC names it: {raw.strip()}"[:1000],
        sources=[EUREPOC_SOURCE.model_copy(update={"locator": "attribution dataset"})],
    )
    return record_id


def _type_and_kind(v: dict[str, str]) -> tuple[ClaimType, ClaimantKind]:
    kind_text = v.get("attribution_type", "").casefold()
    basis = v.get("attribution_basis", "").strip().casefold()
    actor = v.get("attributing_actor", "").casefold()
    claim_type: ClaimType | None
    from_type: ClaimantKind | None
    if kind_text.startswith("self-attribution"):
        claim_type, from_type = ClaimType.SELF_ATTRIBUTION, ClaimantKind.SELF
    elif kind_text.startswith("technical report"):
        claim_type, from_type = ClaimType.TECHNICAL_REPORT, ClaimantKind.COMPANY
    elif kind_text.startswith("political statement / report"):
        claim_type, from_type = ClaimType.POLITICAL_STATEMENT, ClaimantKind.GOVERNMENT
    elif kind_text.startswith("domestic legal action") or "indictment" in kind_text:
        sanction = "treasury" in actor or "ofac" in actor or "sanction" in actor
        claim_type = ClaimType.SANCTIONS if sanction else ClaimType.INDICTMENT
        from_type = ClaimantKind.GOVERNMENT
    elif "media report" in kind_text:
        claim_type, from_type = ClaimType.MEDIA_REPORT, ClaimantKind.MEDIA
    else:  # "Attribution given, type unclear", "Not available", blank
        claim_type, from_type = _BASIS_TYPE.get(basis, ClaimType.MEDIA_REPORT), None
    if basis == "attacker confirms" and "self-attribution via social media" in kind_text:
        claim_type = ClaimType.SELF_ATTRIBUTION
    kind = _BASIS_KIND.get(basis) or from_type or ClaimantKind.OTHER
    return claim_type, kind


def _claimant_name(v: dict[str, str], kind: ClaimantKind, basis: str) -> str:
    for column in ("attributing_actor", "attribution_it_company"):
        value = v.get(column, "").strip()
        if not blank(value):
            return value
    if kind is ClaimantKind.SELF and not blank(v.get("attributed_initiator")):
        return v["attributed_initiator"].strip()
    return f"unnamed (EuRepoC: {basis if not blank(basis) else 'claimant not given'})"

