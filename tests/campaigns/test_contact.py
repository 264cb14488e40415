"""The Contact aggregate on its own: leases given, renewed, lapsed and handed back; attempts and what follows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.campaigns.calendar import ITALY_2024, CampaignWindow, Interval, Reach, Rules
from services.campaigns.domain.campaign import RetryPolicy
from services.campaigns.domain.contact import (
    CLOSING,
    Contact,
    ContactAlreadyLeased,
    ContactClosed,
    ContactNotDue,
    NotTheLeaseHolder,
    Plan,
    UnknownDisposition,
    plan_after,
)
from services.kernel.eventstore import ServiceApplication
from tests.conftest import MEMORY

NATALE_2026 = UUID("4e9b1c2a-7d3f-4a10-9c5e-2b6d8f0a1c3e")
GIULIA = uuid4()  # the volunteer
MARCO = uuid4()  # another volunteer
MONDAY_10_ROME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MONDAY_WINDOW = Interval(MONDAY_10_ROME, datetime(2026, 11, 23, 19, 0, tzinfo=UTC))  # until 20:00 in Rome
POLICY = ITALY_2024.label
FIVE_MINUTES = timedelta(minutes=5)
RULES = Rules(CampaignWindow(), ITALY_2024, Reach(("Europe/Rome",), "Milano"))


def rossi(due_at: datetime = MONDAY_10_ROME) -> Contact:
    """Signora Rossi, a contact of Natale 2026 in Milano, imported (and so due) at `due_at`."""
    return Contact(NATALE_2026, uuid4(), ["Europe/Rome"], "Milano", ["18:00-20:00"], uuid4(), due_at)


def leased_to(volunteer: UUID, at: datetime = MONDAY_10_ROME) -> Contact:
    contact = rossi()
    contact.lease(volunteer, uuid4(), at, at + FIVE_MINUTES, POLICY, MONDAY_WINDOW)
    return contact


def rome(day: int, hour: int, minute: int = 0) -> datetime:
    """That November/December 2026 day's hour in Rome (UTC+1 all winter), as UTC."""
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour - 1, minutes=minute)


def test_one_person_in_one_campaign_is_always_the_same_contact() -> None:
    # Given one person imported twice into Natale 2026
    person = uuid4()
    first = Contact(NATALE_2026, person, ["Europe/Rome"], "Milano", [], uuid4(), MONDAY_10_ROME)
    again = Contact(NATALE_2026, person, ["Europe/Rome"], "", [], uuid4(), MONDAY_10_ROME + timedelta(days=1))
    # Then both imports name the same contact, and another campaign names another
    assert first.id == again.id
    assert Contact(uuid4(), person, ["Europe/Rome"], "Milano", [], uuid4(), MONDAY_10_ROME).id != first.id


def test_a_fresh_contact_is_due_at_its_import_and_leased_with_the_policy_and_interval_that_allowed_it() -> None:
    # Given Signora Rossi, imported on Monday at 10:00 in Rome
    contact = rossi()
    assert (contact.kind, contact.due_at, contact.attempts) == ("fresh", MONDAY_10_ROME, 0)
    # When volunteer Giulia leases her for five minutes
    lease_id = uuid4()
    contact.lease(GIULIA, lease_id, MONDAY_10_ROME, MONDAY_10_ROME + FIVE_MINUTES, POLICY, MONDAY_WINDOW)
    # Then Giulia holds her until then, and the lease keeps its proof of compliance
    assert (contact.volunteer_id, contact.lease_id) == (str(GIULIA), str(lease_id))
    assert contact.held(MONDAY_10_ROME + FIVE_MINUTES - timedelta(seconds=1))
    assert not contact.held(MONDAY_10_ROME + FIVE_MINUTES)
    assert (contact.allowed_from, contact.allowed_until) == (MONDAY_WINDOW.start, MONDAY_WINDOW.end)
    leased = contact.pending_events[-1]
    assert type(leased).__name__ == "Leased" and leased.policy == "it-telemarketing-2024@v1"  # type: ignore[attr-defined]


