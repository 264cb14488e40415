"""The event feed: an application's notification log turned into messages after a stored position."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from services.kernel.messages import FORMAT_VERSION, Message, from_event

# Idempotency records are bookkeeping, not facts; feeds skip them (the access trail, also kernel, is a fact).
_SKIPPED_PREFIXES = ("services.kernel.idempotency:",)
# Attributes of the stored state that the message carries in its own fields.
_ENVELOPE = ("timestamp", "originator_topic")
# The library's default transcodings, rendered as messages render them (see messages._plain).
_PLAIN: dict[str, Any] = {
    "uuid_hex": lambda hex_: str(UUID(hex_)), "decimal_str": str, "datetime_iso": str, "date_iso": str,
}


class _NeedsDecoding(Exception):
    """A value the fast path does not know; the notification goes through the library's mapper instead."""


class EventFeed:
    """Reads "after my position", never "expect last+1": notification ids may have gaps."""

    def __init__(self, source: str, application: Application) -> None:  # type: ignore[type-arg]
        self.source = source
        self.application = application
        mapper = application.mapper
        self._fast = mapper.cipher is None and mapper.compressor is None

    def read(
        self, after: int, limit: int = 500, types: Collection[str] | None = None
    ) -> tuple[list[Message], int]:
        """Messages after `after`, and the position read up to (which moves past skipped events too).

        `types` (message types such as "Pledge.PaymentReceived"), when given, keeps only those: the others
        are skipped before decoding, which is what makes a replay that needs a few types fast.
        """
        notifications = self.application.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        messages: list[Message] = []
        last = after
        for notification in notifications:
            last = notification.id
            if notification.topic.startswith(_SKIPPED_PREFIXES):
                continue
            if types is not None and notification.topic.partition(":")[2] not in types:
                continue
            messages.append(self.message(notification))
        return messages, last

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
        """The message for one notification: straight from the stored JSON when it holds only plain values
        and the library's default transcodings (the relay's hot path), else through the domain event."""
        if self._fast:
            try:
                return _from_state(self.source, notification)
            except _NeedsDecoding:
                pass
        event = self.application.mapper.to_domain_event(notification)
        return from_event(self.source, notification.id, event)

    def head(self) -> int:
        """The newest notification id (0 when the log is empty)."""
        return self.application.recorder.max_notification_id() or 0


def _from_state(source: str, notification: Notification) -> Message:
    state = orjson.loads(notification.state)
    timestamp = state.get("timestamp")
    if not isinstance(timestamp, dict) or timestamp.get("_type_") != "datetime_iso":
        raise _NeedsDecoding
    return Message(
        source=source,
        position=notification.id,
        type=notification.topic.partition(":")[2],
        version=FORMAT_VERSION,
        aggregate_id=str(notification.originator_id),
        occurred_at=timestamp["_data_"],
        data={k: _plain(v) for k, v in state.items() if k not in _ENVELOPE},
        aggregate_version=notification.originator_version,
    )


def _plain(value: Any) -> Any:
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
