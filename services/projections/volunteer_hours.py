"""Volunteer hours read model: shift, talk and training time and calls per volunteer per ISO week and month.

Shift hours are real elapsed time from clock-in to clock-out (aware instants subtracted, so a night
across a daylight-saving change counts 9 or 11 hours, not 10), booked to the week and month of the
clock-in in Europe/Rome. Talk time and calls are booked to the day the call ended, training to the
day it took place. Money raised comes from donations' payment messages, for euros per volunteer hour.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx

ROME = ZoneInfo("Europe/Rome")
WEEK, MONTH = "week", "month"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vh_period ("
    " volunteer_id TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL,"
    " shift_seconds BIGINT NOT NULL, talk_seconds BIGINT NOT NULL, calls BIGINT NOT NULL,"
    " training_seconds BIGINT NOT NULL, PRIMARY KEY (volunteer_id, kind, period))",
    "CREATE TABLE IF NOT EXISTS vh_volunteer (volunteer_id TEXT PRIMARY KEY, status TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vh_open (volunteer_id TEXT PRIMARY KEY, clocked_in_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vh_money (fund TEXT PRIMARY KEY, raised_cents BIGINT NOT NULL)",
)


def apply(tx: Tx, message: Message) -> None:
    handler = _HANDLERS.get(message.type)
    if handler is not None:
        handler(tx, message.aggregate_id, message.data)


def _registered(tx: Tx, volunteer_id: str, data: dict[str, Any]) -> None:
    tx.execute("INSERT INTO vh_volunteer (volunteer_id, status) VALUES (?, 'active') "
               "ON CONFLICT (volunteer_id) DO NOTHING", (volunteer_id,))


def _status_changed(tx: Tx, volunteer_id: str, data: dict[str, Any]) -> None:
    tx.execute("UPDATE vh_volunteer SET status = ? WHERE volunteer_id = ?", (data["status"], volunteer_id))


def _trained(tx: Tx, volunteer_id: str, data: dict[str, Any]) -> None:
    seconds = int(Decimal(data["hours"]) * 3600)
    _add(tx, volunteer_id, date.fromisoformat(data["trained_on"]), training_seconds=seconds)


def _clocked_in(tx: Tx, _presence_id: str, data: dict[str, Any]) -> None:
    tx.execute("INSERT INTO vh_open (volunteer_id, clocked_in_at) VALUES (?, ?) "
               "ON CONFLICT (volunteer_id) DO UPDATE SET clocked_in_at = excluded.clocked_in_at",
               (data["volunteer_id"], data["at"]))


def _clocked_out(tx: Tx, _presence_id: str, data: dict[str, Any]) -> None:
    volunteer_id = data["volunteer_id"]
    row = tx.one("SELECT clocked_in_at FROM vh_open WHERE volunteer_id = ?", (volunteer_id,))
    if row is None:
        return
    clocked_in = datetime.fromisoformat(row["clocked_in_at"])
    seconds = int((datetime.fromisoformat(data["at"]) - clocked_in).total_seconds())
    _add(tx, volunteer_id, clocked_in.astimezone(ROME).date(), shift_seconds=seconds)
    tx.execute("DELETE FROM vh_open WHERE volunteer_id = ?", (volunteer_id,))


def _call_ended(tx: Tx, _call_id: str, data: dict[str, Any]) -> None:
    day = datetime.fromisoformat(data["ended_at"]).astimezone(ROME).date()
    _add(tx, data["volunteer_id"], day, talk_seconds=int(data["talk_seconds"]), calls=1)


def _money(sign: int) -> Any:
    def handle(tx: Tx, _pledge_id: str, data: dict[str, Any]) -> None:
        cents = sign * int(Decimal(data["amount"]) * 100)
        tx.execute("INSERT INTO vh_money (fund, raised_cents) VALUES ('all', ?) ON CONFLICT (fund) "
                   "DO UPDATE SET raised_cents = vh_money.raised_cents + excluded.raised_cents", (cents,))
    return handle


def _add(tx: Tx, volunteer_id: str, day: date, *, shift_seconds: int = 0, talk_seconds: int = 0, calls: int = 0,
         training_seconds: int = 0) -> None:
    year, week, _ = day.isocalendar()
    for kind, period in ((WEEK, f"{year}-W{week:02d}"), (MONTH, f"{day.year}-{day.month:02d}")):
        tx.execute(
            "INSERT INTO vh_period (volunteer_id, kind, period, shift_seconds, talk_seconds, calls, training_seconds)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (volunteer_id, kind, period) DO UPDATE SET"
            " shift_seconds = vh_period.shift_seconds + excluded.shift_seconds,"
            " talk_seconds = vh_period.talk_seconds + excluded.talk_seconds,"
            " calls = vh_period.calls + excluded.calls,"
            " training_seconds = vh_period.training_seconds + excluded.training_seconds",
            (volunteer_id, kind, period, shift_seconds, talk_seconds, calls, training_seconds),
        )


_HANDLERS = {
    "Volunteer.Registered": _registered,
    "Volunteer.StatusChanged": _status_changed,
    "Volunteer.TrainingRecorded": _trained,
    "Presence.ClockedIn": _clocked_in,
    "Presence.ClockedOut": _clocked_out,
    "Call.Ended": _call_ended,
    "Pledge.PaymentReceived": _money(+1),
    "Pledge.PaymentReversed": _money(-1),
}

PROJECTION = Projection(name="volunteer_hours", sources=("calls", "donations"), schema=SCHEMA, apply=apply)

_TOTALS = ("SUM(shift_seconds) AS shift_seconds, SUM(talk_seconds) AS talk_seconds, SUM(calls) AS calls, "
           "SUM(training_seconds) AS training_seconds")


def by_volunteer(store: ReadStore, volunteer_id: str, kind: str) -> list[Row]:
    """One volunteer's periods (oldest first) with seconds and calls."""
    return store.query(
        "SELECT period, shift_seconds, talk_seconds, calls, training_seconds FROM vh_period "
        "WHERE volunteer_id = ? AND kind = ? ORDER BY period", (volunteer_id, kind))


def centre(store: ReadStore, kind: str) -> list[Row]:
    """The whole centre's periods (oldest first)."""
    return store.query(f"SELECT period, {_TOTALS} FROM vh_period WHERE kind = ? GROUP BY period ORDER BY period",
                       (kind,))


def outcomes(store: ReadStore) -> dict[str, Any]:
    """The figures a charity publishes: volunteers active, hours given, calls handled, euros per hour."""
    totals = store.one(f"SELECT {_TOTALS} FROM vh_period WHERE kind = ?", (MONTH,)) or {}
    active = store.one("SELECT COUNT(*) AS n FROM vh_volunteer WHERE status = 'active'")
    money = store.one("SELECT raised_cents FROM vh_money WHERE fund = 'all'")
    shift_seconds = int(totals.get("shift_seconds") or 0)
    raised = Decimal(int(money["raised_cents"]) if money else 0) / 100
    # No figure until donations have reported a payment and volunteers have given time.
    per_hour = (raised * 3600 / shift_seconds).quantize(Decimal("0.01")) if money and shift_seconds else None
    return {
        "volunteers_active": int(active["n"]) if active else 0,
        "hours_given": shift_seconds / 3600,
        "training_hours": int(totals.get("training_seconds") or 0) / 3600,
        "talk_hours": int(totals.get("talk_seconds") or 0) / 3600,
        "calls_handled": int(totals.get("calls") or 0),
        "euros_raised": raised.quantize(Decimal("0.01")),
        "euros_per_volunteer_hour": per_hour,
    }
