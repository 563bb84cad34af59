"""The FastAPI application of `demandos serve`: pages and the REST API over one workspace.

    app = create_app("my-company")          # uvicorn.run(app) serves it

Handlers are thin: they call the same core functions as the CLI (``Workspace``, the cadence log,
the kernel versions, intake). The workspace is opened once; requests that read or write its data
take a lock, since one DuckDB connection serves the facts. Errors have one JSON shape on the API
(``{"error": {"status", "code", "message", "hint"}}``) and an error page in the browser; a bug
answers 500 with that shape and the details go to the server's log, never to the client.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from demandos import __version__
from demandos.errors import DemandosError
from demandos.kernel.versions import evidence_line
from demandos.reports.numbers import fmt, fmt_change, fmt_ratio
from demandos.web.security import SignInLimiter, WebError, current
from demandos.web.users import Users
from demandos.workspace import Workspace

HERE = Path(__file__).parent
log = logging.getLogger("demandos.web")
MAX_UPLOAD = 200 * 1024 * 1024  # bytes: the largest export file the Data page accepts
CACHE_SECONDS = 60.0  # how long a read is kept when the store cannot say it changed
T = TypeVar("T")


class Site:
    """What every handler shares: the workspace, its lock, the users and the clock."""

    def __init__(self, root: Path, *, today: date | None = None, upload_limit: int = MAX_UPLOAD):
        self.ws = Workspace.open(root)
        self.lock = threading.RLock()
        self.users = Users(self.ws.log)
        self.per_login = SignInLimiter(attempts=5, window=300)  # guessing one user's password
        self.per_address = SignInLimiter(attempts=50, window=300)  # spraying many users
        self.fixed_today = today
        self.upload_limit = upload_limit
        self.uploads = self.ws.data_dir / "uploads"
        self.cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self.embedded = self.ws.specs.workspace.store.backend == "embedded"

    def today(self) -> date:
        return self.fixed_today or date.today()

    def now(self) -> datetime:
        if self.fixed_today is None:
            return datetime.now().replace(microsecond=0)
        return datetime.combine(self.fixed_today, datetime.now().time()).replace(microsecond=0)

    @contextmanager
    def data(self) -> Iterator[Workspace]:
        """The workspace, for one request at a time, on the latest data: a load by another
        process (`demandos ingest` while the app runs) is picked up, and the cache dropped."""
        with self.lock:
            if self.ws.facts.refresh():
                self.cache.clear()
            yield self.ws

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``, kept until the data changes. A store that cannot tell when another
        process changed it (PostgreSQL, Spark) is read again after ``CACHE_SECONDS``."""
        now = time.monotonic()
        with self.lock:
            if self.ws.facts.refresh():
                self.cache.clear()
            hit = self.cache.get(key)
            if hit is not None and (self.embedded or now - hit[0] < CACHE_SECONDS):
                return hit[1]  # type: ignore[no-any-return]
        value = compute()
        with self.lock:
            self.cache[key] = (now, value)
        return value

    def changed(self) -> None:
        """Something was written through the app: cached reads are stale."""
        with self.lock:
            self.cache.clear()

    def close(self) -> None:
        self.ws.close()


HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
]


class SecurityHeaders:
    """Headers every answer carries; HTML pages are never cached (they show signed-in data).
    A plain ASGI middleware: Starlette's BaseHTTPMiddleware costs a task per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                kind = dict(headers).get(b"content-type", b"")
                if kind.startswith(b"text/html") and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def metric_table(s: Site, ws: Workspace, period: str | None, by: str | None = None) -> Any:
    """The metric tree (``ws.metrics``), cached until the data changes."""
    key = ("metrics", period, by, s.today(), ws.specs.kernel.version)
    return s.cached(key, lambda: ws.metrics(period, by=by, today=s.today()))


def explanation(s: Site, ws: Workspace, metric: str, period: str) -> Any:
    """Why ``metric`` moved in ``period`` (``ws.explain``), cached until the data changes."""
    key = ("explain", metric, period, s.today(), ws.specs.kernel.version)
    return s.cached(key, lambda: ws.explain(metric, period, today=s.today()))


def site(request: Request) -> Site:
    found: Site = request.app.state.site
    return found


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def create_app(
    root: str | os.PathLike[str], *, today: date | None = None, upload_limit: int = MAX_UPLOAD
) -> FastAPI:
    """The web app over the workspace at ``root``; ``today`` fixes the clock (tests, demos)."""
    shared = Site(Path(root), today=today, upload_limit=upload_limit)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        shared.close()

    app = FastAPI(
        title="demandos",
        version=__version__,
        description="The REST API of demandos, a Demand Operating System: metrics, reviews, "
        "actions, decisions, the kernel, assets and ingest. Authenticate with "
        "`Authorization: Bearer <token>` (`demandos user token LOGIN`).",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.site = shared
    app.state.users = shared.users
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["version"] = __version__
    templates.env.globals["evidence"] = evidence_line
    templates.env.filters["fmt"] = fmt
    templates.env.filters["change"] = fmt_change
    templates.env.filters["ratio"] = fmt_ratio
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def error_page(request: Request, error: WebError) -> Response:
        if _wants_json(request):
            return JSONResponse(error.body(), status_code=error.status, headers=error.headers)
        if error.status == 401:
            return Response(
                status_code=303, headers={"location": f"/login?next={request.url.path}"}
            )
        try:
            caller = current(request)
        except WebError:
            caller = None
        return templates.TemplateResponse(
            request,
            "error.html",
            {"error": error, "caller": caller},
            status_code=error.status,
            headers=error.headers,
        )

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return error_page(request, exc)

    @app.exception_handler(DemandosError)
    async def _domain_error(request: Request, exc: DemandosError) -> Response:
        return error_page(request, WebError(400, "invalid", exc.message, exc.hint))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return error_page(
            request, WebError(422, "invalid", f"the request is not valid: {problems}", None)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return error_page(request, WebError(exc.status_code, code, str(exc.detail), None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        error = WebError(
            500, "internal", "something went wrong on the server",
            "the server's log has the details",
        )  # fmt: skip
        if _wants_json(request):
            return JSONResponse(error.body(), status_code=500)
        try:
            return error_page(request, error)
        except Exception:  # the error page itself failed: plain text, still no traceback
            return Response(error.message, status_code=500, media_type="text/plain")

    app.add_middleware(SecurityHeaders)

    from demandos.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def app_from_env() -> FastAPI:
    """The app for Uvicorn's worker processes (`demandos serve --workers N`): the workspace and
    the fixed day come from DEMANDOS_WORKSPACE and DEMANDOS_TODAY, set by `serve`."""
    fixed = os.environ.get("DEMANDOS_TODAY")
    return create_app(
        os.environ["DEMANDOS_WORKSPACE"], today=date.fromisoformat(fixed) if fixed else None
    )
