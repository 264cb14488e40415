"""Whether a volunteer's phone may call a number now: asked by the telephony adapter at the moment of dialling, not
only when the lease was given. Allowed only for the phone of a contact leased now to that volunteer, in a running
campaign, inside the contact's calling window and not suppressed; the answer, either way, is a Dial on the record
with the number presented to the donor (the charity's, never the volunteer's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from services.campaigns.calendar import closed_because
from services.campaigns.dialer import queue
from services.campaigns.dialer.decision import campaign_blocks
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.dial import Dial, dial_id
from services.campaigns.domain.suppression import Person, hold_reason
from services.campaigns.phones import InvalidPhone
from services.kernel.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from services.campaigns.application import CampaignsApplication


@dataclass(frozen=True)
class DialAnswer:
    allowed: bool
    code: str  # "" when allowed; not_clocked_in | not_leased | closed | campaign_blocked | suppressed | outside_window
    reason: str
    caller_id: str
    campaign_id: UUID | None
    contact_id: UUID | None


def authorise_dial(app: CampaignsApplication, provider: str, call_id: str, volunteer_id: UUID, number: str, *,
                   contact_id: UUID | None = None) -> DialAnswer:
    """The answer for this dial, recorded; asked again for the same call, the answer first given."""
    if not 1 <= len(call_id) <= 200 or not call_id.isprintable():
        raise InvalidInput("call_id must be 1 to 200 printable characters")
    try:
        existing = app.get(dial_id(provider, call_id), Dial)
    except NotFound:
        pass
    else:
        return _answer(existing)
    now = app.clock.now()
    dial = Dial(provider, call_id, str(volunteer_id), now)
    code, reason, contact = _check(app, volunteer_id, number, contact_id)
    if code:
        dial.refuse(code, reason, now, *( (str(contact.campaign_id), str(contact.id)) if contact else ()))
    else:
        assert contact is not None
        dial.allow(str(contact.campaign_id), str(contact.id), app.telephony.number, now)
    app.save(dial)
    return _answer(dial)


def _check(app: CampaignsApplication, volunteer_id: UUID, number: str,
           contact_id: UUID | None) -> tuple[str, str, Contact | None]:
    now = app.clock.now()
    if not queue.clocked_in(app.queue, str(volunteer_id)):
        return "not_clocked_in", f"volunteer {volunteer_id} is not clocked in", None
    try:
        person_id = app.person_id(number)
    except InvalidPhone:
        return "not_leased", f"{number!r} is not a phone number", None
    held = [UUID(r["contact_id"]) for r in queue.leases_held(app.queue, str(volunteer_id))
            if contact_id is None or r["contact_id"] == str(contact_id)]
    contact = next((c for c in app.read_many(held, Contact, skip_missing=True) if c.person_id == person_id), None)
    if contact is None:
        return "not_leased", "the number is not the phone of a contact leased to this volunteer now", None
    contact = app.get(contact.id, Contact)  # to act on: read afresh, not from the shared cache
    if contact.volunteer_id != str(volunteer_id):
        return "not_leased", "the contact is leased to another volunteer now", contact
    if contact.closed_reason:
        return "closed", f"the contact is closed: {contact.closed_reason}", contact
    campaign = app.get(contact.campaign_id, Campaign)
    register = queue.latest_register_check(app.queue)
    blocks = campaign_blocks(campaign, str(campaign.status), date.fromisoformat(register) if register else None, now)
    if blocks:
        return "campaign_blocked", blocks[0].text, contact
    person = app.get(contact.person_id, Person) if app.exists(contact.person_id) else None
    hold = person.hold(str(campaign.id), str(contact.id), now, campaign.policy) if person is not None else None
    if hold is not None and hold.until is not None:
        return "suppressed", hold_reason(hold.reason).text, contact
    closed = closed_because(campaign.rules(contact.reach), now)
    if closed is not None:
        return "outside_window", closed.text, contact
    if not contact.held(now):
        return "not_leased", "the lease on this contact has ended; ask the dialer for the next contact", contact
    return "", "", contact


def _answer(dial: Dial) -> DialAnswer:
    return DialAnswer(bool(dial.allowed), dial.code, dial.reason, dial.caller_id,
                      UUID(dial.campaign_id) if dial.campaign_id else None,
                      UUID(dial.contact_id) if dial.contact_id else None)
