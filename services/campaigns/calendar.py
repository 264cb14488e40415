"""The calling-window engine: when a contact may be dialled. Pure functions over UTC instants (zoneinfo, DST-safe).

Allowed = campaign window ∩ regulatory policy ∩ the contact's preferred times, all three in the contact's local
time, in every time zone the number may be in: a campaign open 10:00-20:00 calls a donor 10:00-20:00 where the
donor is. A policy governs the numbers of the time zones it lists (the Italian one: Italian numbers); a number
outside them has no policy saying when it may be called, so it is never callable. Results are cached per
(rules, day), so a queue of 100,000 contacts sharing a few calendars costs a few hundred computations.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from services.kernel.errors import InvalidInput

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Reason:
    """Why something cannot happen: in English words, and as a stable code with its parameters (days as ISO
    dates, times as HH:MM), from which a reader's console writes it in the reader's language and formats."""

    text: str
    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class InvalidCalendar(InvalidInput):
    """A window, time range or time zone that cannot be understood."""


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span [start, end) of UTC instants."""

    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Hours:
    """Local wall-clock hours [start, end) within one day."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Hours:
        """'18:00-20:00' → Hours; 422 with the expected shape otherwise."""
        parts = text.strip().split("-")
        if len(parts) != 2:
            raise InvalidCalendar(f"time range must look like '18:00-20:00', got {text!r}")
        start, end = parse_time(parts[0]), parse_time(parts[1])
        if start >= end:
            raise InvalidCalendar(f"time range must end after it starts, got {text!r}")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidCalendar(f"time must look like '10:00', got {text!r}") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCalendar(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Rome'") from None


@dataclass(frozen=True)
class CampaignWindow:
    """When the campaign calls: weekdays and hours in the contact's local time, between dates. `timezone` is the
    campaign's home (where its dates end and "today" is for its reports), not the time of the calls."""

    weekdays: frozenset[int] = frozenset(range(6))
    hours: Hours = Hours(time(10), time(20))
    timezone: str = "Europe/Rome"
    first_day: date = date.min
    last_day: date = date.max


@dataclass(frozen=True)
class Policy:
    """A named, versioned regulatory calendar and contact-frequency rules, in the contact's local time, for the
    numbers whose every time zone is in `timezones`."""

    name: str
    version: int
    country: str
    timezones: frozenset[str]
    hours: Hours
    short_day_end: time
    closed_weekdays: frozenset[int]
    patron_days: tuple[tuple[str, int, int], ...]  # (municipality, month, day)
    register_max_age_days: int = 15
    weekly_attempts: int = 3
    conversation_rest_days: int = 30
    abandoned_rest_days: int = 5

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"


@dataclass(frozen=True)
class Reach:
    """The contact's side: the time zones its number may be in, its municipality, its preferred hours."""

    timezones: tuple[str, ...]
    municipality: str = ""
    preferred: tuple[Hours, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        """Contacts with the same key share every calendar answer (the dialer's queue groups by it)."""
        return "|".join((",".join(self.timezones), self.municipality, ",".join(map(str, self.preferred))))


@dataclass(frozen=True)
class Rules:
    window: CampaignWindow
    policy: Policy
    reach: Reach


def governs(policy: Policy, reach: Reach) -> bool:
    """Whether `policy` says when this number may be called: every zone the number may be in is one of its own."""
    return bool(reach.timezones) and set(reach.timezones) <= policy.timezones


def municipality_key(name: str) -> str:
    """'  MILANO ' and 'Milano' are the same place for patron-day purposes."""
    return " ".join(name.split()).casefold()


@lru_cache(maxsize=64)
def _national_holidays(country: str, year: int, language: str | None = None) -> dict[date, str]:
    """The country's public holidays of `year`, named in `language` where the library has that language (in its
    default language otherwise)."""
    return dict(holidays.country_holidays(country, years=year, language=language).items())


# The languages the console is read in, as the holidays library names them.
HOLIDAY_LANGUAGES = {"en": "en_US", "it": "it_IT"}


def holiday_reason(policy: Policy, day: date, municipality: str) -> Reason | None:
    """The holiday on `day` for a contact in `municipality`: a national one with its name in each console
    language (params `names`), or the patron saint's day of the contact's town (params `town`)."""
    national = _national_holidays(policy.country, day.year).get(day)
    if national:
        names = {language: _national_holidays(policy.country, day.year, code).get(day, national)
                 for language, code in HOLIDAY_LANGUAGES.items()}
        return Reason(national, "holiday", {"date": day.isoformat(), "names": names})
    place = municipality_key(municipality)
    for town, month, mday in policy.patron_days:
        if place and municipality_key(town) == place and (day.month, day.day) == (month, mday):
            return Reason(f"patron saint's day of {town}", "patron_day", {"date": day.isoformat(), "town": town})
    return None


def weekday_hours(policy: Policy, weekday: int) -> Hours | None:
    """The policy's hours on a weekday that is no holiday nor its eve (None: never called that weekday)."""
    if weekday in policy.closed_weekdays:
        return None
    if weekday == 5:  # Saturdays end early, like the eve of a public holiday
        return Hours(policy.hours.start, min(policy.hours.end, policy.short_day_end))
    return policy.hours


def policy_day(policy: Policy, day: date, municipality: str) -> tuple[Hours | None, str]:
    """The policy's hours for a local day (None when closed) and why it is closed or shortened ('' if neither)."""
    hours, why = policy_day_reason(policy, day, municipality)
    return hours, why.text if why else ""


def policy_day_reason(policy: Policy, day: date, municipality: str) -> tuple[Hours | None, Reason | None]:
    """The policy's hours for a local day (None when closed) and why it is closed or shortened (None if neither)."""
    hours = weekday_hours(policy, day.weekday())
    if hours is None:
        return None, Reason(WEEKDAY_NAMES[day.weekday()], "closed_weekday", {"weekday": day.weekday()})
    holiday = holiday_reason(policy, day, municipality)
    if holiday:
        return None, Reason(f"holiday ({holiday.text})", holiday.code, holiday.params)
    if hours != policy.hours:
        return hours, Reason(WEEKDAY_NAMES[day.weekday()], "short_weekday", {"weekday": day.weekday()})
    eve = holiday_reason(policy, day + timedelta(days=1), municipality)
    if eve:
        return Hours(policy.hours.start, min(policy.hours.end, policy.short_day_end)), \
            Reason(f"eve of {eve.text}", "eve", eve.params)
    return policy.hours, None


def _to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=65536)
def _window_on(window: CampaignWindow, timezone: str, day: date) -> tuple[Interval, ...]:
    if day.weekday() not in window.weekdays or not window.first_day <= day <= window.last_day:
        return ()
    tz = zone(timezone)
    return (Interval(_to_utc(day, window.hours.start, tz), _to_utc(day, window.hours.end, tz)),)


