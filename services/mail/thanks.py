"""Thank-you letters and receipts: the plan's use cases, what a donations message records, the daily batch of due
thank-yous, and receipts sent on request or at year end. get → act → save; the acting person and `once` explicit.

Every message goes through the service's one transactional send (`services.mail.sending.send_one`): merge data
from the vault (an access event), the template's latest version, recorded as a Delivery; a second send with the
same (list, message key, person) sends nothing and returns what was recorded. Transactional mail needs no marketing
consent and carries no unsubscribe link.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from eventsourcing.persistence import Tracking

from services.identity.domain import SYSTEM, Access, Actor
from services.kernel import keyindex
from services.kernel.errors import NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.idempotency import PendingRequest
from services.mail import merge, sending
from services.mail import template_library as library
from services.mail.domain.template import Kind, Template
from services.mail.domain.thanks import (
    MAX_DELAY_DAYS,
    FundSeen,
    FundThanks,
    PledgeSeen,
    ReceiptLetter,
    ThanksNotValid,
    ThanksPlan,
    ThanksRun,
    ThankYou,
    fund_seen_id,
    outcome,
    pledge_seen_id,
    receipt_year,
    thank_you_id,
)
from services.mail.message import Attachment
from services.mail.receipts import ReceiptFile, Receipts

log = logging.getLogger(__name__)
ROME = ZoneInfo("Europe/Rome")
LOCALE = "it_IT"  # the letters are written in Italian, figures too
FUNDS_KEY = "mail:funds"  # the index of the funds the donations service told of
SEND_HOUR = 9  # the daily batch goes out from 09:00 in Rome
YEAR_END_DAY = 15  # last year's receipts go out from 15 January: two weeks to record December's late transfers
RECEIPTS_LIST = "receipts"
SKIP_REASONS = {"no_address": "the donor has no e-mail address in the vault (no_address)",
                "erased": "the donor's personal data was erased (erased)"}
BUILT_IN_RECEIPT_NAME = "Ricevuta fiscale (testo predefinito)"
BUILT_IN_RECEIPT_SUBJECT = "La ricevuta delle tue donazioni {{ receipt.year }}"
BUILT_IN_RECEIPT_TEXT = (
    "Gentile {{ donor.name | default('donatrice, donatore') }},\n\n"
    "in allegato la ricevuta delle tue donazioni del {{ receipt.year }} ({{ receipt.numbers }}), "
    "utile per la dichiarazione dei redditi.\n\nGrazie di cuore,\n{{ charity.name }}\n{{ charity.address }}\n")
BUILT_IN_RECEIPT_HTML = (
    "<p>Gentile {{ donor.name | default('donatrice, donatore') }},</p>"
    "<p>in allegato la ricevuta delle tue donazioni del {{ receipt.year }} ({{ receipt.numbers }}), "
    "utile per la dichiarazione dei redditi.</p><p>Grazie di cuore,<br>{{ charity.name }}<br>"
    "{{ charity.address }}</p>")


class Sent(Protocol):
    """What the send records for one message (services.mail.sending.DeliveryState)."""

    @property
    def id(self) -> UUID: ...

    @property
    def status(self) -> str: ...

    @property
    def reason(self) -> str: ...


class Send(Protocol):
    def __call__(self, app: Any, *, person_id: UUID, template_id: UUID, list_id: str, message_key: str, by: Access,
                 extra: dict[str, Any] | None = None, attachments: Sequence[Attachment] = (),
                 to: str | None = None) -> Sent: ...


def send_one() -> Send:
    """The mail service's transactional send."""
    return sending.send_one


def why(state: Sent) -> str:
    """A send's reason as a thank-you's state says it: the send's codes in words, its relay's reply as it is."""
    return SKIP_REASONS.get(state.reason, state.reason)


def rome_day(at: datetime) -> date:
    return at.astimezone(ROME).date()


# --- the plan ---------------------------------------------------------------------------------------------------

def plan(app: ServiceApplication) -> ThanksPlan:
    """The plan as stored, or a new empty one (not saved until something is set)."""
    try:
        return app.get(ThanksPlan.create_id(), ThanksPlan)
    except NotFound:
        return ThanksPlan()


