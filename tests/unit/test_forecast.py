"""Vote forecasts on small cases: series history first, sponsors next, the Assembly's habit last."""

from __future__ import annotations

import numpy as np

from cyberdip.analysis import forecast as rules
from cyberdip.analysis.votes import ABSTAIN, NO, YES


def test_a_state_is_forecast_from_its_own_latest_votes_on_the_series() -> None:
    series = np.array([[NO, YES, YES], [YES, NO, NO], [0, 0, ABSTAIN], [0, 0, 0]], dtype=np.int8)
    found = rules.forecast(series)
    assert list(found.choices()) == [NO, YES, ABSTAIN, YES]
    assert found.basis == ["series", "series", "series", "habit"]
    assert np.allclose(found.probabilities.sum(axis=1), 1.0) and found.probabilities.min() >= rules.SMOOTHING - 1e-9


def test_without_history_the_states_furthest_from_the_sponsors_vote_no() -> None:
    kappa = [1.0, *np.linspace(0.6, -0.6, 99)]  # the sponsor, then states ever further from it
    found = rules.forecast(np.zeros((100, 0), dtype=np.int8), sponsor_kappa=kappa)
    choices = list(found.choices())
    assert choices[0] == YES and set(found.basis) == {"sponsors"}
    assert choices.count(NO) == 8 and choices.count(ABSTAIN) == 12 and choices[-1] == NO  # the Assembly's habit


def test_scores_count_only_states_that_voted() -> None:
    actual = np.array([YES, NO, ABSTAIN, 8, 0], dtype=np.int8)
    predicted = np.array([YES, YES, ABSTAIN, NO, NO], dtype=np.int8)
    found = rules.score(predicted, actual)
    assert (found.voted, found.right, found.tally_error) == (3, 2, 2)
    assert list(rules.last_vote(np.array([[0, NO, YES], [0, 0, 0]], dtype=np.int8))) == [NO, YES]


def test_series_keys_join_the_spellings_and_labels_of_one_text() -> None:
    full = "Developments in the field of information and telecommunications in the context of international security"
    assert rules.series_key(full) == rules.series_key("INFORMATION, INTERNATIONAL SECURITY",
                                                      "Developments in the field of information and telecommunication "
                                                      "in the context of international security : resolution / adopted")
    assert rules.series_key(full[:70], "A/71/251 93 - " + full + ". - INFORMATION--INTERNATIONAL S") == \
        rules.series_key(full)
    us = "Advancing responsible State behavior in cyberspace in the context of international security"
    assert rules.series_key(us) == rules.series_key(us.replace("behavior", "behaviour") + " : resolution / adopted",
                                                    "A/73/251 96 - " + full + ". - INFORMATION")