def test_a_contact_leased_to_giulia_is_refused_to_marco_until_her_lease_lapses() -> None:
    # Given Giulia holds Signora Rossi until 10:05
    contact = leased_to(GIULIA)
    # When Marco asks for her at 10:04
    with pytest.raises(ContactAlreadyLeased, match=re.escape(
            f"contact {contact.id} is leased to another volunteer until {MONDAY_10_ROME + FIVE_MINUTES}")):
        contact.lease(MARCO, uuid4(), MONDAY_10_ROME + timedelta(minutes=4), MONDAY_10_ROME + timedelta(minutes=9),
                      POLICY, MONDAY_WINDOW)
    assert contact.volunteer_id == str(GIULIA)
    # Then at 10:05 the lease has lapsed, and Marco gets her
    contact.lease(MARCO, uuid4(), MONDAY_10_ROME + FIVE_MINUTES, MONDAY_10_ROME + timedelta(minutes=10), POLICY,
                  MONDAY_WINDOW)
    assert contact.volunteer_id == str(MARCO)


def test_the_holder_asking_again_gets_a_new_lease_on_her_own_contact() -> None:
    # Given Giulia holds Signora Rossi
    contact = leased_to(GIULIA)
    first_lease = contact.lease_id
    # When she asks again a minute later
    contact.lease(GIULIA, uuid4(), MONDAY_10_ROME + timedelta(minutes=1), MONDAY_10_ROME + timedelta(minutes=6),
                  POLICY, MONDAY_WINDOW)
    # Then she holds it under a new lease, until the new end
    assert contact.lease_id != first_lease and contact.lease_until == MONDAY_10_ROME + timedelta(minutes=6)


def test_a_contact_is_not_leased_before_it_is_due() -> None:
    # Given Signora Rossi, due only on Tuesday at 10:00 in Rome
    tuesday = MONDAY_10_ROME + timedelta(days=1)
    contact = rossi(due_at=tuesday)
    # When Giulia asks for her on Monday
    with pytest.raises(ContactNotDue, match=re.escape(f"contact {contact.id} is not due before {tuesday}")):
        contact.lease(GIULIA, uuid4(), MONDAY_10_ROME, MONDAY_10_ROME + FIVE_MINUTES, POLICY, MONDAY_WINDOW)
    # Then nothing happened
    assert contact.volunteer_id == "" and len(contact.pending_events) == 1


def test_a_closed_contact_is_never_leased_again() -> None:
    # Given Signora Rossi pledged on Giulia's call
    contact = leased_to(GIULIA)
    contact.record_attempt(str(GIULIA), "pledged", MONDAY_10_ROME + timedelta(minutes=3), 240,
                           Plan(None, "closed", "pledged"))
    # When Marco asks for her the next week
    with pytest.raises(ContactClosed, match=re.escape(f"contact {contact.id} is closed (pledged)")):
        contact.lease(MARCO, uuid4(), MONDAY_10_ROME + timedelta(days=7), MONDAY_10_ROME + timedelta(days=7, minutes=5),
                      POLICY, MONDAY_WINDOW)


def test_the_holder_renews_her_lease_and_holds_the_contact_until_the_new_end() -> None:
    # Given Giulia holds Signora Rossi until 10:05
    contact = leased_to(GIULIA)
    # When she renews it at 10:04 until 10:09
    contact.renew(GIULIA, MONDAY_10_ROME + timedelta(minutes=4), MONDAY_10_ROME + timedelta(minutes=9))
    # Then it is still hers at 10:08, and free at 10:09
    assert contact.held(MONDAY_10_ROME + timedelta(minutes=8))
    assert not contact.held(MONDAY_10_ROME + timedelta(minutes=9))


@pytest.mark.parametrize("step", ["renew", "hand_back"])
def test_only_the_holder_may_renew_or_hand_back_and_only_while_the_lease_lasts(step: str) -> None:
    # Given Giulia holds Signora Rossi until 10:05
    contact = leased_to(GIULIA)
    at_10_04, at_10_05 = MONDAY_10_ROME + timedelta(minutes=4), MONDAY_10_ROME + FIVE_MINUTES

    def attempt(volunteer: UUID, now: datetime) -> None:
        if step == "renew":
            contact.renew(volunteer, now, now + FIVE_MINUTES)
        else:
            contact.hand_back(volunteer, now, "pausa caffè")

    # When Marco tries it while she holds it, or Giulia once her lease has lapsed
    for volunteer, now in ((MARCO, at_10_04), (GIULIA, at_10_05)):
        with pytest.raises(NotTheLeaseHolder, match=re.escape(
                f"volunteer {volunteer} does not hold a lease on contact {contact.id}")):
            attempt(volunteer, now)
    # Then nothing changed
    assert contact.volunteer_id == str(GIULIA) and contact.lease_until == at_10_05


