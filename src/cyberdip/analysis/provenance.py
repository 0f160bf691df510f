"""Provenance: does each fact rest on a source a ministry can cite?

Two products over the same rules:

- :func:`check` lists every breach of the curation rules (docs/curation.md), each naming the
  record, the citation and the rule, so a curator can fix it;
- :func:`report` measures the knowledge base: the share of primary citations per record kind,
  records resting on a single source, the oldest checks, and which member lists are partial.

A citation is *primary* when its publisher's class is (government, intergovernmental
organisation, treaty depositary, court, official initiative), or when it is the claimant's own
statement of an attribution claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cyberdip.model import (
    Actor,
    AttributionClaim,
    Citation,
    Coverage,
    Instrument,
    Located,
    Membership,
    Party,
    Record,
)
from cyberdip.model.publishers import Classified, PublisherClass, Registry
from cyberdip.model.records import ClaimantKind, CoverageStatus

#: record kinds whose facts need at least one primary source
NEEDS_PRIMARY = ("response", "commitment", "instrument", "party", "membership")

RULE_UNKNOWN_HOST = "unknown-host"
RULE_REFUSED = "refused-source"
RULE_CLAIMANT = "claimant-own-statement"
RULE_PRIMARY = "primary-source"
RULE_LOCATOR = "locator"
RULE_CHECKED = "checked"
RULE_COMPLETE = "complete-count"

RULES = {
    RULE_UNKNOWN_HOST: "every cited host is classified in the publisher registry",
    RULE_REFUSED: "no citation of a refused source (wikis, content farms, mirrors, IP addresses, search pages)",
    RULE_CLAIMANT: "an attribution claim cites the claimant's own statement",
    RULE_PRIMARY: "responses, commitments, instruments, parties and memberships cite a primary source",
    RULE_LOCATOR: "each citation has a locator or a quote",
    RULE_CHECKED: "each citation has the date it was checked",
    RULE_COMPLETE: "a list marked complete holds as many records as its official count",
}


@dataclass(frozen=True)
class Breach:
    record_id: str
    where: str | None
    rule: str
    url: str | None
    detail: str

    def __str__(self) -> str:
        place = f"{self.where}: " if self.where else ""
        cited = f" [{self.url}]" if self.url else ""
        return f"{place}{self.record_id}: {self.rule}: {self.detail}{cited}"


class Voices:
    """Whose voice each actor speaks with: an agency speaks for its state (or organisation)."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._parent = {r.id: r.parent for r in records if isinstance(r, Actor) and r.parent}

    def of(self, actor_id: str | None) -> set[str]:
        voices: set[str] = set()
        while actor_id and actor_id not in voices:
            voices.add(actor_id)
            actor_id = self._parent.get(actor_id)
        return voices


def claimant_voices(claim: AttributionClaim, voices: Voices) -> set[str]:
    found = voices.of(claim.claimant)
    if claim.claimant_state:
        found |= voices.of(claim.claimant_state)
    return found


def is_claimants_own(claim: AttributionClaim, classified: Classified, voices: Voices) -> bool:
    """Whether a citation is the claimant's own statement."""
    entry = classified.entry
    if entry is None or classified.refusal:
        return False
    if entry.actor and entry.actor in claimant_voices(claim, voices):
        return True
    name = (claim.claimant_name or "").casefold()
    publisher = entry.publisher.casefold()
    return bool(name) and not claim.claimant and (name in publisher or publisher in name)


def citation_is_primary(record: Record, classified: Classified, voices: Voices) -> bool:
    if classified.primary:
        return True
    return isinstance(record, AttributionClaim) and is_claimants_own(record, classified, voices)


def check(items: Iterable[Located], registry: Registry) -> list[Breach]:
    """Every breach of the provenance rules, in the order of the records."""
    located = list(items)
    voices = Voices(item.record for item in located)
    breaches: list[Breach] = []
    counts = _role_counts(item.record for item in located)
    for item in located:
        record = item.record
        classified = [registry.classify(str(c.url)) for c in record.sources]
        breaches.extend(_citation_breaches(record.id, item.where, record.sources, classified))
        if isinstance(record, AttributionClaim):
            breaches.extend(_claim_breaches(record, item.where, classified, voices))
        elif record.KIND in NEEDS_PRIMARY and not any(c.primary for c in classified):
            breaches.append(Breach(record.id, item.where, RULE_PRIMARY, None,
                                   "no primary source; cite the official text, the depositary or the organisation's "
                                   f"own list (cited: {', '.join(_class_names(classified))})"))
        for absence in record.lacks if isinstance(record, Actor) else []:
            where = f"{item.where} lacks {absence.what}" if item.where else None
            cited = [registry.classify(str(c.url)) for c in absence.sources]
            breaches.extend(_citation_breaches(record.id, where, absence.sources, cited))
        for coverage in _coverage(record):
            where = f"{item.where} coverage {coverage.role}" if item.where else None
            cov_classified = [registry.classify(str(c.url)) for c in coverage.sources]
            breaches.extend(_citation_breaches(record.id, where, coverage.sources, cov_classified))
            held = counts.get((record.id, coverage.role), 0)
            if coverage.status is CoverageStatus.COMPLETE and held != coverage.count:
                breaches.append(Breach(record.id, where, RULE_COMPLETE, str(coverage.sources[0].url),
                                       f"marked complete with {coverage.count} {coverage.role} records "
                                       f"on {coverage.as_of}, but {held} are recorded"))
    return breaches


