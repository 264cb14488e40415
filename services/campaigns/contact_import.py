"""Contact import: donor lists into a campaign's contacts, and the opposition register's checks into persons'
holds, IMPORT_BATCH lines per transaction (each line read by `importing`, on the kernel's CSV reader).

A file-level problem raises before anything is stored; bad lines are reported by number and skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, BinaryIO
from uuid import UUID, uuid4

from services.campaigns import importing
from services.campaigns.calendar import zone
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign, CampaignNotRunnable
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.suppression import Person, RegisterCheck
from services.identity.domain import SYSTEM
from services.kernel.errors import DomainError, InvalidInput
from services.kernel.idempotency import PendingRequest

if TYPE_CHECKING:
    from services.campaigns.application import CampaignsApplication

Progress = Callable[[int, int], None]  # (rows done, rows total)
EMAIL_MARKETING = "email_outreach"  # the purpose the mail service reads as consent to marketing e-mail
IMPORT_BATCH = 2000  # rows per transaction: memory stays bounded, round trips per row stay few


class RegisterCheckOutdated(DomainError):
    pass


@dataclass(frozen=True)
class ImportReport:
    import_id: UUID
    rows: int
    imported: int
    merged: int
    invalid: int
    problems: tuple[importing.Problem, ...]
    sha256: str
    contacts: tuple[tuple[int, UUID], ...]  # (line of the file, contact id) of every contact the import stored


@dataclass(frozen=True)
class RegisterReport:
    checked_on: date
    listed: int
    cleared: int
    invalid: int
    problems: tuple[importing.Problem, ...]


def import_contacts(app: CampaignsApplication, campaign_id: UUID, binary: BinaryIO, progress: Progress | None = None,
                    region: str = "IT", *, once: PendingRequest | None = None) -> ImportReport:
    """Each line's person a contact of the campaign; a person already there has their details merged."""
    campaign = app.get(campaign_id, Campaign)
    if campaign.status == "completed":
        raise CampaignNotRunnable(f"campaign {campaign.name!r} is completed; it takes no more contacts")
    plan = importing.inspect(binary)  # a file-level problem raises here: nothing stored
    import_id, now = uuid4(), app.clock.now()
    totals = {"rows": 0, "imported": 0, "merged": 0, "invalid": 0}
    problems: list[importing.Problem] = []
    contacts: list[tuple[int, UUID]] = []
    with app.queue.transaction() as tx:
        queue.start_import(tx, str(import_id), str(campaign_id), now.isoformat())
    for batch in importing.batches(binary, plan, size=IMPORT_BATCH, region=region):
        imported, merged, refused = _import_batch(app, campaign_id, import_id, batch.items, now, contacts, once=once)
        problems.extend(batch.problems + refused)
        totals["rows"] += batch.lines_read
        totals["imported"] += imported
        totals["merged"] += merged
        totals["invalid"] += len(batch.problems) + len(refused)
        with app.queue.transaction() as tx:
            queue.import_progress(tx, str(import_id), totals)
        if progress is not None:
            progress(totals["rows"], plan.rows)
    campaign = app.get(campaign_id, Campaign)
    campaign.record_import(import_id, totals["rows"], totals["imported"], totals["merged"], totals["invalid"],
                           plan.sha256, now)
    app.save_campaign(campaign, once=once)  # the import's row is marked done from its ContactsImported event
    return ImportReport(import_id, totals["rows"], totals["imported"], totals["merged"], totals["invalid"],
                        tuple(problems[: importing.MAX_PROBLEMS_SHOWN]), plan.sha256, tuple(sorted(contacts)))


def _email_consent(app: CampaignsApplication, person_id: UUID, row: importing.Row, import_id: UUID,
                   now: datetime) -> None:
    """The row's consent to marketing e-mail into the vault (channel e-mail), unless one is held already."""
    if any(c.channel == "email" and c.purpose == EMAIL_MARKETING and c.valid_at(now)
           for c in app.vault.consents(person_id)):
        return
    app.vault.record_consent(person_id, EMAIL_MARKETING, f"contact import {import_id}, line {row.line}", now,
                             by=SYSTEM, channel="email", text_version=row.email_consent or "")


