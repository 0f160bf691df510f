"""Records of one incident in several datasets: linking them when a dataset is imported, and
reading the links for the incident page and the incident list (curated records first)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from cyberdip.analysis.incident_links import IncidentFacts, clusters, match_incidents, words
from cyberdip.model import AttributionClaim, Incident, IncidentLink, Record
from cyberdip.services import memo
from cyberdip.store import reader

#: which record speaks for a cluster: ours first, then the datasets with the richest records
DATASET_ORDER = ("curated", "user", "import:eurepoc", "import:cfr", "import:dcid")
#: what the pages call each dataset
DATASET_LABELS = {"curated": "cyberdip", "user": "your records", "import:eurepoc": "EuRepoC",
                  "import:cfr": "CFR", "import:dcid": "DCID"}


def links_for_import(connection: Connection, records: Sequence[Record], fmt: str) -> list[IncidentLink]:
    """Links between the incidents of an import and the incidents already stored from other
    datasets (and the curated ones), decided by the importer on the evidence."""
    dataset = f"import:{fmt}"
    claims: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if isinstance(record, AttributionClaim):
            claims[record.subject].add(record.attributed_to)
    incoming = [_facts(r, dataset, claims.get(r.id, set())) for r in records if isinstance(r, Incident)]
    matches = match_incidents(incoming, stored_facts(connection, exclude=dataset), weak=state_words(connection))
    return [IncidentLink(a=m.a, b=m.b, status=m.status, basis=m.basis, decided_by=f"importer:{fmt}",
                         sources=[_source_of(records, m.a, m.b)]) for m in matches]


def state_words(connection: Connection) -> frozenset[str]:
    """The words of states' names and aliases: shared by two incident names, they do not name one."""
    return frozenset(w for row in reader.listing(connection, kinds=["actor"], subkinds=["state"])
                     for name in [row.name, *(row.data.get("aliases") or [])] for w in words(name))


def stored_facts(connection: Connection, *, exclude: str | None = None) -> list[IncidentFacts]:
    rows = [r for r in reader.listing(connection, kinds=["incident"]) if r.origin != exclude]
    actors: dict[str, set[str]] = defaultdict(set)
    for subject, target in reader.claim_targets(connection, [r.id for r in rows]):
        actors[subject].add(target)
    return [IncidentFacts(r.id, r.origin, r.name, r.start, tuple(r.data.get("aliases") or ()),
                          frozenset(r.data.get("victims") or ()), frozenset(actors.get(r.id, set()))) for r in rows]


def _facts(incident: Incident, dataset: str, actors: set[str]) -> IncidentFacts:
    return IncidentFacts(incident.id, dataset, incident.name, incident.start, tuple(incident.aliases),
                         frozenset(incident.victims), frozenset(actors))


def _source_of(records: Sequence[Record], a: str, b: str) -> object:
    incoming = next(r for r in records if r.id in (a, b))
    return incoming.sources[0]


@dataclass(frozen=True)
class Linked:
    """Another record of the same incident (or possibly the same), with the decision."""

    id: str
    name: str
    start: str | None
    dataset: str
    status: str
    basis: str
    decided_by: str


def linked(connection: Connection, incident_id: str) -> list[Linked]:
    """The other records of an incident: linked as the same (directly or through another), or
    suggested; never those decided distinct. Ours first."""
    same = {incident_id}
    frontier = [incident_id]
    decisions: dict[str, dict[str, str]] = {}
    while frontier:  # follow "same" links through other records
        current = frontier.pop()
        for link in _links_of(connection, current):
            other = link["b"] if link["a"] == current else link["a"]
            if link["status"] == "same" and other not in same:
                same.add(other)
                frontier.append(other)
            decisions.setdefault(other, link)
    stored = reader.get_many(connection, [x for x in decisions if x != incident_id])
    result = [Linked(x, row.name, row.start, row.origin, "same" if x in same else decisions[x]["status"],
                     decisions[x]["basis"], decisions[x]["decided_by"])
              for x, row in stored.items() if decisions[x]["status"] != "distinct"]
    return sorted(result, key=lambda x: (x.status != "same", rank(x.dataset), x.start or "", x.id))


def _links_of(connection: Connection, incident_id: str) -> list[dict[str, str]]:
    return [r.data for field in ("a", "b")
            for r in reader.referrers(connection, incident_id, kind="incidentlink", field=field)]


def datasets_of(connection: Connection, incident_ids: Sequence[str]) -> dict[str, str]:
    """What the pages call the dataset of each record."""
    return {rid: DATASET_LABELS.get(row.origin, row.origin)
            for rid, row in reader.get_many(connection, incident_ids).items()}


def representatives(connection: Connection) -> dict[str, str]:
    """For every incident linked as the same as others: the record that speaks for the cluster
    (remembered until the next load)."""
    return memo.memoised(connection, "incident-representatives", lambda: _representatives(connection))


def _representatives(connection: Connection) -> dict[str, str]:
    same = [(r.data["a"], r.data["b"]) for r in reader.listing(connection, kinds=["incidentlink"])
            if r.data.get("status") == "same"]
    grouped = clusters(same)
    members = sorted({x for group in grouped.values() for x in group})
    keys = {k.id: k for k in reader.listing_keys(connection, kinds=["incident"], ids=members)}
    origins = reader.origins_of(connection, members)
    chosen: dict[str, str] = {}
    for record_id, group in grouped.items():
        present = [x for x in group if x in keys]
        if present:
            chosen[record_id] = min(present, key=lambda x: (rank(origins.get(x, "")), keys[x].start or "9999", x))
    return chosen


def rank(dataset: str) -> int:
    """Where a dataset stands when a record must speak for an incident: ours first."""
    return DATASET_ORDER.index(dataset) if dataset in DATASET_ORDER else len(DATASET_ORDER)
