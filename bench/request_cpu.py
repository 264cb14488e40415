"""Where a plain command's CPU goes: one pledge per request through the product's ASGI app on the real PostgreSQL,
split into the use case, the session lookup and what is left to the HTTP layer (middlewares, routing,
dependencies, validation, thread hops), beside a bare FastAPI app with one such route. No server and no
sockets: `bench/distributed.py --pledges-only` gives the figure through two uvicorn replicas; this one says
where an API process's share of it goes.

    .venv/bin/python -m bench.request_cpu [--requests 3000]

CPU is the process's (every thread's) time per request; round trips as `bench/dialer.py` counts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import FastAPI

from bench import scratch_database
from bench.dialer import RoundTrips
from services.donations.api import PledgeIn, PledgeOut
from services.donations.application import DonationsApplication
from services.identity.domain import SYSTEM
from services.kernel.settings import Settings
from services.main import build, create_api_for

EMAIL, PASSWORD = "operator@example.org", "a long enough operator password"


async def call(app: FastAPI, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    """One request through the app as a server would hand it over; (status, JSON answer)."""
    raw = json.dumps(body).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(raw)).encode()),
                         *((k.lower().encode(), v.encode()) for k, v in headers.items())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    given, answer = False, {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], json.loads(answer["body"])  # type: ignore[arg-type]


def cpu_per(run: Callable[[], None], count: int) -> float:
    """Milliseconds of the process's CPU per call of `run`."""
    started = time.process_time()
    for _ in range(count):
        run()
    return (time.process_time() - started) / count * 1000


async def measure(app: FastAPI, donations: DonationsApplication, token: str, requests: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    _, donor = await call(app, "POST", "/donors", {"kind": "person", "name": "Giulia Rossi"}, headers)
    _, fund = await call(app, "POST", "/funds", {"name": "Fondo famiglie"}, headers)
    good = {"donor_id": donor["id"], "fund_id": fund["id"], "amount": "25.00"}
    bad = {**good, "amount": "twenty-five"}
    loop = asyncio.get_running_loop()

    async def many(body: dict[str, str], expected: int, count: int) -> float:
        started = time.process_time()
        for _ in range(count):
            status, answer = await call(app, "POST", "/pledges", body, headers)
            assert status == expected, answer
        return (time.process_time() - started) / count * 1000

    await many(good, 201, 200)  # warm: pools, caches, code paths
    await many(bad, 422, 200)
    with RoundTrips() as trips:
        await many(good, 201, 100)
    _, answer = await call(app, "POST", "/pledges", good, headers)
    pledge, refused = await many(good, 201, requests), await many(bad, 422, requests)

    def record() -> None:
        donations.record_pledge(UUID(donor["id"]), UUID(fund["id"]), "money", Decimal("25.00"), "EUR")

    identity = app.state.identity
    use_case = await loop.run_in_executor(None, cpu_per, record, requests)
    lookup = await loop.run_in_executor(None, cpu_per, lambda: identity.session_actor(token), requests)
    edge = pledge - use_case - lookup
    print(f"pledge through the app          {pledge:6.2f} ms CPU  ({trips.count / 100:.0f} round trips)")
    print(f"  the use case (record_pledge)  {use_case:6.2f} ms  {use_case / pledge:6.1%}")
    print(f"  the session lookup            {lookup:6.2f} ms  {lookup / pledge:6.1%}")
    print(f"  the HTTP layer (the rest)     {edge:6.2f} ms  {edge / pledge:6.1%}")
    print(f"a refused pledge (422)          {refused:6.2f} ms CPU  (HTTP layer and session lookup only)")
    print(f"ceiling on 2 cores, API CPU only: {2000 / pledge:5.0f} pledges/s")
    bare = bare_app(answer)
    await many_on(bare, good, requests // 10)
    floor = await many_on(bare, good, requests)
    print(f"the framework's floor: a bare FastAPI app, one sync route with the same body and answer models, nothing "
          f"else: {floor:.2f} ms CPU a request (the pledge: x{pledge / floor:.2f}; ceiling on 2 cores "
          f"{2000 / floor:.0f}/s before any work)")


def bare_app(answer: dict[str, Any]) -> FastAPI:
    """FastAPI with one route like the pledge's (same request and response models, a sync endpoint), no
    middleware, no dependency and no work: what any request costs in this framework on this machine."""
    bare = FastAPI()
    fixed = PledgeOut.model_validate(answer)

    @bare.post("/pledges", status_code=201)
    def make_pledge(body: PledgeIn) -> PledgeOut:
        return fixed

    return bare


async def many_on(app: FastAPI, body: dict[str, str], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        status, _answer = await call(app, "POST", "/pledges", body, {})
        assert status == 201, _answer
    return (time.process_time() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as postgres:
        settings = Settings(mode="distributed", data_dir=Path(tmp) / "var", postgres=postgres,
                            run_feeds=False, run_jobs=False)  # an API replica's settings
        product = build(settings)
        app = create_api_for(product)
        product.start()
        try:
            product.identity.create_account(EMAIL, PASSWORD, "administrator", SYSTEM)
            session = product.identity.sign_in(EMAIL, PASSWORD, "127.0.0.1")
            donations = product.services["donations"].application
            assert isinstance(donations, DonationsApplication)
            asyncio.run(measure(app, donations, session.token, args.requests))
        finally:
            product.stop()


if __name__ == "__main__":
    main()
