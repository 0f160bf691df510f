"""Charts of the like-minded analytics, as PNG or SVG files (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cyberdip.services.likeminded import AlignmentResult, BlocsResult, IdealPointsResult

FORMATS = (".png", ".svg")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    return plt


def _check(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: charts are written as .png or .svg")


def alignment_heatmap(result: AlignmentResult, path: Path, measure: str = "kappa") -> Path:
    """Heatmap of one measure between the states of an alignment result."""
    _check(path)
    plt = _pyplot()
    values = getattr(result.matrix, measure)
    labels = [result.names.get(s, s) for s in result.states]
    size = max(4.0, 0.35 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(values, cmap="RdBu", vmin=-1 if measure in ("kappa", "pi", "s_abs", "s_sq") else 0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    fig.colorbar(image, ax=ax, label=measure)
    ax.set_title(f"{measure} — {result.selection} ({result.rollcalls} roll calls)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def ideal_points_chart(result: IdealPointsResult, states: list[str], path: Path) -> Path:
    """Ideal points over sessions for the given states."""
    _check(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    for state in states:
        series = result.series(state)
        if series:
            sessions, points = zip(*series, strict=True)
            ax.plot(sessions, points, marker="o", markersize=3, label=result.names.get(state, state))
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("General Assembly session")
    ax.set_ylabel(f"ideal point ({result.names.get(result.anchor, result.anchor)} positive)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def blocs_chart(result: BlocsResult, path: Path) -> Path:
    """The similarity matrix ordered by bloc, with bloc boundaries: blocs show as blocks."""
    _check(path)
    plt = _pyplot()
    report = result.report
    order = [report.states.index(s) for bloc in report.blocs for s in bloc.members]
    similarity = report.co_assignment[np.ix_(order, order)]
    fig, ax = plt.subplots(figsize=(8, 7))
    image = ax.imshow(similarity, cmap="viridis", vmin=0, vmax=1)
    edge = 0
    for bloc in report.blocs:
        edge += len(bloc.members)
        ax.axhline(edge - 0.5, color="white", linewidth=0.8)
        ax.axvline(edge - 0.5, color="white", linewidth=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(image, ax=ax, label="share of runs in the same bloc")
    names = "; ".join(f"{b['name']} ({b['size']})" for b in result.blocs)
    ax.set_title(f"Blocs by {result.measure}, modularity {result.modularity:.2f}\n{names}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
