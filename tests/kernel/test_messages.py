"""The versioned message format: the fast path renders exactly what the domain event would, and bad input is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder, StoredEvent, Transcoding
from eventsourcing.utils import get_topic

from services.kernel.eventstore import ServiceApplication, event_store_env
from services.kernel.feed import EventFeed
from services.kernel.messages import Message, MessageFormatError, from_event
from services.kernel.settings import Settings
from tests.conftest import MEMORY
from tests.kernel.sample import Counter, Gift, Kind, SampleApplication

GIULIA = uuid.UUID("6f1c9a2e-0b7d-4c1e-9a55-3d2f1e0c4b7a")


def a_gift() -> Gift:
    return Gift(Decimal("25.50"), GIULIA, datetime(2026, 12, 7, 10, 30, tzinfo=UTC), date(2026, 12, 7),
                ["natale", "milano"], [{"line": 1, "value": Decimal("0.10")}], Kind.GOODS, None)


def test_fast_messages_equal_those_built_from_domain_events() -> None:
    app = SampleApplication(MEMORY)
    counter = Counter("Natale 2026")
    counter.tick(1)
    app.save(counter, a_gift())
    feed = EventFeed("sample", app)
    notifications = app.recorder.select_notifications(start=None, limit=10)
    assert len(notifications) == 3
    for notification in notifications:
        slow = from_event("sample", notification.id, app.mapper.to_domain_event(notification))
        assert feed.message(notification) == slow
    gift = feed.read(0)[0][-1]
    assert gift.type == "Gift.Pledged"
    assert gift.data["amount"] == "25.50" and gift.data["donor_id"] == str(GIULIA)
    assert gift.data["lines"] == [{"line": 1, "value": "0.10"}] and gift.data["kind"] == "goods"


def some_events(app: ServiceApplication) -> None:
    counter = Counter("Natale 2026")
    counter.tick(1)
    counter.note({"zona": "Nord", "ambito": {"regione": "Lombardia", "comune": "Milano"}}, ["natale", "sms"])
    app.save(counter, a_gift())


def renamed(app: ServiceApplication) -> None:
    """A counter renamed by the event class of today (version 2), then by a state version 1 stored (no reason)."""
    counter = Counter("Natale 2026")
    counter.rename("Natale 2027", "new year")
    app.save(counter)
    state = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-07T10:30:00+00:00"},"label":"Natale 2028"}'
    app.recorder.insert_events([StoredEvent(counter.id, 3, get_topic(Counter.Renamed), state)])


def test_an_event_stored_by_an_older_version_of_its_class_is_rendered_upcast() -> None:
    """The library stores a versioned event's class version in its state and upcasts older states as it
    decodes them: messages leave the version out, and an older state's message carries the upcast values."""
    app = SampleApplication(MEMORY)
    renamed(app)
    feed = EventFeed("sample", app)

    notifications = app.recorder.select_notifications(start=None, limit=10)
    from_events = [from_event("sample", n.id, app.mapper.to_domain_event(n)) for n in notifications]
    assert [feed.message(n) for n in notifications] == from_events
    assert feed.encoded(0)[0] == [(m.aggregate_id.encode(), m.to_json()) for m in from_events]
    assert [m.data for m in from_events[1:]] == [{"label": "Natale 2027", "reason": "new year"},
                                                 {"label": "Natale 2028", "reason": "not given"}]


@pytest.mark.parametrize("application", [SampleApplication, lambda env: CustomApplication(env)])
def test_relay_bytes_are_exactly_the_messages_json(application: Any) -> None:
    app = application(MEMORY)
    some_events(app)
    feed = EventFeed("sample", app)

    encoded, last = feed.encoded(0)

    messages, position = feed.read(0)
    assert len(messages) == 4 and position == 4
    assert (encoded, last) == ([(m.aggregate_id.encode(), m.to_json()) for m in messages], position)
    noted = Message.from_json(encoded[2][1])
    assert noted.data == {"details": {"zona": "Nord", "ambito": {"regione": "Lombardia", "comune": "Milano"}},
                          "tags": ["natale", "sms"]}


@pytest.mark.postgres
@pytest.mark.parametrize("application", [SampleApplication, lambda env: CustomApplication(env)])
def test_relay_bytes_on_postgresql_equal_the_domain_events_messages(application: Any, pg_settings: Settings) -> None:
    """On PostgreSQL the rows come as binary tuples with the id as text; the bytes are still those of the
    message built from the domain event, the fallback through the application included."""
    app = application(event_store_env(pg_settings, "sample"))
    some_events(app)
    feed = EventFeed("sample", app)

    encoded, last = feed.encoded(0)

    notifications = app.recorder.select_notifications(start=None, limit=10)
    from_events = [from_event("sample", n.id, app.mapper.to_domain_event(n)) for n in notifications]
    assert (encoded, last) == ([(m.aggregate_id.encode(), m.to_json()) for m in from_events], notifications[-1].id)
    assert feed.read(0) == (from_events, notifications[-1].id)


class Cents(Transcoding):
    type = Decimal
    name = "cents"

    def encode(self, obj: Decimal) -> int:
        return int(obj * 100)

    def decode(self, data: int) -> Decimal:
        return Decimal(data) / 100


class CustomApplication(ServiceApplication):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(Cents())  # replaces decimal_str: the fast path must fall back


def test_unknown_transcoding_falls_back_to_the_domain_event() -> None:
    app = CustomApplication(MEMORY)
    app.save(a_gift())
    message = EventFeed("sample", app).read(0)[0][0]
    assert message.data["amount"] == "25.5"  # decoded by the application's own transcoding


def test_message_round_trips_through_json() -> None:
    message = Message("donations", 7, "Pledge.Made", 1, str(GIULIA), "2026-12-07T10:30:00+00:00",
                      {"amount": "25.50"}, aggregate_version=1)
    assert Message.from_json(message.to_json()) == message


@pytest.mark.parametrize(("raw", "reason"), [
    (b"not json", "not JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"source": "calls"}', "lacks position"),
    (b'{"source":"c","position":1,"type":"T","version":2,"aggregate_id":"a","occurred_at":"t","data":{}}',
     "version 2 is unknown"),
    (b'{"source":"c","position":"1","type":"T","version":1,"aggregate_id":"a","occurred_at":"t","data":{}}',
     "position must be an integer"),
])
def test_malformed_messages_are_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(MessageFormatError, match=reason):
        Message.from_json(raw)