def test_a_handed_back_contact_is_free_at_once_and_still_due() -> None:
    # Given Giulia holds Signora Rossi until 10:05
    contact = leased_to(GIULIA)
    # When she hands her back at 10:01
    at_10_01 = MONDAY_10_ROME + timedelta(minutes=1)
    contact.hand_back(GIULIA, at_10_01, "la volontaria deve andare")
    # Then nobody holds her, she is still a fresh contact due now, and Marco may lease her at once
    assert (contact.volunteer_id, contact.lease_id, contact.lease_until) == ("", "", None)
    assert not contact.held(at_10_01) and (contact.kind, contact.due_at) == ("fresh", MONDAY_10_ROME)
    contact.lease(MARCO, uuid4(), at_10_01, at_10_01 + FIVE_MINUTES, POLICY, MONDAY_WINDOW)
    assert contact.volunteer_id == str(MARCO)


def test_only_a_lapsed_lease_expires() -> None:
    # Given Signora Rossi, not leased: nothing to expire
    contact = rossi()
    assert contact.expire(MONDAY_10_ROME) is False
    # And then leased to Giulia until 10:05
    contact.lease(GIULIA, uuid4(), MONDAY_10_ROME, MONDAY_10_ROME + FIVE_MINUTES, POLICY, MONDAY_WINDOW)
    # When the sweep looks at 10:04, and again at 10:05
    assert contact.expire(MONDAY_10_ROME + timedelta(minutes=4)) is False
    assert contact.volunteer_id == str(GIULIA)
    assert contact.expire(MONDAY_10_ROME + FIVE_MINUTES) is True
    # Then the lapsed lease is cleared, recorded as Giulia's, and a second sweep finds nothing
    expired = contact.pending_events[-1]
    assert type(expired).__name__ == "LeaseExpired" and expired.volunteer_id == str(GIULIA)  # type: ignore[attr-defined]
    assert contact.volunteer_id == "" and contact.expire(MONDAY_10_ROME + timedelta(minutes=6)) is False


def test_a_call_under_way_keeps_the_contact_held_two_hours_past_its_lease_but_no_longer() -> None:
    # Given Giulia's call to Signora Rossi started at 10:02, within her lease until 10:05
    contact = leased_to(GIULIA)
    contact.call_started(str(GIULIA), MONDAY_10_ROME + timedelta(minutes=2))
    # Then the contact stays held (and does not expire) until 12:05, and no later
    assert contact.in_call and contact.held(MONDAY_10_ROME + timedelta(hours=2, minutes=4))
    assert contact.expire(MONDAY_10_ROME + timedelta(hours=2, minutes=4)) is False
    assert not contact.held(MONDAY_10_ROME + timedelta(hours=2, minutes=5))
    assert contact.expire(MONDAY_10_ROME + timedelta(hours=2, minutes=5)) is True


def test_a_call_started_by_someone_who_does_not_hold_the_lease_gives_no_grace() -> None:
    # Given Giulia holds Signora Rossi until 10:05
    contact = leased_to(GIULIA)
    # When a call by Marco is reported started
    contact.call_started(str(MARCO), MONDAY_10_ROME + timedelta(minutes=2))
    # Then Giulia's lease still ends at 10:05
    assert not contact.in_call and not contact.held(MONDAY_10_ROME + FIVE_MINUTES)


def test_an_attempt_counts_frees_the_holders_lease_and_schedules_the_retry() -> None:
    # Given Giulia holds Signora Rossi
    contact = leased_to(GIULIA)
    # When her call ends unanswered at 10:03, with a retry planned for 14:00 in Rome
    ended = MONDAY_10_ROME + timedelta(minutes=3)
    contact.record_attempt(str(GIULIA), "no_answer", ended, 0, Plan(rome(23, 14), "retry", ""))
    # Then the attempt counts, the lease is gone, and she is a retry due at 14:00
    assert (contact.attempts, contact.last_attempt_at) == (1, ended)
    assert (contact.kind, contact.due_at, contact.closed_reason) == ("retry", rome(23, 14), "")
    assert contact.volunteer_id == "" and not contact.held(ended)


