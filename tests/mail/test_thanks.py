"""Thank-you letters and receipts on the in-memory store, the send a stand-in that records what it was asked: the
plan's rules (nothing stored on bad input), a payment's thank-you due after its delay and sent in the day's batch
once, the ones not sent and why, and receipts on request and at year end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.identity.domain import Access, Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.messages import Message
from services.mail import template_library as library
from services.mail import thanks
from services.mail.domain.thanks import ThanksNotValid, ThanksPlan, ThankYou, thank_you_id
from services.mail.message import Attachment
from services.mail.receipts import ReceiptFile
from services.mail.thanks_reactions import on_donations_message
from tests.conftest import MEMORY

CHIARA = Actor(kind="account", id="c1", name="chiara@angeli.example", role="campaign_manager")
FOOTER = "Associazione Angeli, {{ charity.address }}"
THANKS_TEXT = ("Grazie {{ donor.first_name }} per il tuo dono di {{ gift.amount }} del {{ gift.date }} "
               "a {{ gift.fund }}.\n" + FOOTER)
THANKS_HTML = "<p>Grazie {{ donor.first_name }} per il tuo dono di {{ gift.amount }}.</p><p>" + FOOTER + "</p>"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Rome


@dataclass(frozen=True)
class State:
    id: UUID
    status: str
    reason: str = ""


@dataclass
class StandInSend:
    """Answers as services.mail.sending.send_one does: the same (list, key, person) again sends nothing."""

    answer: str = "accepted"
    reason: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[tuple[str, str, UUID], State] = field(default_factory=dict)

    def __call__(self, app: Any, *, person_id: UUID, template_id: UUID, list_id: str, message_key: str, by: Access,
                 extra: dict[str, Any] | None = None, attachments: Sequence[Attachment] = (),
                 to: str | None = None) -> State:
        key = (list_id, message_key, person_id)
        if key in self.sent:
            return self.sent[key]
        self.calls.append({"person_id": person_id, "template_id": template_id, "list_id": list_id,
                           "message_key": message_key, "extra": extra, "attachments": list(attachments),
                           "purpose": by.purpose})
        self.sent[key] = State(uuid4(), self.answer, self.reason)
        return self.sent[key]


@dataclass
class StandInReceipts:
    held: dict[tuple[UUID, int], list[ReceiptFile]] = field(default_factory=dict)

    def receipts(self, donor_id: UUID, year: int, by: Access) -> Sequence[ReceiptFile]:
        return self.held.get((donor_id, year), [])

    def donors(self, year: int) -> Sequence[UUID]:
        return sorted({d for d, y in self.held if y == year}, key=str)


@pytest.fixture
def mail(clock: FixedClock) -> ServiceApplication:
    return ServiceApplication(dict(MEMORY), clock=clock)


class Donations:
    """The donations service's messages, numbered as its feed numbers them."""

    def __init__(self, mail: ServiceApplication) -> None:
        self.mail, self.position = mail, 0

    def tell(self, message_type: str, aggregate_id: UUID, **data: Any) -> bool:
        self.position += 1
        message = Message("donations", self.position, message_type, 1, str(aggregate_id), MONDAY.isoformat(),
                          {k: str(v) for k, v in data.items()})
        return on_donations_message(self.mail, message, Tracking("donations#0", self.position))

    def fund(self, name: str) -> UUID:
        fund_id = uuid4()
        self.tell("Fund.Created", fund_id, name=name, created_at=MONDAY)
        return fund_id

    def pledge(self, donor_id: UUID, fund_id: UUID) -> UUID:
        pledge_id = uuid4()
        self.tell("Pledge.Made", pledge_id, donor_id=donor_id, fund_id=fund_id, kind="money", amount="100.00")
        return pledge_id

    def payment(self, pledge_id: UUID, amount: str, at: datetime) -> UUID:
        payment_id = uuid4()
        self.tell("Pledge.PaymentReceived", pledge_id, payment_id=payment_id, amount=amount, method="card",
                  reference="", received_at=at.isoformat())
        return payment_id


