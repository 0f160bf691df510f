"""The domain vocabulary: every record type of cyberdip, declared in one place.

Each record has a stable readable id whose prefix tells its kind (``state:DEU``,
``instrument:us-china-2015-cyber``), cites at least one public source, and names the fields that
refer to other records in ``REFERENCES`` (field → id prefixes it accepts). A record without a
source is invalid. Sharing records (partners, grants, STIX objects) live with the sharing hub.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from cyberdip.model.sharing import SharingClause
from cyberdip.model.values import (
    ACTOR_PREFIXES,
    BODY_PREFIXES,
    PartialDate,
    RecordId,
    date_floor,
    kind_of,
    prefix_of,
)

# --------------------------------------------------------------------------------------------
# Sources


class Source(BaseModel):
    """A public document that facts are taken from. Its id is derived from its URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpUrl
    title: str = Field(min_length=3)
    publisher: str = Field(min_length=2)
    published: PartialDate | None = None
    retrieved: PartialDate | None = None
    licence: str | None = None

    @property
    def id(self) -> str:
        return source_id(str(self.url))


def source_id(url: str) -> str:
    """``source:`` + the first 16 hex digits of the SHA-256 of the URL: stable and collision-safe."""
    return "source:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


class Citation(Source):
    """A source as cited by one record: where in it the fact stands (``locator``: article,
    paragraph, page, list entry), the source's own words that show it (``quote``, at most
    25 words) and the day someone last checked the source still says so (``checked``)."""

    locator: str | None = None
    quote: str | None = None
    checked: PartialDate | None = None

    @model_validator(mode="after")
    def _check_quote(self) -> Citation:
        if self.quote is not None and len(self.quote.split()) > MAX_QUOTE_WORDS:
            raise ValueError(f"quote: at most {MAX_QUOTE_WORDS} words of the source, not {len(self.quote.split())}")
        return self

    def source(self) -> Source:
        return Source.model_validate(self.model_dump(exclude=set(CITATION_ONLY)))


#: the fields of a citation that belong to the citing record, not to the source
CITATION_ONLY = frozenset({"locator", "quote", "checked"})
MAX_QUOTE_WORDS = 25


class CoverageStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"


class Coverage(BaseModel):
    """How complete the knowledge base's list of an organisation's members (or an instrument's
    parties) in one role is. ``count`` is the figure the official list gives on ``as_of``; a
    complete list holds exactly that many; a partial one says what is ``missing``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    role: str = Field(min_length=3, description="member, party, signatory, supporter...")
    status: CoverageStatus
    count: int | None = Field(default=None, ge=0, description="how many the official list gives")
    as_of: PartialDate
    missing: str | None = None
    sources: list[Citation] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_status(self) -> Coverage:
        if self.status is CoverageStatus.PARTIAL and not self.missing:
            raise ValueError("a partial list must say what is missing ('missing')")
        if self.status is CoverageStatus.COMPLETE and self.count is None:
            raise ValueError("a complete list must give the official count ('count')")
        return self


# --------------------------------------------------------------------------------------------
# Base record


class Record(BaseModel):
    """Common ground of every sourced record."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    KIND: ClassVar[str]
    #: field name → id prefixes that field may refer to (scalar or list fields)
    REFERENCES: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: id prefixes this kind of record may have
    PREFIXES: ClassVar[tuple[str, ...]]

    id: RecordId
    sources: list[Citation] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_prefixes(self) -> Record:
        if prefix_of(self.id) not in self.PREFIXES:
            raise ValueError(
                f"id {self.id!r} does not fit a {self.KIND} record (expected prefix "
                f"{' or '.join(p + ':' for p in self.PREFIXES)})"
            )
        for field, prefixes in self.REFERENCES.items():
            for ref in self._values(field):
                if prefix_of(ref) not in prefixes:
                    allowed = ", ".join(p + ":" for p in prefixes)
                    raise ValueError(f"{field}: {ref!r} must be one of {allowed}")
        return self

    def _values(self, field: str) -> list[str]:
        value = getattr(self, field)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def references(self) -> list[tuple[str, str]]:
        """Every (field, target id) this record points at."""
        return [(field, ref) for field in self.REFERENCES for ref in self._values(field)]

    def label(self) -> str:
        """A short human name for lists and timelines."""
        return str(getattr(self, "name", None) or self.id)

    def names(self) -> list[str]:
        """Every string a user might type to find this record."""
        return [self.label()]

    def period(self) -> tuple[str | None, str | None]:
        """When the record starts and ends, for timelines and as-of queries."""
        return (None, None)

    def subkind(self) -> str | None:
        """The finer type inside the kind: actor kind, instrument kind, membership role..."""
        for attribute in ("kind", "role", "type", "category"):
            value = getattr(self, attribute, None)
            if value is not None:
                return str(value.value if hasattr(value, "value") else value)
        return None


