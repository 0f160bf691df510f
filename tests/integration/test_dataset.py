"""The curated dataset that ships with cyberdip: valid, sourced, and as complete as promised."""

from __future__ import annotations

from collections import defaultdict
from typing import TypeVar

import pycountry
import pytest

from cyberdip.model import Actor, Instrument, Membership, Party, Record
from cyberdip.sources.curated import load_curated

T = TypeVar("T", bound=Record)


@pytest.fixture(scope="module")
def dataset() -> list[Record]:
    return load_curated()  # raises, naming every problem, if any record is invalid


def by_type(dataset: list[Record], kind: type[T]) -> list[T]:
    return [r for r in dataset if isinstance(r, kind)]


def test_every_record_is_sourced_with_a_url_title_and_publisher(dataset: list[Record]) -> None:
    for record in dataset:
        assert record.sources, record.id
        for citation in record.sources:
            assert str(citation.url).startswith(("http://", "https://")), record.id
            assert citation.title and citation.publisher, record.id


def test_all_un_members_and_observers_with_codes(dataset: list[Record]) -> None:
    states = {a.id: a for a in by_type(dataset, Actor) if a.kind == "state"}
    members = [s for s in states.values() if s.un_status == "member"]
    observers = sorted(s.id for s in states.values() if s.un_status == "observer")
    assert len(members) == 193
    assert observers == ["state:PSE", "state:VAT"]
    former = sorted(s.id for s in states.values() if s.un_status == "former_member")
    assert former == ["state:CSK", "state:DDR", "state:YMD", "state:YUG"]
    assert states["state:TWN"].un_status is None  # China's seat is state:CHN's, whoever held it
    for state in states.values():
        country = pycountry.countries.get(alpha_3=state.iso3) or pycountry.historic_countries.get(alpha_3=state.iso3)
        assert country is not None and country.alpha_2 == state.iso2, state.id
    cow = [s.cow for s in members]
    assert None not in cow and len(set(cow)) == 193
    assert states["state:USA"].cow == 2 and states["state:DEU"].cow == 255 and states["state:RUS"].cow == 365
    assert {"USA", "United States", "US"} <= {*states["state:USA"].aliases, states["state:USA"].name,
                                               states["state:USA"].iso3 or ""}


def test_un_membership_of_every_state(dataset: list[Record]) -> None:
    un = [m for m in by_type(dataset, Membership) if m.organization == "org:un"]
    assert len([m for m in un if m.role == "member" and m.valid_to is None]) == 193
    original = {m.member for m in un if m.valid_from == "1945-10-24"}
    assert {"state:USA", "state:CHN", "state:FRA", "state:GBR", "state:RUS"} <= original


def full_profiles(dataset: list[Record], foreign_office_roles: set[str]) -> list[str]:
    """States with a foreign-ministry office (one of ``foreign_office_roles``), a national CERT, a
    lead cybersecurity agency and a current national cybersecurity strategy."""
    roles: dict[str, set[str]] = defaultdict(set)
    for agency in by_type(dataset, Actor):
        if agency.kind == "agency" and agency.parent and agency.parent.startswith("state:") and not agency.dissolved:
            roles[agency.parent].update(role.value for role in agency.roles)
    strategies = {
        i.owner for i in by_type(dataset, Instrument)
        if i.kind == "national_strategy" and not i.ended and i.status in ("adopted", "in_force")
    }
    return sorted(
        state
        for state, have in roles.items()
        if have & foreign_office_roles and {"national_cert", "cybersecurity_agency"} <= have and state in strategies
    )


def test_at_least_forty_states_have_a_full_cyber_profile(dataset: list[Record]) -> None:
    """Where no dedicated cyber office or ambassador is documented, the record names the foreign
    ministry itself as the cyber-diplomacy lead (and says so); dedicated offices are counted apart."""
    dedicated = full_profiles(dataset, {"foreign_ministry_cyber"})
    complete = full_profiles(dataset, {"foreign_ministry_cyber", "foreign_ministry"})
    assert len(complete) >= 40, f"{len(complete)} complete: {complete}"
    assert len(dedicated) >= 25, f"{len(dedicated)} with a dedicated office: {dedicated}"
    assert {"state:USA", "state:CHN", "state:DEU", "state:IND", "state:KOR"} <= set(dedicated)


BODIES = [
    "org:un", "org:eu", "org:nato", "org:osce", "org:asean", "org:au", "org:oas", "org:sco", "org:brics",
    "org:g7", "org:g20", "org:coe", "initiative:paris-call", "initiative:counter-ransomware",
    "initiative:freedom-online-coalition", "initiative:gfce", "org:quad", "org:csto",
]


def test_organisations_and_initiatives_have_dated_members(dataset: list[Record]) -> None:
    members: dict[str, list[Membership]] = defaultdict(list)
    for membership in by_type(dataset, Membership):
        members[membership.organization].append(membership)
    for body in BODIES:
        assert members[body], f"{body} has no members"
        undated = [m.id for m in members[body] if not m.valid_from and not m.note]
        assert not undated, f"{body}: members without a join date or a note saying why: {undated}"
    assert len([m for m in members["org:nato"] if m.valid_to is None]) == 32
    assert len([m for m in members["org:eu"] if m.valid_to is None]) == 27
    gbr_eu = next(m for m in members["org:eu"] if m.member == "state:GBR")
    assert gbr_eu.valid_to == "2020-01-31"


def test_budapest_convention_parties_and_signatories(dataset: list[Record]) -> None:
    parties = [p for p in by_type(dataset, Party) if p.instrument == "instrument:budapest-convention"]
    assert len([p for p in parties if p.role == "party"]) >= 70
    assert any(p.actor == "state:USA" and p.role == "party" for p in parties)
    assert not any(p.actor in ("state:RUS", "state:CHN") for p in parties)


def test_at_least_forty_international_instruments_with_parties_or_commitments(dataset: list[Record]) -> None:
    national = {"national_strategy", "international_strategy"}
    instruments = [i for i in by_type(dataset, Instrument) if i.kind not in national]
    assert len(instruments) >= 40
    linked = {p.instrument for p in by_type(dataset, Party)} | {
        r.instrument for r in dataset if r.KIND == "commitment"  # type: ignore[attr-defined]
    }
    with_links = [i for i in instruments if i.id in linked]
    assert len(with_links) >= 40
