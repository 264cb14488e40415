"""The due-queue index: one row per contact, derived from the saved events by ONE `apply`.

`apply` runs after each save (with that save's events) and in the rebuild (with every stored event), so the
live tables and a rebuilt copy cannot drift. The index only proposes candidates; the aggregates decide. A stale
row (a crash between the event save and the index write, or a locked row whose hold was left) can cost a
wasted candidate, never a wrong offer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol

from services.campaigns.calendar import Policy
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import CALL_GRACE, Contact
from services.campaigns.domain.suppression import FOREVER, Person
from services.kernel.messages import Message
from services.kernel.readmodel import ReadStore, Row, Tx

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS queue_contacts ("
    " contact_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, person_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " due_at BIGINT NOT NULL, hold_until BIGINT NOT NULL, hold_reason TEXT NOT NULL, calendar_key TEXT NOT NULL,"
    " closed_reason TEXT NOT NULL, volunteer_id TEXT NOT NULL, lease_until BIGINT NOT NULL,"
    " attempts INTEGER NOT NULL, talk_seconds BIGINT NOT NULL, version BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS queue_due ON queue_contacts (campaign_id, kind, due_at)",
    "CREATE INDEX IF NOT EXISTS queue_person ON queue_contacts (person_id)",
    "CREATE INDEX IF NOT EXISTS queue_leases ON queue_contacts (kind, lease_until)",
    "CREATE TABLE IF NOT EXISTS queue_keys ("
    " campaign_id TEXT NOT NULL, calendar_key TEXT NOT NULL, PRIMARY KEY (campaign_id, calendar_key))",
    "CREATE TABLE IF NOT EXISTS persons ("
    " person_id TEXT PRIMARY KEY, suppression TEXT NOT NULL, register_listed_on TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS register_checks (checked_on TEXT PRIMARY KEY, imported_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS campaigns ("
    " campaign_id TEXT PRIMARY KEY, status TEXT NOT NULL, ends_on TEXT NOT NULL, policy TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS presence ("
    " volunteer_id TEXT PRIMARY KEY, clocked_in INTEGER NOT NULL, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS shifts ("
    " shift_id TEXT PRIMARY KEY, role TEXT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS shift_volunteers ("
    " shift_id TEXT NOT NULL, volunteer_id TEXT NOT NULL, PRIMARY KEY (shift_id, volunteer_id))",
    "CREATE TABLE IF NOT EXISTS imports ("
    " import_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, rows_read BIGINT NOT NULL, imported BIGINT NOT NULL,"
    " merged BIGINT NOT NULL, invalid BIGINT NOT NULL, done INTEGER NOT NULL, started_at TEXT NOT NULL)",
)

NEVER = 253402300799000  # 9999-12-31 in epoch milliseconds


def ms(at: datetime | None) -> int:
    if at is None:
        return 0
    return min(NEVER, int(at.timestamp() * 1000))


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def contact_row(contact: Contact, person: Person | None, policy: Policy, now: datetime) -> tuple[Any, ...]:
    if contact.closed_reason:
        kind = "closed"
    elif contact.volunteer_id:
        kind = "leased"
    else:
        kind = contact.kind
    hold = person.hold(str(contact.campaign_id), str(contact.id), now, policy) if person else None
    lease_until = contact.lease_until + CALL_GRACE if contact.lease_until and contact.in_call else contact.lease_until
    return (
        str(contact.id), str(contact.campaign_id), str(contact.person_id), kind, ms(contact.due_at),
        ms(hold.until) if hold else 0, hold.reason if hold else "", contact.reach.key, contact.closed_reason,
        contact.volunteer_id, ms(lease_until), contact.attempts, 0, contact.version,
    )


_UPSERT = (
    "INSERT INTO queue_contacts (contact_id, campaign_id, person_id, kind, due_at, hold_until, hold_reason,"
    " calendar_key, closed_reason, volunteer_id, lease_until, attempts, talk_seconds, version)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO UPDATE SET"
    " kind = excluded.kind, due_at = excluded.due_at, hold_until = excluded.hold_until,"
    " hold_reason = excluded.hold_reason, calendar_key = excluded.calendar_key,"
    " closed_reason = excluded.closed_reason, volunteer_id = excluded.volunteer_id,"
    " lease_until = excluded.lease_until, attempts = excluded.attempts,"
    " talk_seconds = queue_contacts.talk_seconds + excluded.talk_seconds, version = excluded.version"
    " WHERE queue_contacts.version <= excluded.version"
)


def apply(tx: Tx, dialect: str, events: Sequence[DomainEventProtocol[UUID]], state: Mapping[UUID, Aggregate],
          now: datetime, policy_of: Callable[[str], Policy]) -> None:
    """Write what these saved events change: the rows of their campaigns, contacts, persons, register checks and
    finished imports. `state` holds each aggregate as it stands after the events, and the Person of each contact
    where one exists (a row's hold is its person's); other aggregates' events are ignored."""
    changed: dict[UUID, set[str]] = {}
    talk: dict[str, int] = {}
    for event in events:
        kind = type(event).__qualname__
        changed.setdefault(event.originator_id, set()).add(kind)
        if kind == "Contact.AttemptRecorded":
            talk[str(event.originator_id)] = talk.get(str(event.originator_id), 0) + int(event.talk_seconds)  # type: ignore[attr-defined]
        elif kind == "Campaign.ContactsImported":
            _finished_import(tx, event)
        elif kind == "RegisterCheck.Imported":
            _register_checked(tx, event)
    aggregates = [state[i] for i in changed if i in state]
    for campaign in (a for a in aggregates if isinstance(a, Campaign)):
        _write_campaign(tx, campaign)
    contacts = [a for a in aggregates if isinstance(a, Contact)]
    written = {str(c.id) for c in contacts}
    for person in (a for a in aggregates if isinstance(a, Person)):
        # A lease changes only the person's engagement; its suppression row stays as it was.
        if changed[person.id] - ENGAGEMENT:
            _write_person(tx, person)
        # A person first met now holds only what the engagement gives (its record carries no suppression): the
        # lease of someone never called before skips locked rows too, or two leases deadlock on each other's rows.
        _write_holds(tx, dialect, person, written, now, policy_of,
                     skip_locked=not changed[person.id] - ENGAGEMENT - FIRST_MET)
    if contacts:
        rows = [contact_row(c, _person(state, c.person_id), policy_of(str(c.campaign_id)), now) for c in contacts]
        index_contacts(tx, rows, new_keys=any(changed[c.id] - LEASING for c in contacts))
    for contact_id, seconds in talk.items():
        tx.execute("UPDATE queue_contacts SET talk_seconds = talk_seconds + ? WHERE contact_id = ?",
                   (seconds, contact_id))


