"""On the real PostgreSQL: ten helpline calls arriving together into five volunteers on duty, from ten threads,
while volunteers clock in and out and legs end — the switchboard never rings one volunteer twice at once, and every
call gets an answer (a volunteer or the fallback)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.switchboard import SWITCHBOARD_ID, Switchboard
from services.calls.telephony.port import Decision, LegReport, LegStatus
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import build
from tests.telephony.conftest import SIP


@pytest.mark.postgres
def test_ten_callers_at_once_never_ring_a_volunteer_twice(pg_settings: Settings, clock: FixedClock) -> None:
    product = build(replace(pg_settings, telephony=SIP), clock)
    try:
        calls = product.services["calls"].application
        assert isinstance(calls, CallsApplication)
        volunteers = []
        for n in range(5):
            volunteer = calls.register_volunteer(f"Volontario {n}", "+39 333 123 4567", f"v{n}@example.org",
                                                 ["helpline"])
            calls.clock_in(volunteer)
            clock.advance(timedelta(seconds=10))
            volunteers.append(volunteer)
        decisions: dict[int, Decision] = {}
        errors: list[BaseException] = []
        start = threading.Barrier(10)

        def caller(n: int) -> None:
            try:
                start.wait()
                decisions[n] = calls.telephony.route("sip", f"call-{n}", "helpline", None)
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        rung = Counter(t.volunteer_id for d in decisions.values() for t in d.targets)
        assert set(rung) == set(volunteers) and max(rung.values()) == 1
        assert Counter(d.action for d in decisions.values()) == {"dial": 5, "fallback": 5}
        # Every rung phone stops ringing (no answer) from five threads at once: all free again, none lost.
        rang = [(n, d.targets[0].volunteer_id) for n, d in decisions.items() if d.targets]
        enders = [threading.Thread(target=calls.telephony.report, args=(LegReport(
            "sip", f"call-{n}", str(v), LegStatus.NO_ANSWER, clock.now() + timedelta(seconds=20), 1, "inbound"),))
            for n, v in rang]
        for thread in enders:
            thread.start()
        for thread in enders:
            thread.join()
        assert calls.get(SWITCHBOARD_ID, Switchboard).busy == {}
    finally:
        product.stop()
