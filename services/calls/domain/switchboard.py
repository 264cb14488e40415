"""Switchboard: who of the helpline is on duty now, who is ringing or talking, and when each was last offered a
call. One per installation, so that two calls arriving together never ring the same volunteer: each decision
saves it, and optimistic concurrency makes the second decision read the first one's offer."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

SWITCHBOARD_ID = uuid5(NAMESPACE_URL, "angeli:calls:switchboard")


class Switchboard(Aggregate):
    """On duty: the helpline volunteers clocked in. Busy: each volunteer's phone call while ringing or talking."""

    @classmethod
    def create_id(cls) -> UUID:
        return SWITCHBOARD_ID

    @event("Opened")
    def __init__(self, opened_at: datetime) -> None:
        self.on_duty: dict[str, datetime] = {}
        self.busy: dict[str, str] = {}
        self.last_offered: dict[str, datetime] = {}
        self.wrapping: dict[str, datetime] = {}  # network-timed Calls hung up, awaiting their outcome: since when

    def candidates(self, tried: set[str]) -> list[str]:
        """Free volunteers on duty not yet tried on this call, least recently offered a call first (never first of
        all), then by who clocked in first."""
        free = [v for v in self.on_duty if v not in self.busy and v not in tried]
        return sorted(free, key=lambda v: (v in self.last_offered, self.last_offered.get(v, self.on_duty[v]),
                                           self.on_duty[v], v))

    def come_on_duty(self, volunteer_id: str, at: datetime) -> None:
        if volunteer_id not in self.on_duty:
            self._on_duty(volunteer_id, at)

    @event("OnDuty")
    def _on_duty(self, volunteer_id: str, at: datetime) -> None:
        self.on_duty[volunteer_id] = at

    def go_off_duty(self, volunteer_id: str, at: datetime) -> None:
        if volunteer_id in self.on_duty:
            self._off_duty(volunteer_id, at)

    @event("OffDuty")
    def _off_duty(self, volunteer_id: str, at: datetime) -> None:
        self.on_duty.pop(volunteer_id, None)

    @event("Offered")
    def offer(self, phone_call_id: str, volunteer_ids: list[str], at: datetime) -> None:
        for volunteer_id in volunteer_ids:
            self.busy[volunteer_id] = phone_call_id
            self.last_offered[volunteer_id] = at

    def free(self, volunteer_id: str, phone_call_id: str, at: datetime) -> bool:
        """The volunteer's leg of this call is over; False when they were not busy with it."""
        if self.busy.get(volunteer_id) != phone_call_id:
            return False
        self._free(volunteer_id, phone_call_id, at)
        return True

    @event("Freed")
    def _free(self, volunteer_id: str, phone_call_id: str, at: datetime) -> None:
        self.busy.pop(volunteer_id, None)

    @event("WrapUpStarted")
    def start_wrap_up(self, call_id: str, hung_up_at: datetime) -> None:
        self.wrapping[call_id] = hung_up_at

    def finish_wrap_up(self, call_id: str) -> bool:
        if call_id not in self.wrapping:
            return False
        self._finish_wrap_up(call_id)
        return True

    @event("WrapUpFinished")
    def _finish_wrap_up(self, call_id: str) -> None:
        self.wrapping.pop(call_id, None)

    def wrap_ups_over(self, before: datetime) -> list[str]:
        """The Calls hung up before `before` still awaiting their outcome."""
        return [call_id for call_id, since in self.wrapping.items() if since < before]
