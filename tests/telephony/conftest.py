"""Telephony fixtures: the calls application with calls passing through a SIP proxy, on the in-memory store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from services.calls.application import CallsApplication
from services.calls.telephony.port import LegReport, LegStatus
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings, TelephonySettings
from services.privacy.application import PrivacyVault
from tests.conftest import MEMORY

SIP = TelephonySettings(mode="sip", number="+390212345678", helpline="helpline", ring_seconds=20,
                        secret="s" * 24, hours="ogni giorno 8-20")


@pytest.fixture
def calls(vault: PrivacyVault, clock: FixedClock) -> CallsApplication:
    return CallsApplication(dict(MEMORY), vault=vault, clock=clock, telephony=SIP)


def on_duty(calls: CallsApplication, clock: FixedClock, *names: str) -> list[UUID]:
    """Helpline volunteers registered and clocked in, one minute apart, in the order named."""
    ids = []
    for name in names:
        volunteer = calls.register_volunteer(name, "+39 333 123 4567", f"{name.lower()}@example.org", ["helpline"])
        calls.clock_in(volunteer)
        clock.advance(timedelta(minutes=1))
        ids.append(volunteer)
    return ids


def leg(calls: CallsApplication, call_id: str, leg_id: str, status: str, after_seconds: float, sequence: int,
        clock: FixedClock, **more: object) -> bool:
    """Report a leg fact timed `after_seconds` after the clock's now."""
    return calls.telephony.report(LegReport(
        provider="sip", call_id=call_id, leg_id=leg_id, status=LegStatus(status),
        at=clock.now() + timedelta(seconds=after_seconds), sequence=sequence,
        direction=more.pop("direction", "inbound"), **more))  # type: ignore[arg-type]


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    """The embedded product with calls passing through the charity's SIP proxy."""
    return Settings(mode="embedded", data_dir=tmp_path / "var", telephony=SIP)


PROXY = {"X-Angeli-Telephony-Secret": SIP.secret}