def fund_name(app: ServiceApplication, fund_id: UUID) -> str:
    """The fund's name as the donations service last said it; NotFound for a fund it never told of."""
    try:
        return app.get(fund_seen_id(fund_id), FundSeen).name
    except NotFound:
        raise NotFound(f"fund {fund_id} is not known to the mail service: create it in donations first, or wait "
                       "a moment for its news to arrive") from None


def transactional_template(app: ServiceApplication, template_id: UUID) -> Template:
    """A template fit for thank-yous and receipts: transactional, with a published version, not retired."""
    template = app.get(template_id, Template)
    if template.kind is not Kind.TRANSACTIONAL:
        raise ThanksNotValid(f"template {template.name!r} is a {template.kind.value} template; thank-yous and "
                             "receipts need a transactional one (no consent needed, no unsubscribe link)")
    template.for_sending()  # refused when retired or never published
    return template


def set_fund(app: ServiceApplication, fund_id: UUID, template_id: UUID, delay: int, enabled: bool, *, by: Actor,
             once: PendingRequest | None) -> FundThanks:
    """Set how gifts to a fund are thanked; checked whole before anything is stored."""
    fund_name(app, fund_id)
    transactional_template(app, template_id)
    current = plan(app)
    if current.set_fund(fund_id, template_id, delay, enabled, app.clock.now(), by.label) or once is not None:
        app.save(current, once=once)
    line = current.for_fund(fund_id)
    assert line is not None
    return line


def set_receipts(app: ServiceApplication, template_id: UUID | None, year_end: bool, *, by: Actor,
                 once: PendingRequest | None) -> ThanksPlan:
    """Which template sends receipts (None: the built-in plain text) and whether they go out at year end."""
    if template_id is not None:
        transactional_template(app, template_id)
    current = plan(app)
    if current.set_receipts(template_id, year_end, app.clock.now(), by.label) or once is not None:
        app.save(current, once=once)
    return current


# --- what the donations service's messages record ---------------------------------------------------------------

def pledge_made(app: ServiceApplication, pledge_id: UUID, donor_id: UUID, fund_id: UUID,
                tracking: Tracking | None) -> bool:
    if app.exists(pledge_seen_id(pledge_id)):
        return False
    app.save_tracked(PledgeSeen(pledge_id=pledge_id, donor_id=donor_id, fund_id=fund_id), tracking=tracking)
    return True


def fund_named(app: ServiceApplication, fund_id: UUID, name: str, tracking: Tracking | None) -> bool:
    try:
        fund = app.get(fund_seen_id(fund_id), FundSeen)
    except NotFound:
        fund = FundSeen(fund_id=fund_id, name=name)
        app.save_tracked(fund, keyindex.entry(FUNDS_KEY, fund_id), tracking=tracking)
        return True
    if not fund.rename(name):
        return False
    app.save_tracked(fund, tracking=tracking)
    return True


def known_funds(app: ServiceApplication) -> list[tuple[UUID, str]]:
    """Every fund the donations service told of, (id, name) by name."""
    ids = keyindex.values(app, FUNDS_KEY)
    seen = app.read_many([fund_seen_id(i) for i in ids], FundSeen, skip_missing=True)
    return sorted(((f.fund_id, f.name) for f in seen), key=lambda f: f[1].casefold())


def letter_templates(app: ServiceApplication) -> list[tuple[UUID, str]]:
    """The templates a thank-you or a receipt may use: transactional, published, not retired; (id, name) by name."""
    return [(t.id, t.name) for t in library.templates(app)
            if t.kind is Kind.TRANSACTIONAL and t.versions and not t.retired]


def payment_received(app: ServiceApplication, pledge_id: UUID, payment_id: UUID, amount: Decimal, paid_at: datetime,
                     tracking: Tracking | None) -> bool:
    """Record the thank-you this payment is owed (due on its plan's day, or skipped and why), once."""
    if app.exists(thank_you_id(payment_id)):
        return False
    try:
        pledge = app.get(pledge_seen_id(pledge_id), PledgeSeen)
    except NotFound:
        log.warning("payment %s of pledge %s: the pledge was never seen; no thank-you", payment_id, pledge_id)
        return False
    now = app.clock.now()
    thank = ThankYou.record(payment_id, pledge_id, pledge.donor_id, pledge.fund_id, amount, rome_day(paid_at),
                            plan(app).for_fund(pledge.fund_id), rome_day(now), now)
    listed = [keyindex.entry(due_key(thank.due_on), thank.id)] if thank.due_on is not None else []
    app.save_tracked(thank, *listed, tracking=tracking)
    return True


