"""The capacity forecast: how many contacts the volunteers' hours reach, and the day the list runs out. Pure.

By default the hours are the shifts already scheduled for outreach (signed-up volunteers x slot hours, from now
to the campaign's end); a what-if gives volunteers and hours per day instead, spread over the calling days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.campaigns.calendar import Reach, calling_days, governs, reach_from_key, zone
from services.campaigns.domain.campaign import Campaign

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Slot:
    """A scheduled shift: when, and how many volunteers signed up for it."""

    starts_at: datetime
    ends_at: datetime
    volunteers: int


@dataclass(frozen=True)
class Forecast:
    basis: str  # "schedule" or "what-if"
    open_contacts: int  # contacts that can still be called (not closed, not suppressed, governed by the policy)
    handle_seconds: int
    volunteer_hours: Decimal  # schedule: every scheduled hour from now; what-if: per calling day
    scheduled_contacts: int | None  # schedule: the contacts those hours reach
    contacts_per_day: int
    exhausted_on: date | None  # None: the hours do not reach the end of the list


def from_schedule(open_contacts: int, handle_seconds: int, slots: list[Slot], now: datetime, until: datetime,
                  zone: ZoneInfo) -> Forecast:
    """The scheduled hours between `now` and `until` (a shift under way counts from now), day by day."""
    seconds_by_day: dict[date, Decimal] = {}
    for slot in slots:
        start, end = max(slot.starts_at, now), min(slot.ends_at, until)
        if end > start and slot.volunteers > 0:
            day = start.astimezone(zone).date()
            seconds = Decimal((end - start).total_seconds()) * slot.volunteers
            seconds_by_day[day] = seconds_by_day.get(day, Decimal(0)) + seconds
    total = sum(seconds_by_day.values(), Decimal(0))
    exhausted_on = now.astimezone(zone).date() if open_contacts == 0 else None
    done = Decimal(0)
    for day in sorted(seconds_by_day):
        done += seconds_by_day[day]
        if exhausted_on is None and int(done / handle_seconds) >= open_contacts:
            exhausted_on = day
    reached = int(total / handle_seconds)
    per_day = reached // len(seconds_by_day) if seconds_by_day else 0
    return Forecast("schedule", open_contacts, handle_seconds, (total / 3600).quantize(CENTS), reached, per_day,
                    exhausted_on)


def what_if(open_contacts: int, handle_seconds: int, volunteers: int, hours_per_day: Decimal, today: date,
            calling_days: Callable[[int], list[date]]) -> Forecast:
    """`volunteers` x `hours_per_day` on every calling day from today; `calling_days(n)`: the next n of them."""
    per_day = int(Decimal(volunteers) * hours_per_day * 3600 / handle_seconds)
    hours = (Decimal(volunteers) * hours_per_day).quantize(CENTS)
    if per_day == 0 or open_contacts == 0:
        return Forecast("what-if", open_contacts, handle_seconds, hours, None, per_day,
                        None if per_day == 0 else today)
    needed = -(-open_contacts // per_day)
    days = calling_days(needed) if needed <= 366 else []
    return Forecast("what-if", open_contacts, handle_seconds, hours, None, per_day,
                    days[-1] if len(days) == needed else None)


def span(campaign: Campaign, now: datetime) -> tuple[datetime, datetime]:
    """The part of the campaign's dates still ahead: from now (or its first day) to the end of its last day."""
    home, window = zone(campaign.window.timezone), campaign.window
    first, after = window.first_day, window.last_day + timedelta(days=1)
    since = max(now, datetime(first.year, first.month, first.day, tzinfo=home))
    return since, datetime(after.year, after.month, after.day, tzinfo=home)


def of_campaign(campaign: Campaign, now: datetime, stats: Mapping[str, Any], keys: Sequence[Mapping[str, Any]],
                handle_seconds: int | None, what_if_hours: tuple[int | None, Decimal | None],
                schedule: tuple[list[Slot], datetime, datetime]) -> Forecast:
    """The campaign's forecast from the due queue's figures: `stats` (attempts and talk time so far), `keys` (the
    contacts still callable by calendar key), and either a what-if (volunteers, hours a day) or the schedule."""
    attempts, talk = int(stats.get("attempts") or 0), int(stats.get("talk") or 0)
    handle = handle_seconds or (max(60, talk // attempts) if attempts else 300)
    open_contacts = sum(int(r["n"]) for r in keys if governs(campaign.policy, reach_from_key(r["calendar_key"])))
    home = zone(campaign.window.timezone)
    volunteers, hours_per_day = what_if_hours
    if volunteers is not None and hours_per_day is not None:
        # The calling days of a number of the campaign's home, or of the policy's own country.
        local = campaign.window.timezone if campaign.window.timezone in campaign.policy.timezones else \
            min(campaign.policy.timezones)
        rules, today = campaign.rules(Reach((local,))), now.astimezone(home).date()
        return what_if(open_contacts, handle, volunteers, hours_per_day, today, lambda n: calling_days(rules, today, n))
    return from_schedule(open_contacts, handle, *schedule, home)
