"""What the dialer reads on every request and may hold for a moment: campaigns, their contacts' reaches, policies.

Shared between the requests of one process; each answer is at most a few seconds old, and a change saved in this
process is seen at once (the application drops the entry after the save).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from services.campaigns.calendar import Policy
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign
from services.kernel.readmodel import ReadStore

CAMPAIGN_CACHE_SECONDS = 1.0
KEYS_CACHE_SECONDS = 5.0


class DialerCache:
    def __init__(self, campaign_of: Callable[[UUID], Campaign], queue_store: ReadStore) -> None:
        self._campaign_of = campaign_of
        self._queue = queue_store
        self._policies: dict[str, Policy] = {}
        self._campaigns: dict[str, tuple[float, Campaign]] = {}
        self._keys: dict[str, tuple[float, list[str]]] = {}

    def campaign(self, campaign_id: UUID) -> Campaign:
        """The campaign as the dialer reads it: from its events at most once per CAMPAIGN_CACHE_SECONDS in this
        process (a change saved here is seen at once; the dialer also checks the status in the queue index,
        which every process's change updates at once). Shared between requests: never change it."""
        key, now = str(campaign_id), time.monotonic()
        cached = self._campaigns.get(key)
        if cached is None or now - cached[0] > CAMPAIGN_CACHE_SECONDS:
            cached = (now, self._campaign_of(campaign_id))
            self._campaigns[key] = cached
        return cached[1]

    def calendar_keys(self, campaign_id: str) -> list[str]:
        """The campaign's distinct contact reaches, read at most once per KEYS_CACHE_SECONDS in this process
        (an import here refreshes them at once; elsewhere a new reach waits a few seconds to be offered)."""
        now = time.monotonic()
        cached = self._keys.get(campaign_id)
        if cached is None or now - cached[0] > KEYS_CACHE_SECONDS:
            cached = (now, queue.calendar_keys(self._queue, campaign_id))
            self._keys[campaign_id] = cached
        return cached[1]

    def policy_of(self, campaign_id: str) -> Policy:
        """The campaign's calling policy, read from its events (never from the queue store: callers may hold
        a queue transaction, and a second queue connection per request could exhaust the pool)."""
        if campaign_id not in self._policies:
            self._policies[campaign_id] = self._campaign_of(UUID(campaign_id)).policy
        return self._policies[campaign_id]

    def saved(self, campaign_id: UUID) -> None:
        """The campaign was just saved in this process: the dialer reads it again at once."""
        self._campaigns.pop(str(campaign_id), None)

    def forget_reaches(self, campaign_id: str) -> None:
        """Read the campaign's reaches again at the next offer (its contacts were just imported here)."""
        self._keys.pop(campaign_id, None)

    def forget(self) -> None:
        """Drop the cached campaigns and reaches (after the queue index was rebuilt)."""
        self._campaigns.clear()
        self._keys.clear()
