"""The Dyadic Cyber Incident and Campaign Data (DCID) v2.0, public release of June 2020
(``DCID_2.0_incidents_public_June2020.csv``; Maness, Valeriano, Hedgecock, Jensen, Macias).

Records made: an :class:`Incident` ``incident:dcid/<Cyberincidentnum>`` per row, and an
:class:`AttributionClaim` ``claim:dcid/<Cyberincidentnum>`` naming the initiating state
(claimant_name "DCID 2.0 (Maness, Valeriano et al.)", claimant_kind researcher, type
technical_report, dated with the incident's start).

Code mapping — only codes whose meaning the public DCID codebook and the authors' published
descriptions make plain; everything else is kept verbatim in ``notes`` (``dcid: method=3.0;
severity=4; ...``) and left unknown:

- ``initiator``: a Correlates of War state code; the codes that occur (2 United States,
  20 Canada, 200 United Kingdom, 220 France, 255 Germany, 290 Poland, 365 Russia, 366 Estonia,
  368 Lithuania, 369 Ukraine, 372 Georgia, 630 Iran, 640 Turkey, 645 Iraq, 652 Syria,
  660 Lebanon, 666 Israel, 670 Saudi Arabia, 692 Bahrain, 700 Afghanistan, 710 China,
  713 Taiwan, 731 North Korea, 732 South Korea, 740 Japan, 750 India, 770 Pakistan,
  816 Vietnam, 830 Singapore, 840 Philippines, 900 Australia) are named here and resolved
  through the caller's ``states``. The victim is the other state of the dyad (StateA/StateB);
  when the initiator is neither, the row is imported with its claim but no victim, and a
  warning.
- ``method``: 1 vandalism (defacement) → disruption; 2 denial of service → disruption;
  4.3 worm → ``self_propagating``. 3 (intrusion), 4 / 4.1 / 4.2 / 4.4 (infiltration: logic bomb,
  virus, keystroke logging) say how, not what effect: notes only.
- ``cyber_objective``: 1 disruption → disruption; 2 short-term and 3 long-term espionage →
  espionage; 4 degrade (damage to the target's networks) → destruction.
- ``information_operation`` 1 → influence_operation. ``Ransomware`` 1 → extortion + disruption.
- ``targettype``: 1 private / non-state, 2 government non-military, 3 government military →
  ``sectors`` "private sector", "government", "military".
- ``Crit Inf``: 1–16 are the sixteen US critical-infrastructure sectors of PPD-21 in the
  alphabetical order DHS lists them (1 chemical … 11 government facilities … 16 water; checked
  against the incident names: telecom hacks are 3, airline and shipping hacks 15, a water
  authority 16) → ``critical_infrastructure`` true and the sector name in ``sectors``. Note that
  DHS counts government facilities (11) as a sector: filter on the sector when that is too
  broad. 0 and 17 (think-tank and NGO targets) are not sectors: left unknown.
- Not mapped (notes only): severity (1–10 scale), damage type, objective_achievement,
  Concession, 3rdpartyinitiator, ``Supply Ch`` (its flag is set on a third of the rows,
  including operations not known as supply-chain compromises, so its meaning is not the
  model's ``supply_chain``).
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
    add_effects,
    finish,
    iso_date,
    read_rows,
    summary_text,
)

DCID_SOURCE = Citation(
    url="https://drryanmaness.wixsite.com/cyberconflict/cyber-conflict-dataset",
    title="Dyadic Cyber Incident and Campaign Data (DCID) version 2.0",
    publisher="Ryan C. Maness, Brandon Valeriano, Kathryn Hedgecock, Benjamin M. Jensen and Jose M. Macias",
    published="2020",
)
CLAIMANT = "DCID 2.0 (Maness, Valeriano et al.)"

COW: dict[int, str] = {
    2: "United States", 20: "Canada", 200: "United Kingdom", 220: "France", 255: "Germany", 290: "Poland",
    365: "Russia", 366: "Estonia", 368: "Lithuania", 369: "Ukraine", 372: "Georgia", 630: "Iran", 640: "Turkey",
    645: "Iraq", 652: "Syria", 660: "Lebanon", 666: "Israel", 670: "Saudi Arabia", 692: "Bahrain",
    700: "Afghanistan", 710: "China", 713: "Taiwan", 731: "North Korea", 732: "South Korea", 740: "Japan",
    750: "India", 770: "Pakistan", 816: "Vietnam", 830: "Singapore", 840: "Philippines", 900: "Australia",
}
#: How DCID abbreviates state names in StateA/StateB.
SHORT_NAMES = {"US": "United States", "UK": "United Kingdom", "N Korea": "North Korea", "S Korea": "South Korea"}
CRITICAL_SECTORS = {
    1: "chemical", 2: "commercial facilities", 3: "communications", 4: "critical manufacturing", 5: "dams",
    6: "defense industrial base", 7: "emergency services", 8: "energy", 9: "financial services",
    10: "food and agriculture", 11: "government facilities", 12: "healthcare and public health",
    13: "information technology", 14: "nuclear reactors, materials and waste", 15: "transportation systems",
    16: "water and wastewater systems",
}
TARGET_TYPES = {1: "private sector", 2: "government", 3: "military"}
OBJECTIVES: dict[int, tuple[Effect, ...]] = {1: (Effect.DISRUPTION,), 2: (Effect.ESPIONAGE,),
                                             3: (Effect.ESPIONAGE,), 4: (Effect.DESTRUCTION,)}
METHODS: dict[str, tuple[Effect, ...]] = {"1": (Effect.DISRUPTION,), "2": (Effect.DISRUPTION,)}
NOTE_COLUMNS = ("method", "targettype", "cyber_objective", "information_operation", "objective_achievement",
                "Concession", "3rdpartyinitiator", "severity", "damage type", "Crit Inf", "Supply Ch", "Ransomware")
REQUIRED = ("Cyberincidentnum", "StateA", "StateB", "Name", "interactionstartdate", "initiator")


def read_dcid(path: Path, states: StateResolver) -> ImportedIncidents:
    """Incidents and initiator claims of DCID 2.0 (the incidents CSV, or its folder)."""
    file = path / "DCID_2.0_incidents_public_June2020.csv" if path.is_dir() else path
    result = ImportedIncidents("dcid")
    errors: list[Problem] = []
    names = StateNames(states)
    seen: set[str] = set()
    for row in read_rows(file, REQUIRED, errors):
        _row(row, names, seen, result, errors)
    names.report(file.name, "state", result.warnings)
    return finish(result, errors)


def _code(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    number = float(raw)  # ValueError for text
    if number != int(number):
        raise ValueError(f"{raw!r} is not a whole number")
    return int(number)


def _row(row: Row, names: StateNames, seen: set[str], result: ImportedIncidents, errors: list[Problem]) -> None:
    v = row.values
    number = v.get("Cyberincidentnum", "").strip()
    if number.endswith(".0"):
        number = number[:-2]
    if not number.isdigit():
        errors.append(Problem(row.where, f"no incident number ({number!r})"))
        return
    record_id = f"incident:dcid/{number}"
    if number in seen:
        errors.append(Problem(row.where, f"incident number {number} appears twice", record=record_id))
        return
    seen.add(number)
    try:
        start = iso_date(v["interactionstartdate"])
        end = iso_date(v["interactionenddate"]) if v.get("interactionenddate", "").strip() else None
        initiator = _code(v["initiator"])
        objective = _code(v.get("cyber_objective", ""))
        target = _code(v.get("targettype", ""))
        critical = _code(v.get("Crit Inf", ""))
        info_op = _code(v.get("information_operation", ""))
        ransomware = _code(v.get("Ransomware", ""))
    except ValueError as exc:
        errors.append(Problem(row.where, str(exc), record=record_id))
        return
    if initiator is None or initiator not in COW:
        errors.append(Problem(row.where, f"initiator {v.get('initiator')!r} is not a state code this importer knows",
                              record=record_id, field="initiator"))
        return
    if end and end < start:
        result.warnings.append(Problem(row.where, f"end date {end} is before the start date {start}; end left out",
                                       record=record_id, field="interactionenddate"))
        end = None
    side_a, side_b = (SHORT_NAMES.get(v[c].strip(), v[c].strip()) for c in ("StateA", "StateB"))
    attacker_name = COW[initiator]
    if attacker_name == side_a:
        victim_name: str | None = side_b
    elif attacker_name == side_b:
        victim_name = side_a
    else:
        victim_name = None
        result.warnings.append(Problem(row.where, f"initiator {attacker_name} (COW {initiator}) is neither side of "
                                       f"the dyad {side_a}–{side_b}: victim left unknown", record=record_id,
                                       field="initiator"))
    attacker = names(attacker_name)
    victim = names(victim_name) if victim_name else None

    effects: list[Effect] = []
    method = v.get("method", "").strip()
    add_effects(effects, *METHODS.get(method.split(".")[0] if method.endswith(".0") else method, ()))
    if objective is not None:
        add_effects(effects, *OBJECTIVES.get(objective, ()))
    if info_op == 1:
        add_effects(effects, Effect.INFLUENCE_OPERATION)
    if ransomware == 1:
        add_effects(effects, Effect.EXTORTION, Effect.DISRUPTION)
    sectors = [s for s in (TARGET_TYPES.get(target or 0), CRITICAL_SECTORS.get(critical or 0)) if s]
    notes = "dcid: " + "; ".join(f"{c}={v.get(c, '').strip()}" for c in NOTE_COLUMNS if v.get(c, "").strip())
    name = v.get("Name", "").strip()
    try:
        result.records.append(Incident(
            id=record_id,
            name=name if len(name) >= 3 else f"DCID incident {number}",
            start=start,
            end=end,
            summary=summary_text(v.get("Political Objective", ""), f"DCID incident {number}: {name}"),
            victims=[victim] if victim else [],
            sectors=sectors,
            critical_infrastructure=True if critical in CRITICAL_SECTORS else None,
            self_propagating=True if method == "4.3" else None,
            effects=effects,
            notes=notes,
            sources=[DCID_SOURCE.model_copy(update={"locator": f"incident {number}"})],
        ))
    except ValueError as exc:
        errors.append(Problem(row.where, f"invalid incident: {exc}", record=record_id))
        return
    if attacker:
        result.records.append(AttributionClaim(
            id=f"claim:dcid/{number}",
            subject=record_id,
            claimant_name=CLAIMANT,
            claimant_kind=ClaimantKind.RESEARCHER,
            attributed_to=attacker,
            type=ClaimType.TECHNICAL_REPORT,
            date=start,
            sources=[DCID_SOURCE.model_copy(update={"locator": f"incident {number}"})],
        ))
