"""A donor's campaign contacts and call outcomes, for the donor's page: the query campaigns answers by donor id.

Campaigns know a person only by a keyed digest of their number (phones.PersonIds), never by donor. So the donor's
number is read from the vault (one access, recorded with the reader and this purpose), turned into the person id,
and each campaign's contact of that person read back with its history: when it was added, each call's outcome,
by which volunteer, and how it stands. A call's notes live in the vault under the call's id (the calls service
wrote them there): the call each attempt came from is listed in this service's index since the attempt was recorded
(attempts recorded before that have none), and notes are read only where the vault holds something under that id,
each read recorded. An erased donor, or one without a number, has no contacts to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import Contact
from services.campaigns.phones import InvalidPhone, normalise
from services.identity.domain import Access
from services.kernel import keyindex
from services.kernel.errors import NotFound
from services.privacy.domain import PersonErased

if TYPE_CHECKING:
    from services.campaigns.application import CampaignsApplication

PURPOSE = "donor's campaign contacts"


def attempt_calls_key(contact_id: UUID, attempt: int) -> str:
    """The index key of the call that made a contact's `attempt` (1 for the first), saved with the attempt."""
    return f"contact-attempt-call:{contact_id}:{attempt}"


@dataclass(frozen=True)
class Attempt:
    at: datetime
    volunteer_id: str
    disposition: str
    talk_seconds: int
    notes: str | None


@dataclass(frozen=True)
class DonorContact:
    contact_id: UUID
    campaign_id: UUID
    campaign_name: str
    added_at: datetime
    state: str  # "open" (still to be called, or again) or why it closed: pledged, not_interested, max_attempts…
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True)
class DonorContacts:
    erased: bool
    contacts: tuple[DonorContact, ...]
    person_id: UUID | None = None  # the campaigns' id of the donor's number (their mail as a contact is under it)


def of_donor(app: CampaignsApplication, donor_id: UUID, access: Access) -> DonorContacts:
    """Every campaign contact of the donor's number, newest first; NotFound when nobody is held under the id."""
    if not app.vault.knows(donor_id):
        raise NotFound(f"no donor is held under the id {donor_id}: check the id on the donor's page")
    try:
        phone = app.vault.get(donor_id, Access(access.actor, f"{access.purpose} ({PURPOSE})"),
                              fields=("phone",)).get("phone")
    except PersonErased:
        return DonorContacts(erased=True, contacts=())
    except KeyError:  # consents only: no details were ever stored
        phone = None
    try:
        person = app.person_ids.of(normalise(phone)) if phone else None
    except InvalidPhone:  # a number stored before numbers were checked: no campaign could have called it
        person = None
    if person is None:
        return DonorContacts(erased=False, contacts=())
    ids = [Contact.create_id(UUID(c), person) for c in queue.campaign_ids(app.queue, None)]
    held = app.existing(ids)
    reader = Access(access.actor, f"{access.purpose} ({PURPOSE}: call notes)")
    found = [_contact(app, app.get(i, Contact), reader) for i in ids if i in held]
    return DonorContacts(erased=False, contacts=tuple(sorted(found, key=lambda c: c.added_at, reverse=True)),
                         person_id=person if found else None)


def _contact(app: CampaignsApplication, contact: Contact, reader: Access) -> DonorContact:
    added_at, attempts = contact.due_at, list[Attempt]()
    for event in app.repository.event_store.get(contact.id):
        kind = type(event).__name__
        if kind == "Imported":
            added_at = event.imported_at  # type: ignore[attr-defined]
        elif kind == "AttemptRecorded":
            notes = _notes(app, contact.id, len(attempts) + 1, reader)
            attempts.append(Attempt(event.at, event.volunteer_id, event.disposition,  # type: ignore[attr-defined]
                                    int(event.talk_seconds), notes))  # type: ignore[attr-defined]
    campaign = app.get(contact.campaign_id, Campaign)
    return DonorContact(contact.id, contact.campaign_id, campaign.name, added_at, contact.closed_reason or "open",
                        tuple(attempts))


def _notes(app: CampaignsApplication, contact_id: UUID, attempt: int, reader: Access) -> str | None:
    for call_id in keyindex.values(app, attempt_calls_key(contact_id, attempt)):
        if not app.vault.knows(call_id):  # nothing written for this call: no read to record
            continue
        try:
            return app.vault.get(call_id, reader, fields=("notes",)).get("notes")
        except (PersonErased, KeyError):
            return None
    return None
