"""PhoneCall: one call that passed through the product, and every fact about its legs as the network timed them.

Inbound, it is a helpline call: the caller's leg, and one leg per volunteer offered the call, in the order they were
rung. Outbound, it is a volunteer's dial to a leased donor. A leg's facts arrive from a provider or a proxy, twice
or out of order: each (leg, status) counts once, and a status no further along than what the leg already reached
changes nothing. The Call aggregate (who talked, for how long, with what outcome) is driven from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.calls.telephony.port import FINAL, RANK, LegStatus
from services.kernel.errors import DomainError

_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:calls:phone-call")


def phone_call_id(provider: str, call_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"{provider}\n{call_id}")


class PhoneCallOver(DomainError):
    pass


class PhoneCall(Aggregate):
    @classmethod
    def create_id(cls, provider: str, call_id: str, **_: Any) -> UUID:
        return phone_call_id(provider, call_id)

    @event("Arrived")
    def __init__(self, provider: str, call_id: str, direction: str, line: str, arrived_at: datetime,
                 volunteer_id: str | None = None, campaign_id: str | None = None,
                 contact_id: str | None = None) -> None:
        self.provider = provider
        self.call_id = call_id
        self.direction = direction
        self.line = line
        self.arrived_at = arrived_at
        self.volunteer_id = volunteer_id  # outbound: whose phone dialled
        self.campaign_id = campaign_id
        self.contact_id = contact_id
        self.offers: list[dict[str, Any]] = []  # each routing answer: after which leg, whom, with which caller ID
        self.legs: dict[str, dict[str, Any]] = {}  # leg id -> {"status", "at": {status: instant}, "volunteer_id"}
        self.seen: set[str] = set()
        self.answered_by: str | None = None
        self.call: str | None = None  # the Call aggregate's id, once someone answered
        self.outcome: str | None = None  # answered | abandoned | fallback | unanswered

    # Routing

    def offer_after(self, after_leg: str | None) -> dict[str, Any] | None:
        """The routing answer already given after this leg (None: the first one), to give it again."""
        return next((o for o in self.offers if o["after"] == after_leg), None)

    @property
    def tried(self) -> set[str]:
        return {v for o in self.offers for v in o["volunteers"]}

    @event("Offered")
    def offer(self, after: str | None, volunteers: list[str], caller_id: str, timeout: int,
              offered_at: datetime) -> None:
        self.offers.append({"after": after, "volunteers": list(volunteers), "caller_id": caller_id,
                            "timeout": timeout, "fallback": None})
        for volunteer_id in volunteers:
            self.legs.setdefault(volunteer_id, {"status": LegStatus.INITIATED.value,
                                                "at": {LegStatus.INITIATED.value: offered_at},
                                                "volunteer_id": volunteer_id})

    @event("FellBack")
    def fall_back(self, after: str | None, fallback: str, dialback_code: str | None, fell_back_at: datetime) -> None:
        self.offers.append({"after": after, "volunteers": [], "caller_id": "", "timeout": 0, "fallback": fallback,
                            "dialback_code": dialback_code})
        if self.outcome is None:
            self.outcome = "fallback"

    # Legs

    def accepts(self, leg_id: str, status: LegStatus, sequence: int) -> bool:
        """Whether this report changes anything: a new (leg, status), further along than the leg is."""
        if f"{leg_id}\n{status.value}\n{sequence}" in self.seen:
            return False
        leg = self.legs.get(leg_id)
        if leg is None:
            return True
        current = LegStatus(leg["status"])
        if current in FINAL:
            return False
        return status in FINAL or RANK[status] > RANK[current]

    @event("LegReported")
    def report(self, leg_id: str, status: str, at: datetime, sequence: int, duration: int | None,
               volunteer_id: str | None) -> None:
        self.seen.add(f"{leg_id}\n{status}\n{sequence}")
        leg = self.legs.setdefault(leg_id, {"status": status, "at": {}, "volunteer_id": volunteer_id})
        leg["status"] = status
        leg["at"][status] = at
        if duration is not None:
            leg["duration"] = duration

    def leg_of(self, volunteer_id: str) -> tuple[str, dict[str, Any]] | None:
        """The volunteer's latest leg on this call (its id and its record)."""
        found = [(leg_id, leg) for leg_id, leg in self.legs.items() if leg.get("volunteer_id") == volunteer_id]
        return found[-1] if found else None

    def leg_status(self, leg_id: str) -> LegStatus | None:
        leg = self.legs.get(leg_id)
        return None if leg is None else LegStatus(leg["status"])

    def answered_at(self, leg_id: str) -> datetime | None:
        leg = self.legs.get(leg_id, {})
        at: datetime | None = leg.get("at", {}).get(LegStatus.ANSWERED.value)
        return at

    @event("Answered")
    def answer(self, leg_id: str, volunteer_id: str, call: str, answered_at: datetime) -> None:
        self.answered_by = volunteer_id
        self.call = call
        self.outcome = "answered"

    @event("Dialled")
    def dialled(self, call: str, dialled_at: datetime) -> None:
        """Outbound: the volunteer's Call this dial belongs to."""
        self.call = call

    @event("Abandoned")
    def abandon(self, abandoned_at: datetime) -> None:
        """The caller hung up before anybody answered."""
        self.outcome = "abandoned"

    @property
    def over(self) -> bool:
        caller = self.legs.get("")
        return self.outcome == "abandoned" or (caller is not None and LegStatus(caller["status"]) in FINAL)

    def ringing(self) -> list[tuple[str, datetime]]:
        """Volunteers' legs offered or ringing and not yet over, with since when."""
        return [(leg_id, min(leg["at"].values(), default=self.arrived_at)) for leg_id, leg in self.legs.items()
                if leg_id and LegStatus(leg["status"]) in (LegStatus.INITIATED, LegStatus.RINGING)]
