"""Single active instance: whoever holds a PostgreSQL advisory lock leads; the others wait and take over."""

from __future__ import annotations

import threading

import psycopg

from services.kernel.settings import Settings


class Leadership:
    """The lock lives as long as this object's connection: a killed leader's lock is released by the server."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.name = name
        self._conn = psycopg.connect(settings.postgres.conninfo(), autocommit=True)

    def try_acquire(self) -> bool:
        row = self._conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (self.name,)).fetchone()
        return bool(row and row[0])

    def acquire(self, stop: threading.Event, poll_seconds: float = 1.0) -> bool:
        """Block until leading (True) or until `stop` is set (False)."""
        while not stop.is_set():
            if self.try_acquire():
                return True
            stop.wait(poll_seconds)
        return False

    def close(self) -> None:
        self._conn.close()
