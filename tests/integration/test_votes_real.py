"""UN votes imported into the store (SQLite and PostgreSQL) agree with the published record."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cyberdip.analysis.alignment import alignment
from cyberdip.analysis.votes import ABSTAIN, NO, NONE, YES
from cyberdip.model.errors import DataError
from cyberdip.services import vote_imports, votes
from cyberdip.services.workbench import Workbench

PUBLISHED = {  # yes, no, abstain as announced in the General Assembly
    "A/RES/73/27": (119, 46, 14),
    "A/RES/73/266": (138, 12, 16),
    "A/RES/73/187": (94, 59, 33),
    "A/RES/74/247": (79, 60, 33),
}


def test_tallies_equal_the_published_ones(voted: Workbench) -> None:
    with voted.reading() as connection:
        matrix, calls = votes.vote_matrix(connection, votes.Selection(symbols=tuple(PUBLISHED)))
    for call in calls:
        tally = matrix.tally(call.id)
        assert (tally["yes"], tally["no"], tally["abstain"]) == PUBLISHED[call.symbol or ""], call.symbol


def test_the_two_2018_cyber_resolutions_cross_tabulate(voted: Workbench) -> None:
    with voted.reading() as connection:
        matrix, calls = votes.vote_matrix(connection, votes.Selection(symbols=("A/RES/73/27", "A/RES/73/266")))
    by_symbol = {c.symbol: matrix.codes[:, i] for i, c in enumerate(calls)}
    russian, western = by_symbol["A/RES/73/27"], by_symbol["A/RES/73/266"]
    assert int(((russian == NO) & (western == YES)).sum()) == 46
    assert int(((russian == YES) & (western == NO)).sum()) == 12
    assert int(((russian == YES) & (western == YES)).sum()) == 77


def test_every_state_vote_matches_the_reference_file(voted: Workbench, shared_data: Path) -> None:
    reference = shared_data / "alignment" / "unga_cyber_votes_2018_2019.csv"
    symbols = ("A/RES/73/27", "A/RES/73/187", "A/RES/73/266", "A/RES/74/28", "A/RES/74/29", "A/RES/74/247")
    with voted.reading() as connection:
        matrix, calls = votes.vote_matrix(connection, votes.Selection(symbols=symbols))
    column = {c.symbol: i for i, c in enumerate(calls)}
    row = {state: i for i, state in enumerate(matrix.states)}
    names = {"yes": YES, "no": NO, "abstain": ABSTAIN, "absent": NONE}
    with reference.open(encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            state = f"state:{line['iso3c']}"
            for symbol in symbols:
                stored = matrix.codes[row[state], column[symbol]] if state in row else NONE
                assert stored == names[line[symbol]], (state, symbol)


def test_session_73_alignment_through_the_store(voted: Workbench) -> None:
    with voted.reading() as connection:
        matrix, _ = votes.vote_matrix(connection, votes.Selection(sessions=(73,)))
    measured = alignment(matrix)
    us_uk = measured.pair("state:USA", "state:GBR")
    assert us_uk["agreement"] == pytest.approx(0.600, abs=0.001)
    assert us_uk["kappa"] == pytest.approx(0.297, abs=0.001)
    ru_cn = measured.pair("state:RUS", "state:CHN")
    assert ru_cn["pi"] == pytest.approx(0.577, abs=0.001)
    assert np.isnan(measured.kappa).sum() < len(matrix.states)  # defined nearly everywhere


def test_the_cyber_series_lands_in_the_cyber_matters(voted: Workbench) -> None:
    with voted.reading() as connection:
        selection = votes.Selection(matter="matter:un-cyber-process")
        cyber = {r.symbol for r in votes.select_rollcalls(connection, selection)}
        crime = {r.symbol for r in votes.select_rollcalls(connection, votes.Selection(matter="matter:cybercrime"))}
    assert {"A/RES/60/45", "A/RES/71/28", "A/RES/73/27", "A/RES/73/266", "A/RES/74/28", "A/RES/74/29"} <= cyber
    assert crime == {"A/RES/73/187", "A/RES/74/247"}


def test_a_bad_file_leaves_the_votes_as_they_were(voted: Workbench, tmp_path: Path) -> None:
    bad = tmp_path / "ga_voting.csv"
    bad.write_text("undl_id,ms_code,ms_name,ms_vote,date,resolution\n1,USA,UNITED STATES,Y,2018-12-05,A/RES/73/27\n"
                   "1,XXX,NOWHERE,Y,2018-12-05,A/RES/73/27\n", encoding="utf-8")
    with voted.reading() as connection:
        before, _ = votes.vote_matrix(connection, votes.Selection(sessions=(73,)))
    with pytest.raises(DataError, match="NOWHERE"):
        vote_imports.import_unga(voted, bad)
    with voted.reading() as connection:
        after, _ = votes.vote_matrix(connection, votes.Selection(sessions=(73,)))
    assert after.states == before.states and np.array_equal(after.codes, before.codes)


def test_an_empty_selection_says_how_to_get_votes(voted: Workbench) -> None:
    with voted.reading() as connection, pytest.raises(DataError, match="import unga"):
        votes.vote_matrix(connection, votes.Selection(sessions=(99,)))
