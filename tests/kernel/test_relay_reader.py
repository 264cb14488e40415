"""The outbox on the real PostgreSQL: writers store each event's message as they save it, the relay's reader
pages through it in order (rendering through the application what the column does not hold), wakes at the
next commit, and says so when it cannot read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from services.kernel.eventstore import EventRecorder, event_store_env
from services.kernel.feed import EventFeed
from services.kernel.messages import from_event
from services.kernel.relay_reader import RelayReader, RelayReadError
from services.kernel.settings import Settings
from tests.distributed.stack import wait_until
from tests.kernel.sample import Counter, SampleApplication, sample_app
from tests.kernel.test_kafka_relay import (
    read_topic,
    relay_position,
    start_relay,
    wait_for_first_batch,
    write_events,
)
from tests.kernel.test_messages import CustomApplication, renamed, some_events

pytestmark = pytest.mark.postgres


def counters(app: SampleApplication, how_many: int) -> int:
    app.save(*[Counter(f"Natale {n}") for n in range(how_many)])
    return app.recorder.max_notification_id() or 0


@contextmanager
def reading(app: Any, settings: Settings, limit: int, idle_wait: float = 0.05) -> Iterator[RelayReader]:
    """A reader of the sample feed started at position 0, closed afterwards."""
    reader = RelayReader(EventFeed("sample", app), settings.postgres.conninfo(), limit=limit)
    try:
        reader.start(0, idle_wait=idle_wait, partitions=3)
        yield reader
    finally:
        reader.close()


def read_all(reader: RelayReader) -> list[tuple[int, int, int]]:
    """(after, row count, last) of each page up to the first empty one."""
    pages = []
    while True:
        page = reader.next_page(timeout=30)
        assert page is not None, "the reader sent nothing for 30 s"
        pages.append((page[0], len(page[1]), page[2]))
        if page[2] == page[0]:
            return pages


def events_table(app: Any) -> str:
    return f'"{app.recorder.datastore.schema}"."{app.recorder.events_table_name}"'


def outbox(app: Any, settings: Settings) -> list[tuple[int, bytes | None]]:
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        return conn.execute(f"SELECT notification_id, message FROM {events_table(app)} ORDER BY 1").fetchall()


@pytest.mark.parametrize("application", [SampleApplication, lambda env: CustomApplication(env)])
def test_the_writer_stores_each_events_message_with_its_position(application: Any, pg_settings: Settings) -> None:
    """Byte for byte the message built from the domain event, the position included; NULL for the gift whose
    amount only the application's own transcoding can read."""
    app = application(event_store_env(pg_settings, "sample"))
    some_events(app)

    notifications = app.recorder.select_notifications(start=None, limit=10)
    expected = [(n.id, from_event("sample", n.id, app.mapper.to_domain_event(n)).to_json()) for n in notifications]
    if isinstance(app, CustomApplication):
        expected[-1] = (expected[-1][0], None)  # Gift.Pledged, with its amount in cents
    assert outbox(app, pg_settings) == expected


def test_a_state_of_an_older_event_class_version_is_left_to_the_application(pg_settings: Settings) -> None:
    """The writer renders the event of today's class; a state stored by an older version of its class (the
    library upcasts it as it decodes) is left NULL, and the reader sends it upcast, through the application."""
    app = sample_app(pg_settings)
    renamed(app)

    notifications = app.recorder.select_notifications(start=None, limit=10)
    expected = [from_event("sample", n.id, app.mapper.to_domain_event(n)).to_json() for n in notifications]
    assert outbox(app, pg_settings) == [(n.id, m) for n, m in zip(notifications, [*expected[:2], None], strict=True)]
    with reading(app, pg_settings, limit=10) as reader:
        page = reader.next_page(timeout=30)
    assert page is not None
    assert [value for _, _, value, _ in page[1]] == expected


