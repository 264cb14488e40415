"""The HTTP edge: one FastAPI app, domain errors mapped to 4xx once, health, idempotency, no stack traces."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.kernel import idempotency
from services.kernel.errors import DomainError
from services.kernel.eventstore import ServiceApplication

log = logging.getLogger(__name__)

HealthCheck = Callable[[], dict[str, Any]]


def create_api(
    title: str,
    routers: Sequence[APIRouter],
    health: dict[str, HealthCheck],
    applications: Callable[[], Sequence[ServiceApplication]],
    description: str = "",
) -> FastAPI:
    api = FastAPI(title=title, description=description, version="1.0")
    for router in routers:
        api.include_router(router)
    _install_errors(api)
    idempotency.install(api, applications)

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


def _install_errors(api: FastAPI) -> None:
    @api.exception_handler(DomainError)
    async def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.message, "error": type(error).__name__}, status_code=error.status_code
        )

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [_describe(problem) for problem in error.errors()]
        return JSONResponse({"detail": "; ".join(problems), "errors": problems}, status_code=422)

    @api.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        log.error("unexpected error %s", reference, exc_info=error)
        return JSONResponse(
            {"detail": f"internal error; quote reference {reference} to the administrator"}, status_code=500
        )


def _describe(problem: Any) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
    message = str(problem.get("msg", "invalid"))
    if "input" in problem and problem.get("type") != "missing":
        given = repr(problem["input"])
        return f"{where}: {message}, got {given[:80]}"
    return f"{where}: {message}"
