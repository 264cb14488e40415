"""The relay's reader: a process of its own that reads the event table and renders the messages, a page at a
time, while the relay's process only hands them to Kafka. Reading and rendering cost about as much as
producing, so on two cores the two halves run side by side instead of taking turns under one interpreter lock.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from queue import Empty, Full, Queue
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from services.kernel.feed import EventFeed, render

_READY = "ready"


class RelayReadError(RuntimeError):
    """The reader process could not read the event table (the database is gone, a query failed)."""


def _serve(conn: Connection) -> None:
    """The reader process. First it is told what to read (the connection string comes through the pipe, never
    the command line); then it waits for "read after P" (a generation number, a position and how often to look
    again when idle) and sends the pages after P until told otherwise. An empty page means "nothing new" and is
    sent again every `idle_wait` seconds. It stops when the relay says so (None) or is gone (EOF)."""
    conninfo, query, channel, source, fast, limit = conn.recv()
    try:
        pg = psycopg.connect(conninfo, autocommit=True)
        listening = psycopg.connect(conninfo, autocommit=True)
        # Every commit of new events notifies this channel: an idle reader looks again at once, not at its
        # next poll (before the first query, so nothing committed after it goes unnoticed).
        listening.execute(SQL("LISTEN {}").format(Identifier(channel)))
    except psycopg.Error as error:
        conn.send(f"cannot connect to the event store: {error}")
        return
    with pg, listening:
        conn.send(_READY)
        command = conn.recv()
        while command is not None:
            command = _send_pages(conn, pg, listening, query, source, fast, limit, *command)


def _send_pages(conn: Connection, pg: psycopg.Connection[Any], listening: psycopg.Connection[Any], query: str,
                source: str, fast: bool, limit: int, generation: int, after: int, idle_wait: float) -> Any:
    """Send the pages after `after` until a new command comes, and return it. A thread reads the next page
    while this one is rendered (the database's time and the rendering overlap); this one keeps an ear on the
    relay meanwhile, so a new command or the relay's end is heard within a moment, however idle the log."""
    pages: Queue[tuple[int, list[Any]] | psycopg.Error] = Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(target=_read_pages, args=(pg, listening, query, limit, after, idle_wait, pages, stop),
                              name="relay-reader-pages", daemon=True)
    reader.start()
    try:
        while True:
            if conn.poll(0):
                return conn.recv()
            try:
                page = pages.get(timeout=0.05)
            except Empty:
                continue
            if isinstance(page, psycopg.Error):
                conn.send((generation, after, [], [str(page)], -1))
                return None  # the relay starts a new reader, with a new connection
            page_after, rows = page
            messages, undecoded = render(source, rows, fast)
            conn.send((generation, page_after, messages, undecoded, rows[-1][0] if rows else page_after))
    finally:
        stop.set()
        reader.join()  # the next start reads on the same connections


def _read_pages(pg: psycopg.Connection[Any], listening: psycopg.Connection[Any], query: str, limit: int, after: int,
                idle_wait: float, pages: Queue[tuple[int, list[Any]] | psycopg.Error], stop: threading.Event) -> None:
    """Put (after, rows) pages; an empty one, then a wait for the next commit (at most `idle_wait` seconds), when
    nothing new was stored. Stops when told, within a tenth of a second."""
    try:
        # Binary results: the state arrives as bytes, not as hex to decode (a third less work per row).
        with pg.cursor(row_factory=tuple_row, binary=True) as cursor:
            while not stop.is_set():
                for _ in listening.notifies(timeout=0):
                    pass  # commits up to now: this query sees them
                cursor.execute(query, (after, limit), prepare=True)
                rows = cursor.fetchall()
                _put(pages, (after, rows), stop)
                if rows:
                    after = rows[-1][0]
                    continue
                deadline = time.monotonic() + idle_wait
                while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                    if any(True for _ in listening.notifies(timeout=min(left, 0.1), stop_after=1)):
                        break
    except psycopg.Error as error:
        _put(pages, error, stop)


def _put(pages: Queue[Any], item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.1)
            return
        except Full:
            continue


class RelayReader:
    """The relay's side of the reader process: started when the relay leads, restarted if it died."""

    def __init__(self, feed: EventFeed, conninfo: str, limit: int) -> None:
        query = feed.select_query
        if query is None:
            raise ValueError(f"the relay of {feed.source} needs a PostgreSQL event store")
        self.feed = feed
        self._args = (conninfo, query, feed.channel, feed.source, feed.fast, limit)
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