def _import_batch(app: CampaignsApplication, campaign_id: UUID, import_id: UUID, rows: Sequence[importing.Row],
                  now: datetime, stored: list[tuple[int, UUID]],
                  *, once: PendingRequest | None) -> tuple[int, int, list[importing.Problem]]:
    """Store one batch; `stored` gets (line, contact id) of each contact it stored or merged into."""
    by_person: dict[UUID, importing.Row] = {}
    merged = 0
    for row in rows:
        person_id = app.person_ids.of(row.phone)
        if person_id in by_person:
            first = by_person[person_id]
            by_person[person_id] = importing.Row(first.line, first.phone, first.timezones,
                                                 {**row.fields, **first.fields},
                                                 first.municipality or row.municipality,
                                                 first.preferred_times or row.preferred_times,
                                                 first.email_consent or row.email_consent)
            merged += 1
        else:
            by_person[person_id] = row
    # People new to the vault are noted unsaved until their contacts are: a stop in between leaves their data
    # to the `campaigns.unsaved_people` sweep, not in the vault for good.
    erased = app.vault.put_many({pid: row.fields for pid, row in by_person.items()}, merge=True,
                                unsaved_by=app.name)
    refused = [importing.Problem(by_person[p].line, "this person's data was erased; they cannot be imported")
               for p in erased]
    ids = {Contact.create_id(campaign_id, pid): pid for pid in by_person if pid not in erased}
    stored.extend((by_person[pid].line, cid) for cid, pid in ids.items())
    with app.queue.transaction() as tx:
        known = queue.existing(tx, [str(i) for i in ids])
    fresh = [Contact(campaign_id, pid, by_person[pid].timezones, by_person[pid].municipality,
                     by_person[pid].preferred_times, import_id, now)
             for cid, pid in ids.items() if str(cid) not in known]
    updated = [c for c in (_merge(app, UUID(cid), by_person[ids[UUID(cid)]], import_id) for cid in known) if c]
    recordings = app.save(*fresh, *updated, once=once)
    app.vault.saved(by_person)
    for pid, row in by_person.items():
        if row.email_consent and pid not in erased:
            _email_consent(app, pid, row, import_id, now)
    app.index([r.domain_event for r in recordings], [*fresh, *updated])
    for campaign in {str(c.campaign_id) for c in [*fresh, *updated]}:
        app.cache.forget_reaches(campaign)  # after the commit, so a new reach is offered at once
    return len(fresh), merged + len(known), refused


def _merge(app: CampaignsApplication, contact_id: UUID, row: importing.Row, import_id: UUID) -> Contact | None:
    contact = app.get(contact_id, Contact)
    municipality = row.municipality if row.municipality != contact.municipality else ""
    preferred = row.preferred_times if row.preferred_times != contact.preferred_times else []
    if not municipality and not preferred:
        return None
    contact.merge_details(municipality, preferred, import_id)
    return contact


def import_register(app: CampaignsApplication, binary: BinaryIO, checked_on: date,
                    progress: Progress | None = None, *, once: PendingRequest | None = None) -> RegisterReport:
    """A full snapshot of the opposition register: listed numbers are held, numbers no longer listed freed."""
    today = app.clock.now().astimezone(zone("Europe/Rome")).date()
    if checked_on > today:
        raise InvalidInput(f"checked_on {checked_on} is in the future; give the date the register was checked")
    latest = app.register_checked_on()
    if latest is not None and checked_on < latest:
        raise RegisterCheckOutdated(f"a newer register check ({latest}) was already imported")
    plan = importing.inspect(binary, require_rows=False)  # a check that matched nobody is still a check
    listed, invalid, done = 0, 0, 0
    problems: list[importing.Problem] = []
    for batch in importing.batches(binary, plan):
        persons = [app.person(app.person_ids.of(row.phone)) for row in batch.items]
        for person in persons:
            person.list_on_register(checked_on)
        app.save_and_index(*[p for p in persons if p.pending_events], once=once)
        listed += len(batch.items)
        invalid += len(batch.problems)
        problems.extend(batch.problems)
        done += batch.lines_read
        if progress is not None:
            progress(done, plan.rows)
    cleared = _clear_unlisted(app, checked_on, once=once)
    at = app.clock.now()
    check = RegisterCheck(checked_on.isoformat(), listed, cleared, invalid, plan.sha256, at)
    app.save_and_index(check, once=once)
    return RegisterReport(checked_on, listed, cleared, invalid, tuple(problems[: importing.MAX_PROBLEMS_SHOWN]))


def _clear_unlisted(app: CampaignsApplication, checked_on: date, *, once: PendingRequest | None) -> int:
    cleared = 0
    while True:
        rows = app.queue.query("SELECT person_id FROM persons WHERE register_listed_on <> ''"
                               " AND register_listed_on < ? LIMIT 500", (checked_on.isoformat(),))
        if not rows:
            return cleared
        persons = [app.get(UUID(r["person_id"]), Person) for r in rows]
        for person in persons:
            person.clear_from_register(checked_on)
        app.save_and_index(*persons, once=once)
        cleared += len(persons)