@lru_cache(maxsize=65536)
def _contact_on(policy: Policy, timezone: str, municipality: str, preferred: tuple[Hours, ...],
                day: date) -> tuple[Interval, ...]:
    hours, _ = policy_day_reason(policy, day, municipality)
    if hours is None:
        return ()
    tz = zone(timezone)
    spans = [hours] if not preferred else [
        Hours(max(hours.start, p.start), min(hours.end, p.end)) for p in preferred
    ]
    return tuple(sorted(Interval(_to_utc(day, s.start, tz), _to_utc(day, s.end, tz)) for s in spans if s.start < s.end))


def _days(start: datetime, end: datetime, tz: ZoneInfo) -> Iterable[date]:
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while first <= last:
        yield first
        first += timedelta(days=1)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Both lists sorted and non-overlapping; the result is too."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            out.append(Interval(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return out


def allowed_intervals(rules: Rules, start: datetime, end: datetime) -> list[Interval]:
    """Every instant in [start, end) at which the contact may be dialled, as sorted intervals."""
    if not governs(rules.policy, rules.reach):
        return []
    allowed = [Interval(start, end)]
    for name in rules.reach.timezones:
        days = list(_days(start, end, zone(name)))
        window = [i for d in days for i in _window_on(rules.window, name, d)]
        local = [i for d in days
                 for i in _contact_on(rules.policy, name, rules.reach.municipality, rules.reach.preferred, d)]
        allowed = intersect(allowed, intersect(window, local))
    return allowed


def interval_at(rules: Rules, at: datetime) -> Interval | None:
    """The allowed interval containing `at`, or None when dialling at `at` is not allowed."""
    for interval in allowed_intervals(rules, at - timedelta(days=1), at + timedelta(days=1)):
        if interval.contains(at):
            return interval
    return None


def next_allowed(rules: Rules, at: datetime, horizon_days: int = 62) -> Interval | None:
    """The first allowed interval that contains `at` or starts after it (clipped to start at `at`)."""
    step = timedelta(days=7)
    start = at
    while start < at + timedelta(days=horizon_days):
        for interval in allowed_intervals(rules, start, start + step):
            if interval.end > at:
                return Interval(max(interval.start, at), interval.end)
        start += step
    return None


def next_allowed_in_other_band(rules: Rules, at: datetime, avoid: datetime, bands: Sequence[Hours]) -> datetime | None:
    """The first allowed instant from `at` whose local time band differs from that of `avoid` (a retry rule).

    Bands are read in the contact's first time zone; with no band known for `avoid`, any allowed time does.
    """
    tz = zone(rules.reach.timezones[0])
    avoided = band_of(avoid.astimezone(tz).time(), bands)
    cursor: datetime | None = at
    for _ in range(40):
        if cursor is None:
            return None
        interval = next_allowed(rules, cursor)
        if interval is None:
            return None
        if avoided is None:
            return interval.start
        for piece in _split_by_bands(interval, tz, bands):
            if band_of(piece.start.astimezone(tz).time(), bands) != avoided:
                return piece.start
        cursor = interval.end
    return None


def band_of(at: time, bands: Sequence[Hours]) -> int | None:
    for index, band in enumerate(bands):
        if band.start <= at < band.end:
            return index
    return None


