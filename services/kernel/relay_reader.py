"""The relay's reader: a process of its own that reads the event table and renders the messages, a page at a
time, while the relay's process only hands them to Kafka. Reading and rendering cost about as much as
producing, so on two cores the two halves run side by side instead of taking turns under one interpreter lock.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from services.kernel.feed import EventFeed, read_ahead, render

_READY = "ready"


class RelayReadError(RuntimeError):
    """The reader process could not read the event table (the database is gone, a query failed)."""


def _serve(conn: Connection) -> None:
    """The reader process. First it is told what to read (the connection string comes through the pipe, never
    the command line); then it waits for "read after P" (a generation number, a position and how often to look
    again when idle) and sends the pages after P until told otherwise. An empty page means "nothing new" and is
    sent again every `idle_wait` seconds. It stops when the relay says so (None) or is gone (EOF)."""
    conninfo, query, source, fast, limit = conn.recv()
    try:
        pg = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as error:
        conn.send(f"cannot connect to the event store: {error}")
        return
    with pg:
        conn.send(_READY)
        command = conn.recv()
        while command is not None:
            command = _send_pages(conn, pg, query, source, fast, limit, *command)


def _send_pages(conn: Connection, pg: psycopg.Connection[Any], query: str, source: str, fast: bool, limit: int,
                generation: int, after: int, idle_wait: float) -> Any:
    """Send the pages after `after` until a new command comes, and return it. A thread reads the next page
    while this one is rendered: the database's time and the rendering overlap."""
    pages = read_ahead(_row_pages(pg, query, limit, after, idle_wait))
    try:
        for page_after, rows in pages:
            if conn.poll(0):
                return conn.recv()
            messages, undecoded = render(source, rows, fast)
            conn.send((generation, page_after, messages, undecoded, rows[-1][0] if rows else page_after))
    except psycopg.Error as error:
        conn.send((generation, after, [], [str(error)], -1))
        return None  # the relay starts a new reader, with a new connection
    finally:
        pages.close()
    return None


def _row_pages(pg: psycopg.Connection[Any], query: str, limit: int, after: int,
               idle_wait: float) -> Iterator[tuple[int, list[Any]]]:
    """(after, rows) pages; an empty one, then a pause, when nothing new was stored."""
    # Binary results: the state arrives as bytes, not as hex to decode (a third less work per row).
    with pg.cursor(row_factory=tuple_row, binary=True) as cursor:
        while True:
            cursor.execute(query, (after, limit), prepare=True)
            rows = cursor.fetchall()
            yield after, rows
            if rows:
                after = rows[-1][0]
            else:
                time.sleep(idle_wait)


class RelayReader:
    """The relay's side of the reader process: started when the relay leads, restarted if it died."""

    def __init__(self, feed: EventFeed, conninfo: str, limit: int) -> None:
        query = feed.select_query
        if query is None:
            raise ValueError(f"the relay of {feed.source} needs a PostgreSQL event store")
        self.feed = feed
        self._args = (conninfo, query, feed.source, feed.fast, limit)
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._generation = 0

    def ready(self, timeout: float = 60.0) -> None:
        """Start the process unless it runs, and wait until it has connected to the database."""
        if self._process is not None and self._process.poll() is None:
            return
        self.close()
        ours, theirs = socket.socketpair()
        # A plain `python -m` process: it imports only the reader, not whatever started the relay.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "services.kernel.relay_reader", str(theirs.fileno())], pass_fds=(theirs.fileno(),)
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(self._args)
        answer = self._receive() if self._conn.poll(timeout) else f"no answer in {timeout:.0f}s"
        if answer != _READY:
            self.close()
            raise RelayReadError(f"the relay reader of {self.feed.source} did not start: {answer}")

    def start(self, after: int, idle_wait: float) -> None:
        """Read from `after` on, looking again every `idle_wait` seconds once caught up; pages read for an
        earlier start are dropped as they arrive."""
        self.ready()
        assert self._conn is not None
        self._generation += 1
        self._conn.send((self._generation, after, idle_wait))

    def next_page(self, timeout: float) -> tuple[int, list[tuple[bytes, bytes]], int] | None:
        """(after, (key, value) messages, last) of the next page, or None if none came within `timeout`."""
        assert self._conn is not None, "start() first"
        while self._conn.poll(timeout):
            page = self._receive()
            if page is None:
                raise RelayReadError(f"the relay reader of {self.feed.source} stopped")
            generation, after, messages, undecoded, last = page
            if generation != self._generation:
                continue  # read for an earlier start
            if last < 0:
                raise RelayReadError(f"relay {self.feed.source} could not read its event table: {undecoded[0]}")
            return after, self.feed.completed(messages, undecoded), last
        return None

    def _receive(self) -> Any:
        assert self._conn is not None
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            return None  # the process is gone

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            self._conn.close()  # a reader blocked sending a page gets a broken pipe and stops
            self._conn = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


if __name__ == "__main__":
    with contextlib.suppress(EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        _serve(Connection(int(sys.argv[1])))  # EOF or a broken pipe: the relay stopped or died
