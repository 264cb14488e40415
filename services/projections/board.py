"""Live board read model: who is clocked in and since when, on a call or idle, the slots about to start with
empty places, and the clock-outs somebody forgot (no personal data: volunteers are ids; names are the vault's).

Instants are stored as ISO text with their offset and compared as aware datetimes in Python, never as text
(an offset of +01:00 and one of +00:00 do not sort as strings).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx

# A volunteer still clocked in this long after their shift ended, or this long after a clock-in outside any
# shift, most likely forgot to clock out; a coordinator corrects it with the time they really stopped.
GRACE_AFTER_SHIFT = timedelta(minutes=30)
LONGEST_WITHOUT_SHIFT = timedelta(hours=12)
NEXT = timedelta(hours=1)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS board_presence ("
    " volunteer_id TEXT PRIMARY KEY, clocked_in_at TEXT NOT NULL, shift_id TEXT,"
    " call_id TEXT, call_kind TEXT, call_since TEXT, idle_since TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS board_shift ("
    " shift_id TEXT PRIMARY KEY, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, role TEXT NOT NULL,"
    " capacity INTEGER NOT NULL, taken INTEGER NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS board_coordinator (volunteer_id TEXT PRIMARY KEY)",
)


def apply(tx: Tx, message: Message) -> None:
    handler = _HANDLERS.get(message.type)
    if handler is not None:
        handler(tx, message.aggregate_id, message.data)


def _registered(tx: Tx, volunteer_id: str, data: dict[str, Any]) -> None:
    # The people who may sign a clock-out correction (the correction route names a coordinator volunteer).
    if "coordinator" in data["roles"]:
        tx.execute("INSERT INTO board_coordinator (volunteer_id) VALUES (?) ON CONFLICT (volunteer_id) DO NOTHING",
                   (volunteer_id,))


def _status_changed(tx: Tx, volunteer_id: str, data: dict[str, Any]) -> None:
    if data["status"] != "active":
        tx.execute("DELETE FROM board_coordinator WHERE volunteer_id = ?", (volunteer_id,))


def _clocked_in(tx: Tx, _presence_id: str, data: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO board_presence (volunteer_id, clocked_in_at, shift_id, call_id, call_kind, call_since,"
        " idle_since) VALUES (?, ?, ?, NULL, NULL, NULL, ?) ON CONFLICT (volunteer_id) DO UPDATE SET"
        " clocked_in_at = excluded.clocked_in_at, shift_id = excluded.shift_id, call_id = NULL,"
        " call_kind = NULL, call_since = NULL, idle_since = excluded.idle_since",
        (data["volunteer_id"], _iso(data["at"]), data.get("shift_id"), _iso(data["at"])))


def _clocked_out(tx: Tx, _presence_id: str, data: dict[str, Any]) -> None:
    tx.execute("DELETE FROM board_presence WHERE volunteer_id = ?", (data["volunteer_id"],))


def _call_started(tx: Tx, call_id: str, data: dict[str, Any]) -> None:
    kind = "helpline" if data["direction"] == "inbound" else "campaign"
    tx.execute("UPDATE board_presence SET call_id = ?, call_kind = ?, call_since = ? WHERE volunteer_id = ?",
               (call_id, kind, _iso(data["started_at"]), data["volunteer_id"]))


def _call_ended(tx: Tx, call_id: str, data: dict[str, Any]) -> None:
    tx.execute("UPDATE board_presence SET call_id = NULL, call_kind = NULL, call_since = NULL, idle_since = ? "
               "WHERE volunteer_id = ? AND call_id = ?", (_iso(data["ended_at"]), data["volunteer_id"], call_id))


def _scheduled(tx: Tx, shift_id: str, data: dict[str, Any]) -> None:
    tx.execute("INSERT INTO board_shift (shift_id, starts_at, ends_at, role, capacity, taken) "
               "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (shift_id) DO NOTHING",
               (shift_id, _iso(data["starts_at"]), _iso(data["ends_at"]), data["role"], int(data["capacity"])))


def _taken(change: int) -> Any:
    def handle(tx: Tx, shift_id: str, _data: dict[str, Any]) -> None:
        tx.execute("UPDATE board_shift SET taken = taken + ? WHERE shift_id = ?", (change, shift_id))
    return handle


def _cancelled(tx: Tx, shift_id: str, _data: dict[str, Any]) -> None:
    tx.execute("UPDATE board_shift SET cancelled = 1 WHERE shift_id = ?", (shift_id,))


def _edited(tx: Tx, shift_id: str, data: dict[str, Any]) -> None:
    tx.execute("UPDATE board_shift SET starts_at = ?, ends_at = ?, capacity = ? WHERE shift_id = ?",
               (_iso(data["starts_at"]), _iso(data["ends_at"]), int(data["capacity"]), shift_id))


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


_HANDLERS = {
    "Volunteer.Registered": _registered,
    "Volunteer.StatusChanged": _status_changed,
    "Presence.ClockedIn": _clocked_in,
    "Presence.ClockedOut": _clocked_out,
    "Call.Started": _call_started,
    "Call.Ended": _call_ended,
    "Shift.Scheduled": _scheduled,
    "Shift.SignedUp": _taken(+1),
    "Shift.SignUpCancelled": _taken(-1),
    "Shift.Cancelled": _cancelled,
    "Shift.Edited": _edited,
}

PROJECTION = Projection(name="board", sources=("calls",), schema=SCHEMA, apply=apply)


def position(store: ReadStore) -> int:
    """How far the board has followed the calls' events: it moves exactly when the board may have changed."""
    row = store.one("SELECT MAX(position) AS p FROM tracking WHERE source = 'calls'")
    return int(row["p"]) if row and row["p"] is not None else 0


