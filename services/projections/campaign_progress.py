"""Campaign progress read model: contacts by state, attempts, reached, pledges and money against goal,
conversion per volunteer and per hour of day (Europe/Rome).

Order-independent across aggregates and sources: messages of one aggregate arrive in order (topics are keyed
by aggregate id), but a donations `Pledge.Made` or a contact's attempt may arrive before its campaign's
`Campaign.Created`. Every count is an upsert onto a placeholder campaign row (name '', goal 0) that
`Campaign.Created` fills in, so any interleaving yields the same rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx

REACHED = frozenset({"answered", "callback_requested", "pledged", "not_interested", "do_not_call"})
_ROME = ZoneInfo("Europe/Rome")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS progress_campaigns (campaign_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " goal_cents BIGINT NOT NULL, attempts BIGINT NOT NULL, reached BIGINT NOT NULL, pledges BIGINT NOT NULL,"
    " pledged_cents BIGINT NOT NULL, paid_cents BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS progress_contacts (contact_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL,"
    " state TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS progress_contacts_by_campaign ON progress_contacts (campaign_id, state)",
    "CREATE TABLE IF NOT EXISTS progress_pledges (pledge_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS progress_volunteers (campaign_id TEXT NOT NULL, volunteer_id TEXT NOT NULL,"
    " attempts BIGINT NOT NULL, reached BIGINT NOT NULL, pledges BIGINT NOT NULL, pledged_cents BIGINT NOT NULL,"
    " PRIMARY KEY (campaign_id, volunteer_id))",
    "CREATE TABLE IF NOT EXISTS progress_hours (campaign_id TEXT NOT NULL, hour INTEGER NOT NULL,"
    " attempts BIGINT NOT NULL, reached BIGINT NOT NULL, pledges BIGINT NOT NULL,"
    " PRIMARY KEY (campaign_id, hour))",
)

_STATES = {"Contact.Imported": "queued", "Contact.Leased": "leased", "Contact.CallStarted": "in call",
           "Contact.HandedBack": "queued", "Contact.LeaseExpired": "queued"}


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def hour_of(at: str) -> int:
    return datetime.fromisoformat(at).astimezone(_ROME).hour


def _add(tx: Tx, table: str, keys: dict[str, object], counts: dict[str, int]) -> None:
    columns = [*keys, *counts]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    tx.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
               f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}", (*keys.values(), *counts.values()))


_ZERO = {"attempts": 0, "reached": 0, "pledges": 0, "pledged_cents": 0, "paid_cents": 0}


def _bump(tx: Tx, campaign_id: str, counts: dict[str, int]) -> None:
    """Add to a campaign's totals, creating its placeholder row when `Campaign.Created` has not arrived yet."""
    values = {**_ZERO, **counts}
    updates = ", ".join(f"{c} = progress_campaigns.{c} + excluded.{c}" for c in counts)
    tx.execute(f"INSERT INTO progress_campaigns (campaign_id, name, goal_cents, {', '.join(values)})"
               f" VALUES (?, '', 0, {', '.join('?' for _ in values)})"
               f" ON CONFLICT (campaign_id) DO UPDATE SET {updates}", (campaign_id, *values.values()))


