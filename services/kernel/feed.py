"""The event feed: an application's notification log turned into messages after a stored position."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Generator, Iterator
from queue import Full, Queue
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row

from services.kernel.eventstore import EventRecorder
from services.kernel.messages import (
    Message,
    NeedsDecoding,
    encoded,
    from_event,
    from_state,
    message_type,
    reads_states_of,
    skipped,
)

_T = TypeVar("_T")
_NO_BOUND = 2**63 - 1
# The upper bound as a filter, not an index condition: with both bounds on the index, a table without fresh
# statistics (just written in bulk) gets a bitmap scan and a sort of everything in the range for each page, 60
# times slower than the scan in id order that stops at the LIMIT (which reads past the bound only the few ids of
# writers in flight).
_UP_TO = "notification_id + 0 <= %s"
_HORIZON_WAIT = 10.0  # seconds a replay waits for writers in flight below its end
Row = tuple[int, UUID | str, int, str, bytes]  # (notification id, originator id, version, topic, state)


class EventFeed:
    """Reads "after my position", never "expect last+1": notification ids may have gaps."""

    def __init__(self, source: str, application: Application) -> None:  # type: ignore[type-arg]
        self.source = source
        self.application = application
        self._fast = reads_states_of(application.mapper)
        recorder = application.recorder
        self._table: str | None = None
        self.channel: str | None = None  # PostgreSQL: notified at every commit of new events
        self.outbox_query: str | None = None  # PostgreSQL: the relay's (id, key, message, partition) rows
        if isinstance(recorder, PostgresApplicationRecorder):
            self.channel = recorder.channel_name
            table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
            # The id as text: PostgreSQL formats it faster than Python builds a UUID and formats it again.
            self._table = f"SELECT notification_id, originator_id::text, originator_version, topic, state FROM {table}"
            # The writer's rendering is this feed's only if it rendered for this source; NULL: render here.
            stored = isinstance(recorder, EventRecorder) and recorder.message_source == source
            # The partition from the aggregate id (all of an aggregate's messages in one partition, in order); the
            # count of partitions is the first parameter.
            self.outbox_query = (f"SELECT notification_id, originator_id::text::bytea, "
                                 f"{'message' if stored else 'NULL::bytea'}, "
                                 f"mod(uuid_hash(originator_id) & 2147483647, %s) FROM {table} "
                                 f"WHERE notification_id > %s AND {_UP_TO} ORDER BY notification_id LIMIT %s")

    def read(
        self, after: int, limit: int = 500, types: Collection[str] | None = None, stop: int | None = None,
        *, beyond_horizon: bool = False,
    ) -> tuple[list[Message], int]:
        """Messages after `after` (up to `stop` when given), and the position read up to, which moves past
        skipped events too. Never past the store's horizon (EventRecorder.horizon), so that a position read up to
        can be kept: nothing can commit below it later. `beyond_horizon` reads everything committed now, for a
        look that keeps no position (read-your-writes).

        `types` (message types such as "Pledge.PaymentReceived"), when given, keeps only those: the others
        are skipped before decoding, which is what makes a replay that needs a few types fast. With `stop`
        too, on PostgreSQL the filter runs in the database: a short page then means "nothing more of these
        types up to `stop`", so the position read up to is `stop`.
        """
        if types is not None and stop is not None and self._table is not None:
            rows, stop = self._select(after, limit, stop, list(types), beyond_horizon)
            messages = [self._message(*row) for row in rows]
            return messages, (rows[-1][0] if len(rows) == limit else max(after, stop))
        rows, _ = self._select(after, limit, stop, None, beyond_horizon)
        messages = []
        for row in rows:
            topic = row[3]
            if skipped(topic):
                continue
            if types is not None and message_type(topic) not in types:
                continue
            messages.append(self._message(*row))
        return messages, (rows[-1][0] if rows else after)

    def encoded(self, after: int, limit: int = 500) -> tuple[list[tuple[bytes, bytes]], int]:
        """What `read` returns, as (key, message JSON) pairs ready to publish."""
        messages, last = self.rendered(after, limit)
        return [(key, value) for _, key, value in messages], last

    def rendered(self, after: int, limit: int = 500) -> tuple[list[tuple[int, bytes, bytes]], int]:
        """(position, key, message JSON) of what `read` returns, rendered straight from the stored states (what
        the relay sends when the outbox column holds no message), and the position read up to."""
        rows, _ = self._select(after, limit, None, None)
        messages = []
        for id_, originator_id, version, topic, state in rows:
            if not skipped(topic):
                aggregate_id = str(originator_id)  # the key, and the message's aggregate_id
                messages.append((id_, aggregate_id.encode(), self._json(id_, aggregate_id, version, topic, state)))
        return messages, (rows[-1][0] if rows else after)

    def _select(self, after: int, limit: int, stop: int | None, types: list[str] | None,
                beyond_horizon: bool = False) -> tuple[list[Row], int]:
        """(id, originator id, version, topic, state) rows in id order, and the last id they could include (`stop`
        lowered to the horizon). On PostgreSQL the rows come as plain tuples straight from the recorder's table
        (the library builds an object per row, a third of a replay's time); elsewhere through the recorder's own
        query (SQLite has one writer at a time: ids commit in order)."""
        if self._table is None:
            found = self.application.recorder.select_notifications(
                start=after, limit=limit, stop=stop, inclusive_of_start=False)
            read = [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in found]
            return read, (stop if stop is not None else read[-1][0] if read else after)
        query = self._table + f" WHERE notification_id > %s AND {_UP_TO}"
        params: list[Any] = [after]
        if types is not None:
            query += " AND split_part(topic, ':', 2) = ANY(%s)"  # messages.message_type, in SQL
            params.append(types)
        params.append(limit)
        datastore = self.application.recorder.datastore  # type: ignore[attr-defined]
        # Binary results: the state arrives as bytes, not as hex text to decode.
        with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as cursor:
            # Never past the horizon: ids above it may still commit below ids already visible (EventRecorder). Its
            # own statement first, so that the rows' snapshot is taken after it.
            bound = _NO_BOUND if beyond_horizon else self.horizon(cursor)
            bound = bound if stop is None else min(stop, bound)
            params.insert(1, bound)
            cursor.execute(query + " ORDER BY notification_id LIMIT %s", params, prepare=True)
            rows: list[Row] = cursor.fetchall()
            return rows, bound

    def pages(
        self, after: int, stop: int, types: Collection[str] | None = None, limit: int = 5000
    ) -> Iterator[list[Message]]:
        """The messages after `after` up to `stop`, a page at a time, the next page read while the caller
        works on this one (a replay: the database and the decoding overlap)."""

        def pages() -> Iterator[list[Message]]:
            position, waiting_since = after, 0.0
            while position < stop:
                messages, last = self.read(position, limit=limit, types=types, stop=stop)
                if last == position:
                    # Events committed after the position, below `stop`, wait behind a writer still in flight:
                    # the horizon passes them in a moment (never longer than _HORIZON_WAIT).
                    waiting_since = waiting_since or time.monotonic()
                    committed, _ = self.read(position, limit=1, stop=stop, beyond_horizon=True)
                    if not committed or time.monotonic() - waiting_since > _HORIZON_WAIT:
                        return  # nothing committed up to `stop` (or waited long enough)
                    time.sleep(0.01)
                    continue
                waiting_since = 0.0
                yield messages
                position = last

        return read_ahead(pages())

    def messages(self, after: int = 0, types: Collection[str] | None = None) -> Iterator[Message]:
        """Every message after `after`, page by page (a replay from the start by default)."""
        position = after
        while True:
            messages, last = self.read(position, limit=1000, types=types)
            if last == position:
                return
            yield from messages
            position = last

    def message(self, notification: Notification) -> Message:
        """The message for one notification."""
        return self._message(notification.id, notification.originator_id, notification.originator_version,
                             notification.topic, notification.state)

    def _message(self, id_: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> Message:
        """Straight from the stored JSON when it holds only plain values and the library's default
        transcodings, else through the domain event."""
        if self._fast:
            try:
                return from_state(self.source, id_, originator_id, version, topic, state)
            except NeedsDecoding:
                pass
        return self._decoded(id_, originator_id, version, topic, state)

    def _json(self, id_: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
        """`_message(...).to_json()`, written straight from the stored JSON when it can be (the relay's hot path)."""
        if self._fast:
            try:
                return encoded(self.source, id_, originator_id, version, topic, state)
            except NeedsDecoding:
                pass
        return self._decoded(id_, originator_id, version, topic, state).to_json()

    def _decoded(self, id_: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> Message:
        notification = Notification(id=id_, originator_id=UUID(str(originator_id)), originator_version=version,
                                    topic=topic, state=bytes(state))
        event = self.application.mapper.to_domain_event(notification)
        return from_event(self.source, id_, event)

    def head(self) -> int:
        """The newest notification id committed (0 when the log is empty); a reader reaches it once the writers
        in flight below it have ended."""
        return self.application.recorder.max_notification_id() or 0

    def horizon(self, cursor: Any) -> int:
        """The newest id a reader may read now, through `cursor` (a statement of its own, before the rows')."""
        recorder = self.application.recorder
        if isinstance(recorder, EventRecorder):
            return recorder.horizon(cursor)
        return _NO_BOUND  # the library's recorder: its table lock makes ids commit in order


def read_ahead(items: Iterator[_T], depth: int = 2) -> Generator[_T, None, None]:
    """The same items, produced by a background thread up to `depth` ahead of the consumer (for page reads:
    the thread waits on the database while the consumer computes). Errors reach the consumer; a consumer
    that stops early stops the thread."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stopped = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stopped.is_set():
                    try:
                        queue.put((True, item), timeout=0.1)
                        break
                    except Full:
                        continue
                if stopped.is_set():
                    return
            queue.put((False, None))
        except BaseException as error:  # handed to the consumer, which raises it
            queue.put((False, error))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stopped.set()
