"""Small inline SVG charts for the web pages, drawn as strings: no plotting library, no JavaScript.

Every label is escaped here, so the result can be inserted with ``render.svg``. Each mark carries a
``<title>`` (a tooltip, and its accessible name) and the chart as a whole has a title and a
description pointing at the table that holds the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

CELL = 46.0
FONT = 12.0
UNDEFINED = "#e4e6ea"
DIAGONAL = "#f3f5f8"


def _luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(colour: str) -> str:
    """White or the page's ink, whichever reads better on ``colour``; pure black on the mid tones
    (orange, mid blue) where neither reaches WCAG AA's 4.5:1 for small text."""
    best = max(("#ffffff", "#1b2430"), key=lambda ink: contrast(colour, ink))
    return best if contrast(colour, best) >= 4.5 else "#000000"


def _text_width(text: str) -> float:
    return len(text) * FONT * 0.56


def heatmap(
    labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    symbol: str,
    colour: Callable[[float], str],
    scale: tuple[float, float],
    notes: Sequence[Sequence[str]] | None = None,
    description: str = "",
    chart_id: str = "heatmap",
) -> str:
    """A square matrix of values as coloured cells, labelled rows and columns, and a colour scale.

    ``values[i][j]`` is None (or NaN) where the measure is undefined; the diagonal is drawn blank.
    ``notes[i][j]`` is added to the cell's title (e.g. the number of joint votes).
    """
    n = len(labels)
    short = [label if len(label) <= 28 else label[:27] + "…" for label in labels]
    left = max((_text_width(s) for s in short), default=0.0) + 12
    top = left * 0.72 + 8
    size = n * CELL
    legend_top = top + size + 28
    width = left + size + 24
    width = max(width, left + 260)
    height = legend_top + 44
    out = [f'<svg class="heatmap" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
           f'role="group" aria-labelledby="{chart_id}-title {chart_id}-desc" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="{FONT:.0f}">',
           f'<title id="{chart_id}-title">{escape(title)}</title>',
           f'<desc id="{chart_id}-desc">{escape(description)}</desc>']
    for i, label in enumerate(short):
        y = top + i * CELL + CELL / 2
        out.append(f'<text x="{left - 8:.1f}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" '
                   f'fill="#1b2430">{escape(label)}<title>{escape(labels[i])}</title></text>')
        x = left + i * CELL + CELL / 2
        out.append(f'<text transform="translate({x:.1f},{top - 8:.1f}) rotate(-45)" fill="#1b2430">'
                   f'{escape(label)}<title>{escape(labels[i])}</title></text>')
    for i in range(n):
        for j in range(n):
            x, y = left + j * CELL, top + i * CELL
            value = values[i][j]
            defined = value is not None and not math.isnan(value)
            if i == j:
                fill, text, tip = DIAGONAL, "", f"{labels[i]} (itself)"
            elif not defined:
                fill, text = UNDEFINED, "n/a"
                tip = f"{labels[i]} – {labels[j]}: {symbol} undefined"
            else:
                assert value is not None
                fill, text = colour(value), f"{value:.2f}"
                tip = f"{labels[i]} – {labels[j]}: {symbol} {value:.3f}"
            if notes and notes[i][j] and i != j:
                tip += f" ({notes[i][j]})"
            out.append(f'<g role="img" aria-label="{escape(tip)}"><title>{escape(tip)}</title>'
                       f'<rect x="{x:.1f}" y="{y:.1f}" width="{CELL:.0f}" height="{CELL:.0f}" fill="{fill}" '
                       f'stroke="#ffffff" stroke-width="1.5"/>')
            if text:
                out.append(f'<text x="{x + CELL / 2:.1f}" y="{y + CELL / 2:.1f}" text-anchor="middle" '
                           f'dominant-baseline="middle" fill="{ink_on(fill)}" aria-hidden="true">{text}</text>')
            out.append("</g>")
    out.append(_scale(chart_id, left, legend_top, colour, scale, symbol))
    out.append("</svg>")
    return "".join(out)


