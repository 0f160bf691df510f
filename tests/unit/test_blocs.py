"""Voting blocs on small synthetic similarity matrices."""

from __future__ import annotations

import numpy as np
import pytest

from cyberdip.analysis.blocs import detect_blocs, similarity_graph, together

STATES = tuple(f"A{i}" for i in range(6)) + tuple(f"B{i}" for i in range(6))


def planted(noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Two groups of six: κ-like similarity 0.6 inside a group, −0.2 across, plus symmetric noise."""
    rng = np.random.default_rng(seed)
    group = np.array([0] * 6 + [1] * 6)
    matrix = np.where(group[:, None] == group[None, :], 0.6, -0.2)
    jitter = rng.normal(0.0, noise, matrix.shape)
    matrix = matrix + (jitter + jitter.T) / 2
    np.fill_diagonal(matrix, 1.0)
    return matrix


def test_two_planted_groups_are_recovered_and_stable() -> None:
    report = detect_blocs(planted(), STATES, seeds=10)
    assert sorted(b.members for b in report.blocs) == [STATES[:6], STATES[6:]]
    assert all(b.cohesion == 1.0 for b in report.blocs)
    assert report.modularity == pytest.approx(0.5, abs=0.01)  # two equal, disconnected halves
    assert len(report.modularity_runs) == 10
    assert report.modularity_spread == pytest.approx(0.0)
    assert together(report, "A0", "A5") == 1.0
    assert together(report, "A0", "B0") == 0.0
    assert np.allclose(np.diag(report.co_assignment), 1.0)
    assert np.allclose(report.co_assignment, report.co_assignment.T)


def test_negative_weights_are_ignored() -> None:
    matrix = planted(noise=0.0)
    graph = similarity_graph(matrix, STATES)
    assert not graph.are_adjacent("A0", "B0")  # -0.2: worse than chance, no tie
    assert graph.are_adjacent("A0", "A1")
    assert graph.ecount() == 2 * 15
    # strong negative ties change nothing: the partition depends on the positive ones only
    harsher = np.where(matrix < 0, -0.9, matrix)
    assert [b.members for b in detect_blocs(harsher, STATES, seeds=3).blocs] == \
        [b.members for b in detect_blocs(matrix, STATES, seeds=3).blocs]
    with pytest.raises(ValueError, match="negative"):
        detect_blocs(matrix, STATES, positive_only=False)


def test_nan_gives_no_edge_and_isolated_states_stand_alone() -> None:
    matrix = planted()
    matrix[0, :] = matrix[:, 0] = np.nan  # A0 never voted with anyone
    report = detect_blocs(matrix, STATES, seeds=5)
    assert report.bloc_of("A0").members == ("A0",)
    assert report.bloc_of("A0").cohesion == 1.0  # alone in every run
    assert together(report, "A0", "A1") == 0.0
    assert len(report.blocs) == 3


def test_bloc_names_come_from_central_members() -> None:
    matrix = planted(noise=0.0)
    # make A3, A1 and A4 (in that order) the strongest ties inside group A
    for state, boost in (("A3", 0.3), ("A1", 0.2), ("A4", 0.1)):
        i = STATES.index(state)
        for j in range(6):
            if j != i:
                matrix[i, j] += boost
                matrix[j, i] += boost
    bloc = detect_blocs(matrix, STATES, seeds=3).bloc_of("A0")
    assert bloc.central == ("A3", "A1", "A4")
    assert bloc.name == "A3, A1, A4"
    assert bloc.members == STATES[:6]


def test_sparsification_keeps_each_states_strongest_ties() -> None:
    graph = similarity_graph(planted(), STATES, neighbours=2)
    assert all(graph.degree(s) >= 2 for s in STATES)
    assert graph.ecount() < 30
    report = detect_blocs(planted(), STATES, neighbours=3, seeds=5)
    assert all(not (set(b.members) & set(STATES[:6]) and set(b.members) & set(STATES[6:])) for b in report.blocs)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="shape"):
        detect_blocs(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="symmetric"):
        detect_blocs(np.array([[1.0, 0.5], [0.2, 1.0]]), ["a", "b"])
    with pytest.raises(ValueError, match="unique"):
        detect_blocs(np.eye(2), ["a", "a"])
    with pytest.raises(KeyError):
        together(detect_blocs(planted(), STATES, seeds=1), "A0", "ZZ")


def test_no_ties_at_all_gives_singletons() -> None:
    report = detect_blocs(-np.ones((3, 3)), ["a", "b", "c"], seeds=2)
    assert [b.members for b in report.blocs] == [("a",), ("b",), ("c",)]
    assert report.modularity == 0.0
