"""The domain model rejects what a careful curator would reject."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cyberdip.model import Actor, Instrument, Membership, Party, date_ceil, date_floor
from cyberdip.model.values import normalise_name

SOURCE = {"url": "https://example.org/doc", "title": "A document", "publisher": "Example", "published": "2015"}


def test_a_record_without_a_source_is_invalid() -> None:
    with pytest.raises(ValidationError, match="sources"):
        Actor(id="state:DEU", kind="state", name="Germany", iso2="DE", iso3="DEU", sources=[])


def test_state_id_must_be_its_iso3_code() -> None:
    with pytest.raises(ValidationError, match="iso3"):
        Actor(id="state:GER", kind="state", name="Germany", iso2="DE", iso3="DEU", sources=[SOURCE])


def test_agency_needs_a_parent_and_the_right_prefix() -> None:
    with pytest.raises(ValidationError, match="parent"):
        Actor(id="agency:deu-bsi", kind="agency", name="BSI", sources=[SOURCE])
    with pytest.raises(ValidationError, match="agency:"):
        Actor(id="org:bsi", kind="agency", name="BSI", parent="state:DEU", sources=[SOURCE])


def test_references_are_checked_against_the_kinds_a_field_accepts() -> None:
    with pytest.raises(ValidationError, match="organization"):
        Membership(member="state:DEU", organization="state:FRA", sources=[SOURCE])


def test_membership_and_party_ids_are_derived_and_stable() -> None:
    membership = Membership(member="state:DEU", organization="org:nato", valid_from="1955-05-06", sources=[SOURCE])
    assert membership.id == "membership:org:nato/state:DEU/member"
    party = Party(instrument="instrument:budapest-convention", actor="state:DEU", role="signatory", sources=[SOURCE])
    assert party.id == "party:instrument:budapest-convention/state:DEU/signatory"


def test_partial_dates_are_accepted_and_impossible_ones_refused() -> None:
    membership = Membership(member="state:DEU", organization="org:nato", valid_from=1955, sources=[SOURCE])
    assert membership.valid_from == "1955"
    with pytest.raises(ValidationError, match="impossible date"):
        Membership(member="state:DEU", organization="org:nato", valid_from="2015-02-30", sources=[SOURCE])
    with pytest.raises(ValidationError, match="2015-09-25"):
        Membership(member="state:DEU", organization="org:nato", valid_from="25/09/2015", sources=[SOURCE])
    assert date_floor("2015-09").isoformat() == "2015-09-01"
    assert date_ceil("2016-02").isoformat() == "2016-02-29"
    assert date_ceil("2015").isoformat() == "2015-12-31"


def test_periods_cannot_end_before_they_start() -> None:
    with pytest.raises(ValidationError, match="ends"):
        Membership(member="state:GBR", organization="org:eu", valid_from="1973-01-01", valid_to="1972",
                   sources=[SOURCE])


def test_ended_instruments_need_an_end_date() -> None:
    with pytest.raises(ValidationError, match="ended"):
        Instrument(id="instrument:x", name="Old strategy", kind="national_strategy", owner="state:DEU",
                   status="superseded", summary="A strategy that was replaced by a newer one.", sources=[SOURCE])


def test_names_normalise_accents_case_and_punctuation() -> None:
    assert normalise_name("Côte d'Ivoire") == "cote d ivoire"
    assert normalise_name("  U.S. ") == "u s"
    assert normalise_name("CERT-In") == normalise_name("cert in")