def apply(tx: Tx, m: Message) -> None:
    d = m.data
    if m.type == "Campaign.Created":
        # Fills a placeholder row that earlier counts made; the counts already there are kept.
        tx.execute("INSERT INTO progress_campaigns (campaign_id, name, goal_cents, attempts, reached, pledges,"
                   " pledged_cents, paid_cents) VALUES (?, ?, ?, 0, 0, 0, 0, 0) ON CONFLICT (campaign_id)"
                   " DO UPDATE SET name = excluded.name, goal_cents = excluded.goal_cents",
                   (m.aggregate_id, d["name"], cents(d["goal"])))
    elif m.type == "Contact.Imported":
        tx.execute("INSERT INTO progress_contacts (contact_id, campaign_id, state) VALUES (?, ?, 'queued')"
                   " ON CONFLICT (contact_id) DO NOTHING", (m.aggregate_id, d["campaign_id"]))
    elif m.type in _STATES:
        tx.execute("UPDATE progress_contacts SET state = ? WHERE contact_id = ?", (_STATES[m.type], m.aggregate_id))
    elif m.type == "Contact.AttemptRecorded":
        _attempt(tx, m)
    elif m.type == "Pledge.Made" and d.get("campaign_id"):
        _pledge(tx, m)
    elif m.type in ("Pledge.PaymentReceived", "Pledge.PaymentReversed"):
        row = tx.one("SELECT campaign_id FROM progress_pledges WHERE pledge_id = ?", (m.aggregate_id,))
        if row is not None:
            sign = 1 if m.type == "Pledge.PaymentReceived" else -1
            paid = sign * cents(d["amount"])
            _bump(tx, row["campaign_id"], {"paid_cents": paid})


def _attempt(tx: Tx, m: Message) -> None:
    d = m.data
    row = tx.one("SELECT campaign_id FROM progress_contacts WHERE contact_id = ?", (m.aggregate_id,))
    if row is None:
        return
    campaign_id = row["campaign_id"]
    state = f"closed: {d['closed_reason']}" if d["closed_reason"] else d["kind"]
    tx.execute("UPDATE progress_contacts SET state = ? WHERE contact_id = ?", (state, m.aggregate_id))
    reached = 1 if d["disposition"] in REACHED else 0
    _bump(tx, campaign_id, {"attempts": 1, "reached": reached})
    _add(tx, "progress_volunteers", {"campaign_id": campaign_id, "volunteer_id": d["volunteer_id"]},
         {"attempts": 1, "reached": reached, "pledges": 0, "pledged_cents": 0})
    _add(tx, "progress_hours", {"campaign_id": campaign_id, "hour": hour_of(d["at"])},
         {"attempts": 1, "reached": reached, "pledges": 0})


def _pledge(tx: Tx, m: Message) -> None:
    d = m.data
    campaign_id, amount = d["campaign_id"], cents(d["amount"])
    tx.execute("INSERT INTO progress_pledges (pledge_id, campaign_id) VALUES (?, ?) ON CONFLICT (pledge_id) DO NOTHING",
               (m.aggregate_id, campaign_id))
    _bump(tx, campaign_id, {"pledges": 1, "pledged_cents": amount})
    if d.get("volunteer_id"):
        _add(tx, "progress_volunteers", {"campaign_id": campaign_id, "volunteer_id": d["volunteer_id"]},
             {"attempts": 0, "reached": 0, "pledges": 1, "pledged_cents": amount})
    _add(tx, "progress_hours", {"campaign_id": campaign_id, "hour": hour_of(d["made_at"])},
         {"attempts": 0, "reached": 0, "pledges": 1})


PROJECTION = Projection(name="campaign_progress", sources=("campaigns", "donations"), schema=SCHEMA, apply=apply)


def totals(store: ReadStore, campaign_id: str) -> Row | None:
    return store.one("SELECT * FROM progress_campaigns WHERE campaign_id = ?", (campaign_id,))


def states(store: ReadStore, campaign_id: str) -> dict[str, int]:
    rows = store.query("SELECT state, COUNT(*) AS n FROM progress_contacts WHERE campaign_id = ? GROUP BY state",
                       (campaign_id,))
    return {r["state"]: int(r["n"]) for r in rows}


def volunteers(store: ReadStore, campaign_id: str) -> list[Row]:
    return store.query("SELECT * FROM progress_volunteers WHERE campaign_id = ? ORDER BY volunteer_id", (campaign_id,))


def hours(store: ReadStore, campaign_id: str) -> list[Row]:
    return store.query("SELECT * FROM progress_hours WHERE campaign_id = ? ORDER BY hour", (campaign_id,))
