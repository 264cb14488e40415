"""Scheduled work of the campaigns service: one periodic sweep (never one job per campaign or contact), and the
sweep of the people it put in the vault but never saved."""

from __future__ import annotations

import logging
from uuid import UUID

from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import zone
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import Contact
from services.kernel.errors import ConcurrencyConflict
from services.kernel.scheduling import Job
from services.privacy.jobs import unsaved_people_job

log = logging.getLogger(__name__)


def expire_leases(application: CampaignsApplication) -> int:
    """Lapsed leases go back to the queue (a volunteer who dropped off loses no contact)."""
    now, expired = application.clock.now(), 0
    for row in queue.expired_leases(application.queue, now):
        contact = application.get(UUID(row["contact_id"]), Contact)
        person = application.person(contact.person_id)
        if contact.expire(now):
            person.disengage(contact.id, now)
            expired += 1
        try:
            application.save_and_index(contact, *([person] if person.pending_events else []))
        except ConcurrencyConflict:
            continue  # the contact moved on meanwhile (an outcome arrived); the next sweep re-reads it
    return expired


def complete_ended_campaigns(application: CampaignsApplication) -> int:
    """Campaigns past their last day (in their home zone) are completed."""
    completed = 0
    for row in application.queue.query("SELECT campaign_id FROM campaigns WHERE status <> 'completed'"):
        campaign = application.get(UUID(row["campaign_id"]), Campaign)
        today = application.clock.now().astimezone(zone(campaign.window.timezone)).date()
        if today > campaign.window.last_day:
            campaign.complete(application.clock.now(), "end date reached")
            application.save_campaign(campaign)
            completed += 1
    return completed


def sweep(application: CampaignsApplication) -> dict[str, int]:
    """Return lapsed leases to the queue and complete campaigns past their end date."""
    expired = expire_leases(application)
    completed = complete_ended_campaigns(application)
    if expired or completed:
        log.info("campaigns sweep: %d leases expired, %d campaigns completed", expired, completed)
    return {"expired": expired, "completed": completed}


def jobs(application: CampaignsApplication, every_seconds: float = 30) -> tuple[Job, ...]:
    return (Job("campaigns.sweep", lambda: sweep(application), every_seconds),
            unsaved_people_job(application.name, application.vault, application.people_with_records))
