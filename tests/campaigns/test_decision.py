"""The dialer's decision is one pure function: the verdict that gates an offer is the one that explains a refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.campaigns.calendar import Interval, closed_because
from services.campaigns.dialer import queue
from services.campaigns.dialer.decision import decide, row_reason
from services.campaigns.domain.campaign import Campaign, default_retry
from services.campaigns.domain.contact import Contact, plan_after
from services.campaigns.domain.suppression import Person
from tests.campaigns.conftest import SCRIPT

MONDAY_10_ROME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REGISTER_CHECKED = date(2026, 11, 20)


def natale() -> Campaign:
    campaign = Campaign("Natale 2026", uuid4(), Decimal("10000.00"), "2026-11-01", "2026-12-31",
                        {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
                        "it-telemarketing-2024", 1, default_retry(), ["callback", "retry", "fresh"],
                        created_at=MONDAY_10_ROME - timedelta(days=3))
    campaign.revise_script(SCRIPT["text"], SCRIPT["privacy_notice"], MONDAY_10_ROME - timedelta(days=3))
    campaign.launch(MONDAY_10_ROME - timedelta(days=2), REGISTER_CHECKED)
    return campaign


def test_a_fresh_donor_in_the_calling_window_may_be_offered_until_the_window_closes() -> None:
    # Given Giulia, a fresh contact of Natale 2026, on Monday at 10:00 in Rome
    campaign = natale()
    giulia = Contact(campaign.id, uuid4(), ["Europe/Rome"], "Milano", [], uuid4(), MONDAY_10_ROME)
    # When the dialer decides
    verdict = decide(giulia, None, campaign, MONDAY_10_ROME, REGISTER_CHECKED)
    # Then she may be called now, within an interval that ends at 20:00 in Rome (19:00 UTC)
    assert verdict.callable_now and verdict.reasons == ()
    assert verdict.interval is not None and verdict.interval.end == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def test_an_opted_out_donor_is_refused_for_good_and_the_verdict_says_why() -> None:
    # Given Giulia opted out by e-mail on Sunday
    campaign = natale()
    person = Person(uuid4(), MONDAY_10_ROME - timedelta(days=1))
    person.opt_out(MONDAY_10_ROME - timedelta(days=1), "e-mail", "", "office")
    giulia = Contact(campaign.id, person.id, ["Europe/Rome"], "Milano", [], uuid4(), MONDAY_10_ROME)
    # When the dialer decides
    verdict = decide(giulia, person, campaign, MONDAY_10_ROME, REGISTER_CHECKED)
    # Then she is not callable, never again, and the reason is the opt-out
    assert not verdict.callable_now and verdict.interval is None and verdict.next_at is None
    assert verdict.reasons == ("opted out",)


def test_a_stale_register_check_refuses_every_contact() -> None:
    # Given the opposition register last checked on 1 October
    campaign = natale()
    marco = Contact(campaign.id, uuid4(), ["Europe/Rome"], "Roma", [], uuid4(), MONDAY_10_ROME)
    # When the dialer decides on Monday 23 November
    verdict = decide(marco, None, campaign, MONDAY_10_ROME, date(2026, 10, 1))
    # Then Marco is refused, with the register's age as the reason
    assert not verdict.callable_now and verdict.next_at is None
    assert any("register" in reason for reason in verdict.reasons)


def test_a_lease_that_lapsed_waits_for_the_sweep_as_the_due_queue_does() -> None:
    # Given Giulia leased to a volunteer at 10:00 for five minutes, and nobody swept since
    campaign = natale()
    giulia = Contact(campaign.id, uuid4(), ["Europe/Rome"], "Milano", [], uuid4(), MONDAY_10_ROME)
    verdict = decide(giulia, None, campaign, MONDAY_10_ROME, REGISTER_CHECKED)
    assert verdict.interval is not None
    giulia.lease(uuid4(), uuid4(), MONDAY_10_ROME, MONDAY_10_ROME + timedelta(minutes=5), "it", verdict.interval)
    # When the dialer decides at 10:06
    later = decide(giulia, None, campaign, MONDAY_10_ROME + timedelta(minutes=6), REGISTER_CHECKED)
    # Then she is not offered until the sweep returns her (the queue does not propose her either)
    assert not later.callable_now and later.reasons == ("lease lapsed, back at the next sweep",)
    assert later.codes == ("lease_lapsed",)


def row_of(contact: Contact, person: Person | None, campaign: Campaign, now: datetime) -> dict[str, object]:
    """The contact's due-queue row, grouped as `queue.counts` reads it."""
    row = queue.contact_row(contact, person, campaign.policy, now)
    at = queue.ms(now)
    return {"kind": row[3], "closed_reason": row[8], "hold_reason": row[6], "calendar_key": row[7],
            "due": row[4] <= at, "free": row[5] <= at, "leased_now": row[10] > at}


def giulia_in(state: str, campaign: Campaign) -> tuple[Contact, Person]:
    person = Person(uuid4(), MONDAY_10_ROME - timedelta(days=1))
    giulia = Contact(campaign.id, person.id, ["Europe/Rome"], "Milano", [], uuid4(), MONDAY_10_ROME - timedelta(days=1))
    allowed = Interval(MONDAY_10_ROME - timedelta(days=1), MONDAY_10_ROME + timedelta(hours=1))
    if state == "opted out":
        person.opt_out(MONDAY_10_ROME - timedelta(hours=1), "e-mail", "", "office")
    elif state in ("leased", "lapsed"):
        leased_at = MONDAY_10_ROME - timedelta(minutes=1 if state == "leased" else 10)
        giulia.lease(uuid4(), uuid4(), leased_at, leased_at + timedelta(minutes=5), "it", allowed)
    elif state in ("retry", "closed"):
        disposition = "no_answer" if state == "retry" else "not_interested"
        giulia.lease(uuid4(), uuid4(), MONDAY_10_ROME - timedelta(hours=1), MONDAY_10_ROME, "it", allowed)
        plan = plan_after(disposition, 1, MONDAY_10_ROME - timedelta(minutes=30), None,
                          campaign.rules(giulia.reach), campaign.retry, None)
        giulia.record_attempt(giulia.volunteer_id, disposition, MONDAY_10_ROME - timedelta(minutes=30), 0, plan)
    return giulia, person


@pytest.mark.parametrize(("state", "at", "code"), [
    ("fresh", MONDAY_10_ROME, "callable"),
    ("opted out", MONDAY_10_ROME, "opted_out"),
    ("leased", MONDAY_10_ROME, "leased"),
    ("lapsed", MONDAY_10_ROME, "lease_lapsed"),
    ("retry", MONDAY_10_ROME, "scheduled"),
    ("closed", MONDAY_10_ROME, "closed"),
    ("fresh", MONDAY_10_ROME - timedelta(days=1), "closed_weekday"),
])
def test_the_dashboards_reason_for_a_contact_is_the_first_refusal_of_the_decision(
        state: str, at: datetime, code: str) -> None:
    # Given Giulia in a state, and her row in the due queue
    campaign = natale()
    giulia, person = giulia_in(state, campaign)
    # When the decision judges her aggregates and "why is nobody dialled" counts her row
    verdict = decide(giulia, person, campaign, at, REGISTER_CHECKED)
    counted = row_reason(row_of(giulia, person, campaign, at), closed_because(campaign.rules(giulia.reach), at))
    # Then both name the same first rule
    assert counted.code == code
    assert (verdict.codes[:1] or ("callable",)) == (code,)
