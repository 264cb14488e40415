"""Overdue instalments read model: each money pledge with a schedule, its instalments, and which are still open.

Net payments (received minus reversed) settle a pledge's instalments in due-date order, as the pledge itself says
(services/donations/domain/pledge.py, instalment_states). Each instalment row carries the running total of the
schedule through it and an `open` flag (not wholly paid, pledge not cancelled), rewritten for the pledge's rows on
every payment, reversal or cancellation (at most 120 rows, the longest schedule). An index on (open, due_on) makes
the overdue query read only the open instalments due by the day asked about: its cost follows the size of the
answer, not the history. Pledges without a schedule are never overdue and are not stored. No personal data:
donors are ids.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Tx
from services.projections.ledger import SOURCE, cents, euro

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ov_pledges ("
    " pledge_id TEXT PRIMARY KEY, donor_id TEXT NOT NULL, fund_id TEXT NOT NULL, amount_cents BIGINT NOT NULL,"
    " paid_cents BIGINT NOT NULL, cancelled INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ov_instalments ("
    " pledge_id TEXT NOT NULL, n INTEGER NOT NULL, due_on TEXT NOT NULL, amount_cents BIGINT NOT NULL,"
    " through_cents BIGINT NOT NULL, open INTEGER NOT NULL, PRIMARY KEY (pledge_id, n))",
    "CREATE INDEX IF NOT EXISTS ov_instalments_open ON ov_instalments (open, due_on)",
)
# Ages in days since the due date: (label, first day, last day or None).
AGES: tuple[tuple[str, int, int | None], ...] = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90),
                                                ("90+", 91, None))


def apply(tx: Tx, message: Message) -> None:
    data, kind, pledge_id = message.data, message.type, message.aggregate_id
    if kind == "Pledge.Made":
        schedule = data.get("instalments") or []
        if data["kind"] != "money" or not schedule:
            return
        tx.execute("INSERT INTO ov_pledges (pledge_id, donor_id, fund_id, amount_cents, paid_cents, cancelled) "
                   "VALUES (?, ?, ?, ?, 0, 0) ON CONFLICT (pledge_id) DO NOTHING",
                   (pledge_id, str(data["donor_id"]), str(data["fund_id"]), cents(str(data["amount"]))))
        through = 0
        for n, instalment in enumerate(schedule):
            amount = cents(str(instalment["amount"]))
            through += amount
            tx.execute("INSERT INTO ov_instalments (pledge_id, n, due_on, amount_cents, through_cents, open) "
                       "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (pledge_id, n) DO NOTHING",
                       (pledge_id, n, str(instalment["due_on"]), amount, through))
    elif kind in ("Pledge.PaymentReceived", "Pledge.PaymentReversed", "Pledge.Cancelled"):
        pledge = tx.one("SELECT paid_cents, cancelled FROM ov_pledges WHERE pledge_id = ?", (pledge_id,))
        if pledge is None:
            return  # no schedule: nothing here
        paid, cancelled = int(pledge["paid_cents"]), int(pledge["cancelled"])
        if kind == "Pledge.Cancelled":
            cancelled = 1
        else:
            amount = cents(str(data["amount"]))
            paid += amount if kind == "Pledge.PaymentReceived" else -amount
        tx.execute("UPDATE ov_pledges SET paid_cents = ?, cancelled = ? WHERE pledge_id = ?",
                   (paid, cancelled, pledge_id))
        tx.execute("UPDATE ov_instalments SET open = CASE WHEN ? = 0 AND through_cents > ? THEN 1 ELSE 0 END "
                   "WHERE pledge_id = ?", (cancelled, paid, pledge_id))


PROJECTION = Projection(name="overdue", sources=(SOURCE,), schema=SCHEMA, apply=apply)

_UNPAID = ("CASE WHEN i.through_cents - p.paid_cents < i.amount_cents THEN i.through_cents - p.paid_cents "
           "ELSE i.amount_cents END")


def age(as_of: date, due_on: date) -> str:
    days = (as_of - due_on).days
    return next(label for label, first, last in AGES if days >= first and (last is None or days <= last))


def overdue(store: ReadStore, as_of: date, limit: int = 500, fund_id: str | None = None) -> dict[str, Any]:
    """Instalments due by `as_of` and not wholly paid, oldest first (at most `limit`), and per age the count and
    the unpaid sum of all of them."""
    where = "i.open = 1 AND i.due_on <= ?" + (" AND p.fund_id = ?" if fund_id else "")
    params: tuple[Any, ...] = (as_of.isoformat(), *((fund_id,) if fund_id else ()))
    rows = store.query(
        f"SELECT i.pledge_id, i.n, i.due_on, i.amount_cents, {_UNPAID} AS unpaid_cents, p.donor_id, p.fund_id"
        f" FROM ov_instalments i JOIN ov_pledges p ON p.pledge_id = i.pledge_id WHERE {where}"
        " ORDER BY i.due_on, i.pledge_id, i.n LIMIT ?", (*params, limit + 1))
    cases = []
    for _, first, last in AGES:
        newest = (as_of - timedelta(days=first)).isoformat()
        oldest = "" if last is None else (as_of - timedelta(days=last)).isoformat()
        cases.append((newest, oldest))
    columns = ", ".join(f"SUM(CASE WHEN i.due_on <= ? AND i.due_on >= ? THEN 1 ELSE 0 END) AS c{k}, "
                        f"SUM(CASE WHEN i.due_on <= ? AND i.due_on >= ? THEN {_UNPAID} ELSE 0 END) AS s{k}"
                        for k in range(len(AGES)))
    sums = store.one(f"SELECT {columns} FROM ov_instalments i JOIN ov_pledges p ON p.pledge_id = i.pledge_id "
                     f"WHERE {where}", (*(v for newest, oldest in cases for v in (newest, oldest, newest, oldest)),
                                        *params))
    ages = [{"age": label, "instalments": int((sums or {}).get(f"c{k}") or 0),
             "unpaid": euro(int((sums or {}).get(f"s{k}") or 0))} for k, (label, _, _) in enumerate(AGES)]
    listed = [{"pledge_id": r["pledge_id"], "n": int(r["n"]) + 1, "due_on": r["due_on"],
               "amount": euro(int(r["amount_cents"])), "unpaid": euro(int(r["unpaid_cents"])),
               "days_late": (as_of - date.fromisoformat(r["due_on"])).days,
               "age": age(as_of, date.fromisoformat(r["due_on"])), "donor_id": r["donor_id"], "fund_id": r["fund_id"]}
              for r in rows[:limit]]
    return {"as_of": as_of.isoformat(), "ages": ages, "instalments": listed, "truncated": len(rows) > limit}
