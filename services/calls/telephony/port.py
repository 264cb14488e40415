"""STUB of the lead's port (TEL19.md), only so the TwiML adapter imports before the port lands; replaced at merge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID


class LegStatus(StrEnum):
    INITIATED = "initiated"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Target:
    volunteer_id: UUID
    leg_id: str


@dataclass(frozen=True)
class Decision:
    action: Literal["dial", "fallback"]
    targets: tuple[Target, ...]
    caller_id: str
    timeout: int
    confirm: bool
    fallback: Literal["voicemail", "message"] | None
    hours: str
    dialback_code: str | None


@dataclass(frozen=True)
class LegReport:
    provider: str
    call_id: str
    leg_id: str
    status: LegStatus
    at: datetime
    sequence: int
    direction: Literal["inbound", "outbound"]
    duration: int | None = None
