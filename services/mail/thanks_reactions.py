"""The donations service's messages into the mail service's thank-yous: a pledge's donor and fund, a fund's name,
a payment (a thank-you owed), a reversal (a thank-you not yet sent is not sent)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.donations.contract import (
    FUND_CREATED,
    FUND_RENAMED,
    PAYMENT_RECEIVED,
    PAYMENT_REVERSED,
    PLEDGE_MADE,
)
from services.kernel.eventstore import ServiceApplication
from services.kernel.follower import Reaction
from services.kernel.messages import Message
from services.mail import thanks

DONATIONS_REACTION = "mail.donations"  # this service's reaction to the donations service's messages


def donations_reaction(application: ServiceApplication) -> Reaction:
    return Reaction(DONATIONS_REACTION, application, ("donations",),
                    lambda m, t: on_donations_message(application, m, t))


def on_donations_message(app: ServiceApplication, message: Message, tracking: Tracking) -> bool:
    """True when the message changed an aggregate (its tracking record was saved with the events)."""
    data, kind = message.data, message.type
    if kind == PLEDGE_MADE:
        if data.get("kind") != "money":
            return False  # goods are thanked by hand
        return thanks.pledge_made(app, UUID(message.aggregate_id), UUID(data["donor_id"]), UUID(data["fund_id"]),
                                  tracking)
    if kind in (FUND_CREATED, FUND_RENAMED):
        return thanks.fund_named(app, UUID(message.aggregate_id), data["name"], tracking)
    if kind == PAYMENT_RECEIVED:
        return thanks.payment_received(app, UUID(message.aggregate_id), UUID(data["payment_id"]),
                                       Decimal(data["amount"]), datetime.fromisoformat(data["received_at"]),
                                       tracking)
    if kind == PAYMENT_REVERSED:
        return thanks.payment_reversed(app, UUID(data["payment_id"]), tracking)
    return False
