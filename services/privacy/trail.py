"""The access trail: one immutable event per vault read (privacy.domain.PersonalDataAccess), and its read model.

Each read is a NEW aggregate with a single created-event: recording never reads before writing and never
conflicts with another read, however many volunteers read at once. The events carry the person's id and
the NAMES of the fields shown, never their values. They leave through the feed like every other source
("privacy": in-process embedded, relay and Kafka distributed) into the `access_log` projection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import Recording

from services.kernel.clock import Clock
from services.kernel.eventstore import ServiceApplication
from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx
from services.privacy.domain import OUTCOMES, PersonalDataAccess

Store = Callable[[ProcessingEvent[UUID]], list[Recording[UUID]]]
# How a group of reads is written: given the group and the trail's own store function, store it (the default
# calls it at once; a test may slow it down or fail it, as a slow or broken disk would).
Write = Callable[[ProcessingEvent[UUID], Store], list[Recording[UUID]]]

SOURCE = "privacy"
RECORDED = "PersonalDataAccess.Recorded"


class AccessTrail(ServiceApplication):
    """Records accesses; `record` returns only once the event is stored (the caller then shows the data).

    Group commit: reads that arrive while a write is under way are stored together by the next write, one
    transaction for all of them; each caller still returns only after its own event is stored, and a failed
    write fails every read it carried. One read alone is written at once, without waiting for company."""

    def __init__(self, env: dict[str, str], clock: Clock | None = None, write: Write | None = None) -> None:
        super().__init__(env, clock)
        self._write: Write = write or _at_once
        self._lock = threading.Lock()
        self._pending: list[_Waiting] = []
        self._writing = False

    def record(self, person_id: UUID, actor: str, role: str, purpose: str, outcome: str,
               fields: Sequence[str]) -> UUID:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        waiting = _Waiting(PersonalDataAccess(person_id, actor, role, purpose, outcome, sorted(fields),
                                              self.clock.now()))
        with self._lock:
            self._pending.append(waiting)
            lead, self._writing = not self._writing, True
        if lead:
            self._write_pending()
        while True:
            waiting.stored.wait()
            if not waiting.leads:
                break
            # The previous writer stored its own group and handed the writing on to this read.
            waiting.leads = False
            waiting.stored.clear()
            self._write_pending()
        if waiting.error is not None:
            raise waiting.error
        return waiting.access.id

    def _write_pending(self) -> None:
        """Store every pending read in one transaction; then hand the writing to the first read that arrived
        meanwhile (the writer's own caller returns at once instead of writing for everybody)."""
        with self._lock:
            group, self._pending = self._pending, []
        error: BaseException | None = None
        try:
            # The whole group in one transaction, through the writer given at construction (a test gives a slow or
            # failing one); a read never carries a request's idempotency record: only a route's use case passes it on.
            processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=None)
            processing.collect_events(*(w.access for w in group))
            self._notify(self._write(processing, self._record))
            self._signal()
        except BaseException as failure:  # every read of this group learns it was not recorded
            error = failure
        with self._lock:
            successor = self._pending[0] if self._pending else None
            if successor is None:
                self._writing = False
            else:
                successor.leads = True
        for waiting in group:
            waiting.error = error
            waiting.stored.set()
        if successor is not None:
            successor.stored.set()


def _at_once(processing: ProcessingEvent[UUID], store: Store) -> list[Recording[UUID]]:
    return store(processing)


class _Waiting:
    """One read waiting for its event to be stored (or to be told to write the next group)."""

    def __init__(self, access: PersonalDataAccess) -> None:
        self.access = access
        self.stored = threading.Event()
        self.leads = False
        self.error: BaseException | None = None


# --- the access_log read model ------------------------------------------------------------------------
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS access_log (access_id TEXT PRIMARY KEY, at TEXT NOT NULL,"
    " person_id TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, purpose TEXT NOT NULL,"
    " outcome TEXT NOT NULL, fields TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS access_log_by_person ON access_log (person_id, at)",
    "CREATE INDEX IF NOT EXISTS access_log_by_time ON access_log (at)",
)


def apply(tx: Tx, message: Message) -> None:
    if message.type != RECORDED:
        return
    data = message.data
    # One text form for every instant (UTC, microseconds) so that ordering by `at` is ordering in time.
    at = datetime.fromisoformat(data["at"]).astimezone(UTC).isoformat(timespec="microseconds")
    tx.execute(
        "INSERT INTO access_log (access_id, at, person_id, actor, role, purpose, outcome, fields)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (access_id) DO NOTHING",
        (message.aggregate_id, at, str(data["person_id"]), data["actor"], data["role"], data["purpose"],
         data["outcome"], json.dumps(data["fields"])),
    )


PROJECTION = Projection(name="access_log", sources=(SOURCE,), schema=SCHEMA, apply=apply)


def accesses(store: ReadStore, person_id: UUID | None = None, limit: int = 100) -> list[Row]:
    """The trail, newest first, for one person or for everyone; `fields` as a list of field names."""
    where, params = ("WHERE person_id = ? ", [str(person_id)]) if person_id else ("", [])
    rows = store.query(
        "SELECT access_id, at, person_id, actor, role, purpose, outcome, fields FROM access_log "
        f"{where}ORDER BY at DESC, access_id DESC LIMIT ?", (*params, limit))
    return [{**row, "fields": json.loads(row["fields"])} for row in rows]


def search(store: ReadStore, *, person_id: UUID | None = None, actor: str = "", purpose: str = "",
           since: datetime | None = None, until: datetime | None = None, offset: int = 0,
           limit: int = 50) -> tuple[list[Row], int]:
    """One page of the trail, newest first, and how many accesses match in all: for one person, an actor and a
    purpose containing the words given (case aside), at or after `since` and before `until`."""
    where: list[str] = []
    params: list[object] = []
    if person_id is not None:
        where.append("person_id = ?")
        params.append(str(person_id))
    for column, words in (("actor", actor), ("purpose", purpose)):
        if words:
            where.append(f"LOWER({column}) LIKE ? ESCAPE '\\'")
            params.append(f"%{_like(words.lower())}%")
    for operator, at in ((">=", since), ("<", until)):
        if at is not None:
            where.append(f"at {operator} ?")
            params.append(at.astimezone(UTC).isoformat(timespec="microseconds"))
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    counted = store.one(f"SELECT COUNT(*) AS n FROM access_log {condition}", params)
    rows = store.query(
        "SELECT access_id, at, person_id, actor, role, purpose, outcome, fields FROM access_log "
        f"{condition}ORDER BY at DESC, access_id DESC LIMIT ? OFFSET ?", (*params, limit, offset))
    return [{**row, "fields": json.loads(row["fields"])} for row in rows], int(counted["n"]) if counted else 0


def _like(words: str) -> str:
    """`words` matched literally inside a LIKE pattern."""
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
