"""The knowledge base's incidents, threat groups and attribution claims as a STIX 2.1 bundle.

Mapping (STIX 2.1, OASIS Committee Specification 2021-06-10):

- a state named by a claim → ``threat-actor`` (threat_actor_types ``nation-state``, §4.17) and a
  ``location`` with its ISO country code (§4.11);
- a threat group → ``intrusion-set`` (§4.10) with its aliases;
- an incident → ``incident`` (§4.9), its facts in the description, sources as external references;
- an attribution claim → ``relationship`` ``attributed-to`` (§5.1) from the incident or intrusion set
  to the group or state, ``created_by_ref`` the claimant's ``identity`` (§4.8), with its basis and
  confidence — claims stay separate objects, conflicting ones side by side;
- victims → ``relationship`` ``targets`` from the incident to the victim state's location;
- every object carries the TLP:WHITE (TLP 2.0 CLEAR) marking, its ``marking-definition`` included.

Ids are UUIDv5 of our record ids in a fixed namespace, and ``created``/``modified`` come from the
change log, so re-exporting an unchanged knowledge base yields byte-identical objects and partners'
collections do not churn.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from cyberdip.model import Actor, AttributionClaim, Incident
from cyberdip.store import reader
from cyberdip.store.schema import changes

NAMESPACE = uuid.UUID("6f1d8a52-4a7e-5f4c-9a56-2b3c1de0a4c7")
#: the STIX 2.1 predefined TLP:WHITE marking (§7.2.1.4), which TLP 2.0 calls CLEAR
TLP_WHITE: dict[str, Any] = {
    "type": "marking-definition", "spec_version": "2.1",
    "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:WHITE",
    "definition": {"tlp": "white"},
}
PRODUCER = "identity--" + str(uuid.uuid5(NAMESPACE, "cyberdip"))
EPOCH = "2026-01-01T00:00:00.000Z"


def stix_id(kind: str, record_id: str) -> str:
    """A stable STIX id for one of our records (UUIDv5, §2.9)."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, record_id)}"


def export_bundle(connection: Connection) -> dict[str, Any]:
    """Every incident, group and claim, with the states and claimants they need."""
    incidents = [Incident.model_validate(r.data) for r in reader.listing(connection, kinds=["incident"])]
    groups = [Actor.model_validate(r.data) for r in reader.listing(connection, kinds=["actor"], subkinds=["group"])]
    claims = [AttributionClaim.model_validate(r.data) for r in reader.listing(connection, kinds=["claim"])]
    states_needed = {c.attributed_to for c in claims if c.attributed_to.startswith("state:")}
    states_needed |= {v for i in incidents for v in i.victims if v.startswith("state:")}
    actors = reader.get_many(connection, sorted(states_needed | {c.claimant for c in claims if c.claimant}))
    times = _times(connection, [*(i.id for i in incidents), *(g.id for g in groups), *(c.id for c in claims),
                                *actors])
    objects: dict[str, dict[str, Any]] = {TLP_WHITE["id"]: TLP_WHITE}
    producer = _identity("cyberdip", "cyberdip", "system", None, EPOCH, EPOCH)
    objects[producer["id"]] = producer

    def stamp(record_id: str) -> tuple[str, str]:
        return times.get(record_id, (EPOCH, EPOCH))

    for state_id in sorted(states_needed):
        state = actors.get(state_id)
        if state is None:
            continue
        created, modified = stamp(state_id)
        for obj in _state_objects(state_id, state.name, state.data.get("iso2"), created, modified):
            objects[obj["id"]] = obj
    for group in groups:
        created, modified = stamp(group.id)
        obj = _common("intrusion-set", group.id, created, modified) | {
            "name": group.name, "external_references": _references(group.sources)}
        if group.aliases:
            obj["aliases"] = sorted(set(group.aliases))
        if group.summary:
            obj["description"] = group.summary
        objects[obj["id"]] = obj
    for incident in incidents:
        created, modified = stamp(incident.id)
        obj = _common("incident", incident.id, created, modified) | {
            "name": incident.name, "description": _describe(incident),
            "external_references": _references(incident.sources)}
        objects[obj["id"]] = obj
        for victim in incident.victims:
            if victim in actors:
                rel = _relationship(f"{incident.id}>targets>{victim}", "targets", obj["id"],
                                    stix_id("location", victim), created, modified)
                objects[rel["id"]] = rel
    for claim in claims:
        created, modified = stamp(claim.id)
        source = stix_id("incident" if claim.subject.startswith("incident:") else "intrusion-set", claim.subject)
        target = (stix_id("threat-actor", claim.attributed_to) if claim.attributed_to.startswith("state:")
                  else stix_id("intrusion-set", claim.attributed_to))
        if source not in objects or target not in objects:
            continue  # the claim names something that is not a group or state (e.g. a company)
        claimant = _claimant(claim, actors, created, modified)
        objects[claimant["id"]] = claimant
        rel = _relationship(claim.id, "attributed-to", source, target, created, modified) | {
            "created_by_ref": claimant["id"],
            "description": f"{claim.type.value.replace('_', ' ')} of {claim.date or 'an unknown date'}"
                           + (f": {claim.basis}" if claim.basis else ""),
            "external_references": _references(claim.sources),
        }
        if claim.confidence:
            rel["confidence"] = {"low": 15, "medium": 50, "high": 85}[claim.confidence]
        objects[rel["id"]] = rel
    return {"type": "bundle", "id": f"bundle--{uuid.uuid5(NAMESPACE, 'bundle')}",
            "objects": sorted(objects.values(), key=lambda o: (o["type"] != "marking-definition", o["id"]))}


