"""Idempotent commands: a retried request with the same Idempotency-Key has exactly one effect.

The key is recorded as a tiny aggregate saved in the SAME transaction as the command's events, so the
effect and the record are atomic; a retry finds the record and gets the first answer back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from services.kernel.eventstore import ServiceApplication

HEADER = "Idempotency-Key"
_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:idempotency-key")
_pending: ContextVar[PendingRequest | None] = ContextVar("angeli_pending_request", default=None)


class RequestRecord(Aggregate):
    """A client request that took effect: its key, a fingerprint of its body, and the answer given."""

    @staticmethod
    def create_id(key: str, fingerprint: str, changed: list[str] | None = None) -> UUID:
        return uuid5(_NAMESPACE, key)

    @event("Accepted")
    def __init__(self, key: str, fingerprint: str, changed: list[str] | None = None) -> None:
        self.key = key
        self.fingerprint = fingerprint
        # The records the request changed, saved in the same transaction: if the process dies before the
        # answer is recorded, a retry can still say what took effect.
        self.changed = list(changed or [])
        self.status: int | None = None
        self.body = ""

    @event("Answered")
    def answer(self, status: int, body: str) -> None:
        self.status = status
        self.body = body


def record_id(key: str) -> UUID:
    return uuid5(_NAMESPACE, key)


@dataclass
class PendingRequest:
    """The request being executed; the first save of the request adds its record to the same transaction."""

    key: str
    fingerprint: str
    record: RequestRecord | None = None
    saved_in: ServiceApplication | None = None

    def claim(self, application: ServiceApplication, objs: tuple[Any, ...]) -> RequestRecord:
        changed = [str(obj.id) for obj in objs if isinstance(obj, Aggregate)]
        self.record = RequestRecord(self.key, self.fingerprint, changed)
        self.saved_in = application
        return self.record

    def release(self, application: ServiceApplication) -> None:
        self.record = None
        self.saved_in = None


def pending() -> PendingRequest | None:
    return _pending.get()


def install(app: FastAPI, applications: Callable[[], Sequence[ServiceApplication]]) -> None:
    """Make every POST/PUT/PATCH/DELETE honour the Idempotency-Key header."""

    @app.middleware("http")
    async def idempotent(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        key = request.headers.get(HEADER)
        if key is None or request.method in ("GET", "HEAD", "OPTIONS"):
            return await call_next(request)
        problem = _check_key(key)
        if problem:
            return JSONResponse({"detail": problem}, status_code=400)
        body = await request.body()
        # The caller's credentials are part of the request: another caller reusing the key gets 409, never
        # the first caller's answer (runs before authentication, so it hashes the presented credentials).
        caller = "|".join(request.headers.get(h, "") for h in ("authorization", "x-api-key", "cookie"))
        fingerprint = hashlib.sha256(
            b"|".join([request.method.encode(), request.url.path.encode(), request.url.query.encode(),
                       _content(body, request.headers.get("content-type", "")), caller.encode()])
        ).hexdigest()
        earlier = _find(applications(), key)
        if earlier is not None:
            return _replay(earlier, fingerprint)
        current = PendingRequest(key, fingerprint)
        token = _pending.set(current)
        try:
            response = await call_next(request)
        finally:
            _pending.reset(token)
        return await _remember(current, response)


def _content(body: bytes, content_type: str) -> bytes:
    """The body without its multipart boundary: a client re-sending the same file picks a new random boundary,
    and that is still the same request."""
    kind, _, parameters = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return body
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary" and value.strip('"'):
            return body.replace(value.strip('"').encode(), b"")
    return body


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        return f"{HEADER} must be 1 to 200 printable ASCII characters, got {len(key)} characters"
    return ""


def _find(applications: Sequence[ServiceApplication], key: str) -> RequestRecord | None:
    for application in applications:
        if application.exists(record_id(key)):
            return application.get(record_id(key), RequestRecord)
    return None


def _replay(earlier: RequestRecord, fingerprint: str) -> Response:
    if earlier.fingerprint != fingerprint:
        return JSONResponse(
            {"detail": f"{HEADER} {earlier.key!r} was already used for a different request; use a new key"},
            status_code=409,
        )
    if earlier.status is None:
        return JSONResponse(
            {"detail": f"the request with {HEADER} {earlier.key!r} took effect but its answer was not "
             f"recorded (the server stopped, or is still answering); it changed {', '.join(earlier.changed)}: "
             "read those instead of retrying", "took_effect": True, "changed": earlier.changed},
            status_code=409,
        )
    return Response(
        earlier.body, status_code=earlier.status, media_type="application/json",
        headers={"Idempotent-Replay": "true"},
    )


async def _remember(current: PendingRequest, response: Response) -> Response:
    if current.record is None or current.saved_in is None:
        return response  # nothing was saved (a refused command): a retry may run it again
    chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
    body = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
    record = current.saved_in.get(current.record.id, RequestRecord)
    record.answer(response.status_code, body.decode())
    current.saved_in.save(record)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(body, status_code=response.status_code, headers=headers, media_type=response.media_type)

