"""The coordinator's desk read model: applications to volunteer, the roster (its own copy, for the filters'
joins) with each volunteer's status, town and last shift, their training sessions and the calls they handled. A
read model of its own, so an installation that had the roster before catches up from the first event. No personal
data: the names and contacts are read from the vault by whoever is allowed, when the page shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx
from services.projections import roster

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS desk_applications (application_id TEXT PRIMARY KEY, roles TEXT NOT NULL,"
    " availability TEXT NOT NULL, municipality TEXT NOT NULL, submitted_at TEXT NOT NULL, status TEXT NOT NULL,"
    " decided_at TEXT, volunteer_id TEXT)",
    "CREATE INDEX IF NOT EXISTS desk_applications_by_status ON desk_applications (status, submitted_at)",
    "CREATE TABLE IF NOT EXISTS desk_volunteers (volunteer_id TEXT PRIMARY KEY, status TEXT NOT NULL,"
    " municipality TEXT NOT NULL, last_shift_at TEXT)",
    "CREATE TABLE IF NOT EXISTS desk_training (volunteer_id TEXT NOT NULL, seq BIGINT NOT NULL,"
    " session TEXT NOT NULL, hours TEXT NOT NULL, trained_on TEXT NOT NULL, PRIMARY KEY (volunteer_id, seq))",
    "CREATE TABLE IF NOT EXISTS desk_calls (call_id TEXT PRIMARY KEY, volunteer_id TEXT NOT NULL,"
    " direction TEXT NOT NULL, campaign_id TEXT, started_at TEXT NOT NULL, ended_at TEXT, disposition TEXT,"
    " talk_seconds BIGINT)",
    "CREATE INDEX IF NOT EXISTS desk_calls_by_volunteer ON desk_calls (volunteer_id, started_at)",
)


def apply(tx: Tx, message: Message) -> None:
    roster.apply(tx, message)
    handler = _HANDLERS.get(message.type)
    if handler is not None:
        handler(tx, message)


def _submitted(tx: Tx, m: Message) -> None:
    d = m.data
    tx.execute("INSERT INTO desk_applications (application_id, roles, availability, municipality, submitted_at,"
               " status) VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT (application_id) DO NOTHING",
               (m.aggregate_id, ",".join(d["roles"]), ",".join(d["availability"]), d["municipality"],
                str(d["submitted_at"])))


def _approved(tx: Tx, m: Message) -> None:
    volunteer_id = str(UUID(str(m.data["volunteer_id"])))
    tx.execute("UPDATE desk_applications SET status = 'approved', decided_at = ?, volunteer_id = ?"
               " WHERE application_id = ?", (str(m.data["at"]), volunteer_id, m.aggregate_id))
    row = tx.one("SELECT municipality FROM desk_applications WHERE application_id = ?", (m.aggregate_id,))
    town = row["municipality"] if row else ""
    tx.execute("INSERT INTO desk_volunteers (volunteer_id, status, municipality) VALUES (?, 'active', ?)"
               " ON CONFLICT (volunteer_id) DO UPDATE SET municipality = excluded.municipality", (volunteer_id, town))


def _declined(tx: Tx, m: Message) -> None:
    tx.execute("UPDATE desk_applications SET status = 'declined', decided_at = ? WHERE application_id = ?",
               (str(m.data["at"]), m.aggregate_id))


def _registered(tx: Tx, m: Message) -> None:
    tx.execute("INSERT INTO desk_volunteers (volunteer_id, status, municipality) VALUES (?, 'active', '')"
               " ON CONFLICT (volunteer_id) DO NOTHING", (m.aggregate_id,))


def _status_changed(tx: Tx, m: Message) -> None:
    tx.execute("UPDATE desk_volunteers SET status = ? WHERE volunteer_id = ?", (m.data["status"], m.aggregate_id))


def _trained(tx: Tx, m: Message) -> None:
    tx.execute("INSERT INTO desk_training (volunteer_id, seq, session, hours, trained_on) VALUES (?, ?, ?, ?, ?)"
               " ON CONFLICT (volunteer_id, seq) DO NOTHING",
               (m.aggregate_id, m.position, m.data["session"], str(m.data["hours"]), str(m.data["trained_on"])))


def _clocked_in(tx: Tx, m: Message) -> None:
    at = utc(datetime.fromisoformat(str(m.data["at"])))  # in UTC, so instants compare as text
    tx.execute("UPDATE desk_volunteers SET last_shift_at = ? WHERE volunteer_id = ?", (at, str(m.data["volunteer_id"])))


def _call_started(tx: Tx, m: Message) -> None:
    d = m.data
    tx.execute("INSERT INTO desk_calls (call_id, volunteer_id, direction, campaign_id, started_at)"
               " VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING",
               (m.aggregate_id, str(d["volunteer_id"]), d["direction"], d.get("campaign_id"), str(d["started_at"])))


def _call_ended(tx: Tx, m: Message) -> None:
    d = m.data
    tx.execute("UPDATE desk_calls SET ended_at = ?, disposition = ?, talk_seconds = ? WHERE call_id = ?",
               (str(d["ended_at"]), d["disposition"], int(d["talk_seconds"]), m.aggregate_id))


_HANDLERS: dict[str, Any] = {
    "Application.Submitted": _submitted, "Application.Approved": _approved, "Application.Declined": _declined,
    "Volunteer.Registered": _registered, "Volunteer.StatusChanged": _status_changed,
    "Volunteer.TrainingRecorded": _trained, "Presence.ClockedIn": _clocked_in,
    "Call.Started": _call_started, "Call.Ended": _call_ended,
}

PROJECTION = Projection(name="desk", sources=("calls",), schema=roster.SCHEMA + SCHEMA, apply=apply)


def utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def applications(store: ReadStore, status: str | None, limit: int) -> list[Row]:
    """Applications, oldest first (the first to wait is the first to answer), of one status or all."""
    where, args = ("WHERE status = ?", [status]) if status else ("", [])
    return store.query(f"SELECT * FROM desk_applications {where} ORDER BY submitted_at, application_id LIMIT ?",
                       (*args, limit))


def volunteers(store: ReadStore, role: str | None = None, status: str | None = None,
               municipality: str | None = None, last_shift_before: str | None = None, limit: int = 500) -> list[Row]:
    """The roster with each volunteer's status, town and last shift; `last_shift_before` (an ISO instant) keeps
    those who have not clocked in since then, or never."""
    clauses: list[str] = []
    args: list[str] = []
    if role:
        clauses.append("(',' || r.roles || ',') LIKE ?")
        args.append(f"%,{role},%")
    if status:
        clauses.append("COALESCE(d.status, 'active') = ?")
        args.append(status)
    if municipality:
        clauses.append("LOWER(COALESCE(d.municipality, '')) = LOWER(?)")
        args.append(municipality.strip())
    if last_shift_before:
        clauses.append("(d.last_shift_at IS NULL OR d.last_shift_at < ?)")
        args.append(last_shift_before)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return store.query(
        "SELECT r.volunteer_id, r.roles, r.registered_at, COALESCE(d.status, 'active') AS status,"
        " COALESCE(d.municipality, '') AS municipality, d.last_shift_at FROM roster r"
        f" LEFT JOIN desk_volunteers d ON d.volunteer_id = r.volunteer_id {where}"
        " ORDER BY r.registered_at, r.volunteer_id LIMIT ?", (*args, limit))


def volunteer(store: ReadStore, volunteer_id: str) -> Row | None:
    rows = store.query(
        "SELECT r.volunteer_id, r.roles, r.registered_at, COALESCE(d.status, 'active') AS status,"
        " COALESCE(d.municipality, '') AS municipality, d.last_shift_at FROM roster r"
        " LEFT JOIN desk_volunteers d ON d.volunteer_id = r.volunteer_id WHERE r.volunteer_id = ?", (volunteer_id,))
    return rows[0] if rows else None


def training(store: ReadStore, volunteer_id: str) -> list[Row]:
    return store.query("SELECT session, hours, trained_on FROM desk_training WHERE volunteer_id = ?"
                       " ORDER BY trained_on, seq", (volunteer_id,))


def calls(store: ReadStore, volunteer_id: str, limit: int = 50) -> list[Row]:
    """The volunteer's calls, newest first: direction, times, disposition; never the caller or the contact."""
    return store.query("SELECT call_id, direction, campaign_id, started_at, ended_at, disposition, talk_seconds"
                       " FROM desk_calls WHERE volunteer_id = ? ORDER BY started_at DESC LIMIT ?",
                       (volunteer_id, limit))