# Events that change only who is engaged with whom, and a contact's lease: they never add a calendar key, and
# the dialer writes them while other requests hold row locks (so rows locked elsewhere are skipped, not awaited).
ENGAGEMENT = frozenset({"Person.Engaged", "Person.Disengaged"})
FIRST_MET = frozenset({"Person.Recorded"})
LEASING = frozenset({"Contact.Leased", "Contact.LeaseRenewed", "Contact.CallStarted"})


def _person(state: Mapping[UUID, Aggregate], person_id: UUID) -> Person | None:
    person = state.get(person_id)
    return person if isinstance(person, Person) else None


def index_contacts(tx: Tx, rows: Sequence[tuple[Any, ...]], new_keys: bool = True) -> None:
    """Upsert contact rows; an older version never overwrites a newer one (two writers may race).
    `new_keys=False` when the rows' calendar keys are known already (a lease never changes a contact's reach)."""
    if len(rows) == 1:
        tx.execute(_UPSERT, rows[0])
    else:
        tx.executemany(_UPSERT, rows)
    if not new_keys:
        return
    keys = {(r[1], r[7]) for r in rows}
    tx.executemany("INSERT INTO queue_keys (campaign_id, calendar_key) VALUES (?, ?) "
                   "ON CONFLICT (campaign_id, calendar_key) DO NOTHING", sorted(keys))


def correct(tx: Tx, contact: Contact, person: Person | None, policy: Policy, now: datetime) -> None:
    """Re-derive one contact's row from its aggregates (the dialer met a stale row; nothing was saved)."""
    index_contacts(tx, [contact_row(contact, person, policy, now)], new_keys=False)


