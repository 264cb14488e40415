"""The relay's reader: a thread that reads the outbox column of the event table a page ahead of the relay, so
the database's time overlaps with producing to Kafka. The writers rendered the messages as they saved them;
what the column does not hold (events older than it, states only the application can read) is rendered here
through the application."""

from __future__ import annotations

import threading
import time
from operator import itemgetter
from queue import Empty, Full, Queue
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from services.kernel.feed import EventFeed

# (notification id, key, message, partition): an empty message is an event feeds skip.
OutboxRow = tuple[int, bytes, bytes, int]
Page = tuple[int, list[OutboxRow], int]  # (read after, rows, last position read)
_MESSAGE = itemgetter(2)


class RelayReadError(RuntimeError):
    """The reader could not read the event table (the database is gone, a query failed)."""


class RelayReader:
    """Started when the relay leads; a new start (after a Kafka error) reads again from the stored position."""

    def __init__(self, feed: EventFeed, conninfo: str, limit: int) -> None:
        query = feed.outbox_query
        if query is None or feed.channel is None:
            raise ValueError(f"the relay of {feed.source} needs a PostgreSQL event store")
        self.feed = feed
        self._query, self._channel, self._conninfo, self._limit = query, feed.channel, conninfo, limit
        self._connections: tuple[psycopg.Connection[Any], psycopg.Connection[Any]] | None = None
        self._pages: Queue[Page | psycopg.Error] = Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ready(self) -> None:
        """Connect unless connected: one connection reads, the other listens for commits."""
        if self._connections is not None and not any(c.closed or c.broken for c in self._connections):
            return
        self._disconnect()
        name = f"angeli-relay-reader-{self.feed.source}"  # how an operator finds it in pg_stat_activity
        try:
            pg = psycopg.connect(self._conninfo, autocommit=True, application_name=name)
            listening = psycopg.connect(self._conninfo, autocommit=True, application_name=name)
            # Every commit of new events notifies this channel: an idle reader looks again at once, not at its
            # next poll (listening before the first query, so nothing committed after it goes unnoticed).
            listening.execute(SQL("LISTEN {}").format(Identifier(self._channel)))
        except psycopg.Error as error:
            raise RelayReadError(f"the relay reader of {self.feed.source} cannot connect: {error}") from None
        self._connections = (pg, listening)

    def start(self, after: int, idle_wait: float, partitions: int) -> None:
        """Read from `after` on, looking again every `idle_wait` seconds once caught up (or at the next commit),
        each message's partition one of `partitions`; pages of an earlier start are dropped."""
        self._stop_thread()
        self.ready()
        assert self._connections is not None
        self._pages, self._stop = Queue(maxsize=2), threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(*self._connections, after, idle_wait, partitions, self._pages, self._stop),
            name=f"relay-reader-{self.feed.source}", daemon=True)
        self._thread.start()

    def next_page(self, timeout: float) -> Page | None:
        """(after, rows, last) of the next page, or None if none came within `timeout`. A page with no rows
        means "nothing new"."""
        try:
            page = self._pages.get(timeout=timeout)
        except Empty:
            return None
        if isinstance(page, psycopg.Error):
            self._disconnect()  # the next start connects again
            raise RelayReadError(f"relay {self.feed.source} could not read its event table: {page}")
        return page

    def _read(self, pg: psycopg.Connection[Any], listening: psycopg.Connection[Any], after: int, idle_wait: float,
              partitions: int, pages: Queue[Page | psycopg.Error], stop: threading.Event) -> None:
        """Put pages until stopped; after an empty one, wait for the next commit (at most `idle_wait` seconds)."""
        try:
            with pg.cursor(row_factory=tuple_row, binary=True) as cursor:
                while not stop.is_set():
                    for _ in listening.notifies(timeout=0):
                        pass  # commits up to now: this query sees them
                    # Never past the horizon (EventRecorder): its own statement, before the rows'.
                    horizon = self.feed.horizon(cursor)
                    cursor.execute(self._query, (partitions, after, horizon, self._limit), prepare=True)
                    fetched: list[tuple[int, bytes, bytes | None, int]] = cursor.fetchall()
                    last = fetched[-1][0] if fetched else after
                    # Never a NULL message to the relay: it would pass for an event feeds skip.
                    rows = self._rendered(after, fetched) if None in map(_MESSAGE, fetched) else fetched

                    _put(pages, (after, rows, last), stop)
                    if last != after:
                        after = last
                        continue
                    deadline = time.monotonic() + idle_wait
                    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                        if any(True for _ in listening.notifies(timeout=min(left, 0.1), stop_after=1)):
                            break
        except psycopg.Error as error:
            _put(pages, error, stop)

    def _rendered(self, after: int, fetched: list[tuple[int, bytes, bytes | None, int]]) -> list[OutboxRow]:
        """The same rows with their messages rendered through the application: the column holds none for some."""
        messages = {id_: value for id_, _, value in self.feed.rendered(after, limit=len(fetched))[0]}
        return [(id_, key, messages.get(id_, b""), partition) for id_, key, _, partition in fetched]

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _disconnect(self) -> None:
        self._stop_thread()
        if self._connections is not None:
            for connection in self._connections:
                connection.close()
            self._connections = None

    def close(self) -> None:
        self._disconnect()


def _put(pages: Queue[Any], item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.1)
            return
        except Full:
            continue
