"""Forecasting a General Assembly vote from the votes cast before it, and scoring forecasts.

A text that comes back every year (a *series*: the same title, session after session) is voted
on much as it was last time, so each state's forecast is its own recent votes on the series,
the latest counting most (weights ½ᵏ for the k-th latest, with a little probability left for the
other choices). A new text has no such history: when its sponsors are known, a state's vote
follows how closely it votes with them (its mean κ with the sponsors over recent sessions): the
Assembly's habit says about 8% of the votes cast are no and 12% abstentions, so the states furthest
from the sponsors are forecast no, the next ones abstain, the rest yes; with no sponsors either, the
forecast is that habit, most states voting yes.

Two baselines are scored beside it, as the literature does: each state repeats its last vote on
the matter (any text), and every state votes with the majority (yes). A forecast is scored on the
states that voted yes, no or abstained: the share of them forecast right, and the tally error
(|Δyes| + |Δno| + |Δabstain|).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cyberdip.analysis.votes import ABSTAIN, NO, YES

Matrix = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int8]

#: probability columns, in this order
ORDER = (YES, ABSTAIN, NO)
#: how much of a state's forecast its own latest votes on a series leave to the other choices
SMOOTHING = 0.05
#: the series votes a forecast reads (the latest first)
SERIES_DEPTH = 3
#: the General Assembly's habit: the share of votes cast that are yes, abstain, no (a new text
#: with nothing else known)
HABIT = (0.8, 0.12, 0.08)

_AGENDA = re.compile(r"^[A-Z]/\d+/\S+\s+\d+\s*-\s*")  # "A/73/251 96 - " (report and agenda item)
_SUBJECTS = re.compile(r"\s+-\s+[A-Z][A-Z ,\-]*$")  # " - INFORMATION--INTERNATIONAL S" (subject terms)
_SUFFIX = re.compile(r"\s*(?::|/)\s*(resolution|draft resolution)\b.*$", re.IGNORECASE)
_SPELLING = {"behavior": "behaviour", "telecommunication ": "telecommunications ", "fieln": "field"}


def series_key(title: str, description: str | None = None) -> str:
    """The title a text keeps from year to year: its title, or its description where the title is
    cut short or a coded label ("INFORMATION, INTERNATIONAL SECURITY"); without the report and
    agenda item before it, the subject terms after it or ": resolution / adopted by ...", lower
    case, US and UK spellings made one."""
    name, described = (_SUFFIX.sub("", _SUBJECTS.sub("", _AGENDA.sub("", t.strip()))).rstrip(". ")
                       for t in (title, description or ""))
    shortened = described.casefold().startswith(name.casefold().rstrip(". ")) or name.isupper()
    text = (described if described and shortened else name or described).casefold()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = " ".join(text.split()) + " "
    for variant, spelling in _SPELLING.items():
        text = text.replace(variant, spelling)
    return text.strip()


def same_series(a: str, b: str) -> bool:
    return bool(a) and a == b


@dataclass(frozen=True)
class Forecast:
    probabilities: Matrix  # (states, 3): yes, abstain, no
    basis: list[str]  # per state: "series", "sponsors" or "habit"

    def choices(self) -> Codes:
        return np.asarray([ORDER[i] for i in self.probabilities.argmax(axis=1)], dtype=np.int8)


def forecast(series_votes: Codes, *, sponsor_kappa: Sequence[float | None] | None = None) -> Forecast:
    """Each state's probabilities of yes, abstain and no. ``series_votes`` (states, k): the states'
    votes on earlier texts of the same series, latest first (0: no vote); ``sponsor_kappa``: each
    state's mean κ with the sponsors, when they are known."""
    n = series_votes.shape[0]
    probabilities = np.zeros((n, 3))
    basis = []
    weights = 0.5 ** np.arange(series_votes.shape[1])
    known = [float(k) for k in (sponsor_kappa or []) if k is not None]
    no_cut, abstain_cut = (float(x) for x in np.quantile(known or [0.0], [HABIT[2], HABIT[2] + HABIT[1]]))
    for i in range(n):
        mine = series_votes[i]
        cast = [(weight, code) for weight, code in zip(weights, mine, strict=True) if code in ORDER]
        if cast:
            for weight, code in cast:
                probabilities[i, ORDER.index(int(code))] += weight
            probabilities[i] = probabilities[i] / probabilities[i].sum() * (1 - 3 * SMOOTHING) + SMOOTHING
            basis.append("series")
        elif sponsor_kappa is not None and sponsor_kappa[i] is not None:
            kappa = float(sponsor_kappa[i])  # type: ignore[arg-type]
            choice = NO if kappa <= no_cut else ABSTAIN if kappa <= abstain_cut else YES
            probabilities[i] = SMOOTHING
            probabilities[i, ORDER.index(choice)] = 1 - 2 * SMOOTHING
            basis.append("sponsors")
        else:
            probabilities[i] = HABIT
            basis.append("habit")
    return Forecast(probabilities, basis)


def last_vote(matter_votes: Codes) -> Codes:
    """Baseline: each state's latest vote on the matter (``matter_votes`` latest first), yes if none."""
    found = np.full(matter_votes.shape[0], YES, dtype=np.int8)
    for i, row in enumerate(matter_votes):
        cast = [code for code in row if code in ORDER]
        if cast:
            found[i] = cast[0]
    return found


@dataclass(frozen=True)
class Score:
    voted: int  # states that voted yes, no or abstained
    right: int
    tally_error: int

    @property
    def accuracy(self) -> float:
        return self.right / self.voted if self.voted else 0.0


def score(predicted: Codes, actual: Codes) -> Score:
    """How a forecast fared on the states that voted (yes, no or abstain)."""
    voted = np.isin(actual, ORDER)
    right = int((predicted[voted] == actual[voted]).sum())
    error = sum(abs(int((predicted[voted] == c).sum()) - int((actual[voted] == c).sum())) for c in ORDER)
    return Score(int(voted.sum()), right, error)
