"""Donation ledger read model: one hash-chained entry per money movement, in donation-store order.

Each payment, reversal, disbursement and in-kind receipt (valued separately: it moves no money) becomes
an entry with a contiguous `sequence`, the fund's running money balance after it, and
`hash = sha256(previous_hash || canonical JSON of the entry)`, where `previous_hash` is the previous
entry's hash as 64 lowercase hex characters (64 zeros before the first entry) and the canonical JSON has
sorted keys, no spaces, and amounts as strings with two decimals. No donor identity is in an entry.

Ordering. The chain follows the donation event store's notification order (the message `position`),
never the order in which messages happened to arrive. Embedded, the one in-process feed delivers in that
order and every entry is simply appended. Distributed, Kafka delivers per partition (keyed by aggregate),
so a payment of one pledge may arrive after a later payment of another: the entry is then inserted at its
position and the entries after it are re-chained (new sequence, balance and hash). Only entries at or
below the *sealed position* — the lowest position tracked across all partitions of the feed, below which
nothing can still arrive — are published, signed or verified; the re-chaining therefore only ever
touches the unsealed tail. The auditor's replay reads the store in position order and must reproduce the
sealed ledger byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, Row, Tx
from services.kernel.secrets import secret
from services.kernel.settings import Settings

SOURCE = "donations"
GENESIS = "0" * 64
ROME = ZoneInfo("Europe/Rome")
KINDS = ("payment", "reversal", "disbursement", "in_kind")
# How each kind moves the fund's money balance; goods are valued in the ledger but move no money.
SIGN = {"payment": 1, "reversal": -1, "disbursement": -1, "in_kind": 0}

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ledger_pledges (pledge_id TEXT PRIMARY KEY, fund_id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_entries ("
    " position BIGINT PRIMARY KEY, sequence BIGINT NOT NULL, kind TEXT NOT NULL, fund_id TEXT NOT NULL,"
    " movement_id TEXT NOT NULL, amount_cents BIGINT NOT NULL, fund_balance_cents BIGINT NOT NULL,"
    " entry_date TEXT NOT NULL, details TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ledger_entries_by_sequence ON ledger_entries (sequence)",
    "CREATE INDEX IF NOT EXISTS ledger_entries_by_fund ON ledger_entries (fund_id, position)",
    # One row every chain writer locks first: consumers of different partitions chain one at a time.
    "CREATE TABLE IF NOT EXISTS ledger_chain (id INTEGER PRIMARY KEY, writes BIGINT NOT NULL)",
    "INSERT INTO ledger_chain (id, writes) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
)
COLUMNS = ("sequence, position, kind, fund_id, movement_id, amount_cents, fund_balance_cents, entry_date, details, "
           "previous_hash, hash")


class Movement(NamedTuple):
    """A money movement read from one message, before it is placed in the chain."""

    position: int
    kind: str
    fund_id: str
    movement_id: str
    amount_cents: int
    entry_date: str
    details: str  # canonical JSON object of the kind's public details


class Entry(NamedTuple):
    """One chained ledger entry; the fields in the order of the stored columns (see COLUMNS)."""

    sequence: int
    position: int
    kind: str
    fund_id: str
    movement_id: str
    amount_cents: int
    fund_balance_cents: int
    entry_date: str
    details: str
    previous_hash: str
    hash: str

    def public(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence, "position": self.position, "kind": self.kind, "fund_id": self.fund_id,
            "movement_id": self.movement_id, "amount": euro(self.amount_cents),
            "fund_balance": euro(self.fund_balance_cents), "date": self.entry_date,
            "details": json.loads(self.details), "previous_hash": self.previous_hash, "hash": self.hash,
        }


def euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def cents(amount: str) -> int:
    whole, point, hundredths = amount.partition(".")
    if point and len(hundredths) == 2 and hundredths.isdigit() and whole.lstrip("-").isdigit():
        return int(whole + hundredths)  # "12.34" and "-0.50", as the events store amounts
    return int(Decimal(amount).scaleb(2).to_integral_exact())


def canonical(body: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8 (byte for byte what `json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` writes; orjson is used for speed: the auditor's replay hashes every entry)."""
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def seal(sequence: int, movement: Movement, fund_balance_cents: int, previous_hash: str) -> Entry:
    """The chained entry for a movement at `sequence` after `previous_hash`."""
    body = {
        "sequence": sequence, "position": movement.position, "kind": movement.kind, "fund_id": movement.fund_id,
        "movement_id": movement.movement_id, "amount": euro(movement.amount_cents),
        "fund_balance": euro(fund_balance_cents), "date": movement.entry_date,
        "details": orjson.loads(movement.details),
    }
    digest = hashlib.sha256(previous_hash.encode() + canonical(body)).hexdigest()
    return Entry(sequence, movement.position, movement.kind, movement.fund_id, movement.movement_id,
                 movement.amount_cents, fund_balance_cents, movement.entry_date, movement.details,
                 previous_hash, digest)