def _write_person(tx: Tx, person: Person) -> None:
    tx.execute(
        "INSERT INTO persons (person_id, suppression, register_listed_on) VALUES (?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET suppression = excluded.suppression,"
        " register_listed_on = excluded.register_listed_on",
        (str(person.id), person.suppression(), person.register_listed_on or ""),
    )


def _write_holds(tx: Tx, dialect: str, person: Person, written: set[str], now: datetime,
                 policy_of: Callable[[str], Policy], skip_locked: bool) -> None:
    """Copy a person's holds onto the person's other rows (an opt-out reaches every campaign). With `skip_locked`
    a row another request holds keeps its old hold: it costs that request one re-check on the aggregates, never a
    wrong offer, and no two leases ever wait on each other."""
    locked = " FOR UPDATE SKIP LOCKED" if skip_locked and dialect == "postgres" else ""
    rows = tx.query(f"SELECT contact_id, campaign_id FROM queue_contacts WHERE person_id = ?{locked}",
                    (str(person.id),))
    for row in rows:
        if row["contact_id"] in written:
            continue  # its whole row follows in this same apply
        hold = person.hold(row["campaign_id"], row["contact_id"], now, policy_of(row["campaign_id"]))
        tx.execute("UPDATE queue_contacts SET hold_until = ?, hold_reason = ? WHERE contact_id = ?",
                   (ms(hold.until), hold.reason, row["contact_id"]))


def _write_campaign(tx: Tx, campaign: Campaign) -> None:
    tx.execute(
        "INSERT INTO campaigns (campaign_id, status, ends_on, policy) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (campaign_id) DO UPDATE SET status = excluded.status, ends_on = excluded.ends_on,"
        " policy = excluded.policy",
        (str(campaign.id), str(campaign.status), campaign.ends_on, campaign.policy.label),
    )


def _register_checked(tx: Tx, event: Any) -> None:
    tx.execute("INSERT INTO register_checks (checked_on, imported_at) VALUES (?, ?) ON CONFLICT"
               " (checked_on) DO UPDATE SET imported_at = excluded.imported_at",
               (event.checked_on, event.imported_at.isoformat()))


def _finished_import(tx: Tx, event: Any) -> None:
    """An import's final figures (its progress rows before the end are the import's own, not derived)."""
    tx.execute("INSERT INTO imports (import_id, campaign_id, rows_read, imported, merged, invalid, done, started_at)"
               " VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (import_id) DO UPDATE SET rows_read = excluded.rows_read,"
               " imported = excluded.imported, merged = excluded.merged, invalid = excluded.invalid, done = 1",
               (str(event.import_id), str(event.originator_id), event.rows, event.imported, event.merged,
                event.invalid, event.at.isoformat()))


def start_import(tx: Tx, import_id: str, campaign_id: str, started_at: str) -> None:
    tx.execute("INSERT INTO imports (import_id, campaign_id, rows_read, imported, merged, invalid, done,"
               " started_at) VALUES (?, ?, 0, 0, 0, 0, 0, ?)", (import_id, campaign_id, started_at))


def import_progress(tx: Tx, import_id: str, totals: dict[str, int]) -> None:
    tx.execute("UPDATE imports SET rows_read = ?, imported = ?, merged = ?, invalid = ? WHERE import_id = ?",
               (totals["rows"], totals["imported"], totals["merged"], totals["invalid"], import_id))


@dataclass(frozen=True)
class ContactState:  # one contact of a campaign as the contacts page shows it (no docstring: it is an API schema)
    contact_id: UUID
    person_id: UUID
    state: str
    attempts: int
    due_at: datetime
    held_until: datetime | None
    hold_reason: str
    closed_reason: str
    volunteer_id: str
    lease_until: datetime | None


def contacts_page(store: ReadStore, campaign_id: str, state: str | None, after: str, limit: int,
                  now: datetime) -> list[ContactState]:
    """A campaign's contacts in id order after `after` (keyset paging), optionally of one state."""
    where = " AND kind = ?" if state else ""
    rows = store.query(
        "SELECT contact_id, person_id, kind, due_at, hold_until, hold_reason, closed_reason, volunteer_id,"
        " lease_until, attempts FROM queue_contacts WHERE campaign_id = ? AND contact_id > ?" + where +
        " ORDER BY contact_id LIMIT ?", (campaign_id, after, *((state,) if state else ()), limit))
    return [ContactState(
        contact_id=UUID(r["contact_id"]), person_id=UUID(r["person_id"]), state=r["kind"], attempts=int(r["attempts"]),
        due_at=from_ms(int(r["due_at"])), held_until=from_ms(int(r["hold_until"])) if _held(r, now) else None,
        hold_reason=r["hold_reason"] if _held(r, now) else "", closed_reason=r["closed_reason"],
        volunteer_id=r["volunteer_id"], lease_until=from_ms(int(r["lease_until"])) if r["kind"] == "leased" else None)
        for r in rows]


