"""Will a General Assembly resolution pass, and whose votes would change the outcome?

The rule (UN Charter Art. 18; GA rules of procedure 85–87): a resolution is adopted when the
yes votes exceed the no votes among the members present and voting — abstentions and absences do
not count. "Important questions" need two thirds of those present and voting: yes ≥ 2·no.

Given each state's probabilities of voting yes, abstain or no, the predicted tally follows, and
so does the smallest set of states whose change of vote would turn the outcome. Every move has a
*gain* towards the other outcome (for the simple rule a yes turning no moves the margin by two,
turning abstain by one); the fewest states are needed when each makes its biggest move, so the
set is the k states most likely to make it, k being the fewest such moves that suffice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

CHOICES = ("yes", "abstain", "no")


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int

    def adopted(self, important: bool = False) -> bool:
        """The General Assembly rule: a majority (or two thirds) of those present and voting."""
        if self.yes + self.no == 0:
            return False
        return self.yes >= 2 * self.no if important else self.yes > self.no

    def margin(self, important: bool = False) -> int:
        """How far the vote is from the threshold: positive when adopted, 0 or less when not."""
        return self.yes - 2 * self.no if important else self.yes - self.no


@dataclass(frozen=True)
class Move:
    state: str
    current: str
    target: str
    gain: int
    probability: float  # of the state voting `target`


@dataclass(frozen=True)
class Prediction:
    states: tuple[str, ...]
    probabilities: npt.NDArray[np.float64]  # (states, 3): yes, abstain, no
    predicted: tuple[str, ...]
    tally: Tally
    expected: dict[str, float]
    adopted: bool
    important: bool
    swing: tuple[Move, ...]  # the smallest set of changes that would turn the predicted outcome
    alternatives: tuple[Move, ...]  # further states that could make the same kind of move


def predict(states: Sequence[str], probabilities: npt.NDArray[np.float64], *, important: bool = False,
            attendance: npt.NDArray[np.float64] | None = None, alternatives: int = 10) -> Prediction:
    """The predicted outcome from per-state probabilities, and who could turn it. ``attendance``
    (share of the session's votes each state took part in) marks states under one half as
    predicted absent: they neither count nor swing."""
    if probabilities.shape != (len(states), 3):
        raise ValueError(f"probabilities must be (states, 3), got {probabilities.shape}")
    present = np.ones(len(states)) if attendance is None else attendance
    choice = [CHOICES[i] if present[k] >= 0.5 else "absent"
              for k, i in enumerate(np.argmax(probabilities, axis=1))]
    tally = Tally(choice.count("yes"), choice.count("no"), choice.count("abstain"))
    adopted = tally.adopted(important)
    moves = _moves(states, choice, probabilities, adopted=adopted, important=important)
    needed = _needed(tally, adopted=adopted, important=important)
    swing, spent = [], 0
    for move in moves:
        if spent >= needed:
            break
        swing.append(move)
        spent += move.gain
    expected = dict(zip(CHOICES, (float(x) for x in (probabilities * present[:, None]).sum(axis=0)), strict=True))
    return Prediction(tuple(states), probabilities, tuple(choice), tally, expected, adopted, important,
                      tuple(swing), tuple(moves[len(swing) : len(swing) + alternatives]))


def _needed(tally: Tally, *, adopted: bool, important: bool) -> int:
    """Total gain needed to turn the outcome."""
    margin = tally.margin(important)
    # adopted: bring the margin to 0 or below (simple) / below 0 (two thirds); else above those
    if adopted:
        return margin if not important else margin + 1
    return -margin + 1 if not important else -margin


def _moves(states: Sequence[str], choice: list[str], p: npt.NDArray[np.float64], *, adopted: bool,
           important: bool) -> list[Move]:
    """For each state the biggest move towards the other outcome, best first: biggest gain, then
    most likely."""
    weight_no = 2 if important else 1  # a no counts twice against two thirds
    gains = {  # (from, to) -> change in margin towards the other outcome
        ("yes", "no"): 1 + weight_no, ("yes", "abstain"): 1, ("abstain", "no"): weight_no,
    } if adopted else {
        ("no", "yes"): 1 + weight_no, ("abstain", "yes"): 1, ("no", "abstain"): weight_no,
    }
    index = {c: i for i, c in enumerate(CHOICES)}
    moves = []
    for i, state in enumerate(states):
        options = [(gain, float(p[i, index[target]]), target) for (source, target), gain in gains.items()
                   if source == choice[i]]
        if options:
            gain, probability, target = max(options)
            moves.append(Move(state, choice[i], target, gain, probability))
    moves.sort(key=lambda m: (-m.gain, -m.probability, m.state))
    return moves