@dataclass(frozen=True)
class Located:
    """A validated record and where it was read from (``file:line``), for messages that name it."""

    record: Record
    where: str


def _check_order(start: str | None, end: str | None, what: str) -> None:
    if start and end and date_floor(end) < date_floor(start):
        raise ValueError(f"{what} ends ({end}) before it starts ({start})")


# --------------------------------------------------------------------------------------------
# Actors


class ActorKind(StrEnum):
    STATE = "state"
    AGENCY = "agency"
    ORGANIZATION = "organization"
    INITIATIVE = "initiative"
    GROUP = "group"
    COMPANY = "company"
    PERSON = "person"


ACTOR_KIND_PREFIX: dict[ActorKind, str] = {
    ActorKind.STATE: "state",
    ActorKind.AGENCY: "agency",
    ActorKind.ORGANIZATION: "org",
    ActorKind.INITIATIVE: "initiative",
    ActorKind.GROUP: "group",
    ActorKind.COMPANY: "company",
    ActorKind.PERSON: "person",
}


class AgencyRole(StrEnum):
    FOREIGN_MINISTRY = "foreign_ministry"
    FOREIGN_MINISTRY_CYBER = "foreign_ministry_cyber"
    NATIONAL_CERT = "national_cert"
    CYBERSECURITY_AGENCY = "cybersecurity_agency"
    INTELLIGENCE_INTEGRATION = "intelligence_integration"
    INTELLIGENCE = "intelligence"
    LAW_ENFORCEMENT = "law_enforcement"
    REGULATOR = "regulator"
    MILITARY_CYBER = "military_cyber"
    DEFENCE_MINISTRY = "defence_ministry"
    MINISTRY = "ministry"
    COORDINATOR = "coordinator"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    INTERNET_REGULATOR = "internet_regulator"


