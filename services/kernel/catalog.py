"""Which version of each read model is live. A rebuild fills a new version beside the old one from
position zero, then switches readers and consumers to it here; the old version is dropped after."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from services.kernel.readmodel import Projection, ReadStore, open_store
from services.kernel.settings import Settings

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS live_versions ("
    " projection TEXT PRIMARY KEY, store TEXT NOT NULL, switched_at TEXT NOT NULL)",
)
_REFRESH_SECONDS = 1.0
# A switched-away version stays open this long for the requests already reading it, then is closed: a rebuild
# drops its files after SWITCH_GRACE_SECONDS, and a deleted SQLite file gives its space back only once closed.
RETIRED_GRACE_SECONDS = 5.0


def first_version(projection: str) -> str:
    return f"projection_{projection}"


class Catalog:
    def __init__(self, settings: Settings) -> None:
        self.store = open_store(settings, "catalog")
        self.store.create(_SCHEMA)

    def live(self) -> dict[str, str]:
        return {r["projection"]: r["store"] for r in self.store.query("SELECT projection, store FROM live_versions")}

    def switch(self, projection: str, store: str, at: datetime) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO live_versions (projection, store, switched_at) VALUES (?, ?, ?) "
                "ON CONFLICT (projection) DO UPDATE SET store = excluded.store, switched_at = excluded.switched_at",
                (projection, store, at.isoformat()),
            )

    def close(self) -> None:
        self.store.close()


class ReadStores(Mapping[str, ReadStore]):
    """The live store of each projection, looked up in the catalog at most once a second; a switched-away
    store stays open for RETIRED_GRACE_SECONDS so requests already reading it finish, then is closed."""

    def __init__(self, settings: Settings, projections: Iterable[Projection]) -> None:
        self.settings = settings
        self.catalog = Catalog(settings)
        self._schemas = {p.name: p.schema for p in projections}
        self._names = {name: first_version(name) for name in self._schemas}
        self._open: dict[str, ReadStore] = {}
        self._retired: list[tuple[float, ReadStore]] = []  # (retired at, store)
        self._checked = 0.0
        self._lock = threading.Lock()
        self._refresh(force=True)

    def live(self, projection: str) -> tuple[str, ReadStore]:
        """The live version's name and store, read together."""
        self._refresh()
        with self._lock:
            return self._names[projection], self._open[projection]

    def __getitem__(self, projection: str) -> ReadStore:
        self._refresh()
        return self._open[projection]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def _refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._checked < _REFRESH_SECONDS:
            return
        with self._lock:
            live = self.catalog.live()
            for projection in self._names:
                wanted = live.get(projection, first_version(projection))
                if projection in self._open and wanted == self._names[projection]:
                    continue
                if projection in self._open:
                    self._retired.append((time.monotonic(), self._open[projection]))
                self._names[projection] = wanted
                self._open[projection] = open_store(self.settings, wanted)
                self._open[projection].create(self._schemas[projection])
            self._close_retired(before=time.monotonic() - RETIRED_GRACE_SECONDS)
            self._checked = time.monotonic()

    def _close_retired(self, before: float) -> None:
        for retired_at, store in [r for r in self._retired if r[0] <= before]:
            store.close()
            self._retired.remove((retired_at, store))

    def close(self) -> None:
        for store in self._open.values():
            store.close()
        self._close_retired(before=float("inf"))
        self.catalog.close()


def drop_store(settings: Settings, name: str) -> None:
    """Delete a read-model version for good: its SQLite files, or its PostgreSQL schema."""
    if settings.distributed:
        import psycopg

        with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        return
    for suffix in (".db", ".db-wal", ".db-shm"):
        (settings.data_dir / f"{name}{suffix}").unlink(missing_ok=True)