def test_an_event_feeds_skip_is_stored_with_an_empty_message_and_never_sent(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counters(app, 1)
    assert isinstance(app.recorder, EventRecorder)
    record = StoredEvent(Counter("Giulia").id, 1, "services.kernel.idempotency:Request.Recorded", b'{"x":1}')
    app.recorder.insert_events([record])
    head = counters(app, 1)
    with reading(app, pg_settings, limit=10) as reader:
        page = reader.next_page(timeout=30)
        assert page is not None and page[2] == head
        assert [bool(value) for _, _, value, _ in page[1]] == [True, False, True]


@pytest.mark.parametrize("application", [SampleApplication, lambda env: CustomApplication(env)])
def test_pages_without_stored_messages_are_rendered_through_the_application(
        application: Any, pg_settings: Settings) -> None:
    """Events saved before the outbox column existed, or that the writer could not render: the reader's pages
    still carry exactly the feed's messages."""
    app = application(event_store_env(pg_settings, "sample"))
    some_events(app)
    with psycopg.connect(pg_settings.postgres.conninfo()) as conn:
        conn.execute(f"UPDATE {events_table(app)} SET message = NULL WHERE notification_id % 2 = 0")
    with reading(app, pg_settings, limit=100) as reader:
        page = reader.next_page(timeout=30)
    assert page is not None
    assert [(key, value) for _, key, value, _ in page[1] if value] == EventFeed("sample", app).encoded(0)[0]


def test_pages_come_in_order_and_a_new_start_drops_the_pages_of_the_old_one(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counters(app, 25)
    with reading(app, pg_settings, limit=10) as reader:
        assert read_all(reader) == [(0, 10, 10), (10, 10, 20), (20, 5, 25), (25, 0, 25)]

        reader.start(0, idle_wait=0.05, partitions=3)  # the reader is far ahead, reading empty pages: start again at 0
        reader.start(20, idle_wait=0.05, partitions=3)  # and at once somewhere else: only this start's pages arrive
        assert read_all(reader) == [(20, 5, 25), (25, 0, 25)]

        more = counters(app, 3)  # written after the reader caught up: seen at its next look
        assert read_all(reader)[0] == (25, 3, more)


def test_an_idle_reader_is_woken_by_the_next_commit_not_by_its_poll(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    head = counters(app, 2)
    with reading(app, pg_settings, limit=100, idle_wait=120) as reader:  # it would look again only after 2 min
        assert read_all(reader) == [(0, 2, head), (head, 0, head)]
        more = counters(app, 1)
        page = reader.next_page(timeout=20)  # the commit's notification wakes it long before
        assert page is not None and (page[0], len(page[1]), page[2]) == (head, 1, more)


def terminate_reader(settings: Settings) -> int:
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = 'angeli-relay-reader-sample'").fetchall())


def test_a_broken_connection_is_reported_and_the_next_start_connects_again(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counters(app, 5)
    with reading(app, pg_settings, limit=100) as reader:
        assert read_all(reader) == [(0, 5, 5), (5, 0, 5)]
        assert terminate_reader(pg_settings) == 2
        with pytest.raises(RelayReadError, match="could not read its event table"):
            for _ in range(100):
                reader.next_page(timeout=0.1)
        reader.start(0, idle_wait=0.05, partitions=3)
        assert read_all(reader) == [(0, 5, 5), (5, 0, 5)]


def test_a_reader_that_cannot_connect_says_why(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    reader = RelayReader(EventFeed("sample", app), pg_settings.postgres.conninfo() + " dbname=angeli_nowhere",
                         limit=100)
    with pytest.raises(RelayReadError, match=r"cannot connect: .*angeli_nowhere"):
        reader.ready()


@pytest.mark.kafka
def test_a_relay_whose_database_connection_is_cut_delivers_every_event(pg_settings: Settings) -> None:
    head = write_events(pg_settings)
    relay = start_relay(pg_settings, batch=250)
    try:
        wait_for_first_batch(pg_settings, timeout=60)
        terminate_reader(pg_settings)  # as soon as the first batch is confirmed: usually mid-stream
        wait_until(lambda: relay_position(pg_settings) == head, 90, "the relay to catch up on a new connection")
        assert relay.poll() is None, "the relay itself kept running"
    finally:
        relay.terminate()
        relay.wait(timeout=30)
    on_topic = read_topic(pg_settings, expected=head)
    assert {(m.aggregate_id, m.aggregate_version) for m in on_topic} == {
        (m.aggregate_id, m.aggregate_version) for m in EventFeed("sample", sample_app(pg_settings)).messages()}
