"""Sending: one message composed, handed to the relay (or the outbox) and recorded as a Delivery.

A message's envelope sender is `bounce+<token>@<bounce domain>` (VERP) and its Message-ID `<token@domain>`, the
token signed for its recipient and (list, message key): a bounce names the Delivery it is about, and the same
message sent again after a crash has the same Message-ID. Marketing mail carries the one-click unsubscribe headers
(RFC 8058) with a link and an address made of an unsubscribe token for the same message.

Exactly once, as far as a relay lets anyone: a Delivery's outcome is saved right after the relay's answer, before
the next message. A process killed between the relay's 250 and that save sends that one message again when it
resumes (with the same Message-ID, which mail systems recognise); one killed earlier sends it for the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.identity.domain import Access
from services.kernel.errors import NotFound
from services.kernel.idempotency import PendingRequest
from services.mail import merge, template_library, tokens
from services.mail.consent import marketing_consents
from services.mail.domain.address import MailAddress, address_id
from services.mail.domain.choices import MailChoices
from services.mail.domain.delivery import Delivery, delivery_id
from services.mail.domain.template import Kind, TemplateVersion
from services.mail.message import Attachment, Unsubscribe, build, envelope_sender
from services.mail.transport import Accepted, Transport
from services.privacy.domain import PersonErased

if TYPE_CHECKING:
    from services.mail.application import MailApplication

SOFT_TRIES = 3  # a message the relay defers this many times counts as a soft bounce


@dataclass(frozen=True)
class DeliveryState:
    id: UUID
    status: str  # queued, accepted, refused, skipped or bounced
    reason: str


@dataclass(frozen=True)
class Composed:
    message: EmailMessage
    envelope_from: str
    to: str
    data: dict[str, Any]  # what the template was merged with


def state(delivery: Delivery) -> DeliveryState:
    return DeliveryState(delivery.id, delivery.status, delivery.reason)


def reference(app: MailApplication, list_id: str, message_key: str) -> str:
    return tokens.reference(app.token_key, list_id, message_key)


def unsubscribe_url(app: MailApplication, token: str) -> str:
    return f"{app.settings.public_url.rstrip('/')}/mail/unsubscribe/{token}"


def compose(app: MailApplication, version: TemplateVersion, person_id: UUID, list_id: str, message_key: str,
            by: Access, extra: dict[str, Any] | None = None, attachments: Sequence[Attachment] = (),
            to: str | None = None) -> Composed | str:
    """The message for this person, or why there is none ("no_address", "erased")."""
    try:
        recipient = merge.recipient(app.vault, person_id, by, app.charity, extra)
    except PersonErased:
        return "erased"
    except KeyError:
        return "no_address"
    address = to or recipient.email
    if not address:
        return "no_address"
    bounce = tokens.sign(app.token_key, "bounce", person_id, list_id, message_key)
    unsubscribe = None
    data = dict(recipient.data)
    if version.kind is Kind.MARKETING:
        token = tokens.sign(app.token_key, "unsubscribe", person_id, list_id, message_key)
        unsubscribe = Unsubscribe(unsubscribe_url(app, token), f"unsubscribe+{token}@{app.settings.bounce_domain}")
        data["unsubscribe_url"] = unsubscribe.url
    rendered = version.render(data)
    name = recipient.data.get("donor", {}).get("name", "")
    message = build(key=message_key, sender=app.settings.sender, to=f"{name} <{address}>" if name else address,
                    subject=rendered.subject, text=rendered.text, html=rendered.html or None, date=app.clock.now(),
                    attachments=attachments, unsubscribe=unsubscribe)
    domain = parseaddr(app.settings.sender)[1].rpartition("@")[2].lower() or app.settings.bounce_domain
    del message["Message-ID"]
    message["Message-ID"] = f"<{bounce}@{domain}>"
    return Composed(message, envelope_sender(bounce, app.settings.bounce_domain), address, data)


def hand_over(app: MailApplication, way: Transport, delivery: Delivery, composed: Composed, relay: str,
              once: PendingRequest | None = None) -> None:
    """Send and record the relay's answer on `delivery` (and a refusal on the address); RelayDown propagates with
    nothing recorded, so the message stays queued."""
    now = app.clock.now()
    answer = way.send(composed.message, composed.envelope_from, composed.to)
    if isinstance(answer, Accepted):
        delivery.accepted(now, relay)
        app.save(delivery, once=once)
        return
    address = app.mail_address(str(delivery.person_id))
    if answer.permanent:
        delivery.refused(answer.code, answer.text, True, now)
        address.record_bounce(str(delivery.id), "hard", str(answer.code), now, app.policy)
    elif delivery.deferrals + 1 >= SOFT_TRIES:
        delivery.refused(answer.code, answer.text, False, now)
        address.record_bounce(str(delivery.id), "soft", str(answer.code), now, app.policy)
    else:
        delivery.deferred(answer.code, answer.text, now)
    app.save(delivery, *([address] if address.pending_events else []), once=once)


def send_one(app: MailApplication, *, person_id: UUID, template_id: UUID, list_id: str, message_key: str,
             by: Access, extra: dict[str, Any] | None = None, attachments: Sequence[Attachment] = (),
             to: str | None = None, once: PendingRequest | None = None) -> DeliveryState:
    """One message now (a transactional letter, or a test of a mailing); a second call with the same list, key and
    person sends nothing and answers what was recorded."""
    ref = reference(app, list_id, message_key)
    try:
        delivery = app.get(delivery_id(person_id, ref), Delivery)
        if delivery.done:
            return state(delivery)
    except NotFound:
        version = template_library.for_sending(app, template_id)
        delivery = Delivery(person_id, list_id, ref, version.kind.value, template_id, version.number, app.clock.now())
    version = _version(app, delivery)
    composed = compose(app, version, person_id, list_id, message_key, by, extra, attachments, to)
    if isinstance(composed, str):
        delivery.skipped(composed, app.clock.now())
        app.save(delivery, once=once)
        return state(delivery)
    way = app.transport()
    try:
        hand_over(app, way, delivery, composed, relay_name(app), once)
    finally:
        way.close()
    return state(delivery)


def marketing_refusal(app: MailApplication, person_id: UUID) -> str:
    """Why no marketing mail may go to this person now ('' when it may): no consent, unsubscribed, or on hold."""
    choices = app.read_many([MailChoices.create_id(person_id)], MailChoices, skip_missing=True)
    consented = bool(marketing_consents(app.vault, person_id, app.clock.now()))
    refusal = choices[0].marketing_refusal(consented) if choices else ("" if consented else "no_consent")
    if refusal:
        return refusal
    holds = app.read_many([address_id(str(person_id))], MailAddress, skip_missing=True)
    return "on_hold" if holds and holds[0].on_hold else ""


def _version(app: MailApplication, delivery: Delivery) -> TemplateVersion:
    return template_library.version(app, delivery.template_id, delivery.template_version)


def relay_name(app: MailApplication) -> str:
    return f"{app.settings.host}:{app.settings.port}" if app.settings.relay else "outbox"
