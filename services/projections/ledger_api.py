"""Ledger, transparency and receipt routes: read-only, including the auditor's verification."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import CurrentAccess
from services.identity.domain import Access
from services.kernel.clock import Day
from services.kernel.errors import NotFound
from services.kernel.feed import EventFeed
from services.kernel.readmodel import ReadStore
from services.privacy.application import PrivacyVault
from services.privacy.domain import PersonErased
from services.projections import donor_receipts_api, ledger, receipts_api, transparency
from services.projections.ledger_audit import Report, SignedHead, verify

router = APIRouter(tags=["ledger"])
# receipts: the documents' routes come first, or GET /receipts/{year} would take "2026.zip" for a year
router.include_router(receipts_api.router)
# (end of receipts)
# donor page: a donor's receipts (GET /donors/{donor_id}/receipts)
router.include_router(donor_receipts_api.router)
# (end of donor page)


class Context:
    """What the ledger routes read: the two read stores, the donations feed, the key, the vault."""

    def __init__(self, request: Request) -> None:
        product = request.app.state.product
        self.ledger: ReadStore = request.app.state.read_stores["ledger"]
        self.transparency: ReadStore = request.app.state.read_stores["transparency"]
        self.feed: EventFeed = product.feeds["donations"]
        self.vault: PrivacyVault = request.app.state.vault
        self.partitions = ledger.partitions_of(product.settings)
        self.key: Ed25519PrivateKey = ledger.signing_key(product.settings)

    def sealed(self, store: ReadStore | None = None) -> int:
        return ledger.sealed_position(store or self.ledger, self.partitions)


Ctx = Annotated[Context, Depends(Context)]  # in a worker thread: it may read the signing key's secret file
AsOf = Annotated[Day | None, Query(description="as the ledger stood at the end of this day (Europe/Rome)")]


class TotalsOut(BaseModel):
    model_config = ConfigDict(extra="forbid")  # also read back inside a published head (HeadIn)
    raised: str
    reversed: str
    disbursed: str
    balance: str
    in_kind: str


class HeadOut(BaseModel):
    sequence: int
    position: int
    hash: str
    totals: TotalsOut
    signature: str = Field(description="Ed25519 over the canonical JSON of sequence, position, hash, totals")


class HeadIn(HeadOut):
    model_config = ConfigDict(extra="forbid")
    # Read back into the canonical JSON that is verified: bounded, so a made-up number is a 422, not a 500.
    sequence: int = Field(ge=0, le=2**62)
    position: int = Field(ge=0, le=2**62)


class DifferenceOut(BaseModel):
    sequence: int
    problem: str
    detail: str


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    sealed_position: int
    head: HeadOut
    differences: list[DifferenceOut]


@router.get("/ledger")
def list_entries(
    ctx: Ctx, as_of: AsOf = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="sequence to page after")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Ledger entries in sequence order, without donor identities."""
    rows = ledger.entries(ctx.ledger, ctx.sealed(), after, limit, as_of)
    return {"entries": [e.public() for e in rows], "sealed_position": ctx.sealed()}


@router.get("/ledger/head")
def get_head(ctx: Ctx) -> HeadOut:
    """The signed head of the sealed ledger: publish it, auditors compare replays with it."""
    head = ledger.head(ctx.ledger, ctx.sealed())
    return HeadOut(**head.body(), signature=ledger.sign(head, ctx.key))


@router.get("/ledger/public-key")
def get_public_key(ctx: Ctx) -> dict[str, str]:
    """The Ed25519 public key that verifies signed heads (raw 32 bytes, hex)."""
    raw = ctx.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"algorithm": "Ed25519", "public_key": raw.hex()}


@router.get("/ledger/balances")
def get_balances(ctx: Ctx, as_of: AsOf = None) -> dict[str, Any]:
    """Each fund's raised, reversed, disbursed and balance, now or as of a past day."""
    return {"as_of": as_of.isoformat() if as_of else None,
            "funds": ledger.balances(ctx.ledger, ctx.sealed(), as_of)}


@router.get("/ledger/verify")
def verify_ledger(ctx: Ctx) -> VerificationOut:
    """Auditor: rebuild the ledger from the donation events and compare it with the stored one."""
    return _verification(ctx, None)


@router.post("/ledger/verify")
def verify_against_head(body: HeadIn, ctx: Ctx) -> VerificationOut:
    """Auditor: as GET, and also check a previously published signed head. Changes nothing."""
    published = SignedHead.from_json(body.model_dump())
    return _verification(ctx, published)


def _verification(ctx: Context, published: SignedHead | None) -> VerificationOut:
    report: Report = verify(ctx.feed, ctx.ledger, ctx.key.public_key(), ctx.partitions, published)
    return VerificationOut(
        ok=report.ok, checked=report.checked, sealed_position=report.sealed_position,
        head=HeadOut(**report.head.body(), signature=ledger.sign(report.head, ctx.key)),
        differences=[DifferenceOut(sequence=d.sequence, problem=d.problem, detail=d.detail)
                     for d in report.differences])


@router.get("/transparency/funds")
def list_funds(ctx: Ctx) -> dict[str, Any]:
    """Every fund with its name and state."""
    return {"funds": [{"fund_id": r["fund_id"], "name": r["name"], "closed": bool(r["closed"])}
                      for r in transparency.funds(ctx.transparency)]}


@router.get("/transparency/funds/{fund_id}")
def fund_months(fund_id: UUID, ctx: Ctx, as_of: AsOf = None) -> dict[str, Any]:
    """Per month: raised, reversed, disbursed, in kind, balance and number of donors (no personal data)."""
    return {"fund_id": str(fund_id), "months": transparency.fund_months(ctx.transparency, str(fund_id), as_of)}


@router.get("/transparency/campaigns/{campaign_id}")
def campaign_figures(campaign_id: UUID, ctx: Ctx) -> dict[str, Any]:
    """A campaign's pledged and paid money and its conversion."""
    figures = transparency.campaign(ctx.transparency, str(campaign_id))
    if figures is None:
        raise NotFound(f"campaign {campaign_id} has no pledges yet")
    return figures


@router.get("/receipts/{year}")
def list_receipts(
    year: Annotated[int, Path(ge=2000, le=2100)], ctx: Ctx, access: CurrentAccess,
    with_donor: Annotated[bool, Query(description="add name and tax code from the vault")] = False,
) -> dict[str, Any]:
    """The year's numbered receipts for fulfilled money pledges (data for tax-deduction receipts)."""
    rows = transparency.receipts(ctx.transparency, year, ctx.sealed(ctx.transparency))
    if with_donor:
        for row in rows:
            row["donor"] = _donor(ctx.vault, str(row["donor_id"]), access)
    return {"year": year, "receipts": rows}


def _donor(vault: PrivacyVault, donor_id: str, access: Access) -> dict[str, str]:
    try:
        details = vault.get(UUID(donor_id), access, fields=("name", "tax_code"))
    except PersonErased:
        return {"erased": "true"}
    except KeyError:
        return {}
    return details
