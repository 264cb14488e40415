"""People's e-mail use cases: consent for marketing mail given and withdrawn at the desk, an unsubscribe from a
message's link or address, a bounce arriving at the endpoint, and where a person stands with their mail history.
get → act → save, one save per command."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from services.identity.domain import Actor
from services.kernel import keyindex
from services.kernel.errors import NotFound
from services.kernel.idempotency import PendingRequest
from services.mail import tokens
from services.mail.bounces import Bounce
from services.mail.consent import MARKETING, marketing_consents
from services.mail.domain.choices import Choice, MailChoices, NoConsentToWithdraw
from services.mail.domain.delivery import Delivery, delivery_id
from services.mail.mailings import person_key

if TYPE_CHECKING:
    from services.mail.application import MailApplication

log = logging.getLogger(__name__)
HISTORY = 100
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class UnknownRecipient(NotFound):
    pass


@dataclass(frozen=True)
class Sent:
    delivery_id: UUID
    list_id: str
    mailing: str
    kind: str
    status: str
    reason: str
    accepted_at: datetime | None
    unsubscribed: bool


@dataclass(frozen=True)
class MailState:
    person_id: UUID
    consent_at: datetime | None
    unsubscribed_at: datetime | None
    choices: list[Choice]
    on_hold: bool
    hold_reason: str
    bounces: int
    history: list[Sent]


def consent(app: MailApplication, person_id: UUID, source: str, text: str, *, by: Actor,
            once: PendingRequest | None) -> MailState:
    """Marketing e-mail agreed to: where, the words shown, when (now), by whom it was recorded; in the vault (channel
    e-mail) and as an event. Checked before anything is stored."""
    now, choices = app.clock.now(), _choices(app, person_id)
    choices.consent(now, source, text, by.label)
    app.vault.record_consent(person_id, MARKETING, source.strip(), now, by=by, channel="email",
                             text_version=text.strip())
    app.save(choices, once=once)
    return person(app, person_id)


def withdraw(app: MailApplication, person_id: UUID, source: str, *, by: Actor,
             once: PendingRequest | None) -> MailState:
    """No more marketing e-mail: every valid e-mail marketing consent in the vault withdrawn now."""
    now = app.clock.now()
    held = marketing_consents(app.vault, person_id, now)
    if not held:
        raise NoConsentToWithdraw(f"person {person_id} has no consent to marketing e-mail to withdraw")
    choices = _choices(app, person_id)
    choices.withdraw(now, source, by.label)
    for given in held:
        app.vault.withdraw_consent(person_id, given.consent_id, now, source.strip() or "desk", by=by)
    app.save(choices, once=once)
    return person(app, person_id)


def unsubscribe(app: MailApplication, token: str, via: Literal["one-click", "page", "mailto"]) -> bool:
    """The token's person stops receiving marketing mail (every mailing); False when they had already.
    InvalidToken for a token that is not ours."""
    claims = app.verify(token, "unsubscribe")
    delivery = _delivery(app, claims)
    choices = _choices(app, claims.recipient)
    changed = choices.unsubscribe(delivery.list_id if delivery else "", app.clock.now(), via)
    if delivery is not None:
        delivery.follow_unsubscribe(app.clock.now())
    touched = [a for a in (choices, delivery) if a is not None and a.pending_events]
    if touched:
        app.save(*touched)
    return changed


def recipient_of(app: MailApplication, token: str) -> UUID:
    """Whose unsubscribe link this is (InvalidToken otherwise): what the confirmation page needs, nothing more."""
    return app.verify(token, "unsubscribe").recipient


def bounce(app: MailApplication, found: Bounce) -> bool:
    """A bounce on the message and the address its VERP token names (False: not ours, dropped and logged)."""
    try:
        claims = app.verify(found.token, "bounce")
    except tokens.InvalidToken as error:
        log.warning("bounce dropped, its token is not valid: %s", error)
        return False
    now = app.clock.now()
    delivery = _delivery(app, claims)
    key = str(delivery.id) if delivery else claims.reference
    address = app.mail_address(str(claims.recipient))
    address.record_bounce(key, found.kind, found.status, now, app.policy)
    if delivery is not None:
        delivery.bounce(found.kind, found.status, now)
    touched = [a for a in (address, delivery) if a is not None and a.pending_events]
    if touched:
        app.save(*touched)
    return True


def person(app: MailApplication, person_id: UUID) -> MailState:
    found = app.read_many([MailChoices.create_id(person_id)], MailChoices, skip_missing=True)
    choices = found[0] if found else None
    held = app.address(str(person_id))
    ids = keyindex.values(app, person_key(person_id))[-HISTORY:]
    history = [Sent(d.id, d.list_id, d.mailing, d.kind, d.status, d.reason, d.accepted_at, d.unsubscribed)
               for d in app.read_many(ids, Delivery)]
    history.sort(key=lambda s: s.accepted_at or _NEVER, reverse=True)
    held_consents = marketing_consents(app.vault, person_id, app.clock.now())
    consent_at = max((c.given_at for c in held_consents), default=None)
    return MailState(person_id, consent_at, choices.unsubscribed_at if choices else None,
                     list(choices.choices) if choices else [], held.on_hold, held.reason, held.bounces, history)


def subject_records(app: MailApplication, person_id: UUID) -> dict[str, Any]:
    """What the mail service holds about a person, for the subject-access export (no address: that is the vault's);
    nothing ({}) for a person it holds nothing about."""
    state = person(app, person_id)
    if not (state.choices or state.history or state.bounces or state.on_hold):
        return {}
    return {"choices": [{"kind": c.kind, "at": c.at.isoformat(), "source": c.source, "text": c.text}
                        for c in state.choices],
            "on_hold": state.on_hold, "hold_reason": state.hold_reason,
            "messages": [{"list": s.list_id, "status": s.status, "accepted_at": s.accepted_at.isoformat()
                          if s.accepted_at else None} for s in state.history]}


def _choices(app: MailApplication, person_id: UUID) -> MailChoices:
    try:
        return app.get(MailChoices.create_id(person_id), MailChoices)
    except NotFound:
        if not app.vault.knows(person_id):
            raise UnknownRecipient(f"nobody is held under {person_id} in the vault") from None
        return MailChoices(person_id)


def _delivery(app: MailApplication, claims: tokens.Claims) -> Delivery | None:
    try:
        return app.get(delivery_id(claims.recipient, claims.reference), Delivery)
    except NotFound:
        return None
