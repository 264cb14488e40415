"""Server-sent events of a state that changes when a position moves (a read model's, usually).

One stream is bounded: it checks the position every CHECK_SECONDS, sends the whole state when the position moved
(or, with `refresh_seconds`, at least that often, for states that change with time alone), a comment line as a
heartbeat (so proxies keep it open and a dead peer is noticed), and ends after STREAM_SECONDS or at once on
disconnect; the browser's EventSource then reconnects by itself after RETRY_MS. Ending by itself is also how a
stream lets the server stop: uvicorn waits for open responses to finish. A client that does not ask for
`text/event-stream` (EventSource always does) gets the first event only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from anyio import to_thread
from fastapi import Request
from fastapi.responses import StreamingResponse

CHECK_SECONDS = 0.1
HEARTBEAT_SECONDS = 10.0
STREAM_SECONDS = 20.0
RETRY_MS = 1000


def stream_response(request: Request, name: str, position: Callable[[], Any], state: Callable[[], str],
                    refresh_seconds: float | None = None) -> StreamingResponse:
    """`name` events carrying `state()` (JSON text), each time `position()` moves; both are called in a thread."""
    live = "text/event-stream" in request.headers.get("accept", "")
    return StreamingResponse(_events(request, name, position, state, refresh_seconds, live),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, name: str, position: Callable[[], Any], state: Callable[[], str],
                  refresh_seconds: float | None, live: bool) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    started = last_sent = last_beat = loop.time()
    sent: Any = object()  # nothing sent yet: the first check always sends
    yield f"retry: {RETRY_MS}\n\n"
    while not await request.is_disconnected():
        moment = loop.time()
        if moment - started > STREAM_SECONDS:
            return
        moved = await to_thread.run_sync(position)
        stale = refresh_seconds is not None and moment - last_sent > refresh_seconds
        if moved != sent or stale:
            data = await to_thread.run_sync(state)
            sent, last_sent = moved, moment
            yield f"event: {name}\nid: {moved}\ndata: {data}\n\n"
            if not live:
                return
        elif moment - last_beat > HEARTBEAT_SECONDS:
            last_beat = moment
            yield ": heartbeat\n\n"
        await asyncio.sleep(CHECK_SECONDS)
