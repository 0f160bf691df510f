"""Alignment measures on real UN votes, held to published figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cyberdip.analysis.alignment import alignment
from tests.support import unvotes_matrix


@pytest.fixture(scope="module")
def session_73(shared_data: Path):  # type: ignore[no-untyped-def]
    return alignment(unvotes_matrix(shared_data, lambda rc: rc["session"] == "73"))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("US", "GB", {"agreement": 0.600, "s_abs": 0.200, "pi": 0.182, "kappa": 0.297}),
        ("RU", "CN", {"agreement": 0.866, "s_abs": 0.731, "pi": 0.577, "kappa": 0.583}),
    ],
)
def test_session_73_pairs_match_published_figures(session_73, a: str, b: str, expected: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    measured = session_73.pair(a, b)
    for name, value in expected.items():
        assert measured[name] == pytest.approx(value, abs=0.001), name


def test_identities_hold(session_73) -> None:  # type: ignore[no-untyped-def]
    al = session_73
    defined = ~np.isnan(al.agreement)
    assert np.allclose(al.agreement[defined], (1 + al.s_abs[defined]) / 2)
    for name in al.MEASURES:
        matrix = getattr(al, name)
        assert np.allclose(matrix, matrix.T, equal_nan=True), name
        diagonal = np.diag(matrix)
        assert np.allclose(diagonal[~np.isnan(diagonal)], 1.0), name
