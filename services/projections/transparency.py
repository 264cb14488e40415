"""Transparency read model: per fund and month, per campaign, and yearly numbered donation receipts.

Figures are sums, so they do not depend on the order in which partitions deliver. Receipt numbers do:
a receipt is stored under the position of the payment that fulfilled its pledge, and its number is its
rank within the year by that position, computed when read and only over sealed positions (see ledger.py)
— so the numbering is exactly what a replay of the events in position order gives. A receipt whose
pledge is later reversed below its amount is voided but keeps its number; fulfilling again issues a new one.
No personal data is stored here: donors are ids; names for a receipt come from the vault when read.
"""

from __future__ import annotations

from datetime import date, datetime

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx
from services.projections.ledger import ROME, SOURCE, cents, euro

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS tp_funds (fund_id TEXT PRIMARY KEY, name TEXT NOT NULL, closed INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tp_pledges ("
    " pledge_id TEXT PRIMARY KEY, donor_id TEXT NOT NULL, fund_id TEXT NOT NULL, campaign_id TEXT,"
    " kind TEXT NOT NULL, amount_cents BIGINT NOT NULL, paid_cents BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tp_fund_months ("
    " fund_id TEXT NOT NULL, month TEXT NOT NULL, raised_cents BIGINT NOT NULL, reversed_cents BIGINT NOT NULL,"
    " disbursed_cents BIGINT NOT NULL, in_kind_cents BIGINT NOT NULL, PRIMARY KEY (fund_id, month))",
    "CREATE TABLE IF NOT EXISTS tp_fund_month_donors ("
    " fund_id TEXT NOT NULL, month TEXT NOT NULL, donor_id TEXT NOT NULL, PRIMARY KEY (fund_id, month, donor_id))",
    "CREATE TABLE IF NOT EXISTS tp_campaigns ("
    " campaign_id TEXT PRIMARY KEY, pledges INTEGER NOT NULL, pledged_cents BIGINT NOT NULL,"
    " paid_cents BIGINT NOT NULL, fulfilled INTEGER NOT NULL, cancelled INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tp_receipts ("
    " position BIGINT PRIMARY KEY, year INTEGER NOT NULL, pledge_id TEXT NOT NULL, donor_id TEXT NOT NULL,"
    " fund_id TEXT NOT NULL, amount_cents BIGINT NOT NULL, fulfilled_on TEXT NOT NULL, voided_on TEXT)",
    "CREATE INDEX IF NOT EXISTS tp_receipts_by_year ON tp_receipts (year, position)",
    # donor page: a donor's receipts and pledges, for their page
    "CREATE INDEX IF NOT EXISTS tp_receipts_by_donor ON tp_receipts (donor_id, position)",
    "CREATE INDEX IF NOT EXISTS tp_pledges_by_donor ON tp_pledges (donor_id)",
    # (end of donor page)
)
_MONTH_COLUMNS = {"payment": "raised_cents", "reversal": "reversed_cents", "disbursement": "disbursed_cents",
                  "in_kind": "in_kind_cents"}


def _rome(at: str) -> date:
    return datetime.fromisoformat(at).astimezone(ROME).date()


def _add_to_month(tx: Tx, fund_id: str, at: str, kind: str, amount: int) -> str:
    month, column = _rome(at).isoformat()[:7], _MONTH_COLUMNS[kind]
    tx.execute(
        "INSERT INTO tp_fund_months (fund_id, month, raised_cents, reversed_cents, disbursed_cents, in_kind_cents) "
        "VALUES (?, ?, 0, 0, 0, 0) ON CONFLICT (fund_id, month) DO NOTHING", (fund_id, month))
    tx.execute(f"UPDATE tp_fund_months SET {column} = {column} + ? WHERE fund_id = ? AND month = ?",
               (amount, fund_id, month))
    return month


def _campaign(tx: Tx, campaign_id: str | None, **changes: int) -> None:
    if campaign_id is None:
        return
    tx.execute("INSERT INTO tp_campaigns (campaign_id, pledges, pledged_cents, paid_cents, fulfilled, cancelled) "
               "VALUES (?, 0, 0, 0, 0, 0) ON CONFLICT (campaign_id) DO NOTHING", (campaign_id,))
    for column, delta in changes.items():
        tx.execute(f"UPDATE tp_campaigns SET {column} = {column} + ? WHERE campaign_id = ?", (delta, campaign_id))


def apply(tx: Tx, message: Message) -> None:
    data, kind = message.data, message.type
    if kind.startswith("Fund."):
        _apply_fund(tx, message)
    elif kind == "Pledge.Made":
        amount = cents(data["amount"]) if data["kind"] == "money" else 0
        tx.execute("INSERT INTO tp_pledges (pledge_id, donor_id, fund_id, campaign_id, kind, amount_cents, paid_cents)"
                   " VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (pledge_id) DO NOTHING",
                   (message.aggregate_id, data["donor_id"], data["fund_id"], data["campaign_id"], data["kind"],
                    amount))
        _campaign(tx, data["campaign_id"], pledges=1, pledged_cents=amount)
    elif kind in ("Pledge.PaymentReceived", "Pledge.PaymentReversed", "Pledge.GoodsReceived", "Pledge.Cancelled"):
        pledge = tx.one("SELECT * FROM tp_pledges WHERE pledge_id = ?", (message.aggregate_id,))
        if pledge is None:
            raise LookupError(f"{kind} at position {message.position} for a pledge never made")
        _apply_pledge(tx, message, pledge)


def _apply_fund(tx: Tx, message: Message) -> None:
    data, fund_id = message.data, message.aggregate_id
    if message.type == "Fund.Created":
        tx.execute("INSERT INTO tp_funds (fund_id, name, closed) VALUES (?, ?, 0) ON CONFLICT (fund_id) DO NOTHING",
                   (fund_id, data["name"]))
    elif message.type == "Fund.Renamed":
        tx.execute("UPDATE tp_funds SET name = ? WHERE fund_id = ?", (data["name"], fund_id))
    elif message.type == "Fund.Closed":
        tx.execute("UPDATE tp_funds SET closed = 1 WHERE fund_id = ?", (fund_id,))
    elif message.type == "Fund.FundsDisbursed":
        _add_to_month(tx, fund_id, data["disbursed_at"], "disbursement", cents(data["amount"]))


def _apply_pledge(tx: Tx, message: Message, pledge: Row) -> None:
    data, pledge_id, fund_id = message.data, message.aggregate_id, pledge["fund_id"]
    was_fulfilled = pledge["kind"] == "money" and pledge["paid_cents"] == pledge["amount_cents"]
    if message.type == "Pledge.Cancelled":
        _campaign(tx, pledge["campaign_id"], cancelled=1)
        return
    if message.type == "Pledge.GoodsReceived":
        _add_to_month(tx, fund_id, data["received_at"], "in_kind", cents(data["value"]))
        return
    amount = cents(data["amount"])
    received = message.type == "Pledge.PaymentReceived"
    at = data["received_at"] if received else data["reversed_at"]
    month = _add_to_month(tx, fund_id, at, "payment" if received else "reversal", amount)
    paid = pledge["paid_cents"] + (amount if received else -amount)
    tx.execute("UPDATE tp_pledges SET paid_cents = ? WHERE pledge_id = ?", (paid, pledge_id))
    fulfilled = paid == pledge["amount_cents"]
    _campaign(tx, pledge["campaign_id"], paid_cents=amount if received else -amount,
              fulfilled=int(fulfilled) - int(was_fulfilled))
    if received:
        tx.execute("INSERT INTO tp_fund_month_donors (fund_id, month, donor_id) VALUES (?, ?, ?) "
                   "ON CONFLICT (fund_id, month, donor_id) DO NOTHING", (fund_id, month, pledge["donor_id"]))
    if fulfilled and not was_fulfilled:
        on = _rome(at)
        tx.execute("INSERT INTO tp_receipts (position, year, pledge_id, donor_id, fund_id, amount_cents, fulfilled_on,"
                   " voided_on) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (position) DO NOTHING",
                   (message.position, on.year, pledge_id, pledge["donor_id"], fund_id, pledge["amount_cents"],
                    on.isoformat()))
    if was_fulfilled and not fulfilled:
        tx.execute("UPDATE tp_receipts SET voided_on = ? WHERE pledge_id = ? AND voided_on IS NULL",
                   (_rome(at).isoformat(), pledge_id))


PROJECTION = Projection(name="transparency", sources=(SOURCE,), schema=SCHEMA, apply=apply)


def fund_months(store: ReadStore, fund_id: str, as_of: date | None = None) -> list[dict[str, object]]:
    """Month by month: raised, reversed, disbursed, in kind, the balance at month end, and donors who paid."""
    last_month = (as_of or date.max).isoformat()[:7]
    rows = store.query(
        "SELECT m.month, m.raised_cents, m.reversed_cents, m.disbursed_cents, m.in_kind_cents,"
        " (SELECT COUNT(*) FROM tp_fund_month_donors d WHERE d.fund_id = m.fund_id AND d.month = m.month) AS donors"
        " FROM tp_fund_months m WHERE m.fund_id = ? AND m.month <= ? ORDER BY m.month", (fund_id, last_month))
    balance, months = 0, []
    for row in rows:
        balance += row["raised_cents"] - row["reversed_cents"] - row["disbursed_cents"]
        months.append({"month": row["month"], "raised": euro(row["raised_cents"]),
                       "reversed": euro(row["reversed_cents"]), "disbursed": euro(row["disbursed_cents"]),
                       "in_kind": euro(row["in_kind_cents"]), "balance": euro(balance), "donors": int(row["donors"])})
    return months


def funds(store: ReadStore) -> list[Row]:
    return store.query("SELECT fund_id, name, closed FROM tp_funds ORDER BY name, fund_id")


def campaign(store: ReadStore, campaign_id: str) -> dict[str, object] | None:
    """Pledged and paid money, and how much of the pledged money was paid (conversion)."""
    row = store.one("SELECT * FROM tp_campaigns WHERE campaign_id = ?", (campaign_id,))
    if row is None:
        return None
    pledged, paid = int(row["pledged_cents"]), int(row["paid_cents"])
    return {"campaign_id": campaign_id, "pledges": int(row["pledges"]), "fulfilled": int(row["fulfilled"]),
            "cancelled": int(row["cancelled"]), "pledged": euro(pledged), "paid": euro(paid),
            "conversion": round(paid / pledged, 4) if pledged else 0.0}


def receipts(store: ReadStore, year: int, sealed: int) -> list[dict[str, object]]:
    """The year's receipts numbered in the order their pledges were fulfilled (sealed positions only)."""
    rows = store.query(
        "SELECT position, pledge_id, donor_id, fund_id, amount_cents, fulfilled_on, voided_on,"
        " ROW_NUMBER() OVER (ORDER BY position) AS n FROM tp_receipts WHERE year = ? AND position <= ?"
        " ORDER BY position", (year, sealed))
    return [{"number": f"{year}-{int(r['n']):06d}", "pledge_id": r["pledge_id"], "donor_id": r["donor_id"],
             "fund_id": r["fund_id"], "amount": euro(int(r["amount_cents"])), "fulfilled_on": r["fulfilled_on"],
             "voided_on": r["voided_on"], "position": int(r["position"])} for r in rows]
