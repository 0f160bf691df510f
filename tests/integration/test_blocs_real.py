"""Voting blocs on real UN votes, sessions 73–74 (2018–2020).

Measured here: κ-weighted, Louvain finds three blocs (a Western bloc around Spain, Montenegro and
Slovenia; the large G77 bloc; a smaller bloc of Latin American, Pacific and African states), with
modularity ≈ 0.40, identical over every seed and robust to the resolution. Raw agreement gives
two blocs (West vs rest) with modularity ≈ 0.04: seed-stable at resolution 1, but the slightest
rise in resolution shatters it, since ≈ 81 % mean agreement makes every pair look alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberdip.analysis.alignment import Alignment, alignment
from cyberdip.analysis.blocs import BlocReport, detect_blocs, together
from tests.support import unvotes_matrix


@pytest.fixture(scope="module")
def sessions_73_74(shared_data: Path) -> Alignment:
    return alignment(unvotes_matrix(shared_data, lambda rc: rc["session"] in ("73", "74")))


@pytest.fixture(scope="module")
def kappa_blocs(sessions_73_74: Alignment) -> BlocReport:
    return detect_blocs(sessions_73_74.kappa, sessions_73_74.states)


@pytest.fixture(scope="module")
def agreement_blocs(sessions_73_74: Alignment) -> BlocReport:
    return detect_blocs(sessions_73_74.agreement, sessions_73_74.states)


def test_kappa_gives_three_stable_blocs(kappa_blocs: BlocReport) -> None:
    report = kappa_blocs
    assert len(report.blocs) == 3
    assert report.modularity >= 0.3
    assert len(report.modularity_runs) == 20
    assert report.modularity_spread < 0.01
    assert all(bloc.cohesion >= 0.95 for bloc in report.blocs)
    assert sorted(len(bloc.members) for bloc in report.blocs) == pytest.approx([32, 54, 107], abs=5)


def test_kappa_blocs_separate_the_west_from_china_and_russia(kappa_blocs: BlocReport) -> None:
    report = kappa_blocs
    west = report.bloc_of("US")
    assert "GB" in west.members and "FR" in west.members and "DE" in west.members
    assert "CN" not in west.members and "RU" not in west.members
    assert report.bloc_of("CN") is report.bloc_of("RU")
    assert together(report, "US", "GB") >= 0.95
    assert together(report, "CN", "RU") >= 0.95
    for a in ("US", "GB"):
        for b in ("CN", "RU"):
            assert together(report, a, b) <= 0.05
    assert set(west.central) <= set(west.members) and west.name == ", ".join(west.central)


def test_raw_agreement_has_far_weaker_structure(agreement_blocs: BlocReport, kappa_blocs: BlocReport) -> None:
    assert agreement_blocs.modularity < 0.1
    assert agreement_blocs.modularity < kappa_blocs.modularity / 4


def test_raw_agreement_blocs_fall_apart_when_resolution_rises(sessions_73_74: Alignment) -> None:
    al = sessions_73_74
    raw = detect_blocs(al.agreement, al.states, seeds=5, resolution=1.1)
    kappa = detect_blocs(al.kappa, al.states, seeds=5, resolution=1.1)
    assert len(raw.blocs) > 10  # near-uniform weights: a 10 % stricter null model leaves almost nothing
    assert len(kappa.blocs) == 3
    assert min(bloc.cohesion for bloc in kappa.blocs) >= 0.95