def test_an_attempt_reported_for_another_volunteer_leaves_the_current_lease_alone() -> None:
    # Given Giulia's lease lapsed and Marco now holds Signora Rossi
    contact = leased_to(GIULIA)
    later = MONDAY_10_ROME + timedelta(minutes=10)
    contact.lease(MARCO, uuid4(), later, later + FIVE_MINUTES, POLICY, MONDAY_WINDOW)
    # When Giulia's late call is reported ended busy
    contact.record_attempt(str(GIULIA), "busy", later, 0, Plan(rome(23, 13), "retry", ""))
    # Then it counts, and Marco keeps his lease
    assert contact.attempts == 1 and contact.volunteer_id == str(MARCO) and contact.held(later)


def test_an_attempt_that_closes_the_contact_keeps_its_last_due_time() -> None:
    # Given Giulia calls Signora Rossi
    contact = leased_to(GIULIA)
    # When she says she is not interested
    contact.record_attempt(str(GIULIA), "not_interested", MONDAY_10_ROME, 30, Plan(None, "closed", "not_interested"))
    # Then the contact is closed for that reason, due time unchanged
    assert (contact.kind, contact.closed_reason, contact.due_at) == ("closed", "not_interested", MONDAY_10_ROME)


def test_an_unknown_disposition_is_refused_and_nothing_is_recorded() -> None:
    # Given Giulia calls Signora Rossi
    contact = leased_to(GIULIA)
    events = len(contact.pending_events)
    # When the call is reported ended "maybe"
    with pytest.raises(UnknownDisposition, match=r"disposition must be one of \[.*'no_answer'.*\], got 'maybe'"):
        contact.record_attempt(str(GIULIA), "maybe", MONDAY_10_ROME, 0, Plan(None, "closed", "maybe"))
    # Then no attempt is counted and Giulia still holds the lease
    assert contact.attempts == 0 and contact.volunteer_id == str(GIULIA) and len(contact.pending_events) == events


def test_details_merged_from_a_later_import_keep_what_it_leaves_blank() -> None:
    # Given Signora Rossi in Milano, best called 18:00-20:00
    contact = rossi()
    # When a later import names no town but a new preferred time, then one with a town and no times
    contact.merge_details("", ["09:00-12:00"], uuid4())
    assert (contact.municipality, contact.preferred_times) == ("Milano", ["09:00-12:00"])
    contact.merge_details("Monza", [], uuid4())
    # Then each blank kept the earlier value
    assert (contact.municipality, contact.preferred_times) == ("Monza", ["09:00-12:00"])
    assert contact.reach.municipality == "Monza" and [str(h.start) for h in contact.reach.preferred] == ["09:00:00"]


# What follows an attempt: the retry policy by outcome, within the calling rules.

@pytest.mark.parametrize("disposition", sorted(CLOSING))
def test_each_closing_outcome_closes_the_contact_with_that_outcome_as_the_reason(disposition: str) -> None:
    assert plan_after(disposition, 1, MONDAY_10_ROME, None, RULES, RetryPolicy(), None) == \
        Plan(None, "closed", disposition)


def test_the_last_allowed_unanswered_attempt_closes_the_contact_for_max_attempts() -> None:
    # Given a campaign allowing five attempts
    retry = RetryPolicy(max_attempts=5)
    # When the fourth and then the fifth call go unanswered
    fourth = plan_after("no_answer", 4, MONDAY_10_ROME, None, RULES, retry, None)
    fifth = plan_after("no_answer", 5, MONDAY_10_ROME, None, RULES, retry, None)
    # Then the fourth is retried and the fifth closes the contact
    assert fourth.kind == "retry" and fifth == Plan(None, "closed", "max_attempts")


def test_no_answer_at_ten_is_retried_four_hours_later_in_the_afternoon_band() -> None:
    assert plan_after("no_answer", 1, rome(23, 10), None, RULES, RetryPolicy(), None) == \
        Plan(rome(23, 14), "retry", "")