def _held(row: Row, now: datetime) -> bool:
    return int(row["hold_until"]) > ms(now)


def saved_persons(store: ReadStore, person_ids: Sequence[UUID]) -> list[UUID]:
    """Which of these people have a saved Person (the persons table knows which do)."""
    if not person_ids:
        return []
    marks = ", ".join("?" for _ in person_ids)
    rows = store.query(f"SELECT person_id FROM persons WHERE person_id IN ({marks})", [str(p) for p in person_ids])
    return [UUID(r["person_id"]) for r in rows]


def campaign_ids(store: ReadStore, status: str | None) -> list[str]:
    rows = store.query("SELECT campaign_id FROM campaigns" + (" WHERE status = ?" if status else ""),
                       (status,) if status else ())
    return [r["campaign_id"] for r in rows]


def candidates(tx: Tx, dialect: str, campaign_id: str, kinds: Sequence[str], now: datetime, keys: Sequence[str],
               limit: int) -> list[tuple[str, str]]:
    """(contact id, person id) of up to `limit` due contacts in ONE indexed query: kinds in priority order, oldest
    due first within a kind (each kind is a range scan of `queue_due`). On PostgreSQL the rows are locked until the
    transaction ends and rows another request holds are skipped; a lateral scan stops as soon as `limit` rows are
    found, so a lower-priority kind is read only when the higher ones have fewer due rows.

    A prefilter for speed only: each condition (an open kind, neither closed nor leased; due; no hold; a reach whose
    calendar is open now) is one that `decision.decide` would refuse anyway, and decide still judges every candidate
    on its aggregates before it is leased (a stale row is corrected, never offered)."""
    if not keys or not kinds:
        return []
    marks = ", ".join("?" for _ in keys)
    due = f"campaign_id = ? AND kind = {{kind}} AND due_at <= ? AND hold_until <= ? AND calendar_key IN ({marks})"
    values = (campaign_id, ms(now), ms(now), *keys)
    if dialect == "postgres":
        ranks = ", ".join(f"({rank}, ?)" for rank in range(len(kinds)))
        sql = (f"SELECT c.contact_id, c.person_id FROM (VALUES {ranks}) AS k(rank, kind) CROSS JOIN LATERAL"
               f" (SELECT contact_id, person_id FROM queue_contacts WHERE {due.format(kind='k.kind')}"
               f" ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED) AS c LIMIT ?")
        rows = tx.query(sql, (*kinds, *values, limit, limit))
    else:  # SQLite: writers are serial; one compound query ordered by priority then due time
        part = (f"SELECT * FROM (SELECT contact_id, person_id, {{rank}} AS rank, due_at FROM queue_contacts"
                f" WHERE {due.format(kind='?')} ORDER BY due_at LIMIT ?)")
        sql = " UNION ALL ".join(part.format(rank=r) for r in range(len(kinds))) + " ORDER BY rank, due_at LIMIT ?"
        params: list[Any] = []
        for kind in kinds:
            params += [campaign_id, kind, *values[1:], limit]
        rows = tx.query(sql, (*params, limit))
    return [(r["contact_id"], r["person_id"]) for r in rows]


def any_due(tx: Tx, campaign_id: str, kinds: Sequence[str], now: datetime, keys: Sequence[str]) -> bool:
    """A plain read (no locks): is any contact of these kinds due now?"""
    if not keys or not kinds:
        return False
    return tx.one(
        f"SELECT 1 AS x FROM queue_contacts WHERE campaign_id = ? AND kind IN ({', '.join('?' for _ in kinds)})"
        f" AND due_at <= ? AND hold_until <= ? AND calendar_key IN ({', '.join('?' for _ in keys)}) LIMIT 1",
        (campaign_id, *kinds, ms(now), ms(now), *keys)) is not None