class Absence(BaseModel):
    """A state that has no national body or text of one kind, said with the source that shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    what: Literal["national_cert", "cybersecurity_agency", "national_strategy", "foreign_ministry_cyber"]
    as_of: PartialDate
    note: str | None = None
    sources: list[Citation] = Field(min_length=1)


class Actor(Record):
    """A state, one of its agencies, an international organisation or initiative, a threat
    group, a company or a person."""

    KIND = "actor"
    PREFIXES = ACTOR_PREFIXES
    REFERENCES = {
        "parent": ("state", "org", "agency", "company"),
        "replaces": ACTOR_PREFIXES,
    }

    kind: ActorKind
    name: str = Field(min_length=1)
    aliases: list[str] = []
    parent: RecordId | None = None
    roles: list[AgencyRole] = []
    iso2: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    cow: int | None = Field(default=None, ge=1, le=999)
    un_status: Literal["member", "observer", "former_member"] | None = None
    founded: PartialDate | None = None
    dissolved: PartialDate | None = None
    replaces: RecordId | None = None
    website: HttpUrl | None = None
    summary: str | None = None
    coverage: list[Coverage] = Field(default=[], description="organisations, initiatives: how complete each list is")
    lacks: list[Absence] = Field(default=[], description="states: national bodies or texts they do not have")

    @model_validator(mode="after")
    def _check_kind(self) -> Actor:
        expected = ACTOR_KIND_PREFIX[self.kind]
        if prefix_of(self.id) != expected:
            raise ValueError(f"kind {self.kind.value!r} needs an id starting with {expected + ':'!r}")
        if self.kind is ActorKind.STATE:
            if not (self.iso2 and self.iso3):
                raise ValueError("a state needs iso2 and iso3 codes")
            if self.id != f"state:{self.iso3}":
                raise ValueError(f"a state's id must be 'state:' + its iso3 code ({self.iso3!r})")
        elif self.kind is ActorKind.AGENCY and not self.parent:
            raise ValueError("an agency needs a parent (the state or organisation it belongs to)")
        if self.roles and self.kind is not ActorKind.AGENCY:
            raise ValueError("only agencies have roles")
        if self.lacks and self.kind is not ActorKind.STATE:
            raise ValueError("only states have 'lacks'")
        _check_order(self.founded, self.dissolved, "the actor")
        return self

    def names(self) -> list[str]:
        extra = [code for code in (self.iso2, self.iso3) if code]
        return [self.name, *self.aliases, *extra]

    def period(self) -> tuple[str | None, str | None]:
        return (self.founded, self.dissolved)


class MembershipRole(StrEnum):
    MEMBER = "member"
    OBSERVER = "observer"
    PARTY = "party"
    SIGNATORY = "signatory"
    SUPPORTER = "supporter"
    PARTNER = "partner"
    DIALOGUE_PARTNER = "dialogue_partner"
    PARTICIPANT = "participant"


class Membership(Record):
    """An actor's place in an organisation or initiative over a period. The id is derived."""

    KIND = "membership"
    PREFIXES = ("membership",)
    REFERENCES = {"member": ACTOR_PREFIXES, "organization": BODY_PREFIXES}

    id: RecordId = ""
    member: RecordId
    organization: RecordId
    role: MembershipRole = MembershipRole.MEMBER
    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("id"):
            role = data.get("role") or "member"
            data = {**data, "id": f"membership:{data.get('organization')}/{data.get('member')}/{role}"}
        return data

    @model_validator(mode="after")
    def _check_period(self) -> Membership:
        _check_order(self.valid_from, self.valid_to, "the membership")
        return self

    def label(self) -> str:
        return f"{self.member} {self.role.value} of {self.organization}"

    def names(self) -> list[str]:
        return []  # found through the member and the organisation, not by name

    def period(self) -> tuple[str | None, str | None]:
        return (self.valid_from, self.valid_to)


# --------------------------------------------------------------------------------------------
# Instruments, parties, commitments, norms


class InstrumentKind(StrEnum):
    BILATERAL_AGREEMENT = "bilateral_agreement"
    MULTILATERAL_AGREEMENT = "multilateral_agreement"
    TREATY = "treaty"
    PROTOCOL = "protocol"
    JOINT_STATEMENT = "joint_statement"
    UN_RESOLUTION = "un_resolution"
    UN_REPORT = "un_report"
    NATIONAL_STRATEGY = "national_strategy"
    INTERNATIONAL_STRATEGY = "international_strategy"
    COUNCIL_CONCLUSIONS = "council_conclusions"
    REGULATION = "regulation"
    SANCTIONS_REGIME = "sanctions_regime"
    DECLARATION = "declaration"
    CODE_OF_CONDUCT = "code_of_conduct"
    DIALOGUE = "dialogue"
    FRAMEWORK = "framework"
    COMMUNIQUE = "communique"


class InstrumentStatus(StrEnum):
    PROPOSED = "proposed"
    ADOPTED = "adopted"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    ENDED = "ended"
    SUPERSEDED = "superseded"
    LAPSED = "lapsed"


