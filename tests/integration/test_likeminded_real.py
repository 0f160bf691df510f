"""Like-minded analytics through the services, on the full UN vote history in the store."""

from __future__ import annotations

import datetime as dt

import pytest

from cyberdip.analysis.coalition import Tally
from cyberdip.model.errors import DataError
from cyberdip.services import likeminded
from cyberdip.services.votes import Selection
from cyberdip.services.workbench import Workbench


def test_the_general_assembly_rule() -> None:
    assert Tally(79, 60, 33).adopted()  # A/RES/74/247
    assert not Tally(60, 60, 10).adopted()
    assert not Tally(79, 60, 33).adopted(important=True)  # 79 < 2 * 60
    assert Tally(120, 60, 0).adopted(important=True)


def test_align_pairs_by_name(voted: Workbench) -> None:
    with voted.reading() as connection:
        result = likeminded.align(connection, ["USA", "United Kingdom", "China", "Russia"], Selection(sessions=(73,)))
    pairs = {(p.a, p.b): p for p in result.pairs}
    assert len(pairs) == 6
    assert pairs[("state:USA", "state:GBR")].kappa == pytest.approx(0.297, abs=0.001)
    assert pairs[("state:CHN", "state:RUS")].agreement == pytest.approx(0.866, abs=0.001)


def test_blocs_on_sessions_73_and_74_split_the_west_from_china_and_russia(voted: Workbench) -> None:
    with voted.reading() as connection:
        result = likeminded.blocs(connection, Selection(sessions=(73, 74)))
    assert len(result.blocs) == 3 and result.modularity > 0.35
    bloc_of = {m["id"]: i for i, bloc in enumerate(result.blocs) for m in bloc["members"]}
    assert bloc_of["state:USA"] == bloc_of["state:GBR"] == bloc_of["state:DEU"]
    assert bloc_of["state:CHN"] == bloc_of["state:RUS"] != bloc_of["state:USA"]


def test_ideal_points_are_signed_so_the_us_is_positive(voted: Workbench) -> None:
    with voted.reading() as connection:
        result = likeminded.ideal_points(connection, Selection(sessions=(73, 74)))
    assert [s.session for s in result.sessions] == [73, 74]
    for session in result.sessions:
        assert session.points["state:USA"] > 0 > session.points["state:CHN"]
        assert session.points["state:GBR"] > session.points["state:IND"]


def test_partners_rank_like_minded_states_first_with_evidence(voted: Workbench) -> None:
    with voted.reading() as connection:
        germany = likeminded.partners(connection, "Germany", matter="matter:un-cyber-process", limit=20)
        china = likeminded.partners(connection, "China", limit=10)
    top = {p.id for p in germany.partners}
    assert {"state:FRA", "state:NLD"} & top and "state:CHN" not in top and "state:RUS" not in top
    first = germany.partners[0]
    votes = first.components["votes"]
    assert votes.score > 0.35 and first.components["affiliations"].evidence
    if "only" in votes.summary:  # few cyber votes: κ counted at n / (n + 10)
        assert "counted at" in votes.summary
    assert sum(c.score * c.weight for c in first.components.values()) == pytest.approx(first.score, abs=1e-3)
    assert "state:RUS" in {p.id for p in china.partners}


def test_partners_as_of_a_date_use_only_what_held_then(voted: Workbench) -> None:
    with voted.reading() as connection:
        report = likeminded.partners(connection, "Finland", as_of=dt.date(2016, 1, 1), limit=200)
    nato = [e for p in report.partners for e in p.components["affiliations"].evidence if e.id == "org:nato"]
    assert all(e.detail != "both" for e in nato)  # Finland joined NATO in 2023


def test_coalition_on_the_2019_cybercrime_resolution(voted: Workbench) -> None:
    with voted.reading() as connection:
        result = likeminded.coalition(connection, resolution="A/RES/74/247")
    assert result.actual and (result.actual["yes"], result.actual["no"]) == (79, 60)
    assert result.actual_adopted is True and result.adopted is True
    assert abs(result.expected["no"] - 60) < 10
    margin = result.predicted["yes"] - result.predicted["no"]
    assert sum(move.gain for move in result.swing) >= margin > sum(move.gain for move in result.swing[:-1])
    assert all(move.current == "yes" and move.target == "no" for move in result.swing)
    assert len(result.forecasts) == 79 + 60 + 33  # the states that voted
    assert result.read_from == ["A/RES/73/187"]  # only the text's earlier version, a year before


def test_coalition_with_sponsors_forecasts_a_new_text_from_the_votes_before_it(voted: Workbench) -> None:
    """The first vote on the GGE track (A/RES/73/266, sponsored by the United States): without the
    vote itself, the states furthest from the sponsor are forecast against it."""
    with voted.reading() as connection:
        result = likeminded.coalition(connection, resolution="A/RES/73/266", sponsors=["United States"])
    forecast = {f.id: f.predicted for f in result.forecasts}
    assert result.read_from == [] and result.adopted
    assert forecast["state:USA"] == forecast["state:GBR"] == "yes"
    assert {forecast[s] for s in ("state:CHN", "state:PRK", "state:SYR", "state:IRN")} == {"no"}
    assert abs(result.predicted["no"] - 12) <= 5 and abs(result.predicted["yes"] - 138) <= 15


def test_coalition_needs_a_resolution_or_matter(voted: Workbench) -> None:
    with voted.reading() as connection, pytest.raises(DataError, match="reference resolution"):
        likeminded.coalition(connection)


def test_partner_scores_count_each_instrument_once(voted: Workbench) -> None:
    """US-UK near the top, US-DPRK at the bottom; an initiative's joint statements count as the
    initiative (an affiliation), never as bilateral agreements between its members."""
    with voted.reading() as connection:
        usa = likeminded.partners(connection, "United States", limit=250)
        india = likeminded.partners(connection, "India", limit=250)
    ranked = [p.id for p in usa.partners]
    assert ranked.index("state:GBR") < 10 and ranked[-5:].count("state:PRK") == 1
    for report in (usa, india):
        for partner in report.partners:
            agreements = {e.id for e in partner.components["agreements"].evidence}
            shared = {e.id for e in partner.components["affiliations"].evidence if e.detail == "both"}
            assert not agreements & shared
            assert not any(i.startswith("instrument:cri-") for i in agreements | shared)
    japan = next(p for p in india.partners if p.id == "state:JPN")
    assert "initiative:counter-ransomware" in {e.id for e in japan.components["affiliations"].evidence}
