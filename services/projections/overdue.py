"""Overdue instalments read model: each money pledge with a schedule, its instalments, and which are still open.

Net payments (received minus reversed) settle a pledge's instalments in due-date order, as the pledge itself says
(services/donations/domain/pledge.py, instalment_states). Each instalment row carries the running total of the
schedule through it, an `open` flag (not wholly paid, pledge not cancelled) and its unpaid part, rewritten for the
pledge's rows on every payment, reversal or cancellation (at most 120 rows, the longest schedule). A covering index
on (open, due_on, unpaid_cents) makes the overdue query read only the open instalments due by the day asked about,
from the index: the list costs its `limit` rows, the sums by age grow with the number of overdue instalments (not
with the history of paid or future ones). Pledges without a schedule are never overdue and are not stored. No
personal data: donors are ids.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Tx
from services.projections.ledger import SOURCE, cents, euro

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ov_pledges ("
    " pledge_id TEXT PRIMARY KEY, amount_cents BIGINT NOT NULL, paid_cents BIGINT NOT NULL,"
    " cancelled INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ov_instalments ("
    " pledge_id TEXT NOT NULL, n INTEGER NOT NULL, due_on TEXT NOT NULL, amount_cents BIGINT NOT NULL,"
    " through_cents BIGINT NOT NULL, open INTEGER NOT NULL, unpaid_cents BIGINT NOT NULL, donor_id TEXT NOT NULL,"
    " fund_id TEXT NOT NULL, PRIMARY KEY (pledge_id, n))",
    # Covering: the sums by age read the index alone, the list reads its first rows in due-date order.
    "CREATE INDEX IF NOT EXISTS ov_instalments_open ON ov_instalments (open, due_on, unpaid_cents)",
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
        tx.execute("INSERT INTO ov_pledges (pledge_id, amount_cents, paid_cents, cancelled) VALUES (?, ?, 0, 0) "
                   "ON CONFLICT (pledge_id) DO NOTHING", (pledge_id, cents(str(data["amount"]))))
        through = 0
        for n, instalment in enumerate(schedule):
            amount = cents(str(instalment["amount"]))
            through += amount
            tx.execute("INSERT INTO ov_instalments (pledge_id, n, due_on, amount_cents, through_cents, open,"
                       " unpaid_cents, donor_id, fund_id) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)"
                       " ON CONFLICT (pledge_id, n) DO NOTHING",
                       (pledge_id, n, str(instalment["due_on"]), amount, through, amount, str(data["donor_id"]),
                        str(data["fund_id"])))
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
        tx.execute("UPDATE ov_instalments SET open = CASE WHEN ? = 0 AND through_cents > ? THEN 1 ELSE 0 END,"
                   " unpaid_cents = CASE WHEN through_cents - ? >= amount_cents THEN amount_cents"
                   " WHEN through_cents > ? THEN through_cents - ? ELSE 0 END WHERE pledge_id = ?",
                   (cancelled, paid, paid, paid, paid, pledge_id))


PROJECTION = Projection(name="overdue", sources=(SOURCE,), schema=SCHEMA, apply=apply)

def age(as_of: date, due_on: date) -> str:
    days = (as_of - due_on).days
    return next(label for label, first, last in AGES if days >= first and (last is None or days <= last))


def overdue(store: ReadStore, as_of: date, limit: int = 500, fund_id: str | None = None) -> dict[str, Any]:
    """Instalments due by `as_of` and not wholly paid, oldest first (at most `limit`), and per age the count and
    the unpaid sum of all of them. Without a fund, both read the covering index only over the open instalments
    due by `as_of`; a fund filters those rows."""
    only = " AND fund_id = ?" if fund_id else ""
    extra: tuple[Any, ...] = (fund_id,) if fund_id else ()
    rows = store.query(
        "SELECT pledge_id, n, due_on, amount_cents, unpaid_cents, donor_id, fund_id FROM ov_instalments"
        f" WHERE open = 1 AND due_on <= ?{only} ORDER BY due_on, pledge_id, n LIMIT ?",
        (as_of.isoformat(), *extra, limit + 1))
    ages = []
    for label, first, last in AGES:
        newest = (as_of - timedelta(days=first)).isoformat()
        oldest = "" if last is None else (as_of - timedelta(days=last)).isoformat()
        sums = store.one("SELECT COUNT(*) AS c, SUM(unpaid_cents) AS s FROM ov_instalments"
                         f" WHERE open = 1 AND due_on <= ? AND due_on >= ?{only}", (newest, oldest, *extra))
        ages.append({"age": label, "instalments": int((sums or {}).get("c") or 0),
                     "unpaid": euro(int((sums or {}).get("s") or 0))})
    listed = [{"pledge_id": r["pledge_id"], "n": int(r["n"]) + 1, "due_on": r["due_on"],
               "amount": euro(int(r["amount_cents"])), "unpaid": euro(int(r["unpaid_cents"])),
               "days_late": (as_of - date.fromisoformat(r["due_on"])).days,
               "age": age(as_of, date.fromisoformat(r["due_on"])), "donor_id": r["donor_id"], "fund_id": r["fund_id"]}
              for r in rows[:limit]]
    return {"as_of": as_of.isoformat(), "ages": ages, "instalments": listed, "truncated": len(rows) > limit}
