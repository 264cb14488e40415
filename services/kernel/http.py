"""The HTTP edge: one FastAPI app, domain errors mapped to 4xx once, health, idempotency, no stack traces."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel import idempotency
from services.kernel.errors import DomainError
from services.kernel.eventstore import ServiceApplication

log = logging.getLogger(__name__)

HealthCheck = Callable[[], dict[str, Any]]

MAX_JSON_BYTES = 1024 * 1024  # a command is small; anything bigger is a mistake or an attack
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # contact lists (CSV) and other uploads
_UPLOAD_TYPES = ("multipart/form-data", "text/csv", "application/octet-stream")


class ErrorOut(BaseModel):
    """Every error answer: what was wrong and how to fix it, and the rule's name when a rule was broken."""

    detail: str
    error: str | None = None


# Documented on every route, so clients (and the fuzzer) know each answer they can get.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "malformed request header (e.g. Idempotency-Key)"),
        (401, "not signed in, or the token was revoked"),
        (403, "signed in without a role this route needs, or acting for someone else"),
        (404, "an id names nothing"),
        (409, "a business rule or a concurrent change refused the command"),
        (410, "the person was erased"),
        (413, "body too large"),
        (415, "the body was not sent as application/json"),
        (429, "too many sign-in attempts"),
    )
}


def create_api(
    title: str,
    routers: Sequence[APIRouter],
    health: dict[str, HealthCheck],
    applications: Callable[[], Sequence[ServiceApplication]],
    description: str = "",
    dependencies: Sequence[Any] = (),
) -> FastAPI:
    # App-wide dependencies (the access policy) apply to every route, the ones added below included.
    api = FastAPI(title=title, description=description, version="1.0", dependencies=list(dependencies),
                  responses=ERROR_RESPONSES)
    for router in routers:
        api.include_router(router)
    _install_errors(api)
    _document_errors(api)
    idempotency.install(api, applications)
    api.add_middleware(BodyLimit, max_json=MAX_JSON_BYTES, max_upload=MAX_UPLOAD_BYTES)  # outermost
    if api.router.middleware_stack == api.router.app:  # no router middleware to keep in between
        api.router.middleware_stack = RouteIndex(api.router)

    @api.get("/health", tags=["operations"])
    def report_health() -> JSONResponse:
        """Each component's state; 503 when any of them is down."""
        components: dict[str, Any] = {}
        for name, check in health.items():
            try:
                components[name] = {"status": "up", **check()}
            except Exception as error:  # a health probe reports failures instead of raising them
                components[name] = {"status": "down", "error": str(error)}
        healthy = all(c["status"] == "up" for c in components.values())
        return JSONResponse(
            {"status": "up" if healthy else "down", "components": components},
            status_code=200 if healthy else 503,
        )

    return api


class RouteIndex:
    """The router's dispatch, indexed by the path's first segment.

    FastAPI tries a request against each route in turn, walking every included router on the way: a pledge was
    tried against about 80 routes of other services first, a third of its API process's CPU. Here each top-level
    entry (a service's router, a route, a mount) is listed under the first segments of its routes' paths, and a
    request is tried only against the entries listed under its own first segment, plus those with a route whose
    first segment is a parameter, in their order. An entry left out has no route that could match, so FastAPI
    picks the same route, answers 405 and redirects a missing slash as before (tests/kernel/test_route_index.py
    checks every path of the product). Rebuilt when the top-level entries change (routes added after create_api).
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._built_for: tuple[int, ...] = ()
        self._by_segment: dict[str, APIRouter] = {}
        self._others: APIRouter = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)  # the lifespan, websockets
            return
        await self.router_for(scope).app(scope, receive, send)

    def router_for(self, scope: Scope) -> APIRouter:
        """The router holding only the entries that may match this request; `scope["router"]` stays the whole."""
        if self._built_for != tuple(map(id, self.router.routes)):
            self._build()
        scope.setdefault("router", self.router)
        return self._by_segment.get(_first_segment(_route_path(scope)), self._others)

    def _build(self) -> None:
        entries = [(route, _first_segments(route)) for route in self.router.routes]
        segments = set().union(*(found for _, found in entries if found is not None))
        self._by_segment = {segment: self._narrowed([route for route, found in entries
                                                    if found is None or segment in found])
                            for segment in segments}
        self._others = self._narrowed([route for route, found in entries if found is None])
        self._built_for = tuple(map(id, self.router.routes))

    def _narrowed(self, routes: list[BaseRoute]) -> APIRouter:
        narrowed = copy.copy(self.router)  # its settings and low-priority routes shared; its own list of entries
        narrowed.routes = routes
        return narrowed


def _first_segments(route: BaseRoute, prefix: str = "") -> set[str] | None:
    """The first path segments of every route under this entry; None when one may start with any segment (a
    parameter first, a mount at the root, a route matched by host, an entry of a kind not known here).

    An included router is walked through its own routes and prefix, not through `iter_route_contexts`: that
    builds every route's effective context (its dependant and models), about a second for the product, which
    FastAPI otherwise builds only for the routers a request is tried against."""
    included = getattr(route, "original_router", None)
    if included is not None:
        prefix += getattr(getattr(route, "include_context", None), "prefix", None) or ""
        found: set[str] = set()
        for child in getattr(included, "routes", None) or ():
            segments = _first_segments(child, prefix)
            if segments is None:
                return None
            found |= segments
        return found
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not (prefix + path).startswith("/") or "{" in _first_segment(prefix + path):
        return None
    return {_first_segment(prefix + path)}


def _first_segment(path: str) -> str:
    return path[1:].partition("/")[0]


def _route_path(scope: Scope) -> str:
    """The path the routes match against: without the root path the app is served under (as Starlette has it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("", "/"):
        return path[len(root):]
    return path


def _install_errors(api: FastAPI) -> None:
    @api.exception_handler(DomainError)
    async def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.message, "error": type(error).__name__}, status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        unreadable = _unreadable_body(request.headers.get("content-type"), error)
        if unreadable is not None:
            status, detail = unreadable
            return JSONResponse({"detail": detail, "errors": [detail]}, status_code=status)
        problems = [_describe(problem) for problem in error.errors()]
        return JSONResponse({"detail": "; ".join(problems), "errors": problems}, status_code=422)

    @api.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        log.error("unexpected error %s", reference, exc_info=error)
        return JSONResponse(
            {"detail": f"internal error; quote reference {reference} to the administrator"}, status_code=500
        )


