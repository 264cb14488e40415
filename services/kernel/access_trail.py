"""The audit trail of access to personal data: one immutable event per vault read, and its read model.

Each read is a NEW aggregate with a single created-event: recording never reads before writing and never
conflicts with another read, however many volunteers read at once. The events carry the person's id and
the NAMES of the fields shown, never their values. They leave through the feed like every other source
("privacy": in-process embedded, relay and Kafka distributed) into the `access_log` projection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event

from services.kernel.eventstore import ServiceApplication
from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx

SOURCE = "privacy"
RECORDED = "PersonalDataAccess.Recorded"
OUTCOMES = ("read", "erased", "absent")


class PersonalDataAccess(Aggregate):
    """One read of a person's data: who, in which role, why, what came of it, and which fields were shown."""

    @event("Recorded")
    def __init__(self, person_id: UUID, actor: str, role: str, purpose: str, outcome: str,
                 fields: list[str], at: datetime) -> None:
        self.person_id = person_id
        self.actor = actor
        self.role = role
        self.purpose = purpose
        self.outcome = outcome
        self.fields = list(fields)
        self.at = at


class AccessTrail(ServiceApplication):
    """Records accesses; `record` returns only once the event is stored (the caller then shows the data)."""

    def record(self, person_id: UUID, actor: str, role: str, purpose: str, outcome: str,
               fields: Sequence[str]) -> UUID:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        access = PersonalDataAccess(person_id, actor, role, purpose, outcome, sorted(fields), self.clock.now())
        # Not `save`: a read inside a POST must not carry that request's idempotency record into this store.
        processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=None)
        processing.collect_events(access)
        self._notify(self._record(processing))
        self._signal()
        return access.id


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