def _citation_breaches(record_id: str, where: str | None, citations: list[Citation],
                       classified: list[Classified]) -> Iterable[Breach]:
    for citation, found in zip(citations, classified, strict=True):
        url = str(citation.url)
        if found.refusal:
            yield Breach(record_id, where, RULE_REFUSED, url, found.refusal)
        elif not found.known:
            yield Breach(record_id, where, RULE_UNKNOWN_HOST, url,
                         "host not in the publisher registry (data/publishers/); classify it")
        if not (citation.locator or citation.quote):
            yield Breach(record_id, where, RULE_LOCATOR, url, "no locator or quote showing where the source says it")
        if not citation.checked:
            yield Breach(record_id, where, RULE_CHECKED, url, "no date the source was checked")


def _claim_breaches(claim: AttributionClaim, where: str | None, classified: list[Classified],
                    voices: Voices) -> Iterable[Breach]:
    if claim.claimant_kind is ClaimantKind.SELF:
        return  # the attacker's own boast is known through those who reported it
    if not any(is_claimants_own(claim, found, voices) for found in classified):
        who = claim.claimant or claim.claimant_name
        yield Breach(claim.id, where, RULE_CLAIMANT, None,
                     f"no statement by {who} itself is cited (cited: {', '.join(_class_names(classified))})")


def _class_names(classified: list[Classified]) -> list[str]:
    return [str(c.class_.value) if c.class_ else "unclassified" for c in classified]


def _coverage(record: Record) -> list[Coverage]:
    return list(record.coverage) if isinstance(record, Actor | Instrument) else []


def _role_counts(records: Iterable[Record]) -> Counter[tuple[str, str]]:
    """(organisation or instrument, role) → how many current membership records (no end date) or
    party records it has: what an official list of today counts."""
    counts: Counter[tuple[str, str]] = Counter()
    for record in records:
        if isinstance(record, Membership) and record.valid_to is None:
            counts[(record.organization, record.role.value)] += 1
        elif isinstance(record, Party):
            counts[(record.instrument, record.role.value)] += 1
    return counts


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class KindShare:
    kind: str
    records: int = 0
    citations: int = 0
    primary: int = 0
    with_primary: int = 0
    single_source: int = 0

    @property
    def primary_share(self) -> float:
        return self.primary / self.citations if self.citations else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "records": self.records,
            "citations": self.citations,
            "primary_citations": self.primary,
            "primary_share": round(self.primary_share, 4),
            "records_with_primary": self.with_primary,
            "records_on_one_source": self.single_source,
        }


@dataclass(frozen=True)
class ListCoverage:
    record_id: str
    name: str
    role: str
    status: str
    count: int | None
    recorded: int
    as_of: str
    missing: str | None


#: what every state should have on record, or say it lacks
NATIONAL = ("national_cert", "cybersecurity_agency", "national_strategy", "foreign_ministry_cyber")


@dataclass(frozen=True)
class NationalCoverage:
    """For each national body or text, how many UN member and observer states have one on record
    (current: not dissolved, not superseded) and how many say they have none."""

    states: int
    recorded: dict[str, int]
    lacking: dict[str, int]
    cert_and_strategy: int
    missing: dict[str, list[str]]  # what -> states with neither a record nor a stated absence

    def as_dict(self) -> dict[str, object]:
        return {"states": self.states, "recorded": self.recorded, "lacking": self.lacking,
                "cert_and_strategy": self.cert_and_strategy,
                "unknown": {what: len(ids) for what, ids in self.missing.items()}}