def payment_reversed(app: ServiceApplication, payment_id: UUID, tracking: Tracking | None) -> bool:
    """A payment reversed before its thank-you went out is not thanked."""
    try:
        thank = app.get(thank_you_id(payment_id), ThankYou)
    except NotFound:
        return False
    if not thank.due:
        return False
    thank.decide("skipped", "the payment was reversed before the thank-you went out", None, app.clock.now())
    app.save_tracked(thank, tracking=tracking)
    return True


def due_key(day: date) -> str:
    return f"mail:thanks-due:{day.isoformat()}"


def thank_you(app: ServiceApplication, payment_id: UUID) -> ThankYou:
    try:
        return app.get(thank_you_id(payment_id), ThankYou)
    except NotFound:
        raise NotFound(f"no thank-you is recorded for payment {payment_id}") from None


# --- the daily batch --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    ran: bool
    sent: int = 0
    skipped: int = 0
    refused: int = 0


def run_mark(app: ServiceApplication) -> ThanksRun:
    try:
        return app.get(ThanksRun.create_id(), ThanksRun)
    except NotFound:
        return ThanksRun()


def gift_fields(thank: ThankYou, fund: str) -> dict[str, Any]:
    """What a thank-you template names: `gift.amount` (in Italian: "25,00 €"), `gift.date`, `gift.fund`."""
    return {"gift": {"amount": format_currency(thank.amount, "EUR", locale=LOCALE),
                     "date": format_date(thank.paid_on, format="long", locale=LOCALE), "fund": fund}}


def send_due_thanks(app: ServiceApplication, send: Send | None = None, *, now_or_never: bool = False) -> Batch:
    """Once a day from SEND_HOUR in Rome (`now_or_never`: whatever the hour), every thank-you due by today in one
    batch. RelayDown propagates and the day is not marked: the next tick sends what is left."""
    now = app.clock.now()
    today, mark = rome_day(now), run_mark(app)
    if mark.ran_today(today) or (not now_or_never and now.astimezone(ROME).hour < SEND_HOUR):
        return Batch(ran=False)
    first = mark.last_day or today - timedelta(days=MAX_DELAY_DAYS + 1)
    ids = [i for n in range((today - first).days + 1) for i in keyindex.values(app, due_key(first + timedelta(n)))]
    lines, by, send = plan(app), merge.access(SYSTEM), send or send_one()
    counts = {"sent": 0, "skipped": 0, "refused": 0}
    for thank_id in sorted(ids, key=str):
        thank = app.get(thank_id, ThankYou)
        if not thank.due:
            continue
        line = lines.for_fund(thank.fund_id)
        if line is None or not line.enabled:
            thank.decide("skipped", "the fund's thank-you plan was turned off before it was due", None, now)
        else:
            state = send(app, person_id=thank.person_id, template_id=line.template_id,
                         list_id=f"thanks:{thank.fund_id}", message_key=str(thank.payment_id), by=by,
                         extra=gift_fields(thank, fund_name_or_blank(app, thank.fund_id)))
            status = outcome(state.status)
            if not status:  # queued (the relay deferred it): tomorrow's batch asks again, the send recorded it
                tomorrow = keyindex.entry(due_key(today + timedelta(days=1)), thank.id)
                if not app.exists(tomorrow.id):
                    app.save(tomorrow)
                continue
            thank.decide(status, why(state), state.id, now)
        counts[thank.status.value] += 1
        app.save(thank)
    mark.ran(today, counts["sent"], counts["skipped"] + counts["refused"])
    app.save(mark)
    return Batch(True, counts["sent"], counts["skipped"], counts["refused"])


def fund_name_or_blank(app: ServiceApplication, fund_id: UUID) -> str:
    try:
        return fund_name(app, fund_id)
    except NotFound:
        return ""


# --- receipts -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptOutcome:
    donor_id: UUID
    year: int
    files: tuple[str, ...]
    status: str
    reason: str
    delivery_id: UUID | None


