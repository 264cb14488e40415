"""'Why is nobody being dialled?': a campaign's contacts counted by the first reason each is not callable now."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from uuid import UUID

from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import reach_from_key, why_closed, zone
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign, RegisterCheckStale, check_register

CALLABLE = "callable now"


@dataclass(frozen=True)
class Summary:
    total: int
    callable_now: int
    campaign_blocked: tuple[str, ...]
    by_reason: dict[str, int]

    def sentence(self) -> str:
        if self.campaign_blocked:
            return "; ".join(self.campaign_blocked)
        if self.total == 0:
            return "the campaign has no contacts; import a list"
        parts = [f"{n} {reason}" for reason, n in sorted(self.by_reason.items(), key=lambda kv: -kv[1])]
        return "nobody is callable now: " + ", ".join(parts)


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
    for row in queue.counts(app.queue, str(campaign_id), now):
        key = row["calendar_key"]
        if key not in closed_keys:
            closed_keys[key] = why_closed(campaign.rules(reach_from_key(key)), now)
        by_reason[_reason(row, closed_keys[key])] += int(row["n"])
    total = sum(by_reason.values())
    return Summary(total, 0 if blocked else by_reason[CALLABLE], tuple(blocked), dict(by_reason))


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
