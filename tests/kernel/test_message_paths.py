"""One encoder, three paths: the writer's outbox column, the relay's rendering of what the column does not hold,
and the in-process feed give the same bytes for the same events."""

from __future__ import annotations

from typing import Any

import hypothesis
import orjson
import psycopg
import pytest
from hypothesis import strategies as st

from services.kernel.eventstore import event_store_env
from services.kernel.feed import EventFeed
from services.kernel.messages import FORMAT_VERSION, Message, encoded_parts, from_event
from services.kernel.relay_reader import RelayReader
from services.kernel.settings import Settings
from tests.conftest import MEMORY
from tests.kernel.sample import SampleApplication
from tests.kernel.test_messages import some_events


def test_the_writer_the_relay_and_the_feed_encode_the_same_events_to_the_same_bytes() -> None:
    """Given a counter created, ticked and noted and a gift with every kind of value, saved in memory."""
    app = SampleApplication(MEMORY)
    some_events(app)
    notifications = app.recorder.select_notifications(start=None, limit=10)
    feed = EventFeed("sample", app)

    # When each path encodes them (the writer's parts joined around the id, as its statement does).
    parts = [encoded_parts("sample", n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]
    writer = [b"%s%d%s" % (head, n.id, tail) for (head, tail), n in zip(parts, notifications, strict=True)]
    relay = [value for _, value in feed.encoded(0)[0]]
    in_process = [message.to_json() for message in feed.read(0)[0]]
    domain = [from_event("sample", n.id, app.mapper.to_domain_event(n)).to_json() for n in notifications]

    # Then the four are the same bytes, one message per event.
    assert len(domain) == 4
    assert writer == relay == in_process == domain


@pytest.mark.postgres
def test_on_postgresql_the_outbox_the_relay_reader_and_the_feed_hold_the_same_bytes(pg_settings: Settings) -> None:
    """Given the same events saved on PostgreSQL, where the writer fills the outbox column."""
    app = SampleApplication(event_store_env(pg_settings, "sample"))
    some_events(app)
    notifications = app.recorder.select_notifications(start=None, limit=10)
    feed = EventFeed("sample", app)
    table = f'"{app.recorder.datastore.schema}"."{app.recorder.events_table_name}"'

    # When the relay reader reads the column as written, and again once the column is emptied (rendered through
    # the feed), and the in-process feed reads the same log.
    with psycopg.connect(pg_settings.postgres.conninfo()) as conn:
        outbox = [row[0] for row in conn.execute(f"SELECT message FROM {table} ORDER BY notification_id")]
    stored = relay_page(app, pg_settings)
    with psycopg.connect(pg_settings.postgres.conninfo()) as conn:
        conn.execute(f"UPDATE {table} SET message = NULL")
    rendered = relay_page(app, pg_settings)
    in_process = [message.to_json() for message in feed.read(0)[0]]
    domain = [from_event("sample", n.id, app.mapper.to_domain_event(n)).to_json() for n in notifications]

    # Then every path holds the same bytes.
    assert len(domain) == 4
    assert outbox == stored == rendered == in_process == domain


def relay_page(app: SampleApplication, settings: Settings) -> list[bytes]:
    reader = RelayReader(EventFeed("sample", app), settings.postgres.conninfo(), limit=100)
    try:
        reader.start(0, idle_wait=0.05, partitions=3)
        page = reader.next_page(timeout=30)
    finally:
        reader.close()
    assert page is not None
    return [value for _, _, value, _ in page[1]]


plain = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text()),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                     max_leaves=8)


@hypothesis.settings(max_examples=100, deadline=None)  # Hypothesis's default (300 took 5.5 s of a loaded box)
@hypothesis.given(st.text(), st.integers(0, 2**63 - 1), st.text(), st.text(), st.text(),
       st.dictionaries(st.text(max_size=8), plain, max_size=5), st.integers(0, 2**31))
def test_a_messages_bytes_are_its_fields_as_json_with_sorted_keys(
        source: str, position: int, type_: str, aggregate_id: str, occurred_at: str, data: dict[str, Any],
        aggregate_version: int) -> None:
    """Given any field values, quotes, backslashes and accents in the text included: the encoder's layout
    writes exactly what a JSON encoder writes for the whole message, and reads back the same message."""
    message = Message(source, position, type_, FORMAT_VERSION, aggregate_id, occurred_at, data, aggregate_version)

    raw = message.to_json()

    body = {"source": source, "position": position, "type": type_, "version": FORMAT_VERSION,
            "aggregate_id": aggregate_id, "occurred_at": occurred_at, "data": data,
            "aggregate_version": aggregate_version}
    assert raw == orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    assert Message.from_json(raw) == message
