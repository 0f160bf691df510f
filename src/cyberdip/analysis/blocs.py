"""Voting blocs: communities in the network of pairwise similarity between states.

The input is a square, symmetric similarity matrix over states — one of the measures from
:mod:`cyberdip.analysis.alignment` (``kappa``, ``pi``, ``agreement``…) — which becomes a weighted,
undirected graph: one node per state, one edge per pair with a usable weight.

- **Edges.** NaN cells (no joint votes, or an undefined chance correction) give no edge; the
  diagonal is ignored. With ``positive_only`` (the default) only weights > 0 become edges: for a
  chance-corrected measure a negative value means the two states agree *less* than chance would
  have them, which is evidence of opposition, not a weak tie — and modularity has no meaning for
  negative weights anyway. Without it every finite weight is kept and a negative one is an error.
  ``neighbours=k`` optionally sparsifies the graph: an edge is kept only when one of its ends
  counts the other among its k strongest ties (a symmetric k-nearest-neighbour graph).
- **Communities.** Louvain (Blondel et al. 2008, igraph's ``community_multilevel``) maximises
  modularity Q = Σ_c [ w_in(c)/m − γ·(k_c/2m)² ], the weight inside communities minus what a
  random graph with the same weighted degrees would put there, at resolution γ (``resolution``;
  above 1 favours smaller blocs). Louvain is greedy and order-dependent, so it runs once per seed
  (``seeds`` runs, seeds 0, 1, …); the run with the highest Q is reported (the earliest on ties).
- **Stability.** ``co_assignment[i, j]`` is the share of runs that put states i and j in the same
  community. A bloc's ``cohesion`` is the mean of that share over its pairs of members (for a
  single-state bloc: the share of runs that left the state alone). ``modularity_runs`` keeps each
  run's Q (same γ), so the spread of the optimum is visible too. Seed stability says the optimum
  is well defined *for this matrix*; it says nothing of sampling error in the votes themselves.
- **Names.** Each bloc is named after its most central members: the (up to) three with the
  highest weighted degree *within* the bloc, strongest first (ties by label).

Blocs are listed largest first (ties by name).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import igraph

Matrix = npt.NDArray[np.float64]

#: how many of a bloc's most central members make up its name
NAME_SIZE = 3


@dataclass(frozen=True)
class Bloc:
    name: str
    members: tuple[str, ...]  # sorted by label
    central: tuple[str, ...]  # up to three members, highest within-bloc weighted degree first
    cohesion: float  # mean within-bloc co-assignment over the runs


@dataclass(frozen=True)
class BlocReport:
    states: tuple[str, ...]
    blocs: list[Bloc]
    modularity: float  # of the reported (best) partition
    modularity_runs: tuple[float, ...]  # one per seed, in seed order
    co_assignment: Matrix  # (len(states), len(states)): share of runs with i and j in one community
    resolution: float = 1.0

    @property
    def modularity_mean(self) -> float:
        return float(np.mean(self.modularity_runs))

    @property
    def modularity_spread(self) -> float:
        """Max − min of the per-run modularity: 0 when every seed found an equally good partition."""
        return float(max(self.modularity_runs) - min(self.modularity_runs))

    def bloc_of(self, state: str) -> Bloc:
        for bloc in self.blocs:
            if state in bloc.members:
                return bloc
        raise KeyError(state)


def together(report: BlocReport, a: str, b: str) -> float:
    """Share of the runs in which ``a`` and ``b`` landed in the same community."""
    try:
        i, j = report.states.index(a), report.states.index(b)
    except ValueError as exc:
        raise KeyError(f"unknown state: {a if a not in report.states else b}") from exc
    return float(report.co_assignment[i, j])


def similarity_graph(similarity: npt.ArrayLike, states: Sequence[str], *, positive_only: bool = True,
                     neighbours: int | None = None) -> igraph.Graph:
    """The weighted, undirected graph the blocs are found in (see the module docstring); its
    vertices are named by ``states``."""
    import igraph  # 0.4 s (it loads matplotlib for drawing): imported when blocs are first asked for

    weights = _edge_weights(similarity, states, positive_only, neighbours)
    rows, cols = np.nonzero(np.triu(weights, k=1))
    return igraph.Graph(n=len(states), edges=list(zip(rows.tolist(), cols.tolist(), strict=True)),
                        vertex_attrs={"name": list(states)}, edge_attrs={"weight": weights[rows, cols].tolist()})


def _edge_weights(similarity: npt.ArrayLike, states: Sequence[str], positive_only: bool,
                  neighbours: int | None) -> Matrix:
    """The symmetric matrix of edge weights, 0 where there is no edge."""
    matrix = np.asarray(similarity, dtype=np.float64)
    n = len(states)
    if matrix.shape != (n, n):
        raise ValueError(f"similarity has shape {matrix.shape}, expected ({n}, {n}) for {n} states")
    if len(set(states)) != n:
        raise ValueError("state labels must be unique")
    if not np.allclose(matrix, matrix.T, equal_nan=True):
        raise ValueError("similarity must be symmetric")
    if neighbours is not None and neighbours < 1:
        raise ValueError("neighbours must be at least 1")

    weights = matrix.copy()
    np.fill_diagonal(weights, np.nan)
    usable = np.isfinite(weights)
    if positive_only:
        usable &= weights > 0
    elif (weights[usable] < 0).any():
        raise ValueError("negative similarities cannot be modularity weights: use positive_only=True "
                         "or a non-negative measure")
    if neighbours is not None:
        ranked = np.where(usable, weights, -np.inf)
        # each row's k strongest usable ties; the edge stays if either end chose it
        order = np.argsort(-ranked, axis=1, kind="stable")[:, :neighbours]
        chosen = np.zeros_like(usable)
        np.put_along_axis(chosen, order, True, axis=1)
        usable &= chosen | chosen.T
    return np.where(usable, weights, 0.0)


def prepare() -> None:
    """Import the graph library now rather than on the first request for blocs."""
    import igraph  # noqa: F401


#: igraph draws its random numbers from one process-wide generator: one seeded run at a time
_random_lock = threading.Lock()


def _louvain(graph: igraph.Graph, seed: int, resolution: float) -> list[int]:
    """The community of each vertex found by one Louvain run from ``seed``."""
    import igraph

    with _random_lock:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            return list(graph.community_multilevel(weights="weight", resolution=resolution).membership)
        finally:
            igraph.set_random_number_generator(random)


def detect_blocs(similarity: npt.ArrayLike, states: Sequence[str], *, seeds: int = 20, resolution: float = 1.0,
                 positive_only: bool = True, neighbours: int | None = None) -> BlocReport:
    """Voting blocs in a similarity matrix: the best of ``seeds`` Louvain runs, with its stability."""
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    labels = tuple(states)
    weights = _edge_weights(similarity, labels, positive_only, neighbours)
    graph = similarity_graph(weights, labels)
    n = len(labels)

    memberships: list[npt.NDArray[np.intp]] = []
    scores: list[float] = []
    for seed in range(seeds):
        if graph.ecount() > 0:
            membership = _louvain(graph, seed, resolution)
            score = float(graph.modularity(membership, weights="weight", resolution=resolution))
        else:  # no ties at all: every state is its own bloc and modularity is undefined (taken as 0)
            membership, score = list(range(n)), 0.0
        memberships.append(np.asarray(membership, dtype=np.intp))
        scores.append(score)

    co_assignment = np.zeros((n, n), dtype=np.float64)
    alone = np.zeros(n, dtype=np.float64)
    for found in memberships:
        same = found[:, None] == found[None, :]
        co_assignment += same
        alone += same.sum(axis=1) == 1
    co_assignment /= seeds
    alone /= seeds

    best = max(range(seeds), key=lambda k: (scores[k], -k))
    communities = [np.flatnonzero(memberships[best] == c) for c in np.unique(memberships[best])]
    blocs = [_bloc(labels, weights, idx, co_assignment, alone) for idx in communities]
    blocs.sort(key=lambda b: (-len(b.members), b.name))
    return BlocReport(labels, blocs, scores[best], tuple(scores), co_assignment, resolution)


def _bloc(labels: tuple[str, ...], weights: Matrix, idx: npt.NDArray[np.intp], co_assignment: Matrix,
          alone: Matrix) -> Bloc:
    idx = np.array(sorted(idx, key=lambda i: labels[i]), dtype=np.intp)
    members = tuple(labels[i] for i in idx)
    strength = dict(zip(members, weights[np.ix_(idx, idx)].sum(axis=1).tolist(), strict=True))
    central = tuple(sorted(members, key=lambda s: (-strength[s], s))[:NAME_SIZE])
    if len(idx) == 1:
        cohesion = float(alone[idx[0]])
    else:
        block = co_assignment[np.ix_(idx, idx)]
        pairs = len(idx) * (len(idx) - 1)
        cohesion = float((block.sum() - np.trace(block)) / pairs)
    return Bloc(", ".join(central), members, central, cohesion)
