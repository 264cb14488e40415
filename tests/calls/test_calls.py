"""Calls: only clocked-in volunteers start calls; a call connects once and ends once with a disposition."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from services.calls.application import CallsApplication, VolunteerNotClockedIn
from services.calls.domain.call import (
    CallAlreadyConnected,
    CallAlreadyEnded,
    DispositionNeedsConnection,
    InvalidCall,
)
from services.identity.domain import SYSTEM, SYSTEM_ACCESS, Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import NotYours
from tests.calls.conftest import later, messages, register, rome

NATALE_2026 = UUID("0a7a1e00-2026-4000-8000-000000000001")
DONOR_GIULIA = UUID("0a7a1e00-2026-4000-8000-0000000000d1")


def on_duty(calls: CallsApplication) -> UUID:
    giulia = register(calls, roles=("helpline", "outreach"))
    calls.clock_in(giulia)
    return giulia


def test_a_volunteer_who_is_not_clocked_in_cannot_start_a_call(calls: CallsApplication) -> None:
    giulia = register(calls)
    with pytest.raises(VolunteerNotClockedIn, match="clock in before taking calls"):
        calls.start_call(giulia, "inbound", None, None)
    assert messages(calls, "Call.Started") == []


def test_outbound_call_ends_with_a_pledge_and_self_describing_messages(calls: CallsApplication,
                                                                       clock: FixedClock) -> None:
    giulia = on_duty(calls)
    call = calls.start_call(giulia, "outbound", NATALE_2026, DONOR_GIULIA)
    later(clock, seconds=8)
    calls.connect_call(call, by=SYSTEM)
    later(clock, minutes=4, seconds=2)
    calls.end_call(call, "pledged", notes="Dona 50 euro a dicembre", callback_at=None, by=SYSTEM)
    started = messages(calls, "Call.Started")[0].data
    assert started == {"volunteer_id": str(giulia), "direction": "outbound", "campaign_id": str(NATALE_2026),
                       "contact_id": str(DONOR_GIULIA), "shift_id": None, "started_at": "2026-11-23T09:00:00+00:00",
                       "timing": "self_reported"}
    ended = messages(calls, "Call.Ended")[0].data
    assert ended == {"volunteer_id": str(giulia), "campaign_id": str(NATALE_2026), "contact_id": str(DONOR_GIULIA),
                     "disposition": "pledged", "talk_seconds": 242, "ended_at": "2026-11-23T09:04:10+00:00",
                     "callback_at": None, "timing": "self_reported"}
    assert "50 euro" not in repr(messages(calls, "Call.Ended"))
    assert calls.call(call, SYSTEM_ACCESS).notes == "Dona 50 euro a dicembre"


def test_a_call_can_be_ended_only_once(calls: CallsApplication) -> None:
    call = calls.start_call(on_duty(calls), "inbound", None, None)
    calls.end_call(call, "abandoned", None, None, by=SYSTEM)
    with pytest.raises(CallAlreadyEnded, match="already ended"):
        calls.end_call(call, "abandoned", None, None, by=SYSTEM)
    with pytest.raises(CallAlreadyEnded):
        calls.connect_call(call, by=SYSTEM)
    assert len(messages(calls, "Call.Ended")) == 1


def test_a_call_connects_only_once(calls: CallsApplication) -> None:
    call = calls.start_call(on_duty(calls), "inbound", None, None)
    calls.connect_call(call, by=SYSTEM)
    with pytest.raises(CallAlreadyConnected):
        calls.connect_call(call, by=SYSTEM)


def test_conversation_outcomes_need_a_connected_call_and_no_answer_needs_none(calls: CallsApplication) -> None:
    giulia = on_duty(calls)
    never_connected = calls.start_call(giulia, "outbound", NATALE_2026, DONOR_GIULIA)
    with pytest.raises(DispositionNeedsConnection, match="connect first"):
        calls.end_call(never_connected, "pledged", None, None, by=SYSTEM)
    connected = calls.start_call(giulia, "outbound", NATALE_2026, DONOR_GIULIA)
    calls.connect_call(connected, by=SYSTEM)
    with pytest.raises(DispositionNeedsConnection, match="cannot end as no_answer"):
        calls.end_call(connected, "no_answer", None, None, by=SYSTEM)


def test_callback_requested_needs_a_future_callback_time(calls: CallsApplication, clock: FixedClock) -> None:
    call = calls.start_call(on_duty(calls), "outbound", NATALE_2026, DONOR_GIULIA)
    calls.connect_call(call, by=SYSTEM)
    with pytest.raises(InvalidCall, match="callback_at is required"):
        calls.end_call(call, "callback_requested", None, None, by=SYSTEM)
    with pytest.raises(InvalidCall, match="future"):
        calls.end_call(call, "callback_requested", None, rome("2026-11-22 18:00"), by=SYSTEM)
    calls.end_call(call, "callback_requested", None, rome("2026-11-24 18:00"), by=SYSTEM)
    assert messages(calls, "Call.Ended")[0].data["callback_at"] == "2026-11-24T18:00:00+01:00"


def test_outbound_calls_name_their_campaign_and_contact_and_dispositions_are_known(calls: CallsApplication) -> None:
    giulia = on_duty(calls)
    with pytest.raises(InvalidCall, match="campaign_id and contact_id"):
        calls.start_call(giulia, "outbound", NATALE_2026, None)
    with pytest.raises(InvalidCall, match="direction must be"):
        calls.start_call(giulia, "sideways", None, None)
    call = calls.start_call(giulia, "inbound", None, None)
    with pytest.raises(InvalidCall, match="disposition must be one of"):
        calls.end_call(call, "hung_up", None, None, by=SYSTEM)


def test_a_call_during_a_shift_belongs_to_that_shift(calls: CallsApplication, clock: FixedClock) -> None:
    giulia = register(calls)
    shift = calls.schedule_shift(rome("2026-11-23 09:00"), rome("2026-11-23 13:00"), "helpline", 4)
    calls.sign_up(shift, giulia)
    calls.clock_in(giulia)
    call = calls.start_call(giulia, "inbound", None, None)
    assert calls.call(call, SYSTEM_ACCESS).shift_id == str(shift)


def test_a_volunteer_changes_only_their_own_calls_whoever_else_acts(calls: CallsApplication) -> None:
    giulia = on_duty(calls)
    call = calls.start_call(giulia, "inbound", None, None)
    marco = Actor(kind="account", id="m1", name="marco@angeli.example", role="volunteer", volunteer_id=uuid4())
    with pytest.raises(NotYours, match="another volunteer's"):
        calls.connect_call(call, by=marco)
    as_giulia = Actor(kind="account", id="g1", name="giulia@angeli.example", role="volunteer", volunteer_id=giulia)
    calls.connect_call(call, by=as_giulia)
    calls.end_call(call, "answered", None, None, by=Actor(kind="api_key", id="k1", name="crm", role="coordinator"))
    assert messages(calls, "Call.Ended")[0].data["disposition"] == "answered"