class Instrument(Record):
    """A text that binds or signals: agreement, treaty, resolution, report, strategy, statement."""

    KIND = "instrument"
    PREFIXES = ("instrument",)
    REFERENCES = {
        "forum": ACTOR_PREFIXES,
        "owner": ACTOR_PREFIXES,
        "parent": ("instrument",),
        "topics": ("matter",),
    }

    name: str = Field(min_length=3)
    aliases: list[str] = []
    kind: InstrumentKind
    adopted: PartialDate | None = None
    in_force: PartialDate | None = None
    ended: PartialDate | None = None
    status: InstrumentStatus
    forum: RecordId | None = None
    owner: RecordId | None = None
    parent: RecordId | None = None
    symbol: str | None = None
    summary: str = Field(min_length=20)
    topics: list[RecordId] = []
    sharing: SharingClause | None = Field(default=None, description="what it says about sharing threat data")
    coverage: list[Coverage] = Field(default=[], description="how complete each list of parties is")

    @model_validator(mode="after")
    def _check_dates(self) -> Instrument:
        _check_order(self.adopted, self.ended, "the instrument")
        if self.kind is InstrumentKind.NATIONAL_STRATEGY and not self.owner:
            raise ValueError("a national strategy needs an owner (the state it belongs to)")
        if self.status in (InstrumentStatus.ENDED, InstrumentStatus.SUPERSEDED) and not self.ended:
            raise ValueError(f"status {self.status.value!r} needs the date it ended ('ended')")
        return self

    def names(self) -> list[str]:
        return [self.name, *self.aliases, *([self.symbol] if self.symbol else [])]

    def period(self) -> tuple[str | None, str | None]:
        return (self.adopted or self.in_force, self.ended)


class PartyRole(StrEnum):
    PARTY = "party"
    SIGNATORY = "signatory"
    SPONSOR = "sponsor"
    CO_SPONSOR = "co_sponsor"
    SUPPORTER = "supporter"
    PARTICIPANT = "participant"


class Party(Record):
    """An actor's role in an instrument (signed, became party, sponsored...), dated. Id derived."""

    KIND = "party"
    PREFIXES = ("party",)
    REFERENCES = {"instrument": ("instrument",), "actor": ACTOR_PREFIXES}

    id: RecordId = ""
    instrument: RecordId
    actor: RecordId
    role: PartyRole = PartyRole.PARTY
    date: PartialDate | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("id"):
            role = data.get("role") or "party"
            data = {**data, "id": f"party:{data.get('instrument')}/{data.get('actor')}/{role}"}
        return data

    def label(self) -> str:
        return f"{self.actor} {self.role.value} to {self.instrument}"

    def names(self) -> list[str]:
        return []  # found through the actor and the instrument, not by name

    def period(self) -> tuple[str | None, str | None]:
        return (self.date, None)


class Commitment(Record):
    """One promise inside an instrument, in our words, linked to the norms it restates."""

    KIND = "commitment"
    PREFIXES = ("commitment",)
    REFERENCES = {"instrument": ("instrument",), "norms": ("norm",)}

    instrument: RecordId
    text: str = Field(min_length=15)
    norms: list[RecordId] = []

    def label(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:77] + "..."


class NormCategory(StrEnum):
    NORM = "norm"
    INTERNATIONAL_LAW = "international_law"
    COMMITMENT = "commitment"


class Norm(Record):
    """A norm of responsible state behaviour, paraphrased, with the paragraph it comes from."""

    KIND = "norm"
    PREFIXES = ("norm",)
    REFERENCES = {"instrument": ("instrument",), "topics": ("matter",)}

    code: str
    title: str = Field(min_length=3)
    text: str = Field(min_length=20)
    category: NormCategory = NormCategory.NORM
    instrument: RecordId | None = None
    paragraph: str | None = None
    addressee: str = Field(min_length=3, description="whose conduct the norm judges")
    elaboration: str | None = Field(default=None, description="later guidance (2021 GGE and OEWG), our words")
    topics: list[RecordId] = []

    def label(self) -> str:
        return f"{self.code} {self.title}"

    def names(self) -> list[str]:
        return [self.title, self.code, self.label()]


# --------------------------------------------------------------------------------------------
# Events and matters


class EventKind(StrEnum):
    SUMMIT = "summit"
    DIALOGUE_ROUND = "dialogue_round"
    MEETING = "meeting"
    CONFERENCE = "conference"
    STATE_VISIT = "state_visit"
    LAUNCH = "launch"


class Event(Record):
    """A summit, dialogue round or meeting: who took part and what it produced."""

    KIND = "event"
    PREFIXES = ("event",)
    REFERENCES = {"participants": ACTOR_PREFIXES, "outcomes": ("instrument",), "topics": ("matter",)}

    name: str = Field(min_length=3)
    kind: EventKind
    start: PartialDate
    end: PartialDate | None = None
    location: str | None = None
    participants: list[RecordId] = []
    outcomes: list[RecordId] = []
    topics: list[RecordId] = []
    summary: str | None = None

    @model_validator(mode="after")
    def _check_period(self) -> Event:
        _check_order(self.start, self.end, "the event")
        return self

    def period(self) -> tuple[str | None, str | None]:
        return (self.start, self.end)