@dataclass(frozen=True)
class DialerState:
    """What the dialer checks before selecting, read in one query."""

    clocked_in: bool
    register_checked_on: str | None
    campaign_status: str | None  # from the index; the Campaign aggregate is checked too
    leases: tuple[str, ...]  # contacts the index says this volunteer holds in this campaign


def dialer_state(store: ReadStore, campaign_id: str, volunteer_id: str) -> DialerState:
    rows = store.query(
        "SELECT 'lease' AS k, contact_id AS v FROM queue_contacts"
        " WHERE campaign_id = ? AND kind = 'leased' AND volunteer_id = ?"
        " UNION ALL SELECT 'in' AS k, CAST(clocked_in AS TEXT) AS v FROM presence WHERE volunteer_id = ?"
        " UNION ALL SELECT 'register' AS k, MAX(checked_on) AS v FROM register_checks"
        " UNION ALL SELECT 'status' AS k, status AS v FROM campaigns WHERE campaign_id = ?",
        (campaign_id, volunteer_id, volunteer_id, campaign_id))
    found = {r["k"]: r["v"] for r in rows if r["k"] != "lease"}
    return DialerState(clocked_in=found.get("in") == "1", register_checked_on=found.get("register") or None,
                       campaign_status=found.get("status"),
                       leases=tuple(r["v"] for r in rows if r["k"] == "lease"))


def calendar_keys(store: ReadStore, campaign_id: str) -> list[str]:
    return [r["calendar_key"] for r in
            store.query("SELECT calendar_key FROM queue_keys WHERE campaign_id = ?", (campaign_id,))]


def existing(tx: Tx, contact_ids: Iterable[str]) -> set[str]:
    ids = list(contact_ids)
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    return {r["contact_id"] for r in tx.query(f"SELECT contact_id FROM queue_contacts WHERE contact_id IN ({marks})",
                                              ids)}


def expired_leases(store: ReadStore, now: datetime, limit: int = 500) -> list[Row]:
    return store.query("SELECT contact_id, campaign_id FROM queue_contacts WHERE kind = 'leased' AND lease_until <= ?"
                       " ORDER BY lease_until LIMIT ?", (ms(now), limit))


def leases_of(store: ReadStore, campaign_id: str, volunteer_id: str) -> list[str]:
    return [r["contact_id"] for r in store.query(
        "SELECT contact_id FROM queue_contacts WHERE campaign_id = ? AND kind = 'leased' AND volunteer_id = ?",
        (campaign_id, volunteer_id))]


def counts(store: ReadStore, campaign_id: str, now: datetime) -> list[Row]:
    """Contacts grouped by everything that decides whether they are callable now."""
    return store.query(
        "SELECT kind, closed_reason, hold_reason, calendar_key,"
        " CASE WHEN due_at <= ? THEN 1 ELSE 0 END AS due, CASE WHEN hold_until <= ? THEN 1 ELSE 0 END AS free,"
        " CASE WHEN lease_until > ? THEN 1 ELSE 0 END AS leased_now, COUNT(*) AS n"
        " FROM queue_contacts WHERE campaign_id = ?"
        " GROUP BY kind, closed_reason, hold_reason, calendar_key,"
        " CASE WHEN due_at <= ? THEN 1 ELSE 0 END, CASE WHEN hold_until <= ? THEN 1 ELSE 0 END,"
        " CASE WHEN lease_until > ? THEN 1 ELSE 0 END",
        (ms(now), ms(now), ms(now), campaign_id, ms(now), ms(now), ms(now)),
    )


def handle_stats(store: ReadStore, campaign_id: str) -> Row | None:
    return store.one("SELECT SUM(attempts) AS attempts, SUM(talk_seconds) AS talk FROM queue_contacts"
                     " WHERE campaign_id = ?", (campaign_id,))


def latest_register_check(store: ReadStore) -> str | None:
    row = store.one("SELECT MAX(checked_on) AS checked_on FROM register_checks")
    return row["checked_on"] if row and row["checked_on"] else None


