"""Query routes for volunteer hours, outcome figures, call statistics and the directory search; they only read."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.kernel.readmodel import ReadStore, Row
from services.projections import call_stats, desk_api, directory, directory_api, volunteer_hours

router = APIRouter()
Period = Literal["week", "month"]


async def _stores(request: Request) -> dict[str, ReadStore]:
    stores: dict[str, ReadStore] = request.app.state.read_stores
    return stores


Stores = Annotated[dict[str, ReadStore], Depends(_stores)]


class PeriodHours(BaseModel):
    period: str
    shift_hours: float
    talk_hours: float
    calls: int
    training_hours: float


class HoursReport(BaseModel):
    period: Period
    periods: list[PeriodHours]


class Outcomes(BaseModel):
    volunteers_active: int
    hours_given: float
    training_hours: float
    talk_hours: float
    calls_handled: int
    euros_raised: Decimal
    euros_per_volunteer_hour: Decimal | None


class CallStatistics(BaseModel):
    calls_by_hour: list[int]
    calls_by_weekday: list[int]
    calls_ended: int
    answer_rate: float | None
    average_handle_seconds: float | None
    dispositions: dict[str, int]
    network_timed: int = Field(default=0, description="ended calls whose times came from the network (through the "
                               "product's telephony); the others' were reported by the volunteer")


class ListedNumber(BaseModel):
    category: str
    number: str


class MunicipalityNumbers(BaseModel):
    istat_code: str
    name: str
    numbers: list[ListedNumber]


@router.get("/stats/volunteers/{volunteer_id}/hours", tags=["projections"])
def volunteer_hours_report(volunteer_id: UUID, stores: Stores, period: Period = "month") -> HoursReport:
    """One volunteer's shift, talk and training hours and calls, per ISO week or month."""
    rows = volunteer_hours.by_volunteer(stores["volunteer_hours"], str(volunteer_id), period)
    return HoursReport(period=period, periods=[_period(r) for r in rows])


@router.get("/stats/hours", tags=["projections"])
def centre_hours(stores: Stores, period: Period = "month") -> HoursReport:
    """The whole centre's hours and calls, per ISO week or month."""
    rows = volunteer_hours.centre(stores["volunteer_hours"], period)
    return HoursReport(period=period, periods=[_period(r) for r in rows])


@router.get("/stats/outcomes", tags=["projections"])
def outcomes(stores: Stores) -> Outcomes:
    """The published figures: volunteers active, hours given, calls handled, euros raised per volunteer hour."""
    return Outcomes(**volunteer_hours.outcomes(stores["volunteer_hours"]))


@router.get("/stats/calls", tags=["projections"])
def call_statistics(stores: Stores, direction: Literal["inbound", "outbound"] | None = None) -> CallStatistics:
    """Calls per hour of day and weekday (Europe/Rome, Monday first), answer rate, handle time, dispositions."""
    return CallStatistics(**call_stats.statistics(stores["call_stats"], direction))


@router.get("/directory", tags=["directory"])
def search_directory(
    stores: Stores,
    municipality: Annotated[str, Query(min_length=2, max_length=120, description="part of the name")],
    category: Annotated[str | None, Query(max_length=60)] = None,
) -> list[MunicipalityNumbers]:
    """Useful numbers of the municipalities whose name matches, ignoring case and accents."""
    found = directory.search(stores["directory"], municipality, category)
    return [MunicipalityNumbers(istat_code=m["istat_code"], name=m["name"],
                                numbers=[ListedNumber(**n) for n in m["numbers"]]) for m in found]


def _period(row: Row) -> PeriodHours:
    return PeriodHours(period=row["period"], shift_hours=int(row["shift_seconds"]) / 3600,
                       talk_hours=int(row["talk_seconds"]) / 3600, calls=int(row["calls"]),
                       training_hours=int(row["training_seconds"]) / 3600)


# sign-up and the volunteers' desk: the desk's queries are served beside these
router.include_router(desk_api.router)

# directory: the coordinator's listing is served beside the search
router.include_router(directory_api.router)

# funds: the funds desk's queries and streams are served beside these
from services.projections import funds_api  # noqa: E402 (kept inside this section)

router.include_router(funds_api.router)
# (end of funds)
