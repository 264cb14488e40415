"""Campaign: what is raised for, the script, the calling window and policies, and its lifecycle."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.campaigns.calendar import (
    CampaignWindow,
    Hours,
    Policy,
    Reach,
    Reason,
    Rules,
    parse_time,
    policy_named,
    zone,
)
from services.kernel.errors import DomainError, InvalidInput

MERGE_FIELDS = frozenset({"first_name", "last_name", "campaign", "volunteer_name", "privacy_notice"})
KINDS = ("callback", "retry", "fresh")
RETRY_DISPOSITIONS = ("no_answer", "busy", "voicemail", "abandoned")


class Status(StrEnum):
    DRAFT = "draft"
    LAUNCHED = "launched"
    PAUSED = "paused"
    COMPLETED = "completed"


class InvalidCampaign(InvalidInput):
    """A campaign value that can never be right (dates, goal, window, script)."""


class ScriptLacksPrivacyStatement(InvalidInput):
    pass


class CampaignNotRunnable(DomainError):
    """A lifecycle step that the campaign's current state does not allow."""


class RegisterCheckStale(DomainError):
    """The national opposition register was not checked recently enough to call anyone."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    delays_minutes: tuple[tuple[str, int], ...] = (
        ("no_answer", 240), ("busy", 60), ("voicemail", 1440), ("abandoned", 7200),
    )
    bands: tuple[Hours, ...] = (Hours(time(9), time(13)), Hours(time(13), time(17)), Hours(time(17), time(21)))

    def delay(self, disposition: str) -> timedelta:
        return timedelta(minutes=dict(self.delays_minutes).get(disposition, 240))


def parse_script(text: str, privacy_notice: str) -> None:
    """A script must read the privacy and opt-out statement to every donor and use only known merge fields."""
    if not text.strip():
        raise InvalidCampaign("script text must not be empty")
    fields = set(re.findall(r"\{([a-z_]+)\}", text))
    unknown = sorted(fields - MERGE_FIELDS)
    if unknown:
        raise InvalidCampaign(f"script uses unknown merge fields {unknown}; known: {sorted(MERGE_FIELDS)}")
    if len(privacy_notice.strip()) < 20:
        raise ScriptLacksPrivacyStatement(
            "privacy_notice must state how personal data is used and how to opt out (at least 20 characters)")
    if "{privacy_notice}" not in text:
        raise ScriptLacksPrivacyStatement(
            "script must include the {privacy_notice} merge field so every call reads the privacy/opt-out statement")


def parse_window(weekdays: list[int], start: str, end: str, timezone: str) -> dict[str, Any]:
    if not weekdays or any(d not in range(7) for d in weekdays):
        raise InvalidCampaign(f"window weekdays must be 0 (Monday) to 6 (Sunday), at least one; got {weekdays}")
    hours = Hours(parse_time(start), parse_time(end))
    if hours.start >= hours.end:
        raise InvalidCampaign(f"window must end after it starts, got {start}-{end}")
    zone(timezone)
    return {"weekdays": sorted(set(weekdays)), "start": start, "end": end, "timezone": timezone}


def parse_priority(priority: list[str]) -> list[str]:
    if sorted(priority) != sorted(KINDS):
        raise InvalidCampaign(f"priority must order exactly {list(KINDS)}, got {priority}")
    return list(priority)


class Campaign(Aggregate):
    """An outreach campaign; contacts are separate aggregates so volunteers never contend on the campaign."""

    @event("Created")
    def __init__(self, name: str, fund_id: UUID, goal: Decimal, starts_on: str, ends_on: str,
                 window: dict[str, Any], policy_name: str, policy_version: int, retry: dict[str, Any],
                 priority: list[str], created_at: datetime) -> None:
        self.name = name
        self.fund_id = fund_id
        self.goal = goal
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.window_config = window
        self.policy_name = policy_name
        self.policy_version = policy_version
        self.retry_config = retry
        self.priority = list(priority)
        self.status = Status.DRAFT
        self.scripts: list[dict[str, Any]] = []
        self.imports = 0

    @staticmethod
    def check_new(name: str, goal: Decimal, starts_on: date, ends_on: date) -> None:
        if not name.strip():
            raise InvalidCampaign("campaign name must not be empty")
        if goal <= 0 or goal != goal.quantize(Decimal("0.01")):
            raise InvalidCampaign(f"goal must be a positive amount in euro cents, got {goal}")
        if ends_on < starts_on:
            raise InvalidCampaign(f"ends_on {ends_on} is before starts_on {starts_on}")

    def revise_script(self, text: str, privacy_notice: str, at: datetime) -> None:
        parse_script(text, privacy_notice)
        if self.status is Status.COMPLETED:
            raise CampaignNotRunnable(f"campaign {self.name!r} is completed; its script can no longer change")
        self._revise_script(text, privacy_notice, at)

    @event("ScriptRevised")
    def _revise_script(self, text: str, privacy_notice: str, at: datetime) -> None:
        self.scripts.append({"version": len(self.scripts) + 1, "text": text, "privacy_notice": privacy_notice,
                             "at": at})

    def launch(self, at: datetime, register_checked_on: date | None) -> None:
        if self.status is not Status.DRAFT:
            raise CampaignNotRunnable(f"only a draft campaign can be launched; {self.name!r} is {self.status}")
        if not self.scripts:
            raise CampaignNotRunnable(f"campaign {self.name!r} has no script; add one with its privacy notice")
        self._check_callable(at, register_checked_on)
        self._launch(at, register_checked_on.isoformat() if register_checked_on else "")

    @event("Launched")
    def _launch(self, at: datetime, register_checked_on: str) -> None:
        self.status = Status.LAUNCHED

    def pause(self, at: datetime, reason: str) -> None:
        if self.status is not Status.LAUNCHED:
            raise CampaignNotRunnable(f"only a running campaign can be paused; {self.name!r} is {self.status}")
        self._pause(at, reason)

    @event("Paused")
    def _pause(self, at: datetime, reason: str) -> None:
        self.status = Status.PAUSED

    def resume(self, at: datetime, register_checked_on: date | None) -> None:
        if self.status is not Status.PAUSED:
            raise CampaignNotRunnable(f"only a paused campaign can be resumed; {self.name!r} is {self.status}")
        self._check_callable(at, register_checked_on)
        self._resume(at, register_checked_on.isoformat() if register_checked_on else "")

    @event("Resumed")
    def _resume(self, at: datetime, register_checked_on: str) -> None:
        self.status = Status.LAUNCHED

    def complete(self, at: datetime, reason: str) -> None:
        if self.status is Status.COMPLETED:
            raise CampaignNotRunnable(f"campaign {self.name!r} is already completed")
        self._complete(at, reason)

    @event("Completed")
    def _complete(self, at: datetime, reason: str) -> None:
        self.status = Status.COMPLETED

    def record_import(self, import_id: UUID, rows: int, imported: int, merged: int, invalid: int,
                      sha256: str, at: datetime) -> None:
        self._record_import(import_id, rows, imported, merged, invalid, sha256, at)

    @event("ContactsImported")
    def _record_import(self, import_id: UUID, rows: int, imported: int, merged: int, invalid: int,
                       sha256: str, at: datetime) -> None:
        self.imports += 1

    def _check_callable(self, at: datetime, register_checked_on: date | None) -> None:
        today = at.astimezone(zone(self.window.timezone)).date()
        if today > self.window.last_day:
            raise CampaignNotRunnable(f"campaign {self.name!r} ended on {self.ends_on}")
        check_register(self.policy, register_checked_on, today)

    # Read-side helpers: all pure.
    @property
    def policy(self) -> Policy:
        return policy_named(self.policy_name, self.policy_version)

    @property
    def window(self) -> CampaignWindow:
        w = self.window_config
        return CampaignWindow(
            weekdays=frozenset(w["weekdays"]), hours=Hours(parse_time(w["start"]), parse_time(w["end"])),
            timezone=w["timezone"], first_day=date.fromisoformat(self.starts_on),
            last_day=date.fromisoformat(self.ends_on),
        )

    @property
    def retry(self) -> RetryPolicy:
        r = self.retry_config
        return RetryPolicy(max_attempts=r["max_attempts"],
                           delays_minutes=tuple((k, int(v)) for k, v in r["delays_minutes"].items()))

    def rules(self, reach: Reach) -> Rules:
        return Rules(self.window, self.policy, reach)

    @property
    def running(self) -> bool:
        return self.status is Status.LAUNCHED

    @property
    def script(self) -> dict[str, Any] | None:
        return self.scripts[-1] if self.scripts else None


def check_register(policy: Policy, checked_on: date | None, today: date) -> None:
    """Nobody is called when the opposition register check is older than the policy allows."""
    stale = register_stale(policy, checked_on, today)
    if stale:
        raise RegisterCheckStale(stale.text)


def register_stale(policy: Policy, checked_on: date | None, today: date) -> Reason | None:
    """Why the opposition register check is too old to call anyone (None when it is recent enough)."""
    limit = policy.register_max_age_days
    if checked_on is None:
        return Reason("the national opposition register was never checked; import a register file before calling",
                      "register_never_checked")
    age = (today - checked_on).days
    if age > limit:
        return Reason(f"the opposition register was last checked on {checked_on} ({age} days ago); {policy.label} "
                      f"allows {limit} days: import a fresh register file", "register_stale",
                      {"checked_on": checked_on.isoformat(), "age_days": age, "policy": policy.label,
                       "limit_days": limit})
    return None


def default_retry() -> dict[str, Any]:
    policy = RetryPolicy()
    return {"max_attempts": policy.max_attempts, "delays_minutes": dict(policy.delays_minutes)}
