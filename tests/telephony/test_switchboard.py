"""The helpline's routing and the legs' record, on the in-memory store: whom an inbound call rings and in what
order, what each leg's facts do to the volunteer's Call, and that repeats and reordering change nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.call import Call
from services.calls.domain.phone_call import PhoneCall, phone_call_id
from services.calls.domain.shift import Presence
from services.calls.domain.switchboard import SWITCHBOARD_ID, Switchboard
from services.calls.telephony.switchboard import UnknownLine, on_duty_once
from services.identity.domain import SYSTEM, Access
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput, NotFound
from tests.telephony.conftest import leg, on_duty

STAFF = Access(SYSTEM, "test")


def phone_call(calls: CallsApplication, call_id: str) -> PhoneCall:
    return calls.get(phone_call_id("sip", call_id), PhoneCall)


def test_the_first_volunteer_rung_is_the_one_least_recently_offered_a_call(calls: CallsApplication,
                                                                            clock: FixedClock) -> None:
    anna, bruno, carla = on_duty(calls, clock, "Anna", "Bruno", "Carla")
    first = calls.telephony.route("sip", "c1", "helpline", "+390212345678")
    assert first.action == "dial" and [t.volunteer_id for t in first.targets] == [anna]
    assert first.caller_id == "+390212345678" and first.timeout == 20
    leg(calls, "c1", str(anna), "answered", 1, 1, clock)
    leg(calls, "c1", str(anna), "completed", 30, 2, clock)
    clock.advance(timedelta(minutes=2))
    second = calls.telephony.route("sip", "c2", "helpline", None)
    assert [t.volunteer_id for t in second.targets] == [bruno]  # never offered one before: Bruno, then Carla
    third = calls.telephony.route("sip", "c3", "helpline", None)
    assert [t.volunteer_id for t in third.targets] == [carla]  # Bruno is ringing: never two calls at once


def test_an_unanswered_volunteer_is_followed_by_the_next_and_asking_twice_gives_the_same_answer(
        calls: CallsApplication, clock: FixedClock) -> None:
    anna, bruno = on_duty(calls, clock, "Anna", "Bruno")
    assert calls.telephony.route("sip", "c1", "helpline", None).targets[0].volunteer_id == anna
    assert calls.telephony.route("sip", "c1", "helpline", None).targets[0].volunteer_id == anna  # a retry
    leg(calls, "c1", str(anna), "no-answer", 20, 1, clock)
    after = calls.telephony.route("sip", "c1", "helpline", None, after_leg=str(anna))
    assert [t.volunteer_id for t in after.targets] == [bruno]
    assert calls.telephony.route("sip", "c1", "helpline", None, after_leg=str(anna)) == after
    leg(calls, "c1", str(bruno), "no-answer", 40, 1, clock)
    last = calls.telephony.route("sip", "c1", "helpline", None, after_leg=str(bruno))
    assert last.action == "fallback" and last.fallback == "message" and last.hours == "ogni giorno 8-20"
    board = calls.get(SWITCHBOARD_ID, Switchboard)
    assert board.busy == {}  # both phones are free again


def test_nobody_on_duty_means_the_fallback_and_an_unknown_line_is_refused(calls: CallsApplication,
                                                                          clock: FixedClock) -> None:
    decision = calls.telephony.route("sip", "c1", "helpline", "+390212345678")
    assert decision.action == "fallback" and decision.targets == ()
    with pytest.raises(UnknownLine):
        calls.telephony.route("sip", "c2", "sales", None)
    with pytest.raises(InvalidInput):
        calls.telephony.route("sip", "c1", "helpline", None, after_leg="someone-never-rung")


def test_clocking_out_takes_a_volunteer_off_the_helpline(calls: CallsApplication, clock: FixedClock) -> None:
    anna, bruno = on_duty(calls, clock, "Anna", "Bruno")
    calls.clock_out(anna)
    assert [t.volunteer_id for t in calls.telephony.route("sip", "c1", "helpline", None).targets] == [bruno]
    outreach = calls.register_volunteer("Dario", "+39 333 765 4321", "dario@example.org", ["outreach"])
    calls.clock_in(outreach)  # not a helpline volunteer: never rung
    assert calls.get(SWITCHBOARD_ID, Switchboard).on_duty.keys() == {str(bruno)}


def test_ring_all_rings_every_free_volunteer_at_once(calls: CallsApplication, clock: FixedClock) -> None:
    calls.telephony.settings = replace(calls.telephony.settings, strategy="ring-all")
    anna, bruno, carla = on_duty(calls, clock, "Anna", "Bruno", "Carla")
    decision = calls.telephony.route("sip", "c1", "helpline", None)
    assert {t.volunteer_id for t in decision.targets} == {anna, bruno, carla}
    leg(calls, "c1", str(bruno), "answered", 3, 1, clock)
    leg(calls, "c1", str(anna), "cancelled", 3, 1, clock)  # the proxy cancels the other phones
    leg(calls, "c1", str(carla), "cancelled", 3, 1, clock)
    assert phone_call(calls, "c1").answered_by == str(bruno) and phone_call(calls, "c1").outcome == "answered"
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy == {str(bruno): str(phone_call_id("sip", "c1"))}


def test_talk_time_runs_from_the_answer_not_the_first_ring(calls: CallsApplication, clock: FixedClock) -> None:
    anna, = on_duty(calls, clock, "Anna")
    calls.telephony.route("sip", "c1", "helpline", "+390212345678")
    leg(calls, "c1", str(anna), "ringing", 1, 1, clock)
    leg(calls, "c1", str(anna), "answered", 9, 2, clock)
    call_id = phone_call(calls, "c1").call
    assert call_id is not None
    live = calls.telephony.live()
    assert [(v.volunteer_id, v.status) for v in live] == [(str(anna), "connected")]
    leg(calls, "c1", str(anna), "completed", 9 + 125.4, 3, clock)
    call = calls.get(UUID(call_id), Call)
    assert call.timing == "network" and call.started_at == clock.now() + timedelta(seconds=9)
    assert call.hung_up_at is not None and (call.hung_up_at - call.connected_at).total_seconds() == 125.4
    clock.advance(timedelta(minutes=5))  # the volunteer writes the outcome later: talk time stays the network's
    calls.end_call(call.id, "answered", "chiedeva dei turni", None, by=SYSTEM)
    ended = calls.get(call.id, Call)
    assert ended.disposition is not None and ended.disposition.value == "answered"
    view = calls.call(call.id, STAFF)
    assert view.caller_number == "+390212345678" and view.caller_area == "Milano"
    assert calls.telephony.live() == []


def test_a_repeated_or_stale_fact_changes_nothing(calls: CallsApplication, clock: FixedClock) -> None:
    anna, = on_duty(calls, clock, "Anna")
    calls.telephony.route("sip", "c1", "helpline", None)
    assert leg(calls, "c1", str(anna), "answered", 5, 2, clock)
    version = phone_call(calls, "c1").version
    assert not leg(calls, "c1", str(anna), "answered", 5, 2, clock)  # twice
    assert not leg(calls, "c1", str(anna), "ringing", 1, 1, clock)  # late: the leg is further along
    assert phone_call(calls, "c1").version == version
    assert leg(calls, "c1", str(anna), "completed", 65, 3, clock)
    assert not leg(calls, "c1", str(anna), "completed", 65, 3, clock)
    call = calls.get(UUID(str(phone_call(calls, "c1").call)), Call)
    assert call.hung_up_at == clock.now() + timedelta(seconds=65)


def test_completed_before_answered_still_times_the_talk_from_the_answer(calls: CallsApplication,
                                                                        clock: FixedClock) -> None:
    anna, = on_duty(calls, clock, "Anna")
    calls.telephony.route("sip", "c1", "helpline", None)
    assert leg(calls, "c1", str(anna), "completed", 70, 3, clock, duration=60)
    assert not leg(calls, "c1", str(anna), "answered", 10, 2, clock)  # arrives after: no effect
    call = calls.get(UUID(str(phone_call(calls, "c1").call)), Call)
    assert call.connected_at == clock.now() + timedelta(seconds=10)
    assert call.hung_up_at == clock.now() + timedelta(seconds=70)


def test_the_caller_hanging_up_while_a_phone_rings_is_abandoned(calls: CallsApplication, clock: FixedClock) -> None:
    anna, = on_duty(calls, clock, "Anna")
    calls.telephony.route("sip", "c1", "helpline", None)
    leg(calls, "c1", str(anna), "ringing", 1, 1, clock)
    leg(calls, "c1", str(anna), "cancelled", 6, 2, clock)
    found = phone_call(calls, "c1")
    assert found.outcome == "abandoned" and found.answered_by is None and found.call is None
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy == {}
    assert calls.calls(anna, None, None, None, 0, 20, by=SYSTEM)[1] == 0  # nobody recorded as having answered


def test_ten_callers_five_volunteers_nobody_rung_twice(calls: CallsApplication, clock: FixedClock) -> None:
    volunteers = on_duty(calls, clock, "A", "B", "C", "D", "E")
    decisions = [calls.telephony.route("sip", f"c{n}", "helpline", None) for n in range(10)]
    rung = [t.volunteer_id for d in decisions for t in d.targets]
    assert sorted(rung) == sorted(volunteers)
    assert [d.action for d in decisions] == ["dial"] * 5 + ["fallback"] * 5


def test_a_fact_for_a_call_never_routed_here_is_not_found(calls: CallsApplication, clock: FixedClock) -> None:
    with pytest.raises(NotFound):
        leg(calls, "nobody-knows", "", "completed", 1, 1, clock)



def test_volunteers_clocked_in_before_the_switchboard_existed_come_on_duty_once(calls: CallsApplication,
                                                                                clock: FixedClock) -> None:
    # As a store from before the switchboard: clock-ins saved on the Presence alone.
    anna = calls.register_volunteer("Anna", "+39 333 123 4567", "anna@example.org", ["helpline"])
    dario = calls.register_volunteer("Dario", "+39 333 123 4568", "dario@example.org", ["outreach"])
    calls.register_volunteer("Elena", "+39 333 123 4569", "elena@example.org", ["helpline"])
    for volunteer in (anna, dario):
        presence = calls.get(Presence.create_id(volunteer), Presence)
        presence.clock_in(at=clock.now())
        calls.save(presence)
    assert on_duty_once(calls) == 1  # Anna: clocked in and on the helpline; Dario is outreach, Elena is out
    assert calls.get(SWITCHBOARD_ID, Switchboard).on_duty == {str(anna): clock.now()}
    assert on_duty_once(calls) is None  # recorded: never again
    assert [t.volunteer_id for t in calls.telephony.route("sip", "c1", "helpline", None).targets] == [anna]


def test_a_lost_report_never_leaves_a_volunteer_busy_forever(calls: CallsApplication, clock: FixedClock) -> None:
    anna, bruno = on_duty(calls, clock, "Anna", "Bruno")
    calls.telephony.route("sip", "c1", "helpline", None)  # Anna's phone rings; the proxy dies before reporting
    calls.telephony.route("sip", "c2", "helpline", None)  # Bruno answers; the end of his call is never reported
    leg(calls, "c2", str(bruno), "answered", 1, 1, clock)
    clock.advance(timedelta(seconds=80))
    assert calls.telephony.free_stale_legs() == 0  # 20 s of ringing and a minute's grace: not yet
    clock.advance(timedelta(seconds=1))
    assert calls.telephony.free_stale_legs() == 1
    assert phone_call(calls, "c1").leg_status(str(anna)).value == "no-answer"
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy.keys() == {str(bruno)}
    clock.advance(timedelta(hours=6))
    assert calls.telephony.free_stale_legs() == 1
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy == {}
    call = calls.get(UUID(str(phone_call(calls, "c2").call)), Call)
    assert call.hung_up_at == clock.now() and call.ended_at is None  # the wrap-up's job from here


def test_a_dial_whose_end_was_never_reported_is_closed_after_six_hours(calls: CallsApplication,
                                                                        clock: FixedClock) -> None:
    from uuid import uuid4

    giulia = calls.register_volunteer("Giulia", "+39 333 123 4567", "giulia@example.org", ["outreach"])
    calls.clock_in(giulia)
    ids = {"volunteer_id": giulia, "campaign_id": uuid4(), "contact_id": uuid4()}
    leg(calls, "o1", str(giulia), "ringing", 0, 1, clock, direction="outbound", **ids)
    leg(calls, "o1", str(giulia), "answered", 5, 2, clock, direction="outbound", **ids)
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy.keys() == {str(giulia)}  # on a call: not for the helpline
    clock.advance(timedelta(hours=6, seconds=6))
    assert calls.telephony.free_stale_legs() == 1
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy == {}
    call = calls.get(UUID(str(phone_call(calls, "o1").call)), Call)
    assert call.connected_at is not None and call.hung_up_at == clock.now()
