"""Calls fixtures: the calls application on the in-memory event store, and a few memorable volunteers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.calls.application import CallsApplication
from services.kernel.clock import FixedClock
from services.kernel.feed import EventFeed
from services.kernel.messages import Message
from services.privacy.application import PrivacyVault
from tests.conftest import MEMORY


@pytest.fixture
def calls(vault: PrivacyVault, clock: FixedClock) -> CallsApplication:
    return CallsApplication(dict(MEMORY), vault=vault, clock=clock)


def register(calls: CallsApplication, name: str = "Giulia Rossi", roles: tuple[str, ...] = ("helpline",)) -> UUID:
    return calls.register_volunteer(name, "+39 02 1234 5678", f"{name.split()[0].lower()}@example.org", list(roles))


def rome(text: str) -> datetime:
    """An instant written as Rome wall time, e.g. rome('2026-11-23 10:00')."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Rome"))


def at(clock: FixedClock, when: datetime) -> None:
    clock.set(when.astimezone(UTC))


def later(clock: FixedClock, **delta: float) -> None:
    clock.advance(timedelta(**delta))


def messages(calls: CallsApplication, kind: str) -> list[Message]:
    """The messages of one type the calls feed carries, oldest first."""
    found, after = [], 0
    while True:
        batch, last = EventFeed("calls", calls).read(after)
        found += [m for m in batch if m.type == kind]
        if last == after:
            return found
        after = last
