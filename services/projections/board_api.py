"""The live board's routes: its state as JSON, the same state pushed as server-sent events whenever the board's
read model moves, and the names of the volunteers on it (read in the vault for the caller, and so in the trail).

The state carries volunteer ids only, so a viewer may watch the board without seeing anyone's name; the page
asks for names only of volunteers it has not named yet, not on every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.identity.auth import CurrentUser
from services.identity.domain import Access
from services.kernel.readmodel import ReadStore
from services.kernel.sse import stream_response
from services.projections import board
from services.projections.console_api import Now, Stores, Vault, VolunteerName, _name

router = APIRouter(prefix="/console/api", tags=["console"])

# The whole state at least once a minute: durations cross the forgotten-clock-out limits and slots enter the next
# hour with time alone (the stream itself: services.kernel.sse).
REFRESH_SECONDS = 60.0


class Person(BaseModel):
    volunteer_id: UUID
    clocked_in_at: datetime
    shift_id: UUID | None
    shift_ends_at: datetime | None


class OnCall(Person):
    call_id: UUID
    kind: str
    since: datetime


class Idle(Person):
    since: datetime


class Forgotten(Person):
    suggested_clock_out: datetime | None = Field(description="the shift's end; none without a shift")


class Slot(BaseModel):
    shift_id: UUID
    starts_at: datetime
    ends_at: datetime
    role: str
    capacity: int
    taken: int
    empty: int


class Board(BaseModel):
    now: datetime
    position: int
    on_call: list[OnCall]
    idle: list[Idle]
    forgotten: list[Forgotten]
    next_hour: list[Slot]
    coordinators: list[UUID]


def _store(stores: dict[str, ReadStore]) -> ReadStore:
    return stores["board"]


@router.get("/board")
def get_board(stores: Stores, clock: Now) -> Board:
    """Who is on a call, idle, or forgot to clock out (and since when); slots in the next hour with empty places."""
    return Board(**board.state(_store(stores), clock.now()))


@router.get("/board/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`board` events, each the same JSON as GET /console/api/board"}})
async def board_events(request: Request, stores: Stores, clock: Now) -> StreamingResponse:
    """The board's state as server-sent events: one `board` event now and one each time the board changes.
    A client that does not ask for `text/event-stream` (EventSource always does) gets the one event only."""
    store = _store(stores)
    return stream_response(request, "board", lambda: board.position(store),
                           lambda: Board(**board.state(store, clock.now())).model_dump_json(), REFRESH_SECONDS)


@router.get("/board/names")
def board_names(stores: Stores, vault: Vault, user: CurrentUser,
                volunteer_id: Annotated[list[UUID], Query(max_length=200, description="at most 200 ids a request")],
                ) -> list[VolunteerName]:
    """The names of volunteers the board shows (clocked in, or coordinators who may sign a correction), read in
    the privacy vault for the caller; anyone else asked for is left out."""
    shown = board.on_board(_store(stores), list(dict.fromkeys(str(v) for v in volunteer_id)))
    access = Access(user, "live board")
    return [VolunteerName(volunteer_id=UUID(v), name=_name(vault, v, access)) for v in shown]
