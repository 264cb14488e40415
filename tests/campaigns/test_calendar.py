"""The calling window at every edge, under the Italian 2024 policy and the default campaign window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.campaigns.calendar import (
    ITALY_2024,
    CampaignWindow,
    Hours,
    Reach,
    Rules,
    interval_at,
    next_allowed,
    next_allowed_in_other_band,
    why_closed,
)
from services.campaigns.domain.campaign import RetryPolicy
from services.campaigns.domain.contact import plan_after

ROME = ZoneInfo("Europe/Rome")
WINDOW = CampaignWindow(first_day=date(2026, 1, 1), last_day=date(2027, 12, 31))
GIULIA_IN_ROME = Rules(WINDOW, ITALY_2024, Reach(("Europe/Rome",), "Roma"))
MARCO_IN_MILAN = Rules(WINDOW, ITALY_2024, Reach(("Europe/Rome",), "Milano"))


def rome(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ROME)


def allowed(rules: Rules, at: datetime) -> bool:
    return interval_at(rules, at) is not None


@pytest.mark.parametrize(("at", "expected"), [
    (rome(2026, 11, 23, 9, 59), False), (rome(2026, 11, 23, 10, 0), True),
    (rome(2026, 11, 23, 19, 59), True), (rome(2026, 11, 23, 20, 0), False),
])
def test_weekday_window_opens_at_ten_and_closes_at_eight(at: datetime, expected: bool) -> None:
    assert allowed(GIULIA_IN_ROME, at) is expected


def test_saturday_ends_at_seven_under_the_italian_policy() -> None:
    assert allowed(GIULIA_IN_ROME, rome(2026, 11, 28, 18, 59))
    assert not allowed(GIULIA_IN_ROME, rome(2026, 11, 28, 19, 0))
    assert why_closed(GIULIA_IN_ROME, rome(2026, 11, 28, 19, 0)).startswith("outside it-telemarketing-2024@v1 hours")


def test_sunday_is_never_allowed() -> None:
    assert not allowed(GIULIA_IN_ROME, rome(2026, 11, 29, 11))
    assert why_closed(GIULIA_IN_ROME, rome(2026, 11, 29, 11)) == "sunday"


def test_day_before_christmas_ends_at_seven_and_christmas_is_closed() -> None:
    assert allowed(GIULIA_IN_ROME, rome(2026, 12, 24, 18, 59))
    assert not allowed(GIULIA_IN_ROME, rome(2026, 12, 24, 19, 0))
    assert "eve of Christmas" in why_closed(GIULIA_IN_ROME, rome(2026, 12, 24, 19, 30))
    assert not allowed(GIULIA_IN_ROME, rome(2026, 12, 25, 11))
    assert "holiday" in why_closed(GIULIA_IN_ROME, rome(2026, 12, 25, 11))


def test_day_before_republic_day_ends_at_seven() -> None:
    assert allowed(GIULIA_IN_ROME, rome(2027, 6, 1, 18, 59))
    assert not allowed(GIULIA_IN_ROME, rome(2027, 6, 1, 19, 0))
    assert not allowed(GIULIA_IN_ROME, rome(2027, 6, 2, 11))


def test_easter_monday_2027_is_computed_and_closed() -> None:
    # Easter 2027 falls on 28 March: Monday the 29th is a national holiday, Tuesday the 30th is not.
    assert not allowed(GIULIA_IN_ROME, rome(2027, 3, 29, 11))
    assert "Easter Monday" in why_closed(GIULIA_IN_ROME, rome(2027, 3, 29, 11))
    assert allowed(GIULIA_IN_ROME, rome(2027, 3, 30, 11))


def test_seventh_of_december_is_closed_in_milan_only() -> None:
    assert not allowed(MARCO_IN_MILAN, rome(2026, 12, 7, 11))
    assert "Milano" in why_closed(MARCO_IN_MILAN, rome(2026, 12, 7, 11))
    assert allowed(GIULIA_IN_ROME, rome(2026, 12, 7, 11))
    # The eve of a Milan patron day is a short day for Milan contacts only (2027-12-06 is a Monday).
    assert not allowed(MARCO_IN_MILAN, rome(2027, 12, 6, 19, 30))
    assert allowed(GIULIA_IN_ROME, rome(2027, 12, 6, 19, 30))


def test_spring_forward_keeps_ten_o_clock_local() -> None:
    # Clocks go forward on Sunday 28 March 2027: 10:00 Rome is 09:00 UTC before and 08:00 UTC after.
    saturday = next_allowed(GIULIA_IN_ROME, datetime(2027, 3, 27, 6, 0, tzinfo=UTC))
    tuesday = next_allowed(GIULIA_IN_ROME, datetime(2027, 3, 28, 12, 0, tzinfo=UTC))
    assert saturday is not None and tuesday is not None
    assert saturday.start == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    assert tuesday.start == datetime(2027, 3, 30, 8, 0, tzinfo=UTC)  # Monday is Easter Monday
    assert tuesday.end == datetime(2027, 3, 30, 18, 0, tzinfo=UTC)


def test_fall_back_keeps_ten_o_clock_local() -> None:
    # Clocks go back on Sunday 25 October 2026: 10:00 Rome is 08:00 UTC before and 09:00 UTC after.
    saturday = next_allowed(GIULIA_IN_ROME, datetime(2026, 10, 24, 5, 0, tzinfo=UTC))
    monday = next_allowed(GIULIA_IN_ROME, datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    assert saturday is not None and monday is not None
    assert saturday.start == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    assert saturday.end == datetime(2026, 10, 24, 17, 0, tzinfo=UTC)  # 19:00 Rome, short Saturday
    assert monday.start == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_number_in_new_york_is_never_called_under_the_italian_policy() -> None:
    # 15:30 in Rome is 09:30 in New York: inside both windows as Rome reads them, yet no Italian rule governs John.
    john = Rules(WINDOW, ITALY_2024, Reach(("America/New_York",)))
    assert not allowed(john, rome(2026, 11, 23, 15, 30))
    assert why_closed(john, rome(2026, 11, 23, 15, 30)) == (
        "no calling policy for numbers in America/New_York: it-telemarketing-2024@v1 governs numbers in "
        "Europe/Rome, Europe/Vatican")
    assert next_allowed(john, rome(2026, 11, 23, 15, 30)) is None


def test_an_italian_mobile_number_keeps_rome_time_and_the_italian_calendar() -> None:
    maria = Rules(WINDOW, ITALY_2024, Reach(("Europe/Rome", "Europe/Vatican"), "Roma"))
    assert allowed(maria, rome(2026, 11, 23, 10, 0))
    assert not allowed(maria, rome(2026, 11, 23, 9, 59))
    assert not allowed(maria, rome(2026, 12, 8, 11, 0))  # Immacolata


# A policy written for the United States: the Italian numbers' rules, for New York's numbers and calendar.
NEW_YORK_POLICY = replace(ITALY_2024, name="us-example", country="US", timezones=frozenset({"America/New_York"}),
                          patron_days=())
JOHN_IN_NEW_YORK = Rules(WINDOW, NEW_YORK_POLICY, Reach(("America/New_York",)))


def new_york(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.parametrize(("at", "expected"), [
    (new_york(2026, 11, 23, 9, 59), False), (new_york(2026, 11, 23, 10, 0), True),
    (new_york(2026, 11, 23, 19, 59), True), (new_york(2026, 11, 23, 20, 0), False),
])
def test_a_campaign_open_ten_to_eight_calls_a_new_york_donor_ten_to_eight_new_york_time(
        at: datetime, expected: bool) -> None:
    # 20:00 Rome is 14:00 in New York: the window is the donor's, not the call centre's.
    assert allowed(JOHN_IN_NEW_YORK, at) is expected


def test_a_new_york_donor_is_never_offered_at_nine_his_time() -> None:
    # 09:00 in New York is inside the policy's hours but before the campaign opens where John is.
    assert why_closed(JOHN_IN_NEW_YORK, new_york(2026, 11, 23, 9, 0)) == (
        "campaign window 10:00-20:00 (America/New_York) closed")


def test_a_foreign_number_follows_its_own_countrys_calendar() -> None:
    assert not allowed(JOHN_IN_NEW_YORK, new_york(2026, 11, 26, 12, 0))  # Thanksgiving
    assert why_closed(JOHN_IN_NEW_YORK, new_york(2026, 11, 26, 12, 0)) == "holiday (Thanksgiving Day)"
    assert allowed(JOHN_IN_NEW_YORK, new_york(2026, 12, 8, 12, 0))  # an Italian holiday, a working day in New York


def test_preferred_times_narrow_the_window() -> None:
    evening = Rules(WINDOW, ITALY_2024, Reach(("Europe/Rome",), "", (Hours(time(18), time(21)),)))
    assert not allowed(evening, rome(2026, 11, 23, 17, 59))
    assert allowed(evening, rome(2026, 11, 23, 18, 0))
    assert not allowed(evening, rome(2026, 11, 23, 20, 0))


def test_a_callback_asked_for_half_past_nine_pm_moves_to_the_next_morning() -> None:
    asked = rome(2026, 11, 24, 21, 30)
    plan = plan_after("callback_requested", 1, rome(2026, 11, 24, 15), asked, GIULIA_IN_ROME, RetryPolicy(), None)
    assert plan.kind == "callback"
    assert plan.next_at == rome(2026, 11, 25, 10, 0)


def test_a_callback_asked_for_saturday_night_moves_to_monday() -> None:
    plan = plan_after("callback_requested", 1, rome(2026, 11, 28, 15), rome(2026, 11, 28, 21, 30), GIULIA_IN_ROME,
                      RetryPolicy(), None)
    assert plan.next_at == rome(2026, 11, 30, 10, 0)


def test_no_answer_is_retried_after_the_delay_in_another_time_band() -> None:
    # 10:30 is in the morning band; four hours later is 14:30, the afternoon band: allowed as is.
    plan = plan_after("no_answer", 1, rome(2026, 11, 23, 10, 30), None, GIULIA_IN_ROME, RetryPolicy(), None)
    assert plan == plan.__class__(rome(2026, 11, 23, 14, 30), "retry", "")
    # A busy line at 10:00 is retried one hour later, but not in the morning band again: 13:00.
    busy = plan_after("busy", 1, rome(2026, 11, 23, 10, 0), None, GIULIA_IN_ROME, RetryPolicy(), None)
    assert busy.next_at == rome(2026, 11, 23, 13, 0)


def test_voicemail_in_the_evening_is_not_retried_in_the_evening_band() -> None:
    at = rome(2026, 11, 23, 18, 0)
    next_at = next_allowed_in_other_band(GIULIA_IN_ROME, at + timedelta(days=1), at, RetryPolicy().bands)
    assert next_at == rome(2026, 11, 25, 10, 0)


@pytest.mark.parametrize("disposition", ["wrong_number", "do_not_call", "pledged", "not_interested"])
def test_final_outcomes_close_the_contact(disposition: str) -> None:
    plan = plan_after(disposition, 1, rome(2026, 11, 23, 11), None, GIULIA_IN_ROME, RetryPolicy(), None)
    assert plan.next_at is None and plan.closed_reason == disposition


def test_the_last_allowed_attempt_closes_the_contact() -> None:
    plan = plan_after("no_answer", 5, rome(2026, 11, 23, 11), None, GIULIA_IN_ROME, RetryPolicy(max_attempts=5), None)
    assert plan.closed_reason == "max_attempts"
