"""Web pages. Each calls the same service function as its /api twin and links to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cyberdip.model.errors import NotFound
from cyberdip.services import catalogue
from cyberdip.services import timeline as timeline_service
from cyberdip.services.workbench import Workbench

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
_templates.filters["q"] = lambda value: quote(str(value), safe=":/")


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**context), status_code=status)


def _workbench(request: Request) -> Workbench:
    workbench: Workbench = request.app.state.workbench
    return workbench


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    with _workbench(request).reading() as connection:
        stats = catalogue.statistics(connection)
        latest = timeline_service.latest(connection, kinds=("event", "instrument"), limit=12)
    return _render("home.html", stats=stats, latest=latest, api="/api/stats")


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "") -> HTMLResponse:
    hits = []
    if q.strip():
        with _workbench(request).reading() as connection:
            hits = catalogue.search(connection, q[:200], limit=50)
    return _render("search.html", q=q, hits=hits, api=f"/api/search?q={quote(q)}")


@router.get("/r/{ref:path}", response_class=HTMLResponse)
def record(request: Request, ref: str) -> HTMLResponse:
    try:
        with _workbench(request).reading() as connection:
            profile = catalogue.profile(connection, ref)
    except NotFound as exc:
        return _render("not_found.html", status=404, ref=ref, suggestions=exc.suggestions)
    return _render("record.html", p=profile, api=f"/api/records/{quote(ref, safe=':/')}")