def movement_of(message: Message, fund_of: Callable[[str], str | None]) -> Movement | None:
    """The money movement a message records, if any; `fund_of` names the fund of a pledge."""
    data, kind, details = message.data, "", {}
    if message.type == "Pledge.PaymentReceived":
        kind, movement_id, at, details = "payment", data["payment_id"], data["received_at"], {"method": data["method"]}
    elif message.type == "Pledge.PaymentReversed":
        kind, movement_id, at = "reversal", data["payment_id"], data["reversed_at"]
    elif message.type == "Pledge.GoodsReceived":
        kind, movement_id, at, details = "in_kind", data["receipt_id"], data["received_at"], {
            "quantity": data["quantity"]}
    elif message.type == "Fund.FundsDisbursed":
        kind, movement_id, at = "disbursement", data["disbursement_id"], data["disbursed_at"]
        details = {"purpose": data["purpose"], "document": data["document"]}
    else:
        return None
    fund_id = message.aggregate_id if kind == "disbursement" else fund_of(message.aggregate_id)
    if fund_id is None:
        raise LookupError(f"{message.type} at position {message.position} names pledge {message.aggregate_id} "
                          "whose Pledge.Made was never seen")
    amount = data["value"] if kind == "in_kind" else data["amount"]
    return Movement(message.position, kind, fund_id, movement_id, cents(amount), rome_date(at),
                    canonical(details).decode())


def rome_date(at: str) -> str:
    """The calendar date in Rome of an ISO instant. Instants stored in UTC are looked up by their UTC hour:
    Rome's midnight and its clock changes fall on whole UTC hours, so one hour has one Rome date."""
    if not at.endswith("+00:00"):
        return datetime.fromisoformat(at).astimezone(ROME).date().isoformat()
    hour = at[:13]
    day = _ROME_DAY.get(hour)
    if day is None:
        if len(_ROME_DAY) > 100_000:
            _ROME_DAY.clear()
        day = _ROME_DAY[hour] = datetime.fromisoformat(at).astimezone(ROME).date().isoformat()
    return day


_ROME_DAY: dict[str, str] = {}


def apply(tx: Tx, message: Message) -> None:
    if message.type == "Pledge.Made":
        tx.execute("INSERT INTO ledger_pledges (pledge_id, fund_id) VALUES (?, ?) ON CONFLICT (pledge_id) DO NOTHING",
                   (message.aggregate_id, message.data["fund_id"]))
        return
    movement = movement_of(message, lambda pledge_id: _fund_of(tx, pledge_id))
    if movement is None:
        return
    # Distributed, each partition has its own consumer: two chaining at once would each miss the other's
    # uncommitted entry and give two entries one sequence. The chain row is locked until this batch commits.
    tx.execute("UPDATE ledger_chain SET writes = writes + 1 WHERE id = 1")
    tx.execute(
        "INSERT INTO ledger_entries (position, sequence, kind, fund_id, movement_id, amount_cents, fund_balance_cents,"
        " entry_date, details, previous_hash, hash) VALUES (?, 0, ?, ?, ?, ?, 0, ?, ?, '', '')"
        " ON CONFLICT (position) DO NOTHING",
        (movement.position, movement.kind, movement.fund_id, movement.movement_id, movement.amount_cents,
         movement.entry_date, movement.details),
    )
    _chain_from(tx, movement.position)


def _fund_of(tx: Tx, pledge_id: str) -> str | None:
    row = tx.one("SELECT fund_id FROM ledger_pledges WHERE pledge_id = ?", (pledge_id,))
    return str(row["fund_id"]) if row else None


def _chain_from(tx: Tx, position: int) -> None:
    """(Re)chain every entry at or after `position`; appending in order touches just the new entry."""
    before = tx.one("SELECT sequence, hash FROM ledger_entries WHERE position < ? ORDER BY position DESC LIMIT 1",
                    (position,))
    sequence, previous = (int(before["sequence"]), str(before["hash"])) if before else (0, GENESIS)
    balances: dict[str, int] = {}
    for row in tx.query(f"SELECT {COLUMNS} FROM ledger_entries WHERE position >= ? ORDER BY position", (position,)):
        movement = Movement(row["position"], row["kind"], row["fund_id"], row["movement_id"], row["amount_cents"],
                            row["entry_date"], row["details"])
        if movement.fund_id not in balances:
            last = tx.one("SELECT fund_balance_cents FROM ledger_entries WHERE fund_id = ? AND position < ? "
                          "ORDER BY position DESC LIMIT 1", (movement.fund_id, position))
            balances[movement.fund_id] = int(last["fund_balance_cents"]) if last else 0
        balances[movement.fund_id] += SIGN[movement.kind] * movement.amount_cents
        sequence += 1
        entry = seal(sequence, movement, balances[movement.fund_id], previous)
        tx.execute("UPDATE ledger_entries SET sequence = ?, fund_balance_cents = ?, previous_hash = ?, hash = ? "
                   "WHERE position = ?", (entry.sequence, entry.fund_balance_cents, previous, entry.hash,
                                          entry.position))
        previous = entry.hash


