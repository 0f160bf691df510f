"""What every workbench page shares: the templates, downloadable tables and the page response.

A page hands :func:`page` its template, the ``/api`` twin it mirrors and its tables. Any table can
be downloaded from the page's own address with ``?download=<table>&format=csv|json``, so every
view keeps one permalink for what is shown and for its data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from cyberdip import __version__

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
templates.filters["q"] = lambda value: quote(str(value), safe=":/")
templates.globals["version"] = __version__


def cell_html(value: Any) -> Markup:
    """A table cell's content: a link, a span with a tooltip, a number or escaped text (in Python:
    a page draws thousands of cells, and a template macro per cell costs ten times as much)."""
    return Markup(_cell(value))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Cell):
        title = f' title="{escape(value.title)}"' if value.title else ""
        if value.href:
            rel = "" if value.href.startswith("/") else ' rel="noopener"'
            return f'<a href="{escape(value.href)}"{rel}{title}>{escape(value.text)}</a>'
        return f"<span{title}>{escape(value.text)}</span>"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(escape(str(value)))


def rows_html(table: Table) -> Markup:
    """The body rows a page draws of a table (its first ``shown``)."""
    heads = [f' data-label="{escape(column)}"' + (' class="num"' if column in table.numeric else "")
             for column in table.columns]
    return Markup("\n".join(
        "<tr>" + "".join(f"<td{head}>{_cell(value)}</td>" for head, value in zip(heads, row, strict=True)) + "</tr>"
        for row in table.rows[:table.shown]))


templates.globals["cell_html"] = cell_html
templates.globals["rows_html"] = rows_html


@dataclass
class Cell:
    """A table cell: its text, and where it links to (a record page, a source)."""
    text: str
    href: str | None = None
    title: str | None = None


#: rows of a table drawn on a page; its downloads hold every row
ROWS_SHOWN = 300


@dataclass
class Table:
    """A table shown on a page and downloadable as CSV or JSON."""
    name: str  # the ``download`` key: letters, digits and dashes
    caption: str
    columns: Sequence[str]
    rows: list[list[Any]] = field(default_factory=list)  # str, number, None or Cell
    empty: str = "Nothing to show."
    numeric: Sequence[str] = ()  # columns aligned right
    shown: int = field(default_factory=lambda: ROWS_SHOWN)  # rows drawn on the page; downloads hold every row
    more: str | None = None  # a page that lists every row (with paging), named when rows are left out
    total: int | None = None  # rows in all, when only the first are given (the download asks for all)

    @property
    def count(self) -> int:
        return len(self.rows) if self.total is None else max(self.total, len(self.rows))

    def plain(self) -> list[dict[str, Any]]:
        return [{column: _plain(value) for column, value in zip(self.columns, row, strict=True)} for row in self.rows]


def _plain(value: Any) -> Any:
    if isinstance(value, Cell):
        return value.text if not value.href or value.href.startswith("/") else f"{value.text} <{value.href}>"
    return value


def compile_templates() -> None:
    """Compile every page template now (~0.1 s) rather than on each one's first visit."""
    for name in templates.list_templates():
        templates.get_template(name)


def cell(text: Any, href: str | None = None, title: str | None = None) -> Cell:
    return Cell("" if text is None else str(text), href, title)


def record_link(record_id: str, name: str | None = None) -> Cell:
    return Cell(name or record_id, f"/r/{quote(record_id, safe=':/')}")


def page(request: Request, template: str, *, title: str, api: str | None, tables: Sequence[Table] = (),
         status: int = 200, **context: Any) -> Response:
    """The page, or one of its tables when ``?download=<name>&format=csv|json`` asks for it."""
    wanted = request.query_params.get("download")
    if wanted:
        return download(request, tables, wanted)
    by_name = {t.name: t for t in tables}
    html = templates.get_template(template).render(
        request=request, title=title, api=api, tables=by_name, path=request.url.path,
        download_link=lambda name, fmt: _download_link(request, name, fmt), **context)
    return HTMLResponse(html, status_code=status)


def _download_link(request: Request, name: str, fmt: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("download", "format")]
    return request.url.path + "?" + urlencode([*params, ("download", name), ("format", fmt)])


def download(request: Request, tables: Sequence[Table], name: str) -> Response:
    fmt = request.query_params.get("format", "csv")
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        known = ", ".join(t.name for t in tables) or "none on this page"
        return Response(f"No table '{name}' on this page (tables: {known}).\n", status_code=404,
                        media_type="text/plain")
    filename = f"{table.name}.{'json' if fmt == 'json' else 'csv'}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        return Response(json.dumps(table.plain(), ensure_ascii=False, indent=1), media_type="application/json",
                        headers=disposition)
    if fmt != "csv":
        return Response(f"format must be csv or json, not '{fmt}'.\n", status_code=400, media_type="text/plain")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table.columns))
    writer.writeheader()
    writer.writerows(table.plain())
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=disposition)


def svg(markup: str) -> Markup:
    """SVG produced by our own drawing code (every label in it is escaped there)."""
    return Markup(markup)
