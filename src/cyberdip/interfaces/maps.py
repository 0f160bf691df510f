"""World choropleths as inline SVG, drawn from Natural Earth country shapes shipped with the package
(world-atlas 2.0.2 from npm, vendored under web/static/vendor): no tiles, no network, no JavaScript.

Shapes are decoded from TopoJSON and projected (Equal Earth) once per process; a map is then only
the choice of a fill per country, so drawing one costs a string join.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

import pycountry

VENDOR = Path(__file__).parent / "web" / "static" / "vendor" / "world-atlas-2.0.2"
#: the coarse atlas for most countries; the finer one only for the small states the coarse one omits
ATLASES = (VENDOR / "countries-110m.json", VENDOR / "countries-50m.json")
WIDTH = 960.0
#: the map's height and where the equator falls: Natural Earth reaches 83.6°N; without Antarctica
#: nothing lies south of 56°S, so the box stops there
TOP, HEIGHT = 233.0, 425.0
#: shapes without an ISO numeric code in Natural Earth, by the name it gives them
_UNCODED = {"Kosovo": "XKX", "Somaliland": "SOM", "N. Cyprus": "CYP"}
_SKIPPED = {"010"}  # Antarctica: no state, and half the map's height


@dataclass(frozen=True)
class Shape:
    code: str  # ISO 3166-1 alpha-3 (XKX for Kosovo)
    name: str
    path: str  # SVG path data in the map's coordinates


def _equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Šavrič, Patterson and Jenny's Equal Earth projection, scaled to the map's box."""
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    theta = math.asin(math.sqrt(3) / 2 * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * math.radians(lon) * math.cos(theta) / (3 * (a1 + 3 * a2 * t2 + t6 * (7 * a3 + 9 * a4 * t2)))
    y = theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))
    scale = WIDTH / (2 * 2.7066)  # x spans ±2.7066 at the antimeridian; y spans ±1.3173 at the poles
    return WIDTH / 2 + x * scale, TOP - y * scale


@cache
def shapes() -> tuple[Shape, ...]:
    """Every country, projected: from the coarse atlas, else from the finer one."""
    found: dict[str, Shape] = {}
    for atlas in ATLASES:
        for shape in _decode(atlas):
            found.setdefault(shape.code, shape)
    return tuple(found.values())


def _decode(atlas: Path) -> list[Shape]:
    """An atlas's countries, projected; rings too small to see at this size are dropped."""
    topology = json.loads(atlas.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs: list[list[tuple[float, float]]] = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for index in indexes:
            piece = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(piece[1:] if points else piece)
        return points

    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric, name = geometry.get("id"), geometry.get("properties", {}).get("name", "")
        if numeric in _SKIPPED:
            continue
        country = pycountry.countries.get(numeric=numeric) if numeric else None
        code = country.alpha_3 if country else _UNCODED.get(name)
        if not code or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [[_equal_earth(lon, lat) for lon, lat in _unwrapped(ring(r))] for polygon in polygons for r in polygon]
        largest = max((_extent(r) for r in rings), default=0.0)
        parts = []
        for points in rings:
            if _extent(points) < 0.6 and _extent(points) < largest:  # specks beside a larger coast
                continue
            parts.append(_relative(_thin(points)))
        if parts:
            result.append(Shape(code, name, "".join(parts)))
    return result


def _relative(points: list[tuple[float, float]]) -> str:
    """SVG path data with relative moves in tenths of a pixel: a third of the bytes of absolute ones."""
    x0, y0 = round(points[0][0], 1), round(points[0][1], 1)
    out = [f"M{x0:g},{y0:g}l"]
    for x, y in points[1:]:
        x1, y1 = round(x, 1), round(y, 1)
        out.append(f"{x1 - x0:.1f},{y1 - y0:.1f} ".replace(".0,", ",").replace(".0 ", " "))
        x0, y0 = x1, y1
    return "".join(out).rstrip() + "z"


def _unwrapped(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring that crosses the antimeridian (Chukotka, Fiji) continued eastward past 180°, so that it
    is not drawn as a line across the whole map; the part beyond the map's edge is clipped."""
    if not any(abs(b[0] - a[0]) > 180 for a, b in itertools.pairwise(ring)):
        return ring
    return [(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring]


def _extent(points: list[tuple[float, float]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(max(xs) - min(xs), max(ys) - min(ys)) if points else 0.0


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop points closer than a tenth of a pixel to the last one kept."""
    kept = [points[0]]
    for x, y in points[1:]:
        if abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= 0.5:
            kept.append((x, y))
    return kept if len(kept) >= 3 else points


@dataclass(frozen=True)
class Layer:
    """What a map shows: each country's fill and tooltip, and a legend."""
    fills: Mapping[str, str]  # alpha-3 → CSS colour
    labels: Mapping[str, str]  # alpha-3 → tooltip text
    legend: list[tuple[str, str]]  # (colour, meaning)


def world_map(layer: Layer, *, title: str, link: str | None = "/r/state:{code}") -> str:
    """An accessible choropleth: a figure named ``title`` holding the map as an image and, over it, one
    link per shaded country, each an image of that country named by its label (an image may not hold
    links, but a link may hold an image), so keyboards and screen readers reach every country.

    Every shape keeps a ``<title>``, its tooltip. Shapes without a link stay in the base picture; the
    links follow in the order of their names, so Tab and a screen reader's list of links go alphabetically.
    """
    box = f'viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}"'  # inside HTML an <svg> needs no xmlns
    name = escape(title)
    base = [f'<svg class="world-base" {box} role="img" aria-label="{name}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{name}</title>']
    links: list[tuple[str, str]] = []  # (name, markup): in alphabetical order for Tab and a screen reader
    for shape in shapes():
        fill = layer.fills.get(shape.code)
        text = layer.labels.get(shape.code, shape.name)
        label = escape(text)
        body = (f'<path d="{shape.path}" fill="{fill or "#e4e6ea"}" data-code="{shape.code}">'
                f"<title>{label}</title></path>")
        if fill and link:
            links.append((text.casefold(), f'<a href="{escape(link.format(code=shape.code))}"><svg {box} '
                                           f'role="img" aria-label="{label}"><title>{label}</title>{body}</svg></a>'))
        else:
            base.append(body)
    base.append("</svg>")
    legend = "".join(f'<li><span class="swatch" style="background:{escape(colour)}"></span>{escape(meaning)}</li>'
                     for colour, meaning in layer.legend)
    overlays = "".join(markup for _, markup in sorted(links))
    return (f'<figure class="world-map" aria-label="{name}">{"".join(base)}{overlays}</figure>'
            + (f'<ul class="legend">{legend}</ul>' if legend else ""))


#: colour-blind-safe categorical palette (Okabe and Ito)
CATEGORIES = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def sequential(value: float) -> str:
    """A light-to-dark blue for a value in [0, 1]."""
    v = min(1.0, max(0.0, value))
    low, high = (222, 235, 247), (8, 48, 107)
    r, g, b = (round(lo + (hi - lo) * v) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def diverging(value: float) -> str:
    """Red (−1) through white (0) to blue (+1)."""
    v = min(1.0, max(-1.0, value))
    low, mid, high = (178, 24, 43), (247, 247, 247), (33, 102, 172)
    end = high if v >= 0 else low
    r, g, b = (round(m + (e - m) * abs(v)) for m, e in zip(mid, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def state_code(state_id: str) -> str | None:
    """``state:USA`` → ``USA``; anything else → None."""
    return state_id.split(":", 1)[1] if state_id.startswith("state:") else None
