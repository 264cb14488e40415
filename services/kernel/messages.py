"""The one versioned integration message every feed carries, and its one encoder: never raw stored bytes.

A message is encoded from one of two inputs: a domain event the application decoded, or the event's stored
state read without the application (the writer's outbox and the feeds' fast path; a state only the application
can read raises NeedsDecoding, and the caller decodes it). Either way the type is the event class's path inside
its aggregate, occurred_at the event's timestamp as ISO text, data the event's attributes without the envelope
made plain (exact text for amounts, ids and dates), and the bytes are written by `_head` and `_tail`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper
from eventsourcing.utils import TopicError, get_topic, resolve_topic

FORMAT_VERSION = 1
# Sent by the relay to every partition: "every message of this source up to `position` is before me".
# It lets consumers of a quiet partition know how far the source has gone (the ledger seals on it).
WATERMARK = "Feed.Watermark"
_FIELDS = ("source", "position", "type", "version", "aggregate_id", "occurred_at", "data")
# Attributes every stored event carries that the message already says in its own fields.
_ENVELOPE = ("originator_id", "originator_version", "timestamp", "originator_topic")
# Idempotency records are bookkeeping, not facts; feeds skip them (the access trail, also kernel, is a fact).
_SKIPPED_PREFIXES = ("services.kernel.idempotency:", "services.kernel.upgrades:", "services.kernel.keyindex:")


class MessageFormatError(ValueError):
    """A message that this version of Angeli cannot read; consumers stop instead of guessing."""


class NeedsDecoding(Exception):
    """A stored state this encoder cannot read without the application (a value outside the library's default
    transcodings, a state of an older event class version): the caller decodes the event and uses from_event."""


@dataclass(frozen=True)
class Message:
    source: str
    position: int
    type: str
    version: int
    aggregate_id: str
    occurred_at: str
    data: dict[str, Any]
    aggregate_version: int = 0

    @property
    def is_watermark(self) -> bool:
        return self.type == WATERMARK

    def to_json(self) -> bytes:
        return (_head(self.aggregate_id, self.aggregate_version, self.data, self.occurred_at)
                + orjson.dumps(self.position) + _tail(self.source, self.type, self.version))

    @classmethod
    def from_json(cls, raw: bytes) -> Message:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise MessageFormatError(f"message is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise MessageFormatError(f"message must be a JSON object, got {type(body).__name__}")
        missing = [name for name in _FIELDS if name not in body]
        if missing:
            raise MessageFormatError(f"message lacks {', '.join(missing)}")
        if body["version"] != FORMAT_VERSION:
            raise MessageFormatError(
                f"message format version {body['version']!r} is unknown to this consumer "
                f"(it reads version {FORMAT_VERSION}); upgrade the consumer before replaying"
            )
        if not isinstance(body["position"], int) or not isinstance(body["data"], dict):
            raise MessageFormatError("message position must be an integer and data an object")
        return cls(**{name: body[name] for name in _FIELDS}, aggregate_version=body.get("aggregate_version", 0))


def reads_states_of(mapper: Mapper[Any]) -> bool:
    """Whether this encoder can read the states this mapper stores: the library's JSON, neither enciphered
    nor compressed."""
    return mapper.cipher is None and mapper.compressor is None


def skipped(topic: str) -> bool:
    """Whether events of this topic have no message (feeds pass over them)."""
    return topic.startswith(_SKIPPED_PREFIXES)


def message_type(topic: str) -> str:
    """The message's type: the event class's path inside its aggregate, "Pledge.PaymentReceived"."""
    return topic.partition(":")[2]


def from_event(source: str, position: int, event: DomainEventProtocol[Any]) -> Message:
    """The message for a domain event the application decoded."""
    return Message(
        source=source,
        position=position,
        type=message_type(get_topic(type(event))),
        version=FORMAT_VERSION,
        aggregate_id=str(event.originator_id),
        occurred_at=event.timestamp.isoformat(),  # type: ignore[attr-defined]  # every aggregate event has one
        data={k: _plain(v) for k, v in event.__dict__.items() if k not in _ENVELOPE},
        aggregate_version=event.originator_version,
    )


def from_state(source: str, position: int, originator_id: UUID | str, version: int, topic: str,
               state: bytes) -> Message:
    """The message for a stored state, read without the application; NeedsDecoding if it cannot be."""
    occurred_at, data = _read_state(topic, state)
    return Message(source=source, position=position, type=message_type(topic), version=FORMAT_VERSION,
                   aggregate_id=str(originator_id), occurred_at=occurred_at, data=data, aggregate_version=version)


def encoded(source: str, position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """Byte for byte `from_state(...).to_json()`, without building the message (the relay's hot path)."""
    head, tail = encoded_parts(source, originator_id, version, topic, state)
    return b"%s%d%s" % (head, position, tail)


def encoded_parts(source: str, originator_id: UUID | str, version: int, topic: str,
                  state: bytes) -> tuple[bytes, bytes]:
    """The message of a stored state cut where its position goes, for a writer that learns the position only
    from the database; NeedsDecoding (or orjson.JSONDecodeError) if the state cannot be read here."""
    occurred_at, data = _read_state(topic, state)
    return _head(str(originator_id), version, data, occurred_at), _topic_tail(source, topic)


# The message's bytes are orjson's for the whole message with sorted keys, cut where the position goes (the
# fields before it sort before "position", the others after): a writer learns the position from the database.
def _head(aggregate_id: str, aggregate_version: int, data: dict[str, Any], occurred_at: str) -> bytes:
    before = {"aggregate_id": aggregate_id, "aggregate_version": aggregate_version, "data": data,
              "occurred_at": occurred_at}
    return orjson.dumps(before, option=orjson.OPT_SORT_KEYS)[:-1] + b',"position":'


def _tail(source: str, type_: str, version: int) -> bytes:
    return b"," + orjson.dumps({"source": source, "type": type_, "version": version})[1:]


@lru_cache(maxsize=4096)  # a source's tails are few: one per event type
def _topic_tail(source: str, topic: str) -> bytes:
    return _tail(source, message_type(topic), FORMAT_VERSION)


def _plain(value: Any) -> Any:
    """A domain value made JSON-safe: Decimal and dates as strings (exact), UUID as string, enums by value."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _read_state(topic: str, state_: bytes) -> tuple[str, dict[str, Any]]:
    """(occurred_at, data) of a stored state, as `from_event` renders them from the decoded event."""
    state = orjson.loads(state_)
    occurred_at = _occurred_at(state, topic)
    return occurred_at, _plain_state(state)


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


# The library's default transcodings made plain as `_plain` makes the values they hold: the stored text of a
# Decimal, a datetime and a date is already theirs; a UUID is stored without its dashes.
_AS_TEXT = frozenset({"decimal_str", "datetime_iso", "date_iso"})


def _plain_state(state: dict[str, Any]) -> dict[str, Any]:
    """The event's attributes without the envelope, values made plain, in place (the replay's and the relay's
    inner loop: plain values are passed over, the library's transcodings converted in line)."""
    state.pop("originator_topic", None)
    for key, value in state.items():  # values replaced, keys untouched: safe while iterating
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_data_" in value:
                transcoding = value.get("_type_")
                if transcoding in _AS_TEXT:
                    state[key] = value["_data_"]
                    continue
                if transcoding == "uuid_hex":
                    state[key] = _uuid_text(value["_data_"])
                    continue
            state[key] = _plain_stored(value)
        elif kind is list:
            state[key] = _plain_stored(value)
    return state


def _plain_stored(value: Any) -> Any:
    """A stored value made plain, the transcoded ones nested anywhere; NeedsDecoding for an unknown one."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        if "_type_" in value:
            transcoding = value["_type_"]
            if "_data_" not in value or (transcoding not in _AS_TEXT and transcoding != "uuid_hex"):
                raise NeedsDecoding
            return value["_data_"] if transcoding in _AS_TEXT else _uuid_text(value["_data_"])
        return {k: _plain_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_stored(v) for v in value]
    return value


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
