"""Query route for overdue instalments: what is due and unpaid on a day, by age, from the overdue read model; and
the same as server-sent events whenever the read model moves (a payment clears a line within a second)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.kernel.clock import Day
from services.kernel.readmodel import ReadStore
from services.kernel.sse import stream_response
from services.projections import overdue

router = APIRouter(tags=["donations"])
ROME = ZoneInfo("Europe/Rome")


async def _store(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.read_stores["overdue"]
    return store


def _today(request: Request) -> date:
    """The product's day in Rome (its clock, so a product on a shifted clock agrees with its pledges)."""
    product = getattr(request.app.state, "product", None)
    now = product.clock.now() if product is not None else datetime.now(ROME)
    return now.astimezone(ROME).date()


class AgeOut(BaseModel):
    age: str = Field(description="days since the due date: 0-30, 31-60, 61-90 or 90+")
    instalments: int
    unpaid: str


class OverdueInstalmentOut(BaseModel):
    pledge_id: UUID
    n: int = Field(description="the instalment's place in its pledge's schedule, from 1")
    due_on: date
    amount: str
    unpaid: str
    days_late: int
    age: str
    donor_id: UUID
    fund_id: UUID


class OverdueOut(BaseModel):
    as_of: date
    ages: list[AgeOut]
    instalments: list[OverdueInstalmentOut] = Field(description="oldest first, at most `limit`")
    truncated: bool


@router.get("/instalments/overdue")
def overdue_instalments(
    request: Request, store: Annotated[ReadStore, Depends(_store)],
    as_of: Annotated[Day | None, Query(description="the day judged (default: today in Rome)")] = None,
    fund_id: Annotated[UUID | None, Query(description="only this fund's pledges")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> OverdueOut:
    """Instalments due by `as_of` and not wholly paid (net of reversals), by age, of pledges not cancelled."""
    found = overdue.overdue(store, as_of or _today(request), limit, str(fund_id) if fund_id else None)
    return OverdueOut.model_validate(found)


# live
# Without `as_of` the day judged is today, which changes with time alone: the whole state at least once a minute.
TODAY_REFRESH_SECONDS = 60.0


@router.get("/instalments/overdue/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`overdue` events, each as GET /instalments/overdue"}})
async def overdue_events(
    request: Request, store: Annotated[ReadStore, Depends(_store)],
    as_of: Annotated[Day | None, Query(description="the day judged (default: today in Rome)")] = None,
    fund_id: Annotated[UUID | None, Query(description="only this fund's pledges")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> StreamingResponse:
    """Overdue instalments as server-sent events: one `overdue` event now and one each time the read model moves
    (and each minute when judged on today)."""
    def state() -> str:
        return overdue_instalments(request, store, as_of, fund_id, limit).model_dump_json()
    await to_thread.run_sync(state)
    return stream_response(request, "overdue", lambda: sum(store.positions().values()), state,
                           None if as_of else TODAY_REFRESH_SECONDS)
# (end of live)