def _split_by_bands(interval: Interval, tz: ZoneInfo, bands: Sequence[Hours]) -> list[Interval]:
    cuts = {interval.start, interval.end}
    for day in _days(interval.start, interval.end, tz):
        for band in bands:
            for moment in (_to_utc(day, band.start, tz), _to_utc(day, band.end, tz)):
                if interval.start < moment < interval.end:
                    cuts.add(moment)
    ordered = sorted(cuts)
    return [Interval(a, b) for a, b in itertools.pairwise(ordered)]


def why_closed(rules: Rules, at: datetime) -> str:
    """Why `at` is outside every allowed interval, in words a campaign manager understands ('' if open)."""
    reason = closed_because(rules, at)
    return reason.text if reason else ""


def closed_because(rules: Rules, at: datetime) -> Reason | None:
    """Why `at` is outside every allowed interval (None if open), in words and as a code with parameters."""
    if interval_at(rules, at) is not None:
        return None
    window, policy, reach = rules.window, rules.policy, rules.reach
    if not governs(policy, reach):
        return Reason(f"no calling policy for numbers in {', '.join(reach.timezones)}: {policy.label} governs "
                      f"numbers in {', '.join(sorted(policy.timezones))}", "no_policy",
                      {"zones": list(reach.timezones), "policy": policy.label, "governs": sorted(policy.timezones)})
    local = {name: at.astimezone(zone(name)) for name in reach.timezones}
    if any(t.date() < window.first_day for t in local.values()):
        return Reason("campaign not started", "campaign_not_started", {"first_day": window.first_day.isoformat()})
    if any(t.date() > window.last_day for t in local.values()):
        return Reason("campaign ended", "campaign_ended", {"last_day": window.last_day.isoformat()})
    days = {name: policy_day_reason(policy, t.date(), reach.municipality) for name, t in local.items()}
    for hours, why in days.values():
        if hours is None:
            assert why is not None
            return why
    for t in local.values():
        if t.weekday() not in window.weekdays:
            return Reason(f"campaign does not call on {WEEKDAY_NAMES[t.weekday()]}", "campaign_weekday",
                          {"weekday": t.weekday()})
    for name, t in local.items():
        hours, why = days[name]
        assert hours is not None
        if not hours.start <= t.time() < hours.end:
            day = {"code": why.code, "params": why.params} if why else {"code": "weekday", "params": {}}
            return Reason(f"outside {policy.label} hours {hours} ({why.text if why else 'weekday'}) in {name}",
                          "outside_policy_hours", {"policy": policy.label, "from": f"{hours.start:%H:%M}",
                                                   "until": f"{hours.end:%H:%M}", "zone": name, "day": day})
        if reach.preferred and band_of(t.time(), reach.preferred) is None:
            return Reason(f"outside the contact's preferred times in {name}", "outside_preferred", {"zone": name})
    for name, t in local.items():
        if not window.hours.start <= t.time() < window.hours.end:
            return Reason(f"campaign window {window.hours} ({name}) closed", "campaign_window_closed",
                          {"from": f"{window.hours.start:%H:%M}", "until": f"{window.hours.end:%H:%M}", "zone": name})
    return Reason("no allowed interval in common", "no_common_interval")


def calling_days(rules: Rules, first: date, count: int) -> list[date]:
    """The next `count` dates (campaign time zone) with at least one allowed interval."""
    tz = zone(rules.window.timezone)
    days: list[date] = []
    day = first
    for _ in range(count * 3 + 14):
        start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        if allowed_intervals(rules, start, end):
            days.append(day)
            if len(days) == count:
                break
        day += timedelta(days=1)
    return days


ITALY_2024 = Policy(
    name="it-telemarketing-2024",
    version=1,
    country="IT",
    timezones=frozenset({"Europe/Rome", "Europe/Vatican"}),  # Italian numbers (the Vatican's are in its plan)
    hours=Hours(time(9), time(21)),
    short_day_end=time(19),
    closed_weekdays=frozenset({6}),
    patron_days=(
        ("Milano", 12, 7), ("Roma", 6, 29), ("Torino", 6, 24), ("Genova", 6, 24), ("Firenze", 6, 24),
        ("Napoli", 9, 19), ("Bologna", 10, 4), ("Palermo", 7, 15), ("Bari", 12, 6), ("Venezia", 4, 25),
    ),
)

POLICIES: dict[tuple[str, int], Policy] = {(ITALY_2024.name, ITALY_2024.version): ITALY_2024}


class UnknownPolicy(InvalidInput):
    pass


def policy_named(name: str, version: int) -> Policy:
    try:
        return POLICIES[(name, version)]
    except KeyError:
        known = ", ".join(p.label for p in POLICIES.values())
        raise UnknownPolicy(f"calling policy {name}@v{version} is unknown; known policies: {known}") from None


def reach_from_key(key: str) -> Reach:
    """The inverse of `Reach.key` (the queue index stores keys, the dialer asks which are open)."""
    zones, municipality, preferred = key.split("|")
    return Reach(tuple(zones.split(",")), municipality,
                 tuple(Hours.parse(p) for p in preferred.split(",") if p))
