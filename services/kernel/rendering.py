"""Stored event states rendered as message bytes without the application: the writer renders each event's
message into the outbox column as it saves it, and feeds render what the column does not hold."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import TopicError, resolve_topic

from services.kernel.messages import FORMAT_VERSION, Message

# Idempotency records are bookkeeping, not facts; feeds skip them (the access trail, also kernel, is a fact).
SKIPPED_PREFIXES = ("services.kernel.idempotency:",)
Row = tuple[int, UUID | str, int, str, bytes]


class NeedsDecoding(Exception):
    """A value the fast path does not know; the notification goes through the library's mapper instead."""


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


def render(source: str, rows: list[Row], fast: bool) -> tuple[list[tuple[int, bytes, bytes]], list[tuple[int, Row]]]:
    """(id, key, message JSON) for each row worth publishing, and the rows this cannot render without the
    application (a value outside the library's default transcodings, a cipher): those come back with their
    index and a placeholder message, for the feed to fill through the application."""
    messages: list[tuple[int, bytes, bytes]] = []
    undecoded: list[tuple[int, Row]] = []
    source_ = source.encode()
    types: dict[str, bytes] = {}  # topic → the message's type, the part after the module path
    for row in rows:
        id_, originator_id, version, topic, state = row
        if topic.startswith(SKIPPED_PREFIXES):
            continue
        key = str(originator_id).encode()
        if fast:
            type_ = types.get(topic)
            if type_ is None:
                type_ = types[topic] = topic.partition(":")[2].encode()
            try:
                messages.append((id_, key, _json_from_state(source_, id_, key, version, topic, type_, state)))
                continue
            except NeedsDecoding:
                pass
        undecoded.append((len(messages), row))
        messages.append((id_, key, b""))
    return messages, undecoded


def from_state(source: str, id_: int, originator_id: UUID | str, version: int, topic: str, state_: bytes) -> Message:
    state = orjson.loads(state_)
    occurred_at = _occurred_at(state, topic)
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
# Cut where the position goes: a writer does not know the position until the database gives it.
_HEAD = b'{"aggregate_id":"%s","aggregate_version":%d,"data":%s,"occurred_at":"%s","position":'
_TAIL = b',"source":"%s","type":"%s","version":%d}'


def _json_from_state(source: bytes, id_: int, aggregate_id: bytes, version: int, topic: str, type_: bytes,
                     state_: bytes) -> bytes:
    """Byte for byte `from_state(...).to_json()` (a test holds them equal)."""
    return b"%s%d%s" % (_head(aggregate_id, version, topic, state_), id_, _TAIL % (source, type_, FORMAT_VERSION))


def _head(aggregate_id: bytes, version: int, topic: str, state_: bytes) -> bytes:
    state = orjson.loads(state_)
    occurred_at = _occurred_at(state, topic)
    data = orjson.dumps(_plain_data(state), option=orjson.OPT_SORT_KEYS)
    return _HEAD % (aggregate_id, version, data, occurred_at.encode())


def message_parts(source: str, events: Sequence[StoredEvent]) -> tuple[list[bytes | None], list[bytes | None]]:
    """Each event's message cut at its position (head, tail), for the writer to join around the id the database
    gives it: the outbox column, which the relay sends as it is. An event feeds skip gets (b"", None): an
    empty message; one that needs the application (a value outside the default transcodings) gets (None,
    None), and the relay renders it through the application instead."""
    heads: list[bytes | None] = []
    tails: list[bytes | None] = []
    source_ = source.encode()
    for event in events:
        topic = event.topic
        if topic.startswith(SKIPPED_PREFIXES):
            heads.append(b"")
            tails.append(None)
            continue
        try:
            heads.append(_head(str(event.originator_id).encode(), event.originator_version, topic, event.state))
        except (NeedsDecoding, orjson.JSONDecodeError):
            heads.append(None)
            tails.append(None)
            continue
        tails.append(_TAIL % (source_, topic.partition(":")[2].encode(), FORMAT_VERSION))
    return heads, tails


def _occurred_at(state: dict[str, Any], topic: str) -> str:
    """The event's timestamp as stored (ISO text), taken out of the state with the class version the library
    adds. A state stored by an older version of its class is the library's to upcast: NeedsDecoding."""
    if state.pop("class_version", 1) != _class_version(topic):
        raise NeedsDecoding
    timestamp = state.pop("timestamp", None)
    if type(timestamp) is not dict or len(timestamp) != 2 or timestamp.get("_type_") != "datetime_iso":
        raise NeedsDecoding
    occurred_at = timestamp.get("_data_")
    if type(occurred_at) is not str:
        raise NeedsDecoding
    return occurred_at


@cache
def _class_version(topic: str) -> int:
    """The version of the event class a topic names today (0 for a topic no class answers to: the library
    then says what is wrong)."""
    try:
        return int(getattr(resolve_topic(topic), "class_version", 1))
    except TopicError:
        return 0


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
                raise NeedsDecoding
            return convert(value["_data_"])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