# What every 4xx answer holds (see _install_errors); replaces FastAPI's default 422 description.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object", "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "what was wrong and how to fix it"},
        "error": {"type": "string", "description": "the rule that was broken"},
        "errors": {"type": "array", "items": {"type": "string"}, "description": "each invalid field"},
    },
}


def _document_errors(api: FastAPI) -> None:
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schemas = generate().get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = PROBLEM_SCHEMA
        return api.openapi_schema  # type: ignore[return-value]  # set by generate()

    api.openapi = openapi  # type: ignore[method-assign]


def _unreadable_body(content_type: str | None, error: RequestValidationError) -> tuple[int, str] | None:
    """The status and words for a JSON body that could not be read at all; None when its fields were read.

    FastAPI hands a JSON route the raw bytes when the Content-Type is not JSON, reports an absent body
    as the field "" missing, and invalid JSON by its character offset only.
    """
    problems = error.errors()
    invalid = next((p for p in problems if p.get("type") == "json_invalid"), None)
    if invalid is not None:
        # The standard library's own error turns the offset into a line and column.
        located = json.JSONDecodeError(invalid.get("ctx", {}).get("error", "invalid"), str(error.body),
                                       int(invalid["loc"][-1]))
        return 422, (f"the request body is not valid JSON: {located.msg.lower()} at line {located.lineno}, "
                     f"column {located.colno}")
    if any(tuple(p.get("loc", ())) == ("body",) and p.get("type") == "missing" for p in problems):
        return 422, "the request body is missing: send a JSON object with Content-Type: application/json"
    if isinstance(error.body, bytes) and any(p.get("loc", ())[:1] == ("body",) for p in problems):
        sent = f"Content-Type: {content_type[:80]}" if content_type else "no Content-Type"
        return 415, f"this route reads JSON: send the body with Content-Type: application/json (it came with {sent})"
    return None


def _describe(problem: Any) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "request body"
    message = str(problem.get("msg", "invalid"))
    if "input" in problem and problem.get("type") != "missing":
        given = repr(problem["input"])
        return f"{where}: {message}, got {given[:80]}"
    return f"{where}: {message}"


class BodyLimit:
    """Refuses a request body over its limit with 413 before any route sees it, whatever Content-Length says."""

    def __init__(self, app: ASGIApp, max_json: int, max_upload: int) -> None:
        self.app = app
        self.max_json = max_json
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = headers.get("content-type", "").lower().startswith(_UPLOAD_TYPES)
        limit = self.max_upload if upload else self.max_json
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:  # read it all first: a client may send more than it declared, or no length at all
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(limit, send)
                return
            more = message.get("more_body", False)
        await self.app(scope, _replay(chunks, None, receive), send)


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
    if last is not None:
        pending = [last]

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _too_large(limit: int, send: Send) -> None:
    response = JSONResponse({"detail": f"request body too large: at most {limit} bytes are accepted here"},
                            status_code=413)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
