"""Read-your-writes across services: what a subscriber has not handled yet, read straight from the source's feed.

A service learns another's facts through the feed, a moment after they were stored. Where a person must see the
effect of what they have just done (a volunteer who just clocked in asks for a contact), the subscriber's own view
plus the messages it has not handled yet is the truth as of now. Both modes: the feed reads the source's event
store (embedded SQLite, or PostgreSQL beside Kafka), and the positions are the subscriber's own tracking.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from services.kernel.feed import EventFeed
from services.kernel.follower import Subscriber
from services.kernel.messages import Message


class Unhandled:
    """The messages of one source stored but not yet handled by one subscriber."""

    def __init__(self, feed: EventFeed, subscriber: Subscriber, partitions: int) -> None:
        self.feed = feed
        self.subscriber = subscriber
        self.partitions = partitions

    def latest(self, types: Collection[str], matching: Callable[[Message], bool]) -> Message | None:
        """The newest unhandled message of these types that matches, or None when the subscriber has seen them all.

        Every unhandled message lies after the lowest position of any partition (each partition is handled in
        order), so reading from there misses none; what it reads twice was handled already and is older. It reads
        everything committed, beyond the horizon too: it keeps no position.
        """
        after = min(self.subscriber.position(self.feed.source, part) for part in range(self.partitions))
        stop = self.feed.head()
        found: Message | None = None
        while after < stop:
            messages, last = self.feed.read(after, limit=1000, types=types, stop=stop, beyond_horizon=True)
            found = next((m for m in reversed(messages) if matching(m)), found)
            if last == after:
                break
            after = last
        return found
