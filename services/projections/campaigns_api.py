"""Query routes over the campaign progress read model: a campaign's progress as JSON, and the same pushed as
server-sent events whenever the read model moves (a pledge or a payment reaches an open dashboard within a second)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from services.kernel.errors import NotFound
from services.kernel.readmodel import ReadStore
from services.kernel.sse import stream_response
from services.projections import campaign_progress

router = APIRouter(prefix="/stats", tags=["projections"])


async def _store(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.read_stores["campaign_progress"]
    return store


Store = Annotated[ReadStore, Depends(_store)]


class Conversion(BaseModel):
    key: str
    attempts: int
    reached: int
    pledges: int
    conversion: float  # pledges per reached person


class ProgressOut(BaseModel):
    campaign_id: UUID
    name: str
    contacts_by_state: dict[str, int]
    attempts: int
    reached: int
    pledges: int
    goal: str
    pledged: str
    paid: str
    pledged_share_of_goal: float
    paid_share_of_goal: float
    per_volunteer: list[Conversion]
    per_hour: list[Conversion]


def _euro(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else f"-{_euro(-cents)}"


def _conversion(key: str, row: dict[str, int]) -> Conversion:
    reached = int(row["reached"])
    return Conversion(key=key, attempts=int(row["attempts"]), reached=reached, pledges=int(row["pledges"]),
                      conversion=round(int(row["pledges"]) / reached, 4) if reached else 0.0)


@router.get("/campaigns/{campaign_id}/progress")
def get_progress(campaign_id: UUID, store: Store) -> ProgressOut:
    """A campaign's contacts by state, attempts, pledges and money against its goal, conversion by volunteer/hour."""
    return progress(store, campaign_id)


@router.get("/campaigns/{campaign_id}/progress/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`progress` events, each as GET /stats/campaigns/{campaign_id}/progress"}})
async def progress_events(campaign_id: UUID, request: Request, store: Store) -> StreamingResponse:
    """A campaign's progress as server-sent events: one `progress` event now and one each time the read model
    moves. Figures change only with events, so an unchanged position sends nothing (a heartbeat only)."""
    await to_thread.run_sync(progress, store, campaign_id)  # an unknown campaign is a 404, not an empty stream
    return stream_response(request, "progress", lambda: position(store),
                           lambda: progress(store, campaign_id).model_dump_json())


def position(store: ReadStore) -> int:
    """How far the read model has followed its sources (campaigns, donations): positions only grow, so their sum
    moves exactly when a figure may have changed."""
    return sum(store.positions().values())


def progress(store: ReadStore, campaign_id: UUID) -> ProgressOut:
    total = campaign_progress.totals(store, str(campaign_id))
    if total is None or not total["name"]:  # no row, or only counts that arrived before Campaign.Created
        raise NotFound(f"campaign {campaign_id} not found in progress (it may not be projected yet)")
    goal, cid = int(total["goal_cents"]), str(campaign_id)
    return ProgressOut(
        campaign_id=campaign_id, name=total["name"], contacts_by_state=campaign_progress.states(store, cid),
        attempts=int(total["attempts"]), reached=int(total["reached"]), pledges=int(total["pledges"]),
        goal=_euro(goal), pledged=_euro(int(total["pledged_cents"])), paid=_euro(int(total["paid_cents"])),
        pledged_share_of_goal=round(int(total["pledged_cents"]) / goal, 4),
        paid_share_of_goal=round(int(total["paid_cents"]) / goal, 4),
        per_volunteer=[_conversion(r["volunteer_id"], r) for r in campaign_progress.volunteers(store, cid)],
        per_hour=[_conversion(f"{int(r['hour']):02d}", r) for r in campaign_progress.hours(store, cid)],
    )
