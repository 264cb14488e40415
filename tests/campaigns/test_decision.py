"""The dialer's decision is one pure function: the verdict that gates an offer is the one that explains a refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from services.campaigns.dialer.decision import decide
from services.campaigns.domain.campaign import Campaign, default_retry
from services.campaigns.domain.contact import Contact
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