class Matter(Record):
    """A policy matter states take positions on; hierarchical through ``parent``."""

    KIND = "matter"
    PREFIXES = ("matter",)
    REFERENCES = {"parent": ("matter",)}

    name: str = Field(min_length=3)
    aliases: list[str] = []
    parent: RecordId | None = None
    summary: str | None = None
    keywords: list[str] = []

    def names(self) -> list[str]:
        return [self.name, *self.aliases]


# --------------------------------------------------------------------------------------------
# Votes and positions


class VoteChoice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    ABSENT = "absent"
    NON_MEMBER = "non_member"


class RollCall(Record):
    """A recorded vote of a body (the UN General Assembly) on a text."""

    KIND = "rollcall"
    PREFIXES = ("rollcall",)
    REFERENCES = {"body": BODY_PREFIXES, "instrument": ("instrument",), "matters": ("matter",)}

    body: RecordId
    session: int | None = None
    date: PartialDate
    symbol: str | None = None
    title: str = Field(min_length=3)
    description: str | None = None
    important: bool | None = None
    amendment: bool = False
    paragraph: bool = False
    instrument: RecordId | None = None
    matters: list[RecordId] = []
    dataset_issues: list[str] = Field(default=[], description="the source dataset's own issue labels")

    def label(self) -> str:
        return f"{self.symbol or self.id}: {self.title}"

    def names(self) -> list[str]:
        return [self.title, *([self.symbol] if self.symbol else [])]

    def period(self) -> tuple[str | None, str | None]:
        return (self.date, self.date)


class Vote(BaseModel):
    """One state's vote in a roll call. Votes are sourced through their roll call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rollcall: RecordId
    actor: RecordId
    vote: VoteChoice


class Stance(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    NEUTRAL = "neutral"


class Position(Record):
    """An actor's stance on a matter, dated, with what it was derived from."""

    KIND = "position"
    PREFIXES = ("position",)
    REFERENCES = {"actor": ACTOR_PREFIXES, "matter": ("matter",)}

    actor: RecordId
    matter: RecordId
    stance: Stance
    date: PartialDate
    basis: Literal["vote", "party", "membership", "statement", "sponsorship"]
    evidence: str | None = Field(default=None, description="id of the record the position rests on")
    summary: str | None = None

    def label(self) -> str:
        return f"{self.actor} {self.stance.value}s {self.matter}"

    def period(self) -> tuple[str | None, str | None]:
        return (self.date, None)


# --------------------------------------------------------------------------------------------
# Incidents, attribution claims, responses


class Effect(StrEnum):
    ESPIONAGE = "espionage"
    POLITICAL_ESPIONAGE = "political_espionage"
    IP_THEFT = "ip_theft"
    DATA_THEFT = "data_theft"
    DISRUPTION = "disruption"
    DESTRUCTION = "destruction"
    PHYSICAL_DAMAGE = "physical_damage"
    HARM_TO_PERSONS = "harm_to_persons"
    FINANCIAL_THEFT = "financial_theft"
    EXTORTION = "extortion"
    DATA_LEAK = "data_leak"
    INFLUENCE_OPERATION = "influence_operation"
    ELECTION_INTERFERENCE = "election_interference"
    PRE_POSITIONING = "pre_positioning"
    SURVEILLANCE = "surveillance"


class Nexus(StrEnum):
    """How a state is alleged to stand behind an operation (the law of state responsibility's
    categories, weakest last)."""

    ORGAN = "organ"  # its own agencies or armed forces
    DIRECTED = "directed"  # non-state actors acting on its instructions or under its control
    SUPPORTED = "supported"  # it gave material support
    TOLERATED = "tolerated"  # it knew and let it happen
    TERRITORY = "territory"  # only its territory or infrastructure was used


class StateNexus(BaseModel):
    """A state alleged to stand behind the operation, and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: RecordId
    nexus: Nexus


class LaunchedFrom(BaseModel):
    """A state whose territory or infrastructure the operation used, and what it did when told."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: RecordId
    notified: bool | None = None
    response: Literal["acted", "refused", "no_response"] | None = None