def test_busy_at_ten_is_retried_not_after_one_hour_but_in_the_next_band() -> None:
    # An hour later would still be the morning band the busy call was in: the retry waits for 13:00
    assert plan_after("busy", 1, rome(23, 10), None, RULES, RetryPolicy(), None) == Plan(rome(23, 13), "retry", "")


def test_a_persons_rest_pushes_the_retry_past_it() -> None:
    # Given Signora Rossi resting until Saturday 28 November at 11:00 (an abandoned call elsewhere)
    rest_until = rome(28, 11)
    # When a no-answer on Monday at 10:00 is planned
    plan = plan_after("no_answer", 1, rome(23, 10), None, RULES, RetryPolicy(), rest_until)
    # Then the retry waits for the rest, then for another band than Monday's morning call: Saturday at 13:00
    assert plan == Plan(rome(28, 13), "retry", "")


def test_a_callback_is_planned_at_the_time_asked_when_the_window_allows_it() -> None:
    assert plan_after("callback_requested", 1, rome(23, 10), rome(24, 18, 30), RULES, RetryPolicy(), None) == \
        Plan(rome(24, 18, 30), "callback", "")


def test_a_callback_asked_for_saturday_night_moves_to_monday_morning() -> None:
    # Given a donor asking to be called back on Saturday 28 November at 22:00, when the campaign does not call
    plan = plan_after("callback_requested", 1, rome(23, 10), rome(28, 22), RULES, RetryPolicy(), None)
    # Then the callback is planned for the first allowed instant: Monday 30 November at 10:00 (Sunday is closed)
    assert plan == Plan(rome(30, 10), "callback", "")


def test_a_callback_time_already_past_is_planned_from_the_end_of_the_call() -> None:
    # The calls service refuses a past callback time; should one arrive, it never schedules into the past
    assert plan_after("callback_requested", 1, rome(23, 10), rome(20, 18), RULES, RetryPolicy(), None) == \
        Plan(rome(23, 10), "callback", "")


def test_a_callback_requested_without_a_time_is_retried_like_no_answer() -> None:
    assert plan_after("callback_requested", 1, rome(23, 10), None, RULES, RetryPolicy(), None) == \
        Plan(rome(23, 14), "retry", "")


def test_a_retry_or_callback_after_the_campaigns_last_day_closes_the_contact_for_no_allowed_time() -> None:
    # Given Natale 2026 calling until Monday 23 November only
    rules = Rules(CampaignWindow(last_day=rome(23, 10).date()), ITALY_2024, Reach(("Europe/Rome",), "Milano"))
    # When a call ends unanswered at 19:00, or asking for a callback on Tuesday
    no_answer = plan_after("no_answer", 1, rome(23, 19), None, rules, RetryPolicy(), None)
    callback = plan_after("callback_requested", 1, rome(23, 19), rome(24, 11), rules, RetryPolicy(), None)
    # Then there is no allowed time left
    assert no_answer == callback == Plan(None, "closed", "no_allowed_time")


def test_a_contact_saved_and_read_back_replays_to_the_same_state() -> None:
    # Given Signora Rossi, leased, renewed, called with no answer, leased again by Marco and her call started
    contact = leased_to(GIULIA)
    contact.renew(GIULIA, MONDAY_10_ROME + timedelta(minutes=4), MONDAY_10_ROME + timedelta(minutes=9))
    contact.record_attempt(str(GIULIA), "no_answer", MONDAY_10_ROME + timedelta(minutes=6), 0,
                           Plan(rome(23, 14), "retry", ""))
    contact.lease(MARCO, uuid4(), rome(23, 14), rome(23, 14, 5), POLICY, Interval(rome(23, 14), rome(23, 20)))
    contact.call_started(str(MARCO), rome(23, 14, 1))
    # When it is saved in the in-memory event store and read back
    app = ServiceApplication(dict(MEMORY))
    app.save(contact)
    loaded = app.get(contact.id, Contact)
    # Then the replayed events give the same state
    assert vars(loaded) == vars(contact)
    assert (loaded.version, loaded.attempts, loaded.volunteer_id, loaded.in_call) == (6, 1, str(MARCO), True)
