"""The calls service's own indexes — each role's rota, each volunteer's month call log, the protocol index — and
the backfill that fills them from the stored events for what an installation stored before they existed.

Each index is saved with what it names, so only older data can be missing: shifts scheduled before the rota, calls
started before the call log, protocols created before the protocol index. The backfill reads the creation events
of the service's notification log (filtered by topic), reads those aggregates in bulk as they are now, and adds to
each index only what it lacks: every live (not cancelled) shift to its role's rota at its current times, every
call to its volunteer's log of the month it started in, every protocol to the protocol index. Running it again
changes nothing. It may run beside live traffic: a save that collides with a live one (409) is retried on the
index read again, where that write's items now show as indexed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic

from services.calls import week
from services.calls.domain.call import Call
from services.calls.domain.call_log import CallLog, call_log_id, month_of
from services.calls.domain.protocol import Protocol
from services.calls.domain.protocol_index import ProtocolIndex
from services.calls.domain.shift import Shift
from services.calls.domain.volunteer import Role
from services.kernel import upgrades
from services.kernel.errors import NotFound, retried

if TYPE_CHECKING:
    from services.calls.application import CallsApplication

# The library makes each aggregate's creation event class; its topic is what the notification log holds.
SCHEDULED = get_topic(getattr(Shift, "Scheduled"))  # noqa: B009
STARTED = get_topic(getattr(Call, "Started"))  # noqa: B009
CREATED = get_topic(getattr(Protocol, "Created"))  # noqa: B009
# The one-time upgrade recorded when the backfill has run on a store (see backfill_once).
UPGRADE = "calls: shifts on the rota, calls in the call log, protocols in the protocol index"
BATCH = 500
RETRIES = 5


@dataclass(frozen=True)
class Backfilled:
    shifts_placed: int
    calls_logged: int
    protocols_listed: int


def protocol_index_with(app: CallsApplication, protocol_id: UUID) -> ProtocolIndex:
    """The protocol index with this new protocol added, to save with it."""
    index = _protocol_index(app)
    index.add([protocol_id])
    return index


def listed_protocols(app: CallsApplication) -> list[UUID]:
    found = app.read_many([ProtocolIndex.create_id()], ProtocolIndex, skip_missing=True)
    return [UUID(i) for i in found[0].protocols] if found else []


def backfill(app: CallsApplication) -> Backfilled:
    """Add to the indexes every shift, call and protocol stored without them; idempotent."""
    created = upgrades.created(app, (SCHEDULED, STARTED, CREATED), BATCH)
    return Backfilled(_place_shifts(app, created[SCHEDULED]), _log_calls(app, created[STARTED]),
                      _list_protocols(app, created[CREATED]))


def backfill_once(app: CallsApplication) -> Backfilled | None:
    """At start: the backfill, if this store has never had it. Cheap when it has: one lookup of the upgrade's
    record by id. A store with no events needs none (everything it will hold is indexed when saved), so it is left
    without the record and asked again at the next start; a store with events gets the backfill and the record."""
    return backfill_and_record(app) if upgrades.needed(app, UPGRADE) else None


def backfill_and_record(app: CallsApplication) -> Backfilled:
    """The backfill, then the record that this store has had it (the shell command: the next start skips it)."""
    return upgrades.run_and_record(app, UPGRADE, partial(backfill, app))



def _place_shifts(app: CallsApplication, ids: list[UUID]) -> int:
    live: dict[Role, list[Shift]] = defaultdict(list)
    for chunk in upgrades.chunks(ids, BATCH):
        for shift in app.read_many(chunk, Shift):
            if not shift.cancelled:
                live[shift.role].append(shift)

    def place(role: Role, shifts: list[Shift]) -> int:
        rota = week.rota(app, role)
        missing = [s for s in shifts if str(s.id) not in rota.slots]
        if missing:
            rota.place([(s.id, s.starts_at, s.ends_at) for s in missing], exclusive=False)
            app.save(rota)
        return len(missing)

    return sum(retried(partial(place, role, shifts)) for role, shifts in live.items())


def _log_calls(app: CallsApplication, ids: list[UUID]) -> int:
    months: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for chunk in upgrades.chunks(ids, BATCH):
        for call in app.read_many(chunk, Call):
            months[(call.volunteer_id, month_of(call.started_at))].append(call)

    def log(volunteer_id: str, month: str, calls: list[Call]) -> int:
        try:
            entries = app.get(call_log_id(volunteer_id, month), CallLog)
        except NotFound:
            entries = CallLog(volunteer_id, month)
        logged = {e.call_id for e in entries.entries}
        missing = sorted((c for c in calls if str(c.id) not in logged), key=lambda c: c.started_at)
        for call in missing:
            entries.log(call.id, call.direction.value, call.started_at)
        if missing:
            app.save(entries)
        return len(missing)

    return sum(retried(partial(log, volunteer, month, calls)) for (volunteer, month), calls in months.items())


def _list_protocols(app: CallsApplication, ids: list[UUID]) -> int:
    def add() -> int:
        index = _protocol_index(app)
        added = index.add(ids)
        if added:
            app.save(index)
        return added

    return retried(add) if ids else 0


def _protocol_index(app: CallsApplication) -> ProtocolIndex:
    try:
        return app.get(ProtocolIndex.create_id(), ProtocolIndex)
    except NotFound:
        return ProtocolIndex()
