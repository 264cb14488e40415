"""Idempotent commands: a retried request with the same Idempotency-Key has exactly one effect.

The key is recorded as a tiny aggregate saved in the SAME transaction as the command's events, so the
effect and the record are atomic; a retry finds the record and gets the first answer back.

The middleware fingerprints the request, replays an earlier answer, and hands the request still to be recorded
(a `PendingRequest`) to the route, which declares `once: Once` and passes it to its use case; the use case
passes it to `save(..., once=once)`, whose first save adds the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from services.kernel.eventstore import ServiceApplication

HEADER = "Idempotency-Key"
_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:idempotency-key")
_STATE = "idempotency"  # where the middleware leaves the PendingRequest in the request's state


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
    """The request being executed; the first save given it adds its record to the same transaction."""

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


async def _pending_request(request: Request) -> PendingRequest | None:
    """The middleware's PendingRequest from the request's state (async: no thread hop for a lookup)."""
    pending: PendingRequest | None = getattr(request.state, _STATE, None)
    return pending


# What a mutating route declares and passes to its use case, which passes it to `save(..., once=once)`: the
# request's Idempotency-Key still to be recorded, or None when the client sent no key. A route that saves
# without passing it on loses the key's guarantee (tests/test_idempotent_routes.py checks every route takes it).
Once = Annotated[PendingRequest | None, Depends(_pending_request)]


def install(app: FastAPI, applications: Callable[[], Sequence[ServiceApplication]]) -> None:
    """Make every POST/PUT/PATCH/DELETE honour the Idempotency-Key header."""
    app.add_middleware(_Idempotent, applications=applications)


class _Idempotent:
    """Plain ASGI: a request without the header passes straight through; with it, the body is fingerprinted,
    an earlier answer replayed, or the command run with its record pending and its answer recorded before the
    client sees it."""

    def __init__(self, app: ASGIApp, applications: Callable[[], Sequence[ServiceApplication]]) -> None:
        self.app = app
        self.applications = applications

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)  # the lifespan messages too
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        problem = _check_key(key)
        if problem:
            await JSONResponse({"detail": problem}, status_code=400)(scope, receive, send)
            return
        body = await _body(receive)
        # The caller's credentials are part of the request: another caller reusing the key gets 409, never
        # the first caller's answer (runs before authentication, so it hashes the presented credentials).
        caller = "|".join(headers.get(h, "") for h in ("authorization", "x-api-key", "cookie"))
        fingerprint = hashlib.sha256(b"|".join([
            scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""),
            _content(body, headers.get("content-type", "")), caller.encode(),
        ])).hexdigest()
        earlier = await run_in_threadpool(_find, self.applications(), key)
        if earlier is not None:
            await _replay(earlier, fingerprint)(scope, receive, send)
            return
        current = PendingRequest(key, fingerprint)
        answer: list[Message] = []  # held back when the command saved something, until its answer is recorded

        async def sending(message: Message) -> None:
            if answer or (message["type"] == "http.response.start" and current.record is not None):
                answer.append(message)
            else:
                await send(message)

        state = {**scope.get("state", {}), _STATE: current}  # this request's own copy: `request.state`
        await self.app({**scope, "state": state}, _replaying(body, receive), sending)
        if answer:
            await run_in_threadpool(_remember, current, answer)
            for message in answer:
                await send(message)


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body read for the fingerprint, given again to the route; then the client's own messages (its
    disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


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


def _remember(current: PendingRequest, answer: list[Message]) -> None:
    """Record the answer in the request's record (the command already saved it, with its events)."""
    assert current.record is not None and current.saved_in is not None
    status = next(m["status"] for m in answer if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in answer if m["type"] == "http.response.body")
    record = current.saved_in.get(current.record.id, RequestRecord)
    record.answer(status, body.decode())
    current.saved_in.save(record)