class Incident(Record):
    """A cyber operation and the facts known about it, each optional: what is not known is left
    out, and the assessment says which missing facts would decide a finding. Who did it lives in
    attribution claims; ``nexus`` records the kind of state involvement alleged."""

    KIND = "incident"
    PREFIXES = ("incident",)
    REFERENCES = {"victims": ACTOR_PREFIXES, "groups": ("group",)}

    name: str = Field(min_length=3)
    aliases: list[str] = []
    start: PartialDate
    end: PartialDate | None = None
    summary: str = Field(min_length=20)
    # who
    actor_type: Literal["state", "state_proxy", "criminal", "hacktivist", "unknown"] | None = None
    nexus: list[StateNexus] = []
    launched_from: list[LaunchedFrom] = []
    groups: list[RecordId] = []
    # against whom
    victims: list[RecordId] = []
    sectors: list[str] = []
    critical_infrastructure: bool | None = None
    public_services_impaired: bool | None = None
    targets_cert: bool | None = None
    targets_international_organization: bool | None = None
    targets_elections: bool | None = None
    # how
    supply_chain: bool | None = None
    managed_service_provider: bool | None = None
    zero_days: bool | None = None
    self_propagating: bool | None = Field(default=None, description="indiscriminate or worm-like spread")
    vulnerability_withheld_by: list[RecordId] = Field(
        default=[], description="states that kept to themselves a vulnerability the operation used")
    # with what effect
    effects: list[Effect] = []
    # in what context
    cross_border: bool | None = None
    context: Literal["peacetime", "armed_conflict"] | None = None
    military_objective: bool | None = Field(default=None, description="in armed conflict: target was a lawful "
                                            "military objective")
    assistance_requested: bool | None = None
    assistance_given: bool | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _check_period(self) -> Incident:
        _check_order(self.start, self.end, "the incident")
        if self.military_objective is not None and self.context != "armed_conflict":
            raise ValueError("military_objective only applies when context is 'armed_conflict'")
        return self

    def references(self) -> list[tuple[str, str]]:
        nested = [("nexus", n.state) for n in self.nexus] + [("launched_from", x.state) for x in self.launched_from]
        return [*super().references(), *nested, *(("vulnerability_withheld_by", s)
                                                  for s in self.vulnerability_withheld_by)]

    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def period(self) -> tuple[str | None, str | None]:
        return (self.start, self.end)


class ClaimType(StrEnum):
    POLITICAL_STATEMENT = "political_statement"
    INDICTMENT = "indictment"
    SANCTIONS = "sanctions"
    TECHNICAL_REPORT = "technical_report"
    MEDIA_REPORT = "media_report"
    SELF_ATTRIBUTION = "self_attribution"


class ClaimantKind(StrEnum):
    GOVERNMENT = "government"
    INTERNATIONAL_ORGANIZATION = "international_organization"
    COMPANY = "company"
    RESEARCHER = "researcher"
    MEDIA = "media"
    SELF = "self"  # the attacker claimed it
    OTHER = "other"


class AttributionClaim(Record):
    """Who says an actor is behind an incident or a group. Claims may conflict; none is fact.

    The claimant is a record (``claimant``) when the knowledge base has it, otherwise a name
    (``claimant_name``, e.g. a security company in an imported dataset); ``claimant_kind`` says
    what sort of claimant it is, which is what attribution strength rests on."""

    KIND = "claim"
    PREFIXES = ("claim",)
    REFERENCES = {
        "subject": ("incident", "group"),
        "claimant": ACTOR_PREFIXES,
        "attributed_to": ACTOR_PREFIXES,
        "claimant_state": ("state",),
    }

    subject: RecordId
    claimant: RecordId | None = None
    claimant_name: str | None = None
    claimant_kind: ClaimantKind
    claimant_state: RecordId | None = Field(default=None, description="the state a claimant belongs to")
    attributed_to: RecordId
    type: ClaimType
    basis: str | None = None
    confidence: Literal["low", "medium", "high"] | None = None
    date: PartialDate | None = Field(default=None, description="when the claim was made; unknown stays unknown")

    @model_validator(mode="after")
    def _check_claimant(self) -> AttributionClaim:
        if not (self.claimant or self.claimant_name):
            raise ValueError("a claim needs a claimant (a record id) or a claimant_name")
        return self

    def label(self) -> str:
        return f"{self.claimant or self.claimant_name} attributes {self.subject} to {self.attributed_to}"

    def period(self) -> tuple[str | None, str | None]:
        return (self.date, None)


