"""Regular giving's read route: expected income per month and fund, from the regular read model, and the same as
server-sent events whenever the read model moves (a gift received appears on an open page within a second)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.kernel.errors import InvalidInput
from services.kernel.readmodel import ReadStore
from services.kernel.sse import stream_response
from services.projections import regular

router = APIRouter(tags=["regular giving"])
_MONTH = re.compile(r"(\d{4})-(\d{2})")


async def _store(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.read_stores["regular"]
    return store


Store = Annotated[ReadStore, Depends(_store)]


class MonthFundOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    fund_id: str
    expected: str = Field(description="euro the commitments expect in the month (as they stand now)")
    gifts_expected: int
    received: str = Field(description="euro received in the month as gifts of commitments")


class ExpectedIncomeOut(BaseModel):
    first_month: str
    months: int
    rows: list[MonthFundOut]


class MonthNotValid(InvalidInput):
    pass


def first_day(month: str) -> date:
    found = _MONTH.fullmatch(month)
    if not found or not 1 <= int(found[2]) <= 12 or not 1900 <= int(found[1]) <= 2199:
        raise MonthNotValid(f"from must be a month such as 2027-01 (YYYY-MM, 1900 to 2199), got {month!r}")
    return date(int(found[1]), int(found[2]), 1)


@router.get("/commitments/expected-income")
def expected_income(
    store: Store,
    first: Annotated[str, Query(alias="from", max_length=7, description="first month, YYYY-MM")],
    months: Annotated[int, Query(ge=1, le=60, description="how many months")] = 12,
) -> ExpectedIncomeOut:
    """Expected regular-gift income per month and fund (a projection), beside what was received."""
    rows = regular.expected_income(store, first_day(first), months)
    return ExpectedIncomeOut(first_month=first, months=months, rows=[MonthFundOut.model_validate(r) for r in rows])


# live
@router.get("/commitments/expected-income/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`income` events, each as GET /commitments/expected-income"}})
async def expected_income_events(
    request: Request, store: Store,
    first: Annotated[str, Query(alias="from", max_length=7, description="first month, YYYY-MM")],
    months: Annotated[int, Query(ge=1, le=60, description="how many months")] = 12,
) -> StreamingResponse:
    """Expected income as server-sent events: one `income` event now and one each time the read model moves (a
    month that is not YYYY-MM is refused before the stream starts)."""
    await to_thread.run_sync(expected_income, store, first, months)
    return stream_response(request, "income", lambda: sum(store.positions().values()),
                           lambda: expected_income(store, first, months).model_dump_json())
# (end of live)