def receipt_template(app: ServiceApplication, *, by: Actor, once: PendingRequest | None) -> UUID:
    """The plan's receipt template, or the built-in plain text one (made and published the first time)."""
    current = plan(app)
    if current.receipt_template_id is not None:
        return current.receipt_template_id
    if current.built_in_receipt_template_id is not None:
        return current.built_in_receipt_template_id
    template_id = library.create(app, BUILT_IN_RECEIPT_NAME, Kind.TRANSACTIONAL.value, by=by, once=once)
    library.publish(app, template_id, BUILT_IN_RECEIPT_SUBJECT, BUILT_IN_RECEIPT_HTML, BUILT_IN_RECEIPT_TEXT, by=by,
                    once=once)
    current.built_in_receipt_template(template_id)
    app.save(current, once=once)
    return template_id


def receipt_fields(year: int, files: Sequence[ReceiptFile]) -> dict[str, Any]:
    numbers = ", ".join(f.filename.removeprefix("ricevuta-").removesuffix(".pdf") for f in files)
    return {"receipt": {"year": str(year), "numbers": numbers, "count": len(files)}}


def send_receipt(app: ServiceApplication, receipts: Receipts, donor_id: UUID, year: int, *, by: Actor,
                 once: PendingRequest | None, send: Send | None = None) -> ReceiptOutcome:
    """The donor's receipts of `year` by e-mail now, the PDFs attached; recorded as a receipt letter, saved after
    the send: RelayDown propagates with nothing stored, so a retry of the request sends it then."""
    year = receipt_year(year, rome_day(app.clock.now()))
    files = receipts.receipts(donor_id, year, merge.access(by))
    if not files:
        raise NotFound(f"donor {donor_id} has no numbered receipt for {year}: nothing to send")
    # Made once for the whole service, not this request's effect: saved without the request's key.
    template_id = receipt_template(app, by=by, once=None)
    send = send or send_one()
    letter = ReceiptLetter(donor_id=donor_id, year=year, files=[f.filename for f in files], requested_by=by.label,
                           requested_at=app.clock.now())
    state = send(app, person_id=donor_id, template_id=template_id, list_id=RECEIPTS_LIST,
                 message_key=f"receipt:{year}:{letter.id}", by=merge.access(by), extra=receipt_fields(year, files),
                 attachments=[Attachment(f.filename, f.pdf) for f in files])
    letter.decide(state.status, why(state), state.id, app.clock.now())
    app.save(letter, once=once)
    return ReceiptOutcome(donor_id, year, tuple(letter.files), state.status, why(state), state.id)


@dataclass(frozen=True)
class YearEnd:
    year: int
    ran: bool
    donors: int = 0
    sent: int = 0
    not_sent: int = 0


def send_year_end_receipts(app: ServiceApplication, receipts: Receipts, send: Send | None = None, *,
                           now_or_never: bool = False) -> YearEnd:
    """From YEAR_END_DAY January (SEND_HOUR, Rome; `now_or_never`: whatever the day and hour) the last year's receipts
    to every donor who has one, when the plan says so; message key "receipt:<year>", so a rerun sends nobody twice."""
    now = app.clock.now()
    year, mark, lines = rome_day(now).year - 1, run_mark(app), plan(app)
    too_early = rome_day(now) < date(year + 1, 1, YEAR_END_DAY) or now.astimezone(ROME).hour < SEND_HOUR
    if not lines.year_end_receipts or mark.receipts_sent(year) or (too_early and not now_or_never):
        return YearEnd(year, ran=False)
    template_id, send = receipt_template(app, by=SYSTEM, once=None), send or send_one()
    donors, sent, by = receipts.donors(year), 0, merge.access(SYSTEM)
    for donor_id in donors:
        files = receipts.receipts(donor_id, year, by)
        if not files:
            continue
        state = send(app, person_id=donor_id, template_id=template_id, list_id=RECEIPTS_LIST,
                     message_key=f"receipt:{year}", by=by, extra=receipt_fields(year, files),
                     attachments=[Attachment(f.filename, f.pdf) for f in files])
        sent += state.status == "accepted"
    mark = run_mark(app)  # re-read: the daily batch may have marked its day meanwhile
    mark.sent_receipts(year, len(donors))
    app.save(mark)
    return YearEnd(year, True, len(donors), sent, len(donors) - sent)
