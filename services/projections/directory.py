"""Directory read model: useful numbers per municipality, searchable by name ignoring case and accents."""

from __future__ import annotations

import unicodedata
from typing import Any

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Tx

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS dir_municipality ("
    " municipality_id TEXT PRIMARY KEY, istat_code TEXT NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dir_number ("
    " municipality_id TEXT NOT NULL, category TEXT NOT NULL, number TEXT NOT NULL,"
    " PRIMARY KEY (municipality_id, category, number))",
)


def search_key(name: str) -> str:
    """'Cantù', 'CANTU' and 'cantu' have the same key."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def apply(tx: Tx, message: Message) -> None:
    if message.type == "Municipality.Listed":
        tx.execute(
            "INSERT INTO dir_municipality (municipality_id, istat_code, name, name_key) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (municipality_id) DO NOTHING",
            (message.aggregate_id, message.data["istat_code"], message.data["name"], search_key(message.data["name"])),
        )
    elif message.type == "Municipality.NumberAdded":
        tx.execute(
            "INSERT INTO dir_number (municipality_id, category, number) VALUES (?, ?, ?) "
            "ON CONFLICT (municipality_id, category, number) DO NOTHING",
            (message.aggregate_id, message.data["category"], message.data["number"]),
        )
    elif message.type == "Municipality.Renamed":
        tx.execute("UPDATE dir_municipality SET name = ?, name_key = ? WHERE municipality_id = ?",
                   (message.data["name"], search_key(message.data["name"]), message.aggregate_id))
    elif message.type == "Municipality.NumberRemoved":
        tx.execute("DELETE FROM dir_number WHERE municipality_id = ? AND category = ? AND number = ?",
                   (message.aggregate_id, message.data["category"], message.data["number"]))


PROJECTION = Projection(name="directory", sources=("calls",), schema=SCHEMA, apply=apply)


def search(store: ReadStore, name: str, category: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Municipalities whose name contains `name` (exact matches first), each with its numbers."""
    key = search_key(name).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = store.query(
        "SELECT municipality_id, istat_code, name FROM dir_municipality WHERE name_key LIKE ? ESCAPE '\\' "
        "ORDER BY CASE WHEN name_key = ? THEN 0 ELSE 1 END, name_key, istat_code LIMIT ?",
        (f"%{key}%", search_key(name), limit),
    )
    results = []
    for municipality in found:
        numbers = store.query(
            "SELECT category, number FROM dir_number WHERE municipality_id = ? "
            + ("AND category = ? " if category else "") + "ORDER BY category, number",
            (municipality["municipality_id"], category) if category else (municipality["municipality_id"],),
        )
        results.append({"istat_code": municipality["istat_code"], "name": municipality["name"], "numbers": numbers})
    return results


def listing(store: ReadStore, text: str = "", category: str | None = None, offset: int = 0,
            limit: int = 50) -> tuple[list[dict[str, Any]], int]:
    """A page of municipalities by name (those whose name or ISTAT code contains `text`, ignoring case and
    accents; with `category`, only those with a number of it), each with all its numbers; and how many match."""
    key = search_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    where = "(m.name_key LIKE ? ESCAPE '\\' OR m.istat_code LIKE ? ESCAPE '\\')"
    args: list[Any] = [f"%{key}%", f"%{key}%"]
    if category:
        where += " AND EXISTS (SELECT 1 FROM dir_number n WHERE n.municipality_id = m.municipality_id" \
                 " AND n.category = ?)"
        args.append(category)
    total = store.query(f"SELECT COUNT(*) AS n FROM dir_municipality m WHERE {where}", tuple(args))[0]["n"]
    found = store.query(
        f"SELECT m.municipality_id, m.istat_code, m.name FROM dir_municipality m WHERE {where} "
        "ORDER BY CASE WHEN m.name_key = ? THEN 0 ELSE 1 END, m.name_key, m.istat_code LIMIT ? OFFSET ?",
        (*args, search_key(text), limit, offset))
    page = []
    for municipality in found:
        numbers = store.query("SELECT category, number FROM dir_number WHERE municipality_id = ? "
                              "ORDER BY category, number", (municipality["municipality_id"],))
        page.append({"istat_code": municipality["istat_code"], "name": municipality["name"], "numbers": numbers})
    return page, int(total)
