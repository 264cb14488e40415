"""The one versioned integration message every feed carries: never raw stored bytes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol

FORMAT_VERSION = 1
# Sent by the relay to every partition: "every message of this source up to `position` is before me".
# It lets consumers of a quiet partition know how far the source has gone (the ledger seals on it).
WATERMARK = "Feed.Watermark"
_FIELDS = ("source", "position", "type", "version", "aggregate_id", "occurred_at", "data")
# Attributes every stored event carries that the message already says in its own fields.
_ENVELOPE = ("originator_id", "originator_version", "timestamp", "originator_topic")


class MessageFormatError(ValueError):
    """A message that this version of Angeli cannot read; consumers stop instead of guessing."""


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
        body = {
            "source": self.source, "position": self.position, "type": self.type, "version": self.version,
            "aggregate_id": self.aggregate_id, "occurred_at": self.occurred_at, "data": self.data,
            "aggregate_version": self.aggregate_version,
        }
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

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


def from_event(source: str, position: int, event: DomainEventProtocol[Any]) -> Message:
    """The message for a stored domain event: type is the event's class path inside its aggregate."""
    state = {k: _plain(v) for k, v in event.__dict__.items() if k not in _ENVELOPE}
    return Message(
        source=source,
        position=position,
        type=type(event).__qualname__,
        version=FORMAT_VERSION,
        aggregate_id=str(event.originator_id),
        occurred_at=event.timestamp.isoformat(),  # type: ignore[attr-defined]  # every aggregate event has one
        data=state,
        aggregate_version=event.originator_version,
    )


def _plain(value: Any) -> Any:
    """JSON-safe form: Decimal and dates as strings (exact), UUID as string, enums by value."""
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
