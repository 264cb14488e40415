"""The funds desk's queries: every fund with raised / reversed / disbursed / balance, one fund month by month with
its disbursements (purpose and supporting document), and both again as server-sent events whenever the donation
read models move — so a payment recorded anywhere appears on an open page within a second.

Figures come from the read models the public page and the auditor read: totals and disbursements from the sealed
ledger (the same entries the signed head covers), months from the transparency model. No personal data: donors
are not named anywhere here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.kernel.clock import Clock
from services.kernel.errors import NotFound
from services.kernel.readmodel import ReadStore
from services.kernel.sse import stream_response
from services.projections import ledger, transparency

router = APIRouter(prefix="/console/api", tags=["console"])


class Stores:
    """The two read models a funds page is built on, and the ledger's sealed position."""

    def __init__(self, request: Request) -> None:
        stores: dict[str, ReadStore] = request.app.state.read_stores
        self.ledger, self.transparency = stores["ledger"], stores["transparency"]
        self.partitions = ledger.partitions_of(request.app.state.product.settings)
        self.clock: Clock = request.app.state.product.clock

    def sealed(self) -> int:
        return ledger.sealed_position(self.ledger, self.partitions)

    def position(self) -> str:
        """Where both read models stand in the donation events: it changes exactly when a figure may have."""
        return f"{self.sealed()}.{ledger.sealed_position(self.transparency, self.partitions)}"


async def _stores(request: Request) -> Stores:
    return Stores(request)  # in the event loop: it only looks things up


FundStores = Annotated[Stores, Depends(_stores)]


class Totals(BaseModel):
    raised: str
    reversed: str
    disbursed: str
    balance: str
    in_kind: str


class FundItem(Totals):
    fund_id: UUID
    name: str
    closed: bool


class FundList(BaseModel):
    position: str = Field(description="where the read models stand; the id of the event that carried this")
    funds: list[FundItem]


class Month(BaseModel):
    month: str
    raised: str
    reversed: str
    disbursed: str
    in_kind: str
    balance: str = Field(description="at the month's end")
    donors: int


class Disbursement(BaseModel):
    disbursement_id: UUID
    date: str = Field(description="the day it counts on (Europe/Rome)")
    amount: str
    purpose: str
    document: str = Field(description="the supporting document: invoice or receipt number")
    sequence: int = Field(description="its entry in the signed ledger")


class FundDetail(FundItem):
    position: str
    today: str = Field(description="the product's today in Rome: the latest day a disbursement may be dated")
    months: list[Month]
    disbursements: list[Disbursement]


NONE = {"raised": "0.00", "reversed": "0.00", "disbursed": "0.00", "balance": "0.00", "in_kind": "0.00"}


def fund_list(stores: Stores) -> FundList:
    position = stores.position()
    balances = ledger.balances(stores.ledger, stores.sealed())
    return FundList(position=position, funds=[
        FundItem(fund_id=row["fund_id"], name=row["name"], closed=bool(row["closed"]),
                 **balances.get(row["fund_id"], NONE)) for row in transparency.funds(stores.transparency)])


def fund_detail(stores: Stores, fund_id: UUID) -> FundDetail:
    position, sealed = stores.position(), stores.sealed()
    row = stores.transparency.one("SELECT fund_id, name, closed FROM tp_funds WHERE fund_id = ?", (str(fund_id),))
    if row is None:
        raise NotFound(f"fund {fund_id} not found (a fund just created appears within a second)")
    spent = stores.ledger.query(
        f"SELECT {ledger.COLUMNS} FROM ledger_entries WHERE fund_id = ? AND kind = 'disbursement' AND position <= ?"
        " ORDER BY entry_date, sequence", (str(fund_id), sealed))
    disbursements = []
    for entry in map(ledger.entry_of, spent):
        details = entry.public()["details"]
        disbursements.append(Disbursement(
            disbursement_id=UUID(entry.movement_id), date=entry.entry_date, amount=ledger.euro(entry.amount_cents),
            purpose=details.get("purpose", ""), document=details.get("document", ""), sequence=entry.sequence))
    totals = ledger.balances(stores.ledger, sealed).get(str(fund_id), NONE)
    months = [Month(**m) for m in transparency.fund_months(stores.transparency, str(fund_id))]  # type: ignore[arg-type]
    return FundDetail(fund_id=fund_id, name=row["name"], closed=bool(row["closed"]), position=position,
                      today=stores.clock.now().astimezone(ledger.ROME).date().isoformat(), **totals,
                      months=months, disbursements=disbursements)


def _streamed(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"text/event-stream": {}}, "description": description}}


@router.get("/funds")
def list_funds(stores: FundStores) -> FundList:
    """Every fund with raised, reversed, disbursed and balance (sealed ledger), open ones and closed ones."""
    return fund_list(stores)


@router.get("/funds/events", response_class=StreamingResponse,
            responses=_streamed("`funds` events, each as GET /console/api/funds"))
async def funds_events(request: Request, stores: FundStores) -> StreamingResponse:
    """The fund list as server-sent events: one `funds` event now and one each time a figure may have changed."""
    return _stream(request, stores, "funds", lambda: fund_list(stores).model_dump_json())


@router.get("/funds/{fund_id}")
def get_fund(fund_id: UUID, stores: FundStores) -> FundDetail:
    """One fund: its totals, month by month as on the public page, and its disbursements with their documents."""
    return fund_detail(stores, fund_id)


@router.get("/funds/{fund_id}/events", response_class=StreamingResponse,
            responses=_streamed("`fund` events, each as GET /console/api/funds/{fund_id}"))
async def fund_events(fund_id: UUID, request: Request, stores: FundStores) -> StreamingResponse:
    """One fund as server-sent events: one `fund` event now and one each time its figures may have changed."""
    await to_thread.run_sync(fund_detail, stores, fund_id)  # an unknown fund is a 404, not an empty stream
    return _stream(request, stores, "fund", lambda: fund_detail(stores, fund_id).model_dump_json())


def _stream(request: Request, stores: Stores, name: str, state: Callable[[], str]) -> StreamingResponse:
    # Figures change only with events, so there is no timed refresh: an unchanged position sends nothing.
    return stream_response(request, name, stores.position, state)
