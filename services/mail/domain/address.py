"""MailAddress: one aggregate per address (keyed by the recipient id or the address digest a VERP token names)
that records its bounces and goes on hold when they say mail to it no longer arrives.

The rule (CiviMail's "on hold"): a hard bounce or a complaint puts the address on hold at once; soft bounces are
counted, and `threshold` of them within `window` put it on hold. A release starts the count afresh. A bounce is
recorded once per (message key, kind): a notification delivered twice, or retried by its MTA after we answered
451, counts once. The rule is judged when a bounce arrives and its verdict is an event of its own (PutOnHold),
so a later change of threshold never re-judges old bounces on replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import InvalidInput

BounceKind = Literal["hard", "soft", "complaint"]
BOUNCE_KINDS: tuple[str, ...] = get_args(BounceKind)
_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:mail-address")
# Soft bounces older than any sensible window are dropped from the state (the events keep them all).
_SOFT_KEPT = 50


class HoldPolicyNotValid(InvalidInput):
    pass


class BounceKindNotValid(InvalidInput):
    pass


@dataclass(frozen=True)
class HoldPolicy:
    """How many soft bounces within how long put an address on hold."""

    threshold: int = 3
    window: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= _SOFT_KEPT:
            raise HoldPolicyNotValid(f"soft-bounce threshold must be between 1 and {_SOFT_KEPT}, got {self.threshold}")
        if self.window <= timedelta(0):
            raise HoldPolicyNotValid(f"soft-bounce window must be positive, got {self.window}")


def address_id(key: str) -> UUID:
    """The aggregate id of an address, from the key its tokens name (a recipient id or an address digest)."""
    return uuid5(_NAMESPACE, key)


class MailAddress(Aggregate):
    """Where mail to one recipient stands: its bounces, and whether it is on hold (no marketing mail)."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return address_id(key)

    @event("Registered")
    def __init__(self, key: str) -> None:
        self.key = key
        self.on_hold = False
        self.hold_reason = ""
        self.held_at: datetime | None = None
        self.counted: set[str] = set()  # "message|kind" of every bounce recorded
        self.soft_since_release: list[datetime] = []
        self.bounces = 0

    def record_bounce(self, message: str, kind: str, status: str, at: datetime, policy: HoldPolicy) -> bool:
        """Record a bounce of `message` (False when this message's bounce of this kind was recorded before), and
        put the address on hold when the policy says so."""
        if kind not in BOUNCE_KINDS:
            raise BounceKindNotValid(f"bounce kind must be one of {', '.join(BOUNCE_KINDS)}, got {kind!r}")
        if _counted(message, kind) in self.counted:
            return False
        self._bounce_recorded(message, kind, status, at)
        reason = self._reason_to_hold(kind, status, at, policy)
        if reason and not self.on_hold:
            self._put_on_hold(reason, at)
        return True

    def release(self, at: datetime, by: str) -> None:
        """Take the address off hold (someone confirmed it works again); soft bounces count afresh from here."""
        if self.on_hold:
            self._released(at, by)

    def _reason_to_hold(self, kind: str, status: str, at: datetime, policy: HoldPolicy) -> str:
        if kind == "hard":
            return f"hard bounce {status}".strip()
        if kind == "complaint":
            return "complaint (marked as spam)"
        recent = [t for t in self.soft_since_release if at - policy.window < t <= at]
        if len(recent) >= policy.threshold:
            return f"{len(recent)} soft bounces within {_span(policy.window)}"
        return ""

    @event("BounceRecorded")
    def _bounce_recorded(self, message: str, kind: str, status: str, at: datetime) -> None:
        self.counted.add(_counted(message, kind))
        self.bounces += 1
        if kind == "soft":
            self.soft_since_release = sorted([*self.soft_since_release, at])[-_SOFT_KEPT:]

    @event("PutOnHold")
    def _put_on_hold(self, reason: str, at: datetime) -> None:
        self.on_hold = True
        self.hold_reason = reason
        self.held_at = at

    @event("Released")
    def _released(self, at: datetime, by: str) -> None:
        self.on_hold = False
        self.hold_reason = ""
        self.held_at = None
        self.soft_since_release = []


def _counted(message: str, kind: str) -> str:
    return f"{message}|{kind}"


def _span(window: timedelta) -> str:
    return f"{window.days} days" if window % timedelta(days=1) == timedelta(0) else str(window)
