"""The one ASGI application `cyberdip serve` runs: web pages at /, JSON API at /api."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from cyberdip import __version__
from cyberdip.interfaces import maps
from cyberdip.interfaces.api.routes import router as api_router
from cyberdip.interfaces.taxii.routes import TaxiiError, error_response
from cyberdip.interfaces.taxii.routes import router as taxii_router
from cyberdip.interfaces.web import alignment, incidents, pages, profiles, sharing
from cyberdip.model.errors import DataError, NotFound
from cyberdip.services import incident_views
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import NotInitialised, Workbench

STATIC = Path(__file__).parent / "web" / "static"


def app_from_env() -> FastAPI:
    """The application of one server process when `cyberdip serve --workers N` starts several."""
    return create_app(Workbench.open(Settings.from_env()))


def _warm(workbench: Workbench) -> None:
    """Work the first visitors would otherwise wait for: decoding the map shapes (~0.4 s) and
    assessing every incident for the norm and incident pages (~0.5 s)."""
    maps.shapes()
    try:
        with workbench.reading() as connection:
            incident_views.all_findings(connection)
    except NotInitialised:
        logging.getLogger(__name__).info("not warming the incident findings: the database is not initialised")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    threading.Thread(target=_warm, args=(app.state.workbench,), name="cyberdip-warm", daemon=True).start()
    yield


def create_app(workbench: Workbench) -> FastAPI:
    """Build the application around an opened workbench. Nothing is created at import time."""
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
    app.state.taxii_secret = workbench.settings.secret
    app.include_router(taxii_router)  # first: partners' machines call it most, and routes are matched in order
    app.include_router(api_router, prefix="/api")
    for module in (pages, profiles, incidents, alignment, sharing):
        app.include_router(module.router)
    # pages and maps are compressed; TAXII content is not (bulk reads would spend their time in zlib)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=6, exclude_content_types=(
        *DEFAULT_EXCLUDED_CONTENT_TYPES, "application/taxii+json", "application/stix+json"))
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

    @app.exception_handler(TaxiiError)
    def taxii_error(request: Request, exc: TaxiiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown paths and methods: under /taxii2/ a TAXII error message (§3.6.1), elsewhere FastAPI's."""
        if request.url.path.startswith("/taxii2"):
            response = error_response(TaxiiError(exc.status_code, HTTPStatus(exc.status_code).phrase,
                                                 f"{request.method} {request.url.path}: {exc.detail}"))
            if exc.headers:
                response.headers.update(exc.headers)
            return response
        return await http_exception_handler(request, exc)

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

    return app
