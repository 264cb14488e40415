"""'Why is nobody being dialled?': a campaign's contacts counted by the first reason each is not callable now,
and when the calling window next opens for those that wait only for it.

A campaign-level block (not running, a stale opposition register) stops every contact: the contacts that would
otherwise be callable are counted under the block, so the table never shows 'callable now' while the headline
says nobody is."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import next_allowed, reach_from_key, why_closed, zone
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign, RegisterCheckStale, check_register

CALLABLE = "callable now"


@dataclass(frozen=True)
class Summary:
    total: int
    callable_now: int
    campaign_blocked: tuple[str, ...]
    by_reason: dict[str, int]
    next_window: datetime | None  # when contacts waiting only for the calling window may next be dialled
    timezone: str

    def sentence(self) -> str:
        if self.campaign_blocked:
            return "; ".join(self.campaign_blocked)
        if self.total == 0:
            return "the campaign has no contacts; import a list"
        parts = [f"{n} {reason}" for reason, n in sorted(self.by_reason.items(), key=lambda kv: -kv[1])]
        opens = ""
        if self.next_window is not None:
            local = self.next_window.astimezone(zone(self.timezone))
            opens = f"; the calling window next opens {local:%A} {local.day} {local:%B %Y at %H:%M} ({self.timezone})"
        return "nobody is callable now: " + ", ".join(parts) + opens


def summarise(app: CampaignsApplication, campaign_id: UUID) -> Summary:
    now = app.clock.now()
    campaign = app.get(campaign_id, Campaign)
    blocked: list[str] = []
    if not campaign.running:
        blocked.append(f"campaign is {campaign.status}")
    try:
        check_register(campaign.policy, app.register_checked_on(),
                       now.astimezone(zone(campaign.window.timezone)).date())
    except RegisterCheckStale as stale:
        blocked.append(stale.message)
    closed_keys: dict[str, str] = {}
    by_reason: Counter[str] = Counter()
    opens: dict[str, datetime | None] = {}
    for row in queue.counts(app.queue, str(campaign_id), now):
        key = row["calendar_key"]
        if key not in closed_keys:
            closed_keys[key] = why_closed(campaign.rules(reach_from_key(key)), now)
        reason = _reason(row, closed_keys[key])
        if reason == closed_keys[key] and key not in opens:  # due and free, waiting only for the window
            upcoming = next_allowed(campaign.rules(reach_from_key(key)), now)
            opens[key] = None if upcoming is None else upcoming.start
        by_reason[reason] += int(row["n"])
    if blocked and CALLABLE in by_reason:
        by_reason["; ".join(blocked)] += by_reason.pop(CALLABLE)
    total = sum(by_reason.values())
    next_window = None if blocked else min((at for at in opens.values() if at is not None), default=None)
    return Summary(total, by_reason[CALLABLE], tuple(blocked), dict(by_reason), next_window,
                   campaign.window.timezone)


def _reason(row: dict[str, object], calendar_closed: str) -> str:
    if row["kind"] == "closed":
        return f"closed: {row['closed_reason']}"
    if row["kind"] == "leased":
        return "leased to a volunteer" if row["leased_now"] else "lease lapsed, back at the next sweep"
    if not row["free"]:
        return str(row["hold_reason"])
    if not row["due"]:
        return f"{row['kind']} scheduled for later"
    if calendar_closed:
        return calendar_closed
    return CALLABLE
