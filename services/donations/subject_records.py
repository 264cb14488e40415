"""What donations hold about a donor, for the privacy desk's subject-access export: the donor's kind, pledges with
payments, reversals and goods, and regular gifts. Ids, amounts and dates only: the donor's details are the vault's
(the export shows them from there), and nothing here reads the vault."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from services.donations import donor_index
from services.donations.domain.donor import Donor
from services.kernel.errors import NotFound

if TYPE_CHECKING:
    from services.donations.application import CommitmentView, DonationsApplication

ROME = ZoneInfo("Europe/Rome")


def of_person(app: DonationsApplication, person_id: UUID) -> dict[str, Any]:
    """The donor's gifts as plain JSON values; {} when the id is no donor's (a volunteer's, say)."""
    try:
        donor = app.get(person_id, Donor)
    except NotFound:
        return {}
    today = app.clock.now().astimezone(ROME).date()
    return {"donor": {"id": str(donor.id), "kind": donor.kind.value},
            "pledges": [_pledge(p) for p in donor_index.donor_pledges(app, person_id, today)],
            "commitments": [_commitment(c) for c in app.donor_commitments(person_id)]}


def _pledge(p: donor_index.DonorPledge) -> dict[str, Any]:
    return {"id": str(p.id), "fund": p.fund_name, "kind": p.kind, "amount": str(p.amount), "paid": str(p.paid),
            "status": p.status, "made_at": p.made_at.isoformat(), "campaign_id": p.campaign_id,
            "description": p.description, "quantity": p.quantity, "received_quantity": p.received_quantity,
            "instalments": [{"due_on": d.isoformat(), "amount": str(a)} for d, a in p.instalments],
            "payments": [{"id": str(x.id), "amount": str(x.amount), "method": x.method, "reference": x.reference,
                          "received_at": x.received_at.isoformat(), "reversed": str(x.reversed)} for x in p.payments]}


def _commitment(c: CommitmentView) -> dict[str, Any]:
    def day(d: date | None) -> str | None:
        return d.isoformat() if d else None
    return {"id": str(c.id), "fund_id": str(c.fund_id), "amount": str(c.amount), "frequency": c.frequency,
            "day": c.day, "start": day(c.start), "end": day(c.end), "method": c.method,
            "mandate_reference": c.mandate, "mandate_signed_on": day(c.mandate_signed_on), "status": c.status,
            "ended_on": day(c.ended_on), "end_reason": c.end_reason,
            "gifts": [{"due_on": day(r.period.due_on), "state": r.state, "paid": str(r.gift.amount) if r.gift else None}
                      for r in c.schedule if r.state != "upcoming"]}
