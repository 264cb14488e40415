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
from services.campaigns.calendar import Reason, closed_because, next_allowed, reach_from_key, zone
from services.campaigns.dialer import queue
from services.campaigns.dialer.decision import CALLABLE, campaign_blocks, row_reason
from services.campaigns.domain.campaign import Campaign


@dataclass(frozen=True)
class Counted:
    reason: Reason
    count: int


@dataclass(frozen=True)
class Summary:
    total: int
    callable_now: int
    blocks: tuple[Reason, ...]  # what stops every contact of the campaign
    reasons: tuple[Counted, ...]  # the rows of by_reason with their codes and parameters, most contacts first
    next_window: datetime | None  # when contacts waiting only for the calling window may next be dialled
    timezone: str

    @property
    def campaign_blocked(self) -> tuple[str, ...]:
        return tuple(block.text for block in self.blocks)

    @property
    def by_reason(self) -> dict[str, int]:
        return {counted.reason.text: counted.count for counted in self.reasons}

    def sentence(self) -> str:
        if self.blocks:
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
    """Every contact's first refusal by the dialer's own rules (`decision.row_reason`), counted in one query."""
    now = app.clock.now()
    campaign = app.get(campaign_id, Campaign)
    blocks = list(campaign_blocks(campaign, str(campaign.status), app.register_checked_on(), now))
    closed_keys: dict[str, Reason | None] = {}
    by_reason: Counter[Reason] = Counter()
    opens: dict[str, datetime | None] = {}
    for row in queue.counts(app.queue, str(campaign_id), now):
        key = row["calendar_key"]
        if key not in closed_keys:
            closed_keys[key] = closed_because(campaign.rules(reach_from_key(key)), now)
        reason = row_reason(row, closed_keys[key])
        if reason is closed_keys[key] and key not in opens:  # due and free, waiting only for the window
            upcoming = next_allowed(campaign.rules(reach_from_key(key)), now)
            opens[key] = None if upcoming is None else upcoming.start
        by_reason[reason] += int(row["n"])
    if blocks and CALLABLE in by_reason:
        by_reason[_blocked(blocks)] += by_reason.pop(CALLABLE)
    total = sum(by_reason.values())
    next_window = None if blocks else min((at for at in opens.values() if at is not None), default=None)
    ranked = tuple(Counted(reason, n) for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1]))
    return Summary(total, by_reason[CALLABLE], tuple(blocks), ranked, next_window, campaign.window.timezone)


def _blocked(blocks: list[Reason]) -> Reason:
    if len(blocks) == 1:
        return blocks[0]
    return Reason("; ".join(block.text for block in blocks), "campaign_blocked",
                  {"reasons": [{"code": b.code, "params": b.params, "text": b.text} for b in blocks]})
