"""The on-hold rule, read like the rule: a hard bounce or a complaint holds an address at once; soft bounces hold it
at the threshold within the window; a notification delivered twice counts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput
from services.kernel.settings import MailSettings
from services.mail import people, tokens
from services.mail.application import MailApplication
from services.mail.bounces import Bounce
from services.mail.domain.address import BounceKindNotValid, HoldPolicy, HoldPolicyNotValid, MailAddress
from services.privacy.application import PrivacyVault
from tests.conftest import MEMORY

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POLICY = HoldPolicy()


def soft(address: MailAddress, message: str, at: datetime) -> None:
    address.record_bounce(message, "soft", "4.2.2", at, POLICY)


def test_a_hard_bounce_puts_the_address_on_hold_at_once() -> None:
    giulia = MailAddress("giulia")
    giulia.record_bounce("natale-2026/1", "hard", "5.1.1", MONDAY, POLICY)
    assert (giulia.on_hold, giulia.hold_reason, giulia.held_at) == (True, "hard bounce 5.1.1", MONDAY)


def test_a_complaint_puts_the_address_on_hold_at_once() -> None:
    luca = MailAddress("luca")
    luca.record_bounce("natale-2026/1", "complaint", "", MONDAY, POLICY)
    assert luca.on_hold and luca.hold_reason == "complaint (marked as spam)"


def test_three_soft_bounces_within_30_days_put_the_address_on_hold() -> None:
    sara = MailAddress("sara")
    soft(sara, "natale-2026/1", MONDAY)
    soft(sara, "natale-2026/2", MONDAY + timedelta(days=10))
    assert not sara.on_hold
    soft(sara, "natale-2026/3", MONDAY + timedelta(days=29))
    assert (sara.on_hold, sara.hold_reason) == (True, "3 soft bounces within 30 days")


def test_three_soft_bounces_over_60_days_do_not() -> None:
    marco = MailAddress("marco")
    for n, day in enumerate((0, 30, 60)):
        soft(marco, f"mailing/{n}", MONDAY + timedelta(days=day))
    assert not marco.on_hold and marco.bounces == 3


def test_the_same_notification_twice_counts_once() -> None:
    sara = MailAddress("sara")
    soft(sara, "natale-2026/1", MONDAY)
    soft(sara, "natale-2026/1", MONDAY + timedelta(hours=1))  # the MTA delivered its DSN again
    soft(sara, "natale-2026/2", MONDAY + timedelta(days=1))
    assert not sara.on_hold and sara.bounces == 2
    assert len(sara.collect_events()) == 3  # registered + two bounces recorded


def test_a_soft_then_a_hard_bounce_of_one_message_are_two_facts() -> None:
    """Postfix says 'delayed' then, days later, 'failed': both count, the second holds the address."""
    anna = MailAddress("anna")
    soft(anna, "natale-2026/1", MONDAY)
    anna.record_bounce("natale-2026/1", "hard", "5.4.7", MONDAY + timedelta(days=5), POLICY)
    assert anna.on_hold and anna.bounces == 2


def test_the_threshold_is_a_parameter() -> None:
    strict = HoldPolicy(threshold=1, window=timedelta(days=7))
    paola = MailAddress("paola")
    paola.record_bounce("m/1", "soft", "4.4.1", MONDAY, strict)
    assert paola.on_hold and paola.hold_reason == "1 soft bounces within 7 days"


def test_a_release_starts_the_soft_count_afresh() -> None:
    sara = MailAddress("sara")
    for n in range(3):
        soft(sara, f"m/{n}", MONDAY + timedelta(days=n))
    sara.release(MONDAY + timedelta(days=3), by="ufficio donazioni")
    soft(sara, "m/3", MONDAY + timedelta(days=4))
    assert not sara.on_hold


def test_a_hold_is_judged_when_the_bounce_arrives_and_replays_as_it_was() -> None:
    sara = MailAddress("sara")
    for n in range(3):
        soft(sara, f"m/{n}", MONDAY + timedelta(days=n))
    replayed = None
    for event in sara.collect_events():
        replayed = event.mutate(replayed)
    assert isinstance(replayed, MailAddress) and replayed.on_hold
    assert replayed.hold_reason == "3 soft bounces within 30 days"


@pytest.mark.parametrize(("threshold", "window"), [(0, timedelta(days=30)), (3, timedelta(0)), (51, timedelta(1))])
def test_a_policy_that_cannot_work_is_refused(threshold: int, window: timedelta) -> None:
    with pytest.raises(HoldPolicyNotValid):
        HoldPolicy(threshold, window)


def test_an_unknown_bounce_kind_is_refused_and_records_nothing() -> None:
    giulia = MailAddress("giulia")
    with pytest.raises(BounceKindNotValid, match="hard, soft, complaint"):
        giulia.record_bounce("m/1", "bounced", "5.1.1", MONDAY, POLICY)
    assert giulia.bounces == 0 and isinstance(BounceKindNotValid("x"), InvalidInput)


# Use cases on the in-memory store, bounces naming their message by real signed tokens.
KEY = b"k" * 32
GIULIA, MARCO, SARA, LUCA = (UUID(int=n) for n in range(1, 5))


@pytest.fixture
def mail(vault: PrivacyVault) -> MailApplication:
    return MailApplication(dict(MEMORY), vault, MailSettings(), KEY, clock=FixedClock(MONDAY))


def returned(who: UUID, kind: str, status: str, message: str = "natale-1", diagnostic: str = "") -> Bounce:
    return Bounce(tokens.sign(KEY, "bounce", who, "campaign:natale", message), kind, status, diagnostic, None)


def test_a_hard_bounce_received_puts_its_recipient_on_hold(mail: MailApplication) -> None:
    assert people.bounce(mail, returned(GIULIA, "hard", "5.1.1", diagnostic="550 5.1.1 user unknown"))
    assert mail.address(str(GIULIA)).on_hold and not mail.address(str(MARCO)).on_hold


def test_a_dsn_received_twice_is_saved_once(mail: MailApplication) -> None:
    bounce = returned(SARA, "soft", "4.2.2", diagnostic="mailbox full")
    people.bounce(mail, bounce)
    position = mail.recorder.max_notification_id()
    people.bounce(mail, bounce)
    assert mail.recorder.max_notification_id() == position
    assert mail.address(str(SARA)).bounces == 1


def test_soft_bounces_days_apart_hold_the_address_at_the_threshold(mail: MailApplication) -> None:
    clock = mail.clock
    assert isinstance(clock, FixedClock)
    for n in range(3):
        assert not mail.address(str(SARA)).on_hold
        people.bounce(mail, returned(SARA, "soft", "4.4.1", message=f"natale-{n}", diagnostic="timed out"))
        clock.advance(timedelta(days=10))
    assert mail.address(str(SARA)).on_hold


def test_a_bounce_whose_token_is_not_ours_is_dropped(mail: MailApplication) -> None:
    forged = Bounce(tokens.sign(b"x" * 32, "bounce", GIULIA, "campaign:natale", "natale-1"), "hard", "5.1.1", "", None)
    assert not people.bounce(mail, forged)
    assert not people.bounce(mail, Bounce("forged", "hard", "5.1.1", "", None))
    assert mail.recorder.max_notification_id() in (None, 0)


def test_an_address_is_released_by_a_person(mail: MailApplication) -> None:
    people.bounce(mail, returned(LUCA, "complaint", "", diagnostic="feedback report: abuse"))
    state = mail.release(str(LUCA), by="ufficio donazioni")
    assert not state.on_hold and state.bounces == 1
