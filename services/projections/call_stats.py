"""Call statistics read model: calls per hour of day and weekday (Europe/Rome), answer rate, handle time,
dispositions. One row per call, so any of these is one GROUP BY away."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Tx

ROME = ZoneInfo("Europe/Rome")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cs_call ("
    " call_id TEXT PRIMARY KEY, direction TEXT NOT NULL, started_at TEXT NOT NULL,"
    " weekday INTEGER NOT NULL, hour INTEGER NOT NULL, connected INTEGER NOT NULL, ended INTEGER NOT NULL,"
    " disposition TEXT, talk_seconds BIGINT, handle_seconds BIGINT)",
    # Calls whose times came from the network (through the product's telephony); any other call's were reported by
    # the volunteer (a table of its own: stores from before telephony gain it without a rebuild).
    "CREATE TABLE IF NOT EXISTS cs_network_timed (call_id TEXT PRIMARY KEY)",
)


def apply(tx: Tx, message: Message) -> None:
    data = message.data
    if message.type == "Call.Started":
        local = datetime.fromisoformat(data["started_at"]).astimezone(ROME)
        tx.execute(
            "INSERT INTO cs_call (call_id, direction, started_at, weekday, hour, connected, ended) "
            "VALUES (?, ?, ?, ?, ?, 0, 0) ON CONFLICT (call_id) DO NOTHING",
            (message.aggregate_id, data["direction"], data["started_at"], local.isoweekday(), local.hour),
        )
        if data.get("timing") == "network":
            tx.execute("INSERT INTO cs_network_timed (call_id) VALUES (?) ON CONFLICT (call_id) DO NOTHING",
                       (message.aggregate_id,))
    elif message.type == "Call.Connected":
        tx.execute("UPDATE cs_call SET connected = 1 WHERE call_id = ?", (message.aggregate_id,))
    elif message.type == "Call.Ended":
        row = tx.one("SELECT started_at FROM cs_call WHERE call_id = ?", (message.aggregate_id,))
        if row is None:
            return
        handle = datetime.fromisoformat(data["ended_at"]) - datetime.fromisoformat(row["started_at"])
        tx.execute(
            "UPDATE cs_call SET ended = 1, disposition = ?, talk_seconds = ?, handle_seconds = ? WHERE call_id = ?",
            (data["disposition"], int(data["talk_seconds"]), int(handle.total_seconds()), message.aggregate_id),
        )


PROJECTION = Projection(name="call_stats", sources=("calls",), schema=SCHEMA, apply=apply)


def statistics(store: ReadStore, direction: str | None = None) -> dict[str, Any]:
    """Counts by hour and weekday, answer rate and average handle time of ended calls, dispositions."""
    where, params = ("WHERE direction = ?", (direction,)) if direction else ("", ())
    by_hour = [0] * 24
    for row in store.query(f"SELECT hour, COUNT(*) AS n FROM cs_call {where} GROUP BY hour", params):
        by_hour[int(row["hour"])] = int(row["n"])
    by_weekday = [0] * 7
    for row in store.query(f"SELECT weekday, COUNT(*) AS n FROM cs_call {where} GROUP BY weekday", params):
        by_weekday[int(row["weekday"]) - 1] = int(row["n"])
    ended = "WHERE ended = 1" + (" AND direction = ?" if direction else "")
    totals = store.one(
        f"SELECT COUNT(*) AS ended, SUM(connected) AS connected, "
        f"SUM(CASE WHEN connected = 1 THEN handle_seconds ELSE 0 END) AS handle FROM cs_call {ended}", params,
    ) or {}
    dispositions = {r["disposition"]: int(r["n"]) for r in store.query(
        f"SELECT disposition, COUNT(*) AS n FROM cs_call {ended} GROUP BY disposition ORDER BY disposition", params)}
    network = store.one(
        f"SELECT COUNT(*) AS n FROM cs_call JOIN cs_network_timed USING (call_id) {ended}", params) or {}
    count, connected = int(totals.get("ended") or 0), int(totals.get("connected") or 0)
    return {
        "calls_by_hour": by_hour,
        "calls_by_weekday": by_weekday,
        "calls_ended": count,
        "answer_rate": connected / count if count else None,
        "average_handle_seconds": int(totals.get("handle") or 0) / connected if connected else None,
        "dispositions": dispositions,
        "network_timed": int(network.get("n") or 0),  # ended calls timed by the network; the rest self-reported
    }


def ended(store: ReadStore, call_ids: list[str]) -> set[str]:
    """Which of these calls the read model already shows as ended (the lag benchmark polls this)."""
    if not call_ids:
        return set()
    marks = ", ".join("?" for _ in call_ids)
    rows = store.query(f"SELECT call_id FROM cs_call WHERE ended = 1 AND call_id IN ({marks})", call_ids)
    return {r["call_id"] for r in rows}
