"""Query routes over the read models; they only read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.kernel.readmodel import ReadStore
from services.projections import roster

router = APIRouter(prefix="/stats", tags=["projections"])


async def _stores(request: Request) -> dict[str, ReadStore]:
    stores: dict[str, ReadStore] = request.app.state.read_stores
    return stores


Stores = Annotated[dict[str, ReadStore], Depends(_stores)]


class RosterEntry(BaseModel):
    volunteer_id: str
    roles: list[str]
    registered_at: str


class Roster(BaseModel):
    total: int
    volunteers: list[RosterEntry]


@router.get("/roster")
def get_roster(
    stores: Stores,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str, Query(max_length=36, description="volunteer id to page after")] = "",
) -> Roster:
    """Registered volunteers and their roles, paged by id."""
    store = stores["roster"]
    rows = roster.volunteers(store, limit, after)
    return Roster(
        total=roster.count(store),
        volunteers=[RosterEntry(volunteer_id=r["volunteer_id"], roles=r["roles"].split(","),
                                registered_at=r["registered_at"]) for r in rows],
    )
