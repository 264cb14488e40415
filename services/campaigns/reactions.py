"""The calls service's messages into campaigns' use cases: the message edge, as the api is the HTTP one.

A call's start and end reach the contact they were for (a retry planned, an attempt counted); presence and shifts
only feed the due queue's tables (who may ask for a contact; the forecast's scheduled hours)."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.calls.contract import CALL_ENDED, CALL_STARTED, PRESENCE_MESSAGES, SHIFT_MESSAGES
from services.campaigns.application import CampaignsApplication
from services.campaigns.dialer import queue
from services.campaigns.domain.contact import DISPOSITIONS
from services.kernel.follower import Reaction
from services.kernel.messages import Message

CALLS_REACTION = "campaigns.calls"  # this service's reaction to the calls service's messages
log = logging.getLogger(__name__)


def calls_reaction(application: CampaignsApplication) -> Reaction:
    return Reaction(CALLS_REACTION, application, ("calls",), lambda m, t: on_calls_message(application, m, t))


def on_calls_message(application: CampaignsApplication, message: Message, tracking: Tracking) -> bool:
    """True when the message changed an aggregate (its tracking record was saved with the events)."""
    if message.type in PRESENCE_MESSAGES or message.type in SHIFT_MESSAGES:
        with application.queue.transaction() as tx:  # idempotent; presence never moves backwards in time
            if message.type in PRESENCE_MESSAGES:
                queue.note_presence(tx, message)
            else:
                queue.note_shift(tx, message.aggregate_id, message.type, message.data)
        return False
    data = message.data
    contact_id = data.get("contact_id") if message.type in (CALL_STARTED, CALL_ENDED) else None
    if not contact_id or not application.exists(UUID(contact_id)):
        return False  # an inbound call, or a contact of no campaign here
    if message.type == CALL_STARTED:
        return application.call_started(UUID(contact_id), data["volunteer_id"],
                                        datetime.fromisoformat(data["started_at"]), tracking)
    if data["disposition"] not in DISPOSITIONS:
        log.warning("Call.Ended at %s has unknown disposition %r; ignored", message.position, data["disposition"])
        return False
    callback = datetime.fromisoformat(data["callback_at"]) if data.get("callback_at") else None
    return application.call_ended(UUID(contact_id), data["volunteer_id"], data["disposition"],
                                  datetime.fromisoformat(data["ended_at"]), int(data.get("talk_seconds") or 0),
                                  callback, tracking, UUID(message.aggregate_id))
