"""The telephony benchmark's line (bench/telephony.py) on the in-memory store: every call is routed and ended, each
leg fact is stored once and its retransmission turned away, so the figures count what they say (no timings here)."""

from __future__ import annotations

from argparse import Namespace

from bench.telephony import in_process
from services.calls.application import CallsApplication
from services.calls.domain.switchboard import SWITCHBOARD_ID, Switchboard
from services.kernel.clock import FixedClock
from tests.telephony.conftest import on_duty


def test_every_call_is_routed_and_ended_and_each_fact_counted_once(calls: CallsApplication,
                                                                   clock: FixedClock) -> None:
    on_duty(calls, clock, "Anna", "Bruno", "Carla", "Dario")
    timings = in_process(calls, Namespace(calls=8, open=2, profile=False))
    assert len(timings.first) == 8 and timings.fallbacks == 0
    assert len(timings.after) == 2  # one call in four: asked again after the first volunteer's no-answer
    # ringing, answered, completed and the caller's leg; two more (ringing, no-answer) for an unanswered first leg
    assert len(timings.accepted) == len(timings.duplicates) == 8 * 4 + 2 * 2
    assert timings.refused == 0  # each first post stored, each repeat turned away
    assert len(timings.hang_up) == 8
    assert calls.get(SWITCHBOARD_ID, Switchboard).busy == {}  # every volunteer freed at the end