def national_coverage(records: Iterable[Record]) -> NationalCoverage:
    items = list(records)
    voices = Voices(items)
    states = [r for r in items if isinstance(r, Actor) and r.kind.value == "state" and r.un_status in
              ("member", "observer")]
    has: dict[str, set[str]] = {what: set() for what in NATIONAL}
    for record in items:
        if isinstance(record, Actor) and record.kind.value == "agency" and not record.dissolved:
            owners = {v for v in voices.of(record.id) if v.startswith("state:")}
            for role in record.roles:
                if role.value in has:
                    has[role.value] |= owners
                if role.value == "coordinator":
                    has["cybersecurity_agency"] |= owners
        elif (isinstance(record, Instrument) and record.kind.value == "national_strategy" and record.owner
              and record.status.value not in ("superseded", "ended", "lapsed")):
            has["national_strategy"].add(record.owner)
    lacking = {what: {s.id for s in states if any(a.what == what for a in s.lacks)} for what in NATIONAL}
    ids = {s.id for s in states}
    return NationalCoverage(
        states=len(states),
        recorded={what: len(has[what] & ids) for what in NATIONAL},
        lacking={what: len(lacking[what]) for what in NATIONAL},
        cert_and_strategy=len(has["national_cert"] & has["national_strategy"] & ids),
        missing={what: sorted(ids - has[what] - lacking[what]) for what in NATIONAL},
    )


@dataclass
class Report:
    kinds: list[KindShare]
    classes: dict[str, int]
    refused: int
    unclassified: int
    unchecked: int
    oldest_checks: list[tuple[str, str, str]] = field(default_factory=list)  # (checked, record id, url)
    one_source: list[str] = field(default_factory=list)
    lists: list[ListCoverage] = field(default_factory=list)
    national: NationalCoverage | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The report ``dataclasses.asdict`` made of it (as a read model stores it)."""
        national = data.get("national")
        return cls(kinds=[KindShare(**k) for k in data["kinds"]], classes=_by_count(data["classes"]),
                   refused=data["refused"],
                   unclassified=data["unclassified"], unchecked=data["unchecked"],
                   oldest_checks=[(a, b, c) for a, b, c in data["oldest_checks"]], one_source=data["one_source"],
                   lists=[ListCoverage(**x) for x in data["lists"]],
                   national=NationalCoverage(**{**national, **{key: {what: national[key][what] for what in NATIONAL}
                                                               for key in ("recorded", "lacking", "missing")}})
                   if national else None)

    @property
    def total(self) -> KindShare:
        total = KindShare("all")
        for share in self.kinds:
            total.records += share.records
            total.citations += share.citations
            total.primary += share.primary
            total.with_primary += share.with_primary
            total.single_source += share.single_source
        return total

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": self.total.as_dict(),
            "kinds": [k.as_dict() for k in self.kinds],
            "publisher_classes": self.classes,
            "refused_citations": self.refused,
            "unclassified_citations": self.unclassified,
            "citations_without_check_date": self.unchecked,
            "oldest_checks": [{"checked": c, "record": r, "url": u} for c, r, u in self.oldest_checks],
            "records_on_one_source": self.one_source,
            "lists": [vars(item) for item in self.lists],
            "national": self.national.as_dict() if self.national else None,
        }


def report(records: Iterable[Record], registry: Registry, *, oldest: int = 20) -> Report:
    """The provenance figures of a set of records."""
    items = list(records)
    voices = Voices(items)
    shares: dict[str, KindShare] = {}
    classes: Counter[str] = Counter()
    refused = unclassified = unchecked = 0
    checks: list[tuple[str, str, str]] = []
    one_source: list[str] = []
    for record in items:
        share = shares.setdefault(record.KIND, KindShare(record.KIND))
        share.records += 1
        share.citations += len(record.sources)
        primary_here = 0
        for citation in record.sources:
            found = registry.classify(str(citation.url))
            classes[found.class_.value if found.class_ else "unclassified"] += 1
            refused += found.class_ is PublisherClass.REFUSED
            unclassified += not found.known
            primary_here += citation_is_primary(record, found, voices)
            if citation.checked:
                checks.append((citation.checked, record.id, str(citation.url)))
            else:
                unchecked += 1
        share.primary += primary_here
        share.with_primary += primary_here > 0
        if len(record.sources) == 1:
            share.single_source += 1
            one_source.append(record.id)
    checks.sort()
    return Report(
        kinds=sorted(shares.values(), key=lambda s: s.kind),
        classes=_by_count(classes),
        refused=refused,
        unclassified=unclassified,
        unchecked=unchecked,
        oldest_checks=checks[:oldest],
        one_source=sorted(one_source),
        lists=list_coverage(items),
        national=national_coverage(items),
    )


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    """Most frequent first, then by name (a store may not keep a mapping's order)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def list_coverage(records: Iterable[Record]) -> list[ListCoverage]:
    """Each declared member or party list, how complete it is and how many records it holds."""
    items = list(records)
    counts = _role_counts(items)
    found = []
    for record in items:
        for coverage in _coverage(record):
            found.append(ListCoverage(record.id, record.label(), coverage.role, coverage.status.value,
                                      coverage.count, counts.get((record.id, coverage.role), 0),
                                      coverage.as_of, coverage.missing))
    return sorted(found, key=lambda c: (c.record_id, c.role))