def _times(connection: Connection, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """First and last change of each record, as STIX timestamps."""
    wanted = sorted(set(ids))
    result: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = connection.execute(
            select(changes.c.record_id, func.min(changes.c.at), func.max(changes.c.at))
            .where(changes.c.record_id.in_(chunk)).group_by(changes.c.record_id)
        )
        for record_id, first, last in rows:
            result[record_id] = (_timestamp(first), _timestamp(last))
    return result


def _timestamp(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _common(kind: str, record_id: str, created: str, modified: str) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": stix_id(kind, record_id), "created": created,
            "modified": modified, "created_by_ref": PRODUCER, "object_marking_refs": [TLP_WHITE["id"]]}


def _identity(record_id: str, name: str, identity_class: str, sector: str | None, created: str,
              modified: str) -> dict[str, Any]:
    obj = {"type": "identity", "spec_version": "2.1", "id": stix_id("identity", record_id), "created": created,
           "modified": modified, "name": name, "identity_class": identity_class,
           "object_marking_refs": [TLP_WHITE["id"]]}
    if sector:
        obj["sectors"] = [sector]
    return obj


def _state_objects(state_id: str, name: str, iso2: str | None, created: str, modified: str) -> list[dict[str, Any]]:
    actor = _common("threat-actor", state_id, created, modified) | {
        "name": name, "threat_actor_types": ["nation-state"]}
    location = _common("location", state_id, created, modified) | {"name": name, "country": iso2 or "ZZ"}
    located = _relationship(f"{state_id}>located-at", "located-at", actor["id"], location["id"], created, modified)
    return [actor, location, located]


def _claimant(claim: AttributionClaim, actors: dict[str, Any], created: str, modified: str) -> dict[str, Any]:
    key = claim.claimant or f"claimant:{claim.claimant_name}"
    stored = actors.get(claim.claimant or "")
    name = stored.name if stored else (claim.claimant_name or claim.claimant or "unknown")
    kind = claim.claimant_kind.value
    sector = "government" if kind in ("government", "international_organization") else None
    identity_class = "organization" if kind in ("government", "international_organization", "company", "media") \
        else "individual" if kind == "researcher" else "unknown"
    return _identity(key, name, identity_class, sector, created, modified)


def _relationship(key: str, kind: str, source: str, target: str, created: str, modified: str) -> dict[str, Any]:
    return _common("relationship", key, created, modified) | {
        "relationship_type": kind, "source_ref": source, "target_ref": target}


def _references(sources: Iterable[Any]) -> list[dict[str, str]]:
    refs = []
    for source in sources:
        ref = {"source_name": source.publisher, "url": str(source.url), "description": source.title}
        refs.append(ref)
    return refs


def _describe(incident: Incident) -> str:
    facts = [incident.summary]
    if incident.effects:
        facts.append("Effects: " + ", ".join(e.value for e in incident.effects) + ".")
    flags = [name.replace("_", " ") for name in ("critical_infrastructure", "supply_chain", "managed_service_provider",
                                                 "zero_days", "self_propagating", "targets_elections", "targets_cert")
             if getattr(incident, name)]
    if flags:
        facts.append("Facts: " + ", ".join(flags) + ".")
    if incident.context:
        facts.append(f"Context: {incident.context.replace('_', ' ')}.")
    return " ".join(facts)
