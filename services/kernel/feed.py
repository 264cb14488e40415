"""The event feed: an application's notification log turned into messages after a stored position."""

from __future__ import annotations

from collections.abc import Collection

from eventsourcing.application import Application

from services.kernel.messages import Message, from_event

# Kernel bookkeeping aggregates (idempotency records) are not domain facts; feeds skip them.
_SKIPPED_PREFIXES = ("services.kernel.",)


class EventFeed:
    """Reads "after my position", never "expect last+1": notification ids may have gaps."""

    def __init__(self, source: str, application: Application) -> None:  # type: ignore[type-arg]
        self.source = source
        self.application = application

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
            event = self.application.mapper.to_domain_event(notification)
            messages.append(from_event(self.source, notification.id, event))
        return messages, last

    def head(self) -> int:
        """The newest notification id (0 when the log is empty)."""
        return self.application.recorder.max_notification_id() or 0
