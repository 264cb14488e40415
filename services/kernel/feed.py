"""The event feed: an application's notification log turned into messages after a stored position."""

from __future__ import annotations

import threading
from collections.abc import Collection, Generator, Iterator
from queue import Full, Queue
from typing import Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row

from services.kernel.messages import FORMAT_VERSION, Message, from_event

# Idempotency records are bookkeeping, not facts; feeds skip them (the access trail, also kernel, is a fact).
_SKIPPED_PREFIXES = ("services.kernel.idempotency:",)
def _uuid_text(hex_: str) -> str:
    """str(UUID(hex_)) without building the UUID (the library stores `uuid.hex`, 32 lowercase digits), and
    remembered: the same ids come back event after event (a fund, a pledge and its payment)."""
    text = _UUID_TEXTS.get(hex_)
    if text is None:
        if len(hex_) == 32 and hex_.islower():
            text = f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"
        else:
            text = str(UUID(hex_))
        if len(_UUID_TEXTS) >= 100_000:
            _UUID_TEXTS.clear()
        _UUID_TEXTS[hex_] = text
    return text


_UUID_TEXTS: dict[str, str] = {}


# The library's default transcodings, rendered as messages render them (see messages._plain).
_PLAIN: dict[str, Any] = {"uuid_hex": _uuid_text, "decimal_str": str, "datetime_iso": str, "date_iso": str}
_AS_TEXT = frozenset({"decimal_str", "datetime_iso", "date_iso"})  # their stored text is the message's text


_Row = tuple[int, UUID | str, int, str, bytes]
_T = TypeVar("_T")


class _NeedsDecoding(Exception):
    """A value the fast path does not know; the notification goes through the library's mapper instead."""


