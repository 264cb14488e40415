"""Console read model: the campaigns a console user can open (with their calling window) and what each
fund's money was used for (disbursement purposes, no personal data)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS console_campaigns (campaign_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " fund_id TEXT NOT NULL, status TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT NOT NULL,"
    " calling_window TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS console_disbursements (disbursement_id TEXT PRIMARY KEY, fund_id TEXT NOT NULL,"
    " disbursed_at TEXT NOT NULL, amount_cents BIGINT NOT NULL, purpose TEXT NOT NULL)",
)
_STATUS = {"Campaign.Launched": "launched", "Campaign.Paused": "paused", "Campaign.Resumed": "launched",
           "Campaign.Completed": "completed"}


def apply(tx: Tx, m: Message) -> None:
    d = m.data
    if m.type == "Campaign.Created":
        tx.execute("INSERT INTO console_campaigns (campaign_id, name, fund_id, status, starts_on, ends_on,"
                   " calling_window, created_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?)"
                   " ON CONFLICT (campaign_id) DO NOTHING",
                   (m.aggregate_id, d["name"], d["fund_id"], d["starts_on"], d["ends_on"],
                    json.dumps(d["window"], sort_keys=True), d["created_at"]))
    elif m.type in _STATUS:
        tx.execute("UPDATE console_campaigns SET status = ? WHERE campaign_id = ?", (_STATUS[m.type], m.aggregate_id))
    elif m.type == "Fund.FundsDisbursed":
        tx.execute("INSERT INTO console_disbursements (disbursement_id, fund_id, disbursed_at, amount_cents, purpose)"
                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT (disbursement_id) DO NOTHING",
                   (d["disbursement_id"], m.aggregate_id, d["disbursed_at"], int(Decimal(d["amount"]) * 100),
                    d["purpose"]))


PROJECTION = Projection(name="console", sources=("campaigns", "donations"), schema=SCHEMA, apply=apply)


def campaigns(store: ReadStore) -> list[Row]:
    """Every campaign, newest first."""
    return store.query("SELECT campaign_id, name, fund_id, status, starts_on, ends_on FROM console_campaigns"
                       " ORDER BY created_at DESC, campaign_id")


def campaign(store: ReadStore, campaign_id: str) -> Row | None:
    return store.one("SELECT * FROM console_campaigns WHERE campaign_id = ?", (campaign_id,))


def disbursements(store: ReadStore, fund_id: str) -> list[Row]:
    """What a fund's money was used for, oldest first."""
    return store.query("SELECT disbursed_at, amount_cents, purpose FROM console_disbursements WHERE fund_id = ?"
                       " ORDER BY disbursed_at, disbursement_id", (fund_id,))


def callback_slots(row: Row, now: datetime, days: int = 6, step_minutes: int = 30) -> list[datetime]:
    """Half-hour callback times inside the campaign's window over the next days, skipping Sundays and Italian
    public holidays and ending at 19:00 on Saturdays and days before a holiday (the 2024 code of conduct).
    The dialer checks each callback again against the policy in force when it is due."""
    window: dict[str, Any] = json.loads(row["calling_window"])
    zone = ZoneInfo(window.get("timezone", "Europe/Rome"))
    local_now = now.astimezone(zone)
    last_day = date.fromisoformat(row["ends_on"])
    feasts = holidays.country_holidays("IT", years=range(local_now.year, local_now.year + 2))
    slots: list[datetime] = []
    for offset in range(days + 1):
        day = local_now.date() + timedelta(days=offset)
        if day > last_day or day.weekday() == 6 or day in feasts or day.weekday() not in window["weekdays"]:
            continue
        start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
        if day.weekday() == 5 or (day + timedelta(days=1)) in feasts:
            end = min(end, time(19, 0))
        at = datetime.combine(day, start, zone)
        while at.time() < end:
            if at > local_now + timedelta(minutes=15):
                slots.append(at)
            at += timedelta(minutes=step_minutes)
    return slots