def note_presence(tx: Tx, message: Message) -> None:
    """Who is clocked in, from the calls service's Presence messages; the live reaction and the rebuild both write
    it here. Idempotent and monotonic: a replayed or late message never moves presence backwards in time."""
    at = datetime.fromisoformat(message.data["at"]).astimezone(UTC).isoformat()
    _presence(tx, message.data["volunteer_id"], message.type.endswith("In"), at)


def set_presence(store: ReadStore, volunteer_id: str, clocked_in: bool, at: str) -> None:
    """A volunteer's presence set directly (benchmarks and tests that skip the calls service)."""
    with store.transaction() as tx:
        _presence(tx, volunteer_id, clocked_in, at)


def _presence(tx: Tx, volunteer_id: str, clocked_in: bool, at: str) -> None:
    tx.execute(
        "INSERT INTO presence (volunteer_id, clocked_in, at) VALUES (?, ?, ?) ON CONFLICT (volunteer_id)"
        " DO UPDATE SET clocked_in = excluded.clocked_in, at = excluded.at WHERE presence.at <= excluded.at",
        (volunteer_id, 1 if clocked_in else 0, at))


def note_shift(tx: Tx, shift_id: str, type_: str, data: dict[str, Any]) -> None:
    """Scheduled shifts and who signed up, from the calls service's Shift messages (idempotent: replays change
    nothing, and one shift's messages arrive in order)."""
    if type_ == "Shift.Scheduled":
        tx.execute("INSERT INTO shifts (shift_id, role, starts_at, ends_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (shift_id) DO NOTHING", (shift_id, data["role"],
                                                         ms(datetime.fromisoformat(data["starts_at"])),
                                                         ms(datetime.fromisoformat(data["ends_at"]))))
    elif type_ == "Shift.SignedUp":
        tx.execute("INSERT INTO shift_volunteers (shift_id, volunteer_id) VALUES (?, ?)"
                   " ON CONFLICT (shift_id, volunteer_id) DO NOTHING", (shift_id, data["volunteer_id"]))
    elif type_ == "Shift.SignUpCancelled":
        tx.execute("DELETE FROM shift_volunteers WHERE shift_id = ? AND volunteer_id = ?",
                   (shift_id, data["volunteer_id"]))
    elif type_ == "Shift.Cancelled":  # its volunteers' hours are free again: the forecast no longer counts them
        tx.execute("DELETE FROM shift_volunteers WHERE shift_id = ?", (shift_id,))
        tx.execute("DELETE FROM shifts WHERE shift_id = ?", (shift_id,))
    elif type_ == "Shift.Edited":
        tx.execute("UPDATE shifts SET starts_at = ?, ends_at = ? WHERE shift_id = ?",
                   (ms(datetime.fromisoformat(data["starts_at"])), ms(datetime.fromisoformat(data["ends_at"])),
                    shift_id))


def scheduled_slots(store: ReadStore, role: str, start: datetime, end: datetime) -> list[Row]:
    """Shifts of `role` overlapping [start, end) with their signed-up volunteers, by start."""
    return store.query(
        "SELECT s.starts_at, s.ends_at, COUNT(*) AS volunteers FROM shifts s"
        " JOIN shift_volunteers v ON v.shift_id = s.shift_id WHERE s.role = ? AND s.ends_at > ? AND s.starts_at < ?"
        " GROUP BY s.shift_id, s.starts_at, s.ends_at ORDER BY s.starts_at", (role, ms(start), ms(end)))


def callable_keys_count(store: ReadStore, campaign_id: str) -> list[Row]:
    """Contacts that may still be called (not closed, not held for good), counted by calendar key."""
    return store.query("SELECT calendar_key, COUNT(*) AS n FROM queue_contacts WHERE campaign_id = ?"
                       " AND kind <> 'closed' AND hold_until < ? GROUP BY calendar_key", (campaign_id, ms(FOREVER)))


def clocked_in(store: ReadStore, volunteer_id: str) -> bool:
    row = store.one("SELECT clocked_in FROM presence WHERE volunteer_id = ?", (volunteer_id,))
    return bool(row and row["clocked_in"])


def leases_held(store: ReadStore, volunteer_id: str) -> list[Row]:
    """The contacts leased to this volunteer in every campaign (the queue's view; the Contact decides)."""
    return store.query("SELECT contact_id, campaign_id FROM queue_contacts WHERE kind = 'leased' AND volunteer_id = ?",
                       (volunteer_id,))
