"""The Idempotency-Key reaches `save` as a visible argument: the route takes it (`Once`), the use case passes it on,
and the first save given it stores the request's record in the same transaction as the events."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.kernel import idempotency
from services.kernel.errors import ConcurrencyConflict
from services.kernel.idempotency import Once, PendingRequest, RequestRecord, record_id
from tests.conftest import MEMORY
from tests.kernel.sample import Counter, SampleApplication


@pytest.fixture
def app() -> SampleApplication:
    return SampleApplication(MEMORY)


def counters(app: SampleApplication) -> list[Any]:
    return [n for n in app.recorder.select_notifications(1, 100) if n.topic.endswith("Counter.Created")]


def test_the_first_save_given_the_request_stores_its_record_in_the_same_transaction(app: SampleApplication) -> None:
    once = PendingRequest("natale-2026-giulia", "fingerprint")
    giulia = Counter("Giulia")
    recordings = app.save(giulia, once=once)
    record = app.get(record_id("natale-2026-giulia"), RequestRecord)
    assert {r.domain_event.originator_id for r in recordings} == {giulia.id, record.id}  # one transaction
    assert record.changed == [str(giulia.id)] and once.saved_in is app
    giulia.tick(1)
    app.save(giulia, once=once)  # a command that saves twice: the record is added once
    assert app.get(record.id, RequestRecord).version == 1


def test_a_save_given_no_request_stores_no_record(app: SampleApplication) -> None:
    recordings = app.save(Counter("Giulia"))
    assert len(recordings) == 1


def test_a_save_that_conflicts_hands_the_record_to_the_next_save(app: SampleApplication) -> None:
    giulia = Counter("Giulia")
    app.save(giulia)
    first, second = app.get(giulia.id, Counter), app.get(giulia.id, Counter)
    first.tick(1)
    app.save(first)
    once = PendingRequest("tick-giulia", "fingerprint")
    second.tick(2)
    with pytest.raises(ConcurrencyConflict):
        app.save(second, once=once)
    assert once.record is None and not app.exists(record_id("tick-giulia"))
    retried = app.get(giulia.id, Counter)
    retried.tick(2)
    app.save(retried, once=once)
    assert app.get(record_id("tick-giulia"), RequestRecord).changed == [str(giulia.id)]


def api_of(app: SampleApplication) -> FastAPI:
    """An app whose one route creates a counter: with the key taken as `Once` and passed on, or not at all."""
    api = FastAPI()
    idempotency.install(api, lambda: [app])
    seen: list[PendingRequest | None] = []
    api.state.seen = seen

    @api.post("/counters", status_code=201)
    def create_counter(once: Once) -> dict[str, str]:
        seen.append(once)
        counter = Counter("Giulia")
        app.save(counter, once=once)
        return {"id": str(counter.id)}

    @api.post("/counters/forgetful", status_code=201)
    def forget_the_key(once: Once) -> dict[str, str]:
        counter = Counter("Giulia")
        app.save(counter)  # a route that took the key and did not pass it on
        return {"id": str(counter.id)}

    return api


def test_a_route_that_passes_the_key_on_has_one_effect_per_key(app: SampleApplication) -> None:
    client = TestClient(api_of(app))
    key = {"Idempotency-Key": "counter-giulia-1"}
    first = client.post("/counters", headers=key)
    again = client.post("/counters", headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replay"] == "true"
    assert len(counters(app)) == 1
    assert app.get(record_id("counter-giulia-1"), RequestRecord).body == first.text


def test_without_the_header_the_route_is_given_no_request(app: SampleApplication) -> None:
    api = api_of(app)
    client = TestClient(api)
    assert client.post("/counters").status_code == client.post("/counters").status_code == 201
    assert api.state.seen == [None, None] and len(counters(app)) == 2


def test_a_route_that_takes_the_key_but_saves_without_it_loses_the_guarantee(app: SampleApplication) -> None:
    client = TestClient(api_of(app))
    key = {"Idempotency-Key": "counter-forgotten"}
    client.post("/counters/forgetful", headers=key)
    client.post("/counters/forgetful", headers=key)
    assert len(counters(app)) == 2 and not app.exists(record_id("counter-forgotten"))


def test_a_conflict_in_a_later_save_keeps_the_record_an_earlier_save_stored(app: SampleApplication) -> None:
    """A gift import's second batch meets a busy fund: its retry must not try to store the record again."""
    once = PendingRequest("gifts-december", "fingerprint")
    app.save(Counter("Giulia"), once=once)  # the first batch carries the record
    fund = Counter("Famiglie in difficoltà")
    app.save(fund)
    ours, theirs = app.get(fund.id, Counter), app.get(fund.id, Counter)
    theirs.tick(1)
    app.save(theirs)
    ours.tick(2)
    with pytest.raises(ConcurrencyConflict):
        app.save(ours, once=once)
    retried = app.get(fund.id, Counter)
    retried.tick(2)
    app.save(retried, once=once)
    assert once.record is not None and once.saved_in is app
    assert app.get(record_id("gifts-december"), RequestRecord).version == 1