def _scale(chart_id: str, x: float, y: float, colour: Callable[[float], str], scale: tuple[float, float],
           symbol: str) -> str:
    """A horizontal colour bar from ``scale[0]`` to ``scale[1]`` with three ticks."""
    low, high = scale
    width = 220.0
    stops = "".join(f'<stop offset="{k * 10}%" stop-color="{colour(low + (high - low) * k / 10)}"/>'
                    for k in range(11))
    ticks = []
    for k in (0.0, 0.5, 1.0):
        value = low + (high - low) * k
        anchor = "start" if k == 0 else "end" if k == 1 else "middle"
        shown = f"{value:+.1f}" if low < 0 and value else f"{value:.1f}"
        ticks.append(f'<text x="{x + width * k:.1f}" y="{y + 30:.1f}" text-anchor="{anchor}" fill="#5b6776">'
                     f"{shown}</text>")
    return (f'<g aria-hidden="true"><defs><linearGradient id="{chart_id}-scale">{stops}</linearGradient></defs>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.0f}" height="14" fill="url(#{chart_id}-scale)" '
            f'stroke="#d9dee5"/>{"".join(ticks)}'
            f'<text x="{x + width + 10:.1f}" y="{y + 11:.1f}" fill="#5b6776">{escape(symbol)}</text></g>')


def bar(parts: Sequence[tuple[str, float, str]], *, title: str, threshold: float | None = None,
        threshold_label: str = "") -> str:
    """One stacked horizontal bar (e.g. a tally: yes / no / abstain), each part with its title.

    ``parts`` are (label, value, colour); ``threshold`` marks a share of the total (e.g. ½ or ⅔ of
    yes + no) with a tick.
    """
    total = sum(value for _, value, _ in parts) or 1.0
    width, height = 600.0, 30.0
    out = [f'<svg class="tally-bar" viewBox="0 0 {width:.0f} {height + 18:.0f}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
           f'font-size="12"><title>{escape(title)}</title>']
    x = 0.0
    for label, value, colour in parts:
        w = width * value / total
        if w <= 0:
            continue
        out.append(f'<g><title>{escape(label)}</title><rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height:.0f}" '
                   f'fill="{colour}"/>')
        if w > 48:
            out.append(f'<text x="{x + 6:.1f}" y="{height / 2:.1f}" dominant-baseline="middle" '
                       f'fill="{ink_on(colour)}">{escape(label)}</text>')
        out.append("</g>")
        x += w
    if threshold is not None:
        tx = width * threshold
        out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="-2" y2="{height + 4:.0f}" stroke="#1b2430" '
                   f'stroke-width="2" stroke-dasharray="4 2"/>'
                   f'<text x="{tx:.1f}" y="{height + 15:.0f}" text-anchor="middle" fill="#1b2430">'
                   f"{escape(threshold_label)}</text>")
    out.append("</svg>")
    return "".join(out)


def network(labels: Sequence[str], values: Sequence[Sequence[float | None]], *, title: str, symbol: str,
            threshold: float = 0.0, size: float = 420.0) -> str:
    """The chosen states on a circle, each pair whose measure exceeds ``threshold`` joined by a line
    whose width and darkness grow with it: who is close to whom, at a glance."""
    n = len(labels)
    centre, radius = size / 2, size / 2 - 40
    margin = 100.0  # room for the names left and right of the circle
    points = [(centre + radius * math.cos(2 * math.pi * k / max(n, 1) - math.pi / 2),
               centre + radius * math.sin(2 * math.pi * k / max(n, 1) - math.pi / 2)) for k in range(n)]
    out = [f'<svg class="chart network" viewBox="{-margin:.0f} 0 {size + 2 * margin:.0f} {size:.0f}" role="img" '
           f'aria-labelledby="network-title" xmlns="http://www.w3.org/2000/svg">'
           f'<title id="network-title">{escape(title)}</title>']
    for i in range(n):
        for j in range(i + 1, n):
            value = values[i][j]
            if value is None or value <= threshold:
                continue
            strength = min(1.0, (value - threshold) / (1.0 - threshold)) if threshold < 1 else 1.0
            (x1, y1), (x2, y2) = points[i], points[j]
            out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#1f5fa8" '
                       f'stroke-opacity="{0.25 + 0.75 * strength:.2f}" stroke-width="{1 + 7 * strength:.1f}">'
                       f"<title>{escape(labels[i])} – {escape(labels[j])}: {escape(symbol)} {value:.2f}</title></line>")
    for (x, y), label in zip(points, labels, strict=True):
        anchor = "start" if x > centre + 1 else "end" if x < centre - 1 else "middle"
        dx = 10 if anchor == "start" else -10 if anchor == "end" else 0
        dy = -10 if y < centre and anchor == "middle" else 16 if anchor == "middle" else 4
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#1b2430"><title>{escape(label)}</title></circle>'
                   f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" font-size="{FONT * 1.4:.0f}">'
                   f"{escape(label)}</text>")
    out.append("</svg>")
    return "".join(out)
