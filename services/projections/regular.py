"""Regular giving read model: each commitment's plan (amounts, pauses and lapses, end) and the gifts matched to it
per fund and month, so expected income per month and fund is the sum of the commitments' expected periods.

The periods are computed when read, by the donations contract's Plan (the same arithmetic the commitment uses),
from the plan stored here; so a projection rebuilt from position zero gives the same figures. Received gifts are
sums, independent of delivery order. No personal data: donors are ids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from services.donations.contract import (
    COMMITMENT_AMOUNT_CHANGED,
    COMMITMENT_ENDED,
    COMMITMENT_GIFT_MATCHED,
    COMMITMENT_LAPSED,
    COMMITMENT_PAUSED,
    COMMITMENT_RESUMED,
    COMMITMENT_SET_UP,
    Plan,
    month_index,
    month_start,
)
from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx
from services.projections.ledger import SOURCE, cents, euro

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rg_commitments ("
    " commitment_id TEXT PRIMARY KEY, donor_id TEXT NOT NULL, fund_id TEXT NOT NULL, frequency TEXT NOT NULL,"
    " day INTEGER NOT NULL, start_on TEXT NOT NULL, end_on TEXT, amounts TEXT NOT NULL, stops TEXT NOT NULL,"
    " ended_on TEXT, status TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rg_received ("
    " fund_id TEXT NOT NULL, month TEXT NOT NULL, received_cents BIGINT NOT NULL, gifts INTEGER NOT NULL,"
    " PRIMARY KEY (fund_id, month))",
)
_STOPS = {COMMITMENT_PAUSED: "paused", COMMITMENT_LAPSED: "lapsed"}


def apply(tx: Tx, message: Message) -> None:
    data, kind, commitment_id = message.data, message.type, message.aggregate_id
    if kind == COMMITMENT_SET_UP:
        amounts = [[data["start"], str(data["amount"])]]
        tx.execute(
            "INSERT INTO rg_commitments (commitment_id, donor_id, fund_id, frequency, day, start_on, end_on, amounts,"
            " stops, ended_on, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]', NULL, 'active')"
            " ON CONFLICT (commitment_id) DO NOTHING",
            (commitment_id, data["donor_id"], data["fund_id"], data["frequency"], int(data["day"]), data["start"],
             data["end"], json.dumps(amounts)))
        return
    if not kind.startswith("Commitment."):
        return
    row = tx.one("SELECT * FROM rg_commitments WHERE commitment_id = ?", (commitment_id,))
    if row is None:
        raise LookupError(f"{kind} at position {message.position} for a commitment never set up")
    if kind in _STOPS:
        stops = [*json.loads(row["stops"]), [data["on"], None]]
        _update(tx, commitment_id, stops=json.dumps(stops), status=_STOPS[kind])
    elif kind == COMMITMENT_RESUMED:
        stops = json.loads(row["stops"])
        stops[-1][1] = data["on"]
        _update(tx, commitment_id, stops=json.dumps(stops), status="active")
    elif kind == COMMITMENT_AMOUNT_CHANGED:
        amounts = [a for a in json.loads(row["amounts"]) if a[0] < data["effective_from"]]
        amounts.append([data["effective_from"], str(data["amount"])])
        _update(tx, commitment_id, amounts=json.dumps(amounts))
    elif kind == COMMITMENT_ENDED:
        _update(tx, commitment_id, ended_on=data["on"], status="ended")
    elif kind == COMMITMENT_GIFT_MATCHED:
        month = str(data["received_on"])[:7]
        tx.execute("INSERT INTO rg_received (fund_id, month, received_cents, gifts) VALUES (?, ?, 0, 0)"
                   " ON CONFLICT (fund_id, month) DO NOTHING", (row["fund_id"], month))
        tx.execute("UPDATE rg_received SET received_cents = received_cents + ?, gifts = gifts + 1"
                   " WHERE fund_id = ? AND month = ?", (cents(data["amount"]), row["fund_id"], month))


def _update(tx: Tx, commitment_id: str, **columns: str) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    tx.execute(f"UPDATE rg_commitments SET {assignments} WHERE commitment_id = ?", (*columns.values(), commitment_id))


PROJECTION = Projection(name="regular", sources=(SOURCE,), schema=SCHEMA, apply=apply)


def plan_of(row: Row) -> Plan:
    amounts = tuple((date.fromisoformat(d), Decimal(a)) for d, a in json.loads(row["amounts"]))
    stops = tuple((date.fromisoformat(f), date.fromisoformat(u) if u else None) for f, u in json.loads(row["stops"]))
    return Plan(row["frequency"], int(row["day"]), date.fromisoformat(row["start_on"]),
                date.fromisoformat(row["end_on"]) if row["end_on"] else None, amounts, stops,
                date.fromisoformat(row["ended_on"]) if row["ended_on"] else None)


def expected_income(store: ReadStore, first: date, months: int) -> list[dict[str, object]]:
    """Per month of [first's month, + months) and fund: the gifts the commitments expect (as they stand now:
    paused and lapsed ones expect nothing until resumed) and the gifts matched to them, in euro."""
    start = month_index(first)
    last_day = month_start(start + months) - timedelta(days=1)
    expected: dict[tuple[str, str], int] = defaultdict(int)
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for row in store.query("SELECT * FROM rg_commitments WHERE start_on <= ? AND (ended_on IS NULL OR ended_on > ?)"
                           " AND (end_on IS NULL OR end_on >= ?)",
                           (last_day.isoformat(), month_start(start).isoformat(), month_start(start).isoformat())):
        for period in plan_of(row).periods(last_day):
            if month_index(period.due_on) >= start:
                key = (period.due_on.isoformat()[:7], str(row["fund_id"]))
                expected[key] += cents(str(period.amount))
                counted[key] += 1
    received = {(str(r["month"]), str(r["fund_id"])): int(r["received_cents"]) for r in store.query(
        "SELECT month, fund_id, received_cents FROM rg_received WHERE month >= ? AND month <= ?",
        (month_start(start).isoformat()[:7], last_day.isoformat()[:7]))}
    keys = sorted(set(expected) | set(received))
    return [{"month": month, "fund_id": fund_id, "expected": euro(expected.get((month, fund_id), 0)),
             "gifts_expected": counted.get((month, fund_id), 0), "received": euro(received.get((month, fund_id), 0))}
            for month, fund_id in keys]