@pytest.fixture
def donations(mail: ServiceApplication) -> Donations:
    return Donations(mail)


def thanks_template(mail: ServiceApplication, kind: str = "transactional") -> UUID:
    template = library.create(mail, f"Grazie ({kind})", kind, by=CHIARA, once=None)
    text, html = THANKS_TEXT, THANKS_HTML
    if kind == "marketing":
        text, html = text + "\n{{ unsubscribe_url }}", html + '<a href="{{ unsubscribe_url }}">esci</a>'
    library.publish(mail, template, "Grazie del tuo dono", html, text, by=CHIARA, once=None)
    return template


def test_a_fund_plan_needs_a_known_fund_a_transactional_template_and_a_delay_of_0_to_30_days(
        mail: ServiceApplication, donations: Donations) -> None:
    fund = donations.fund("Linea d'ascolto")
    template = thanks_template(mail)
    with pytest.raises(ThanksNotValid, match="0 to 30"):
        thanks.set_fund(mail, fund, template, 31, True, by=CHIARA, once=None)
    with pytest.raises(ThanksNotValid, match="0 to 30"):
        thanks.set_fund(mail, fund, template, -1, True, by=CHIARA, once=None)
    with pytest.raises(ThanksNotValid, match="marketing template"):
        thanks.set_fund(mail, fund, thanks_template(mail, "marketing"), 3, True, by=CHIARA, once=None)
    with pytest.raises(NotFound, match="not known to the mail service"):
        thanks.set_fund(mail, uuid4(), template, 3, True, by=CHIARA, once=None)
    unpublished = library.create(mail, "Bozza", "transactional", by=CHIARA, once=None)
    with pytest.raises(NotFound, match="no published version"):
        thanks.set_fund(mail, fund, unpublished, 3, True, by=CHIARA, once=None)
    assert not mail.exists(ThanksPlan.create_id())  # nothing stored on bad input

    line = thanks.set_fund(mail, fund, template, 3, True, by=CHIARA, once=None)
    assert (line.template_id, line.delay_days, line.enabled, line.set_by) == (template, 3, True, CHIARA.label)
    assert thanks.plan(mail).for_fund(fund) == line