class ResponseKind(StrEnum):
    STATEMENT = "statement"
    DEMARCHE = "demarche"
    SANCTIONS = "sanctions"
    INDICTMENT = "indictment"
    EXPULSION = "expulsion"
    COOPERATION = "cooperation"
    CAPACITY_BUILDING = "capacity_building"


class Response(Record):
    """What an actor did about an incident."""

    KIND = "response"
    PREFIXES = ("response",)
    REFERENCES = {"incident": ("incident",), "actor": ACTOR_PREFIXES, "targets": ACTOR_PREFIXES}

    incident: RecordId
    actor: RecordId
    kind: ResponseKind
    date: PartialDate
    targets: list[RecordId] = []
    summary: str = Field(min_length=10)

    def label(self) -> str:
        return f"{self.actor} {self.kind.value} on {self.incident}"

    def period(self) -> tuple[str | None, str | None]:
        return (self.date, None)


def _pair_id(kind: str, data: Any) -> Any:
    """A link record's id when none is given: its kind and the two linked ids, in order."""
    if isinstance(data, dict) and not data.get("id"):
        a, b = sorted([str(data.get("a")), str(data.get("b"))])
        data = {**data, "id": f"{kind}:{a}/{b}"}
    return data


class GroupLink(Record):
    """A decision that two threat-group records (from different sources or vendors) name the same
    group — or explicitly do not. Groups are never merged: each source keeps its record, and the
    link says who decided, on what basis."""

    KIND = "grouplink"
    PREFIXES = ("grouplink",)
    REFERENCES = {"a": ("group",), "b": ("group",)}

    id: RecordId = ""
    a: RecordId
    b: RecordId
    status: Literal["same", "distinct"] = "same"
    basis: str = Field(min_length=5, description="e.g. shared alias 'Fancy Bear'")
    decided_by: str = Field(min_length=3, description="the importer or person who decided")

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        return _pair_id(cls.KIND, data)

    def label(self) -> str:
        return f"{self.a} {'is' if self.status == 'same' else 'is not'} {self.b}"

    def names(self) -> list[str]:
        return []


class IncidentLink(Record):
    """A decision that two incident records (from different datasets) describe the same incident,
    that they may (a suggestion awaiting a person's decision), or that they do not. Incidents are
    never merged: each dataset keeps its record, and the link says who decided, on what evidence."""

    KIND = "incidentlink"
    PREFIXES = ("incidentlink",)
    REFERENCES = {"a": ("incident",), "b": ("incident",)}

    id: RecordId = ""
    a: RecordId
    b: RecordId
    status: Literal["same", "possibly_same", "distinct"] = "same"
    basis: str = Field(min_length=5, description="the evidence, e.g. shared name 'NotPetya'; 4 days apart")
    decided_by: str = Field(min_length=3, description="the importer or person who decided or suggested it")

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        return _pair_id(cls.KIND, data)

    def label(self) -> str:
        verb = {"same": "is the same incident as", "possibly_same": "may be the same incident as",
                "distinct": "is not"}[self.status]
        return f"{self.a} {verb} {self.b}"

    def names(self) -> list[str]:
        return []


# --------------------------------------------------------------------------------------------
# Registry of record types

RECORD_TYPES: dict[str, type[Record]] = {
    cls.KIND: cls
    for cls in (
        Actor,
        Membership,
        Instrument,
        Party,
        Commitment,
        Norm,
        Event,
        Matter,
        RollCall,
        Position,
        Incident,
        AttributionClaim,
        Response,
        GroupLink,
        IncidentLink,
    )
}


def record_type_for(record_id: str) -> type[Record]:
    """The record class an id belongs to, by its prefix."""
    return RECORD_TYPES[kind_of(record_id)]

