"""The one ASGI application `cyberdip serve` runs: web pages at /, JSON API at /api, TAXII 2.1 at /taxii2/."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from cyberdip import __version__
from cyberdip.analysis import blocs
from cyberdip.interfaces import maps
from cyberdip.interfaces.api.routes import router as api_router
from cyberdip.interfaces.taxii import routes as taxii_routes
from cyberdip.interfaces.web import alignment, incidents, pages, profiles, render, sharing
from cyberdip.model.errors import DataError, NotFound
from cyberdip.services import catalogue, incident_links, incident_views
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import NotInitialised, Workbench
from cyberdip.sources.publishers import shipped_registry

STATIC = Path(__file__).parent / "web" / "static"


def app_from_env() -> Server:
    """The application of one server process when `cyberdip serve --workers N` starts several."""
    return create_app(Workbench.open(Settings.from_env()))


def _warm(workbench: Workbench) -> None:
    """Work the first visitors would otherwise wait for: decoding the map shapes (~0.4 s), compiling
    the page templates (~0.1 s), reading
    the publisher registry that classifies citations (~0.1 s), the graph library the blocs are found
    with (~0.4 s), and what the data holds: the incident findings (~0.5 s), which records speak for
    incidents recorded by several datasets, and the index of names that search reads."""
    maps.shapes()
    render.compile_templates()
    shipped_registry()
    blocs.prepare()
    try:
        with workbench.reading() as connection:
            incident_views.all_findings(connection)
            incident_links.representatives(connection)
            catalogue.name_index(connection)
    except NotInitialised:
        logging.getLogger(__name__).info("not warming the incident findings: the database is not initialised")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # what is loaded at start (libraries, the curated vocabulary) lives as long as the server: moved
    # out of the collector's sight, it is not walked again by every full collection
    await asyncio.to_thread(_warm, app.state.workbench)  # before the first request, not during it
    gc.collect()
    gc.freeze()
    yield


class Server:
    """The one ASGI application: TAXII 2.1 under /taxii2 (its own lean application), everything
    else — pages, /api, lifespan — the workbench's FastAPI application."""

    def __init__(self, workbench_app: FastAPI, taxii_app: Any) -> None:
        self.workbench_app, self.taxii_app = workbench_app, taxii_app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["path"] == "/taxii2" or scope["path"].startswith("/taxii2/")):
            await self.taxii_app(scope, receive, send)
        else:
            await self.workbench_app(scope, receive, send)


def create_app(workbench: Workbench) -> Server:
    """Build the application around an opened workbench. Nothing is created at import time."""
    return Server(create_workbench_app(workbench), taxii_routes.create_taxii_app(workbench, workbench.settings.secret))


def create_workbench_app(workbench: Workbench) -> FastAPI:
    """Pages at /, the JSON API at /api (its OpenAPI document describes the TAXII endpoints too)."""
    app = FastAPI(
        lifespan=_lifespan,
        title="cyberdip API",
        version=__version__,
        description="The cyber diplomacy knowledge base as JSON: search, profiles, timelines. "
        "Every record carries its sources.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.workbench = workbench
    app.include_router(api_router, prefix="/api")
    for module in (pages, profiles, incidents, alignment, sharing):
        app.include_router(module.router)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=6, exclude_content_types=(
        *DEFAULT_EXCLUDED_CONTENT_TYPES, "application/stix+json"))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/vendor/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="cyberdip API",
            swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/vendor/swagger-ui/favicon-32x32.png",
        )


    @app.get("/api", include_in_schema=False)
    @app.get("/api/", include_in_schema=False)
    def api_index() -> dict[str, Any]:
        """What the JSON API offers: every route with its methods and summary."""
        routes = [
            {"path": path, "methods": sorted(method.upper() for method in operations),
             "summary": next(iter(operations.values())).get("summary", "")}
            for path, operations in app.openapi()["paths"].items()
            if path.startswith("/api/")
        ]
        return {"name": app.title, "version": app.version, "docs": "/api/docs", "openapi": "/api/openapi.json",
                "taxii": "/taxii2/", "routes": sorted(routes, key=lambda r: r["path"])}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    @app.exception_handler(NotFound)
    def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"error": str(exc), "suggestions": exc.suggestions}, status_code=404)

    @app.exception_handler(NotInitialised)
    def not_initialised(request: Request, exc: NotInitialised) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503)

    @app.exception_handler(DataError)
    def bad_data(request: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "problems": [str(p) for p in exc.problems]}, status_code=400)

    @app.exception_handler(ValueError)
    def bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema["paths"].update(taxii_routes.openapi_paths())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
