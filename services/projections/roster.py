"""Volunteer roster read model: who is registered, with which roles (no personal data)."""

from __future__ import annotations

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS roster ("
    " volunteer_id TEXT PRIMARY KEY, roles TEXT NOT NULL, registered_at TEXT NOT NULL)",
)


def apply(tx: Tx, message: Message) -> None:
    if message.type == "Volunteer.Registered":
        tx.execute(
            "INSERT INTO roster (volunteer_id, roles, registered_at) VALUES (?, ?, ?) "
            "ON CONFLICT (volunteer_id) DO NOTHING",
            (message.aggregate_id, ",".join(message.data["roles"]), message.data["registered_at"]),
        )


PROJECTION = Projection(name="roster", sources=("calls",), schema=SCHEMA, apply=apply)


def volunteers(store: ReadStore, limit: int, after: str = "") -> list[Row]:
    return store.query(
        "SELECT volunteer_id, roles, registered_at FROM roster WHERE volunteer_id > ? "
        "ORDER BY volunteer_id LIMIT ?", (after, limit),
    )


def count(store: ReadStore) -> int:
    row = store.one("SELECT COUNT(*) AS n FROM roster")
    return int(row["n"]) if row else 0