def test_a_payment_is_thanked_after_its_delay_in_the_days_batch_with_the_amount_in_italian(
        mail: ServiceApplication, donations: Donations, clock: FixedClock) -> None:
    fund, donor = donations.fund("Linea d'ascolto"), uuid4()
    template = thanks_template(mail)
    thanks.set_fund(mail, fund, template, 3, True, by=CHIARA, once=None)
    payment = donations.payment(donations.pledge(donor, fund), "1250.50", MONDAY)
    thank = thanks.thank_you(mail, payment)
    assert (thank.status.value, thank.due_on.isoformat() if thank.due_on else None) == ("due", "2026-11-26")

    send = StandInSend()
    for day in range(3):  # Monday to Wednesday: not due yet
        clock.set(MONDAY + timedelta(days=day))
        assert thanks.send_due_thanks(mail, send).ran
    assert send.calls == []
    clock.set(datetime(2026, 11, 26, 7, 30, tzinfo=UTC))  # Thursday 08:30 in Rome: before the batch's hour
    assert not thanks.send_due_thanks(mail, send).ran
    clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))  # 09:00 in Rome
    batch = thanks.send_due_thanks(mail, send)
    assert (batch.ran, batch.sent) == (True, 1)
    [call] = send.calls
    assert call["person_id"] == donor and call["template_id"] == template
    assert call["list_id"] == f"thanks:{fund}" and call["message_key"] == str(payment)
    assert call["extra"] == {"gift": {"amount": "1.250,50\xa0€", "date": "23 novembre 2026", "fund": "Linea d'ascolto"}}
    assert call["purpose"] == "e-mail"
    thank = thanks.thank_you(mail, payment)
    assert thank.status.value == "sent" and thank.delivery_id == send.sent[(call["list_id"], str(payment), donor)].id

    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    assert not thanks.send_due_thanks(mail, send).ran  # once a day
    clock.set(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    assert thanks.send_due_thanks(mail, send).sent == 0 and len(send.calls) == 1  # sent ones are not sent again


def test_a_payment_recorded_after_the_days_batch_goes_out_in_the_next_one(
        mail: ServiceApplication, donations: Donations, clock: FixedClock) -> None:
    fund = donations.fund("Emergenza freddo")
    thanks.set_fund(mail, fund, thanks_template(mail), 0, True, by=CHIARA, once=None)
    send = StandInSend()
    assert thanks.send_due_thanks(mail, send).ran  # Monday's batch, 10:00 in Rome
    clock.set(MONDAY + timedelta(hours=5))
    payment = donations.payment(donations.pledge(uuid4(), fund), "30.00", MONDAY + timedelta(hours=5))
    assert not thanks.send_due_thanks(mail, send).ran
    clock.set(MONDAY + timedelta(days=1))
    assert thanks.send_due_thanks(mail, send).sent == 1
    assert thanks.thank_you(mail, payment).status.value == "sent"


def test_a_payment_long_ago_recorded_now_is_thanked_at_the_next_batch_not_lost(
        mail: ServiceApplication, donations: Donations, clock: FixedClock) -> None:
    fund = donations.fund("Emergenza freddo")
    thanks.set_fund(mail, fund, thanks_template(mail), 2, True, by=CHIARA, once=None)
    payment = donations.payment(donations.pledge(uuid4(), fund), "30.00", MONDAY - timedelta(days=60))
    assert thanks.thank_you(mail, payment).due_on == MONDAY.date()
    assert thanks.send_due_thanks(mail, StandInSend()).sent == 1


def test_what_is_not_sent_says_why(mail: ServiceApplication, donations: Donations, clock: FixedClock) -> None:
    planned, unplanned, off = donations.fund("Pianificato"), donations.fund("Senza piano"), donations.fund("Spento")
    template = thanks_template(mail)
    thanks.set_fund(mail, planned, template, 0, True, by=CHIARA, once=None)
    thanks.set_fund(mail, off, template, 0, False, by=CHIARA, once=None)
    no_plan = donations.payment(donations.pledge(uuid4(), unplanned), "10.00", MONDAY)
    plan_off = donations.payment(donations.pledge(uuid4(), off), "10.00", MONDAY)
    reversed_pledge = donations.pledge(uuid4(), planned)
    reversed_payment = donations.payment(reversed_pledge, "10.00", MONDAY)
    donations.tell("Pledge.PaymentReversed", reversed_pledge, payment_id=reversed_payment, amount="10.00",
                   reversed_at=MONDAY.isoformat(), reason="chargeback")
    no_address = donations.payment(donations.pledge(uuid4(), planned), "10.00", MONDAY)

    batch = thanks.send_due_thanks(mail, StandInSend(answer="skipped", reason="no_address"))
    assert (batch.sent, batch.skipped) == (0, 1)
    states = {p: (thanks.thank_you(mail, p).status.value, thanks.thank_you(mail, p).reason)
              for p in (no_plan, plan_off, reversed_payment, no_address)}
    assert states == {
        no_plan: ("skipped", "the fund has no thank-you plan"),
        plan_off: ("skipped", "the fund's thank-you plan is off"),
        reversed_payment: ("skipped", "the payment was reversed before the thank-you went out"),
        no_address: ("skipped", "the donor has no e-mail address in the vault (no_address)"),
    }


def test_a_thank_you_the_relay_deferred_stays_due_and_is_asked_again_the_next_day(
        mail: ServiceApplication, donations: Donations, clock: FixedClock) -> None:
    fund = donations.fund("Linea d'ascolto")
    thanks.set_fund(mail, fund, thanks_template(mail), 0, True, by=CHIARA, once=None)
    payment = donations.payment(donations.pledge(uuid4(), fund), "10.00", MONDAY)
    deferring = StandInSend(answer="queued", reason="451 try later")
    assert thanks.send_due_thanks(mail, deferring).sent == 0
    assert thanks.thank_you(mail, payment).due
    for day in (1, 2):  # the relay keeps deferring: asked again each day, from the day's batch
        clock.set(MONDAY + timedelta(days=day))
        deferring.sent.clear()
        thanks.send_due_thanks(mail, deferring)
    assert len(deferring.calls) == 3
    clock.set(MONDAY + timedelta(days=3))
    assert thanks.send_due_thanks(mail, StandInSend()).sent == 1
    assert thanks.thank_you(mail, payment).status.value == "sent"


def test_a_plan_turned_off_before_the_day_sends_nothing(mail: ServiceApplication, donations: Donations,
                                                       clock: FixedClock) -> None:
    fund = donations.fund("Linea d'ascolto")
    template = thanks_template(mail)
    thanks.set_fund(mail, fund, template, 5, True, by=CHIARA, once=None)
    payment = donations.payment(donations.pledge(uuid4(), fund), "10.00", MONDAY)
    thanks.set_fund(mail, fund, template, 5, False, by=CHIARA, once=None)
    clock.set(MONDAY + timedelta(days=5))
    send = StandInSend()
    assert thanks.send_due_thanks(mail, send).skipped == 1 and send.calls == []
    assert thanks.thank_you(mail, payment).reason == "the fund's thank-you plan was turned off before it was due"


def test_a_message_seen_twice_records_one_thank_you_and_goods_or_unknown_pledges_none(
        mail: ServiceApplication, donations: Donations) -> None:
    fund = donations.fund("Linea d'ascolto")
    pledge = donations.pledge(uuid4(), fund)
    payment = donations.payment(pledge, "10.00", MONDAY)
    assert not donations.tell("Pledge.PaymentReceived", pledge, payment_id=payment, amount="10.00", method="card",
                              reference="", received_at=MONDAY.isoformat())
    assert [type(e).__name__ for e in mail.repository.event_store.get(thank_you_id(payment))] == ["Recorded"]
    goods = uuid4()
    assert not donations.tell("Pledge.Made", goods, donor_id=uuid4(), fund_id=fund, kind="goods", amount="50.00")
    stray = uuid4()
    assert not donations.tell("Pledge.PaymentReceived", uuid4(), payment_id=stray, amount="1.00", method="card",
                              reference="", received_at=MONDAY.isoformat())
    assert not mail.exists(thank_you_id(stray))


def test_a_renamed_fund_is_thanked_under_its_new_name(mail: ServiceApplication, donations: Donations) -> None:
    fund = donations.fund("Linea d'ascolto")
    assert donations.tell("Fund.Renamed", fund, name="Linea d'ascolto notturna", renamed_at=MONDAY)
    assert not donations.tell("Fund.Renamed", fund, name="Linea d'ascolto notturna", renamed_at=MONDAY)
    assert thanks.fund_name(mail, fund) == "Linea d'ascolto notturna"


def test_a_receipt_on_request_attaches_the_years_pdfs_and_is_recorded(mail: ServiceApplication,
                                                                      clock: FixedClock) -> None:
    donor = uuid4()
    files = [ReceiptFile("ricevuta-2026-000007.pdf", b"%PDF-1.4 seven"),
             ReceiptFile("ricevuta-2026-000042.pdf", b"%PDF-1.4 forty-two")]
    receipts = StandInReceipts({(donor, 2026): files})
    send = StandInSend()
    with pytest.raises(NotFound, match="no numbered receipt for 2025"):
        thanks.send_receipt(mail, receipts, donor, 2025, by=CHIARA, once=None, send=send)
    with pytest.raises(InvalidInput, match="year must be from 2000 to 2026"):
        thanks.send_receipt(mail, receipts, donor, 2027, by=CHIARA, once=None, send=send)
    assert send.calls == [] and not mail.exists(ThanksPlan.create_id())

    sent = thanks.send_receipt(mail, receipts, donor, 2026, by=CHIARA, once=None, send=send)
    assert (sent.status, sent.files) == ("accepted", ("ricevuta-2026-000007.pdf", "ricevuta-2026-000042.pdf"))
    [call] = send.calls
    assert call["list_id"] == "receipts" and call["message_key"].startswith("receipt:2026:")
    assert [(a.filename, a.content, a.mime_type) for a in call["attachments"]] == [
        (f.filename, f.pdf, "application/pdf") for f in files]
    assert call["extra"] == {"receipt": {"year": "2026", "numbers": "2026-000007, 2026-000042", "count": 2}}
    built_in = thanks.plan(mail).built_in_receipt_template_id
    assert call["template_id"] == built_in and library.version(mail, built_in).kind.value == "transactional"

    thanks.send_receipt(mail, receipts, donor, 2026, by=CHIARA, once=None, send=send)  # asked again: sent again
    assert len(send.calls) == 2 and send.calls[1]["template_id"] == built_in  # the built-in template made once


def test_the_plans_receipt_template_sends_receipts_when_chosen(mail: ServiceApplication) -> None:
    donor, template = uuid4(), thanks_template(mail)
    receipts = StandInReceipts({(donor, 2026): [ReceiptFile("ricevuta-2026-000001.pdf", b"%PDF-1.4")]})
    with pytest.raises(ThanksNotValid):
        thanks.set_receipts(mail, thanks_template(mail, "marketing"), True, by=CHIARA, once=None)
    thanks.set_receipts(mail, template, False, by=CHIARA, once=None)
    send = StandInSend()
    thanks.send_receipt(mail, receipts, donor, 2026, by=CHIARA, once=None, send=send)
    assert send.calls[0]["template_id"] == template


def test_year_end_receipts_go_to_every_donor_of_the_year_once_when_the_plan_asks(mail: ServiceApplication,
                                                                                  clock: FixedClock) -> None:
    giulia, marco, anna = uuid4(), uuid4(), uuid4()
    receipts = StandInReceipts({(giulia, 2026): [ReceiptFile("ricevuta-2026-000001.pdf", b"%PDF-1")],
                                (marco, 2026): [ReceiptFile("ricevuta-2026-000002.pdf", b"%PDF-2")],
                                (anna, 2025): [ReceiptFile("ricevuta-2025-000001.pdf", b"%PDF-3")]})
    send = StandInSend()
    clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    assert not thanks.send_year_end_receipts(mail, receipts, send).ran  # the plan does not ask for them
    thanks.set_receipts(mail, None, True, by=CHIARA, once=None)
    clock.set(datetime(2027, 1, 14, 9, 0, tzinfo=UTC))
    assert not thanks.send_year_end_receipts(mail, receipts, send).ran  # December's late transfers still come in
    clock.set(datetime(2027, 1, 15, 7, 0, tzinfo=UTC))
    assert not thanks.send_year_end_receipts(mail, receipts, send).ran  # 08:00 in Rome
    clock.set(datetime(2027, 1, 15, 8, 0, tzinfo=UTC))
    done = thanks.send_year_end_receipts(mail, receipts, send)
    assert (done.year, done.ran, done.donors, done.sent) == (2026, True, 2, 2)
    assert sorted((c["person_id"], c["message_key"]) for c in send.calls) == sorted(
        [(giulia, "receipt:2026"), (marco, "receipt:2026")])
    assert not thanks.send_year_end_receipts(mail, receipts, send, now_or_never=True).ran
    assert len(send.calls) == 2  # a rerun sends nothing


def test_a_thank_you_is_decided_once() -> None:
    thank = ThankYou.record(uuid4(), uuid4(), uuid4(), uuid4(), Decimal("5.00"), MONDAY.date(), None,
                            MONDAY.date(), MONDAY)
    with pytest.raises(Exception, match="already skipped"):
        thank.decide("sent", "", None, MONDAY)
