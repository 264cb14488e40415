"""The telephony port: the values every adapter speaks. A provider's or a proxy's words are translated into these
at the edge, so the decision and the record of every leg are the same whoever carried the call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from services.kernel.errors import InvalidInput


class LegStatus(StrEnum):
    """A leg's status, in the words the TwiML dialect uses (the proxy's replies are mapped onto them)."""

    INITIATED = "initiated"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELLED = "cancelled"


# How far along a leg a status is: a report no further than what is known changes nothing.
RANK = {LegStatus.INITIATED: 0, LegStatus.RINGING: 1, LegStatus.ANSWERED: 2}
FINAL = frozenset({LegStatus.COMPLETED, LegStatus.BUSY, LegStatus.NO_ANSWER, LegStatus.FAILED, LegStatus.CANCELLED})
PROVIDERS = ("twilio", "sip")


class InvalidLeg(InvalidInput):
    pass


def parse_status(status: str) -> LegStatus:
    # "canceled" is the TwiML spelling; a proxy may say either.
    try:
        return LegStatus("cancelled" if status == "canceled" else status)
    except ValueError:
        choices = ", ".join(s.value for s in LegStatus)
        raise InvalidLeg(f"status must be one of {choices}; got {status!r}") from None


@dataclass(frozen=True)
class Target:
    volunteer_id: UUID
    leg_id: str  # how the adapter names the leg it opens to this volunteer


@dataclass(frozen=True)
class Decision:
    """Whom to ring for an inbound call, in order, and what to do when nobody can answer."""

    action: Literal["dial", "fallback"]
    targets: tuple[Target, ...]
    caller_id: str  # presented on the volunteer's phone: the charity's number, never the caller's
    timeout: int  # ring seconds per target
    confirm: bool
    fallback: Literal["voicemail", "message"] | None = None
    hours: str = ""
    dialback_code: str | None = None


@dataclass(frozen=True)
class LegReport:
    """One fact about one leg, as the provider timed it."""

    provider: str  # "twilio" | "sip"
    call_id: str  # the whole call: a parent CallSid, a SIP Call-ID
    leg_id: str  # this leg: a child CallSid, or for SIP the volunteer id of the branch; "" is the caller's own leg
    status: LegStatus
    at: datetime
    sequence: int
    direction: Literal["inbound", "outbound"]
    duration: int | None = None  # the provider's count of the leg's talk seconds, when it gives one
    campaign_id: UUID | None = None  # an outbound leg: the contact it was allowed for
    contact_id: UUID | None = None
    volunteer_id: UUID | None = None  # an outbound leg: whose phone dialled

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise InvalidLeg(f"provider must be one of {', '.join(PROVIDERS)}; got {self.provider!r}")
        if not 1 <= len(self.call_id) <= 200 or not self.call_id.isprintable():
            raise InvalidLeg("call_id must be 1 to 200 printable characters")
        if len(self.leg_id) > 200 or not self.leg_id.isprintable():
            raise InvalidLeg("leg_id must be at most 200 printable characters")
        if self.at.tzinfo is None:
            raise InvalidLeg("at must carry a time zone")
        if not 0 <= self.sequence <= 2**31:
            raise InvalidLeg(f"sequence must be between 0 and 2^31, got {self.sequence}")
        if self.duration is not None and not 0 <= self.duration <= 86_400:
            raise InvalidLeg(f"duration must be between 0 and 86400 seconds, got {self.duration}")
        if self.direction == "outbound" and self.leg_id and self.volunteer_id is None:
            raise InvalidLeg("an outbound leg names the volunteer whose phone dialled (volunteer_id)")


@dataclass(frozen=True)
class LegView:
    """A leg ringing or connected now, for the live board."""

    call_id: UUID  # the phone call's id in Angeli
    direction: str
    volunteer_id: str
    status: str  # ringing | connected
    since: datetime
    call: str | None  # the Call's id once answered