PROJECTION = Projection(name="ledger", sources=(SOURCE,), schema=SCHEMA, apply=apply)


def sealed_position(store: ReadStore, partitions: int = 1) -> int:
    """The position below which every donation message has been applied (min over the feed's partitions)."""
    rows = store.query("SELECT part, position FROM tracking WHERE source = ?", (SOURCE,))
    tracked = {int(r["part"]): int(r["position"]) for r in rows}
    return min(tracked.get(part, 0) for part in range(partitions))


def entry_of(row: Row) -> Entry:
    return Entry(int(row["sequence"]), int(row["position"]), row["kind"], row["fund_id"], row["movement_id"],
                 int(row["amount_cents"]), int(row["fund_balance_cents"]), row["entry_date"], row["details"],
                 row["previous_hash"], row["hash"])


def entries(store: ReadStore, sealed: int, after: int = 0, limit: int = 100, as_of: date | None = None) -> list[Entry]:
    """Sealed entries after sequence `after`, in sequence order; `as_of` keeps those dated on or before it."""
    day = as_of.isoformat() if as_of else "9999-12-31"
    rows = store.query(
        f"SELECT {COLUMNS} FROM ledger_entries WHERE sequence > ? AND position <= ? AND entry_date <= ? "
        "ORDER BY sequence LIMIT ?", (after, sealed, day, limit))
    return [entry_of(r) for r in rows]


@dataclass(frozen=True)
class Head:
    sequence: int
    position: int
    hash: str
    totals: dict[str, str]

    def body(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "position": self.position, "hash": self.hash, "totals": self.totals}


def totals_of(sums: dict[str, int]) -> dict[str, str]:
    raised, reversed_, disbursed = sums.get("payment", 0), sums.get("reversal", 0), sums.get("disbursement", 0)
    return {"raised": euro(raised), "reversed": euro(reversed_), "disbursed": euro(disbursed),
            "balance": euro(raised - reversed_ - disbursed), "in_kind": euro(sums.get("in_kind", 0))}


def head(store: ReadStore, sealed: int) -> Head:
    """The last sealed entry and the totals up to it."""
    last = store.one("SELECT sequence, position, hash FROM ledger_entries WHERE position <= ? "
                     "ORDER BY position DESC LIMIT 1", (sealed,))
    sums = store.query("SELECT kind, SUM(amount_cents) AS total FROM ledger_entries WHERE position <= ? "
                       "GROUP BY kind", (sealed,))
    totals = totals_of({r["kind"]: int(r["total"]) for r in sums})
    if last is None:
        return Head(0, 0, GENESIS, totals)
    return Head(int(last["sequence"]), int(last["position"]), str(last["hash"]), totals)


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The ledger's Ed25519 key, from the `ledger_signing_key` secret (32 bytes)."""
    return Ed25519PrivateKey.from_private_bytes(secret(settings, "ledger_signing_key"))


def partitions_of(settings: Settings) -> int:
    """How many partitions deliver the donations feed: Kafka's count when distributed, one embedded."""
    return settings.kafka_partitions if settings.distributed else 1


def sign(head_: Head, key: Ed25519PrivateKey) -> str:
    """Hex Ed25519 signature of the head's canonical JSON."""
    return key.sign(canonical(head_.body())).hex()


def balances(store: ReadStore, sealed: int, as_of: date | None = None) -> dict[str, dict[str, str]]:
    """Each fund's totals and money balance from entries dated on or before `as_of` (all when None)."""
    day = as_of.isoformat() if as_of else "9999-12-31"
    rows = store.query("SELECT fund_id, kind, SUM(amount_cents) AS total FROM ledger_entries "
                       "WHERE position <= ? AND entry_date <= ? GROUP BY fund_id, kind ORDER BY fund_id",
                       (sealed, day))
    sums: dict[str, dict[str, int]] = {}
    for row in rows:
        sums.setdefault(row["fund_id"], {})[row["kind"]] = int(row["total"])
    return {fund: totals_of(kinds) for fund, kinds in sums.items()}