class EventFeed:
    """Reads "after my position", never "expect last+1": notification ids may have gaps."""

    def __init__(self, source: str, application: Application) -> None:  # type: ignore[type-arg]
        self.source = source
        self.application = application
        mapper = application.mapper
        self._fast = mapper.cipher is None and mapper.compressor is None
        recorder = application.recorder
        self._table: str | None = None
        self.channel: str | None = None  # PostgreSQL: notified at every commit of new events
        if isinstance(recorder, PostgresApplicationRecorder):
            self.channel = recorder.channel_name
            # The id as text: PostgreSQL formats it faster than Python builds a UUID and formats it again.
            self._table = (f'SELECT notification_id, originator_id::text, originator_version, topic, state '
                           f'FROM "{recorder.datastore.schema}"."{recorder.events_table_name}"')

    def read(
        self, after: int, limit: int = 500, types: Collection[str] | None = None, stop: int | None = None
    ) -> tuple[list[Message], int]:
        """Messages after `after` (up to `stop` when given), and the position read up to, which moves past
        skipped events too.

        `types` (message types such as "Pledge.PaymentReceived"), when given, keeps only those: the others
        are skipped before decoding, which is what makes a replay that needs a few types fast. With `stop`
        too, on PostgreSQL the filter runs in the database: a short page then means "nothing more of these
        types up to `stop`", so the position read up to is `stop`.
        """
        if types is not None and stop is not None and self._table is not None:
            rows = self._select(after, limit, stop, list(types))
            messages = [self._message(*row) for row in rows]
            return messages, (rows[-1][0] if len(rows) == limit else max(after, stop))
        rows = self._select(after, limit, stop, None)
        messages = []
        for row in rows:
            topic = row[3]
            if topic.startswith(_SKIPPED_PREFIXES):
                continue
            if types is not None and topic.partition(":")[2] not in types:
                continue
            messages.append(self._message(*row))
        return messages, (rows[-1][0] if rows else after)

    def encoded(self, after: int, limit: int = 500) -> tuple[list[tuple[bytes, bytes]], int]:
        """What `read` returns, as (key, message JSON) pairs ready to publish: the relay's hot path builds the
        bytes of `Message.to_json()` straight from the stored state, without a Message in between."""
        rows = self._select(after, limit, None, None)
        return self.completed(*render(self.source, rows, self._fast)), (rows[-1][0] if rows else after)

    def completed(self, messages: list[tuple[bytes, bytes]],
                  undecoded: list[tuple[int, _Row]]) -> list[tuple[bytes, bytes]]:
        """`render`'s messages with the rows it could not render put in their places, through the domain event."""
        for index, row in undecoded:
            messages[index] = (messages[index][0], self._message(*row).to_json())
        return messages

    @property
    def fast(self) -> bool:
        """Whether stored states are plain JSON (no cipher, no compression), which `render` reads directly."""
        return self._fast

    @property
    def select_query(self) -> str | None:
        """The relay reader's query (PostgreSQL): rows after a position, in id order, a page at a time."""
        if self._table is None:
            return None
        return self._table + " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"

    def _select(self, after: int, limit: int, stop: int | None, types: list[str] | None) -> list[_Row]:
        """(id, originator id, version, topic, state) rows in id order. On PostgreSQL the rows come as plain
        tuples straight from the recorder's table (the library builds an object per row, a third of a replay's
        time); elsewhere through the recorder's own query."""
        if self._table is None:
            found = self.application.recorder.select_notifications(
                start=after, limit=limit, stop=stop, inclusive_of_start=False)
            return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in found]
        query = self._table + " WHERE notification_id > %s"
        params: list[Any] = [after]
        if stop is not None:
            query += " AND notification_id <= %s"
            params.append(stop)
        if types is not None:
            query += " AND split_part(topic, ':', 2) = ANY(%s)"
            params.append(types)
        params.append(limit)
        datastore = self.application.recorder.datastore  # type: ignore[attr-defined]
        # Binary results: the state arrives as bytes, not as hex text to decode.
        with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as cursor:
            cursor.execute(query + " ORDER BY notification_id LIMIT %s", params, prepare=True)
            rows: list[_Row] = cursor.fetchall()
            return rows

    def pages(
        self, after: int, stop: int, types: Collection[str] | None = None, limit: int = 5000
    ) -> Iterator[list[Message]]:
        """The messages after `after` up to `stop`, a page at a time, the next page read while the caller
        works on this one (a replay: the database and the decoding overlap)."""

        def pages() -> Iterator[list[Message]]:
            position = after
            while position < stop:
                messages, last = self.read(position, limit=limit, types=types, stop=stop)
                if last == position:
                    return
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
        transcodings (the relay's hot path), else through the domain event."""
        if self._fast:
            try:
                return _from_state(self.source, id_, originator_id, version, topic, state)
            except _NeedsDecoding:
                pass
        notification = Notification(id=id_, originator_id=UUID(str(originator_id)), originator_version=version,
                                    topic=topic, state=bytes(state))
        event = self.application.mapper.to_domain_event(notification)
        return from_event(self.source, id_, event)

    def head(self) -> int:
        """The newest notification id (0 when the log is empty)."""
        return self.application.recorder.max_notification_id() or 0


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


def render(source: str, rows: list[_Row], fast: bool) -> tuple[list[tuple[bytes, bytes]], list[tuple[int, _Row]]]:
    """(key, message JSON) for each row worth publishing, and the rows this cannot render without the
    application (a value outside the library's default transcodings, a cipher): those come back with their
    index and a placeholder message, for `EventFeed.completed` to fill. Needs no application, so the relay's
    reader process can run it."""
    messages: list[tuple[bytes, bytes]] = []
    undecoded: list[tuple[int, _Row]] = []
    source_ = source.encode()
    types: dict[str, bytes] = {}  # topic → the message's type, the part after the module path
    for row in rows:
        id_, originator_id, version, topic, state = row
        if topic.startswith(_SKIPPED_PREFIXES):
            continue
        key = str(originator_id).encode()
        if fast:
            type_ = types.get(topic)
            if type_ is None:
                type_ = types[topic] = topic.partition(":")[2].encode()
            try:
                messages.append((key, _json_from_state(source_, id_, key, version, type_, state)))
                continue
            except _NeedsDecoding:
                pass
        undecoded.append((len(messages), row))
        messages.append((key, b""))
    return messages, undecoded


def _from_state(source: str, id_: int, originator_id: UUID | str, version: int, topic: str, state_: bytes) -> Message:
    state = orjson.loads(state_)
    occurred_at = _occurred_at(state)
    return Message(
        source=source,
        position=id_,
        type=topic.partition(":")[2],
        version=FORMAT_VERSION,
        aggregate_id=str(originator_id),
        occurred_at=occurred_at,
        data=_plain_data(state),
        aggregate_version=version,
    )


# The bytes of `Message.to_json()` (keys in sorted order) as a template: its strings need no escaping (a uuid, an
# ISO timestamp, a source name, an event class path). Formatting also keeps clear of orjson's output buffers:
# each is allocated at 1 KiB and shrunk, and keeping thousands of them (a page) costs ~2.5 µs apiece in malloc.
_MESSAGE = (b'{"aggregate_id":"%s","aggregate_version":%d,"data":%s,"occurred_at":"%s","position":%d,'
            b'"source":"%s","type":"%s","version":%d}')


def _json_from_state(source: bytes, id_: int, aggregate_id: bytes, version: int, type_: bytes, state_: bytes) -> bytes:
    """Byte for byte `_from_state(...).to_json()` (a test holds them equal)."""
    state = orjson.loads(state_)
    occurred_at = _occurred_at(state)
    data = orjson.dumps(_plain_data(state), option=orjson.OPT_SORT_KEYS)
    return _MESSAGE % (aggregate_id, version, data, occurred_at.encode(), id_, source, type_, FORMAT_VERSION)


def _occurred_at(state: dict[str, Any]) -> str:
    """The event's timestamp as stored (ISO text), taken out of the state."""
    timestamp = state.pop("timestamp", None)
    if type(timestamp) is not dict or len(timestamp) != 2 or timestamp.get("_type_") != "datetime_iso":
        raise _NeedsDecoding
    occurred_at = timestamp.get("_data_")
    if type(occurred_at) is not str:
        raise _NeedsDecoding
    return occurred_at


def _plain_data(state: dict[str, Any]) -> dict[str, Any]:
    """The event's attributes without the envelope, values made plain, in place (the replay's and the relay's
    inner loop: plain values are passed over, the library's transcodings converted in line)."""
    state.pop("originator_topic", None)
    for key, value in state.items():  # values replaced, keys untouched: safe while iterating
        kind = type(value)
        if kind is dict:
            transcoding = value.get("_type_")
            if len(value) == 2 and "_data_" in value:
                if transcoding in _AS_TEXT:
                    state[key] = value["_data_"]
                    continue
                if transcoding == "uuid_hex":
                    state[key] = _uuid_text(value["_data_"])
                    continue
            state[key] = _plain(value)
        elif kind is list:
            state[key] = _plain(value)
    return state


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        if "_type_" in value:
            convert = _PLAIN.get(value["_type_"])
            if convert is None or "_data_" not in value:
                raise _NeedsDecoding
            return convert(value["_data_"])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