def state(store: ReadStore, now: datetime) -> dict[str, Any]:
    """The board at `now`: everyone clocked in, in exactly one of on a call, idle or forgotten clock-out;
    the slots starting within the next hour that still have empty places; the coordinators who may correct."""
    shifts = {r["shift_id"]: r for r in store.query("SELECT shift_id, starts_at, ends_at FROM board_shift")}
    on_call: list[dict[str, Any]] = []
    idle: list[dict[str, Any]] = []
    forgotten: list[dict[str, Any]] = []
    for row in store.query("SELECT * FROM board_presence ORDER BY clocked_in_at, volunteer_id"):
        shift = shifts.get(row["shift_id"] or "")
        shift_ends_at = shift["ends_at"] if shift else None
        person = {"volunteer_id": row["volunteer_id"], "clocked_in_at": row["clocked_in_at"],
                  "shift_id": row["shift_id"], "shift_ends_at": shift_ends_at}
        if row["call_id"]:
            on_call.append({**person, "call_id": row["call_id"], "kind": row["call_kind"],
                            "since": row["call_since"]})
        elif _forgotten(datetime.fromisoformat(row["clocked_in_at"]), shift_ends_at, now):
            # The real clock-out most likely was the shift's end; without a shift, only the coordinator knows.
            forgotten.append({**person, "suggested_clock_out": shift_ends_at})
        else:
            idle.append({**person, "since": row["idle_since"]})
    on_call.sort(key=lambda p: datetime.fromisoformat(p["since"]))
    idle.sort(key=lambda p: datetime.fromisoformat(p["since"]))
    return {"now": now.isoformat(), "position": position(store), "on_call": on_call, "idle": idle,
            "forgotten": forgotten, "next_hour": next_hour(store, now),
            "coordinators": [r["volunteer_id"] for r in
                             store.query("SELECT volunteer_id FROM board_coordinator ORDER BY volunteer_id")]}


def _forgotten(clocked_in_at: datetime, shift_ends_at: str | None, now: datetime) -> bool:
    if shift_ends_at is not None:
        return now > datetime.fromisoformat(shift_ends_at) + GRACE_AFTER_SHIFT
    return now - clocked_in_at > LONGEST_WITHOUT_SHIFT


def next_hour(store: ReadStore, now: datetime) -> list[dict[str, Any]]:
    """Slots starting from now to an hour from now with fewer volunteers than places, soonest first."""
    # A day's window in text first (cheap, and wide enough for any offset), then the exact aware comparison.
    low, high = (now - timedelta(days=1)).date().isoformat(), (now + timedelta(days=1, hours=1)).date().isoformat()
    rows = store.query("SELECT shift_id, starts_at, ends_at, role, capacity, taken FROM board_shift "
                       "WHERE cancelled = 0 AND taken < capacity AND starts_at >= ? AND starts_at < ?",
                       (low, high + "T99"))
    slots = [_slot(r) for r in rows if now <= datetime.fromisoformat(r["starts_at"]) < now + NEXT]
    return sorted(slots, key=lambda s: (datetime.fromisoformat(s["starts_at"]), s["shift_id"]))


def _slot(row: Row) -> dict[str, Any]:
    capacity, taken = int(row["capacity"]), int(row["taken"])
    return {"shift_id": row["shift_id"], "starts_at": row["starts_at"], "ends_at": row["ends_at"],
            "role": row["role"], "capacity": capacity, "taken": taken, "empty": capacity - taken}


def on_board(store: ReadStore, volunteer_ids: list[str]) -> list[str]:
    """Of these volunteers, those the board shows (clocked in, or a coordinator who may sign a correction):
    the only ones whose names the board may read."""
    if not volunteer_ids:
        return []
    marks = ", ".join("?" for _ in volunteer_ids)
    rows = store.query(f"SELECT volunteer_id FROM board_presence WHERE volunteer_id IN ({marks}) UNION "
                       f"SELECT volunteer_id FROM board_coordinator WHERE volunteer_id IN ({marks})",
                       (*volunteer_ids, *volunteer_ids))
    shown = {r["volunteer_id"] for r in rows}
    return [v for v in volunteer_ids if v in shown]
