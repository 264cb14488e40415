"""Call statistics fed from the Call aggregate: hours and weekdays as Rome reads them, whatever the season.

tests/calls/test_hours.py checks the inbound figures of one winter week through the product's HTTP route;
here: the same UTC hour in summer and winter, a call after midnight on Saturday, outbound calls and the
`ended` lookup the lag benchmark polls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from services.calls.domain.call import Call, Direction
from services.projections import call_stats
from tests.projections.conftest import Calls, ReadModel, ReadModelOf, Sources


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def filled(read_model: ReadModelOf, calls: Calls, sources: Sources) -> tuple[ReadModel, list[Call], Call]:
    giulia = calls.volunteer(utc("2026-06-01 09:00"))
    made = [
        calls.call(giulia, utc("2026-07-06 08:30"), "answered", talk_seconds=300),  # Monday 10:30 summer time
        calls.call(giulia, utc("2026-12-07 08:30"), "abandoned"),  # Monday 09:30 winter time, hung up ringing
        calls.call(giulia, utc("2026-12-12 23:30"), "busy"),  # Sunday 00:30 in Rome
        calls.call(giulia, utc("2026-12-07 14:00"), "pledged", talk_seconds=100, direction=Direction.OUTBOUND),
    ]
    ringing = Call.start(giulia.id, Direction.OUTBOUND, uuid4(), uuid4(), None, utc("2026-12-07 15:30"))
    sources.save("calls", ringing)
    stats = read_model(call_stats.PROJECTION)
    stats.catch_up()
    return stats, made, ringing


def test_inbound_calls_by_rome_hour_and_weekday_with_answer_rate_and_handle_time(
    read_model: ReadModelOf, calls: Calls, sources: Sources
) -> None:
    stats, _, _ = filled(read_model, calls, sources)
    inbound = call_stats.statistics(stats.store, "inbound")
    assert {hour: n for hour, n in enumerate(inbound["calls_by_hour"]) if n} == {0: 1, 9: 1, 10: 1}
    assert inbound["calls_by_weekday"] == [2, 0, 0, 0, 0, 0, 1]  # Monday first, Sunday last
    assert (inbound["calls_ended"], inbound["answer_rate"]) == (3, 1 / 3)
    assert inbound["average_handle_seconds"] == 320  # 20 s ringing and 300 s talking; unanswered calls excluded
    assert inbound["dispositions"] == {"abandoned": 1, "answered": 1, "busy": 1}


def test_outbound_calls_count_the_ringing_call_by_hour_but_not_among_the_ended(
    read_model: ReadModelOf, calls: Calls, sources: Sources
) -> None:
    stats, _, _ = filled(read_model, calls, sources)
    outbound = call_stats.statistics(stats.store, "outbound")
    assert {hour: n for hour, n in enumerate(outbound["calls_by_hour"]) if n} == {15: 1, 16: 1}
    assert outbound["calls_by_weekday"] == [2, 0, 0, 0, 0, 0, 0]
    assert (outbound["calls_ended"], outbound["answer_rate"], outbound["average_handle_seconds"]) == (1, 1.0, 120)
    assert outbound["dispositions"] == {"pledged": 1}
    every = call_stats.statistics(stats.store)
    assert (every["calls_ended"], every["answer_rate"], every["average_handle_seconds"]) == (4, 0.5, 220)


def test_no_ended_call_gives_no_rate_rather_than_zero(read_model: ReadModelOf) -> None:
    stats = read_model(call_stats.PROJECTION)
    stats.catch_up()
    empty = call_stats.statistics(stats.store)
    assert (empty["calls_ended"], empty["answer_rate"], empty["average_handle_seconds"]) == (0, None, None)
    assert sum(empty["calls_by_hour"]) == 0 and empty["dispositions"] == {}


def test_ended_names_only_the_calls_the_read_model_shows_ended(
    read_model: ReadModelOf, calls: Calls, sources: Sources
) -> None:
    stats, made, ringing = filled(read_model, calls, sources)
    asked = [str(made[0].id), str(ringing.id), str(uuid4())]
    assert call_stats.ended(stats.store, asked) == {str(made[0].id)}
    assert call_stats.ended(stats.store, []) == set()
