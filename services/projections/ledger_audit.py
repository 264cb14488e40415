"""The auditor's replay: rebuild the ledger from the donation event store alone and compare it, entry by entry.

The replay reads the donations application's notification log (through the same EventFeed every
projection uses) in position order, re-derives each entry with the projection's own `movement_of` and
`seal`, and merges it by sequence with the stored rows (keyset-paged). Every disagreement is located by
sequence: a changed field, a missing or extra entry, or an entry stored at another sequence (reordered).
A published signed head, if given, must carry a valid Ed25519 signature and match the replay at its
sequence — so an edit that also recomputed the stored hashes is still caught.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.kernel.feed import EventFeed, read_ahead
from services.kernel.readmodel import ReadStore
from services.projections.ledger import (
    COLUMNS,
    GENESIS,
    SIGN,
    Entry,
    Head,
    canonical,
    euro,
    movement_of,
    seal,
    sealed_position,
    totals_of,
)

# The message types the ledger is derived from; the replay skips every other event before decoding it.
LEDGER_TYPES = frozenset({"Pledge.Made", "Pledge.PaymentReceived", "Pledge.PaymentReversed", "Pledge.GoodsReceived",
                          "Fund.FundsDisbursed"})
_FIELDS = ("position", "kind", "fund_id", "movement_id", "amount_cents", "fund_balance_cents", "entry_date",
           "details", "previous_hash", "hash")


@dataclass(frozen=True)
class Difference:
    sequence: int
    problem: str  # changed | missing | extra | reordered | head
    detail: str


@dataclass
class Report:
    checked: int
    head: Head
    sealed_position: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        if self.ok:
            totals = " ".join(f"{k}={v}" for k, v in self.head.totals.items())
            return [f"OK {self.checked} entries up to position {self.sealed_position}; head sequence "
                    f"{self.head.sequence} hash {self.head.hash}; {totals}"]
        return [f"sequence {d.sequence}: {d.problem}: {d.detail}" for d in self.differences]


@dataclass(frozen=True)
class SignedHead:
    head: Head
    signature: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> SignedHead:
        return cls(Head(int(body["sequence"]), int(body["position"]), str(body["hash"]),
                        {str(k): str(v) for k, v in body["totals"].items()}), str(body["signature"]))


def replay(feed: EventFeed, until: int, page: int = 5000) -> Iterator[tuple[Entry, dict[str, int]]]:
    """Each entry the event store implies up to position `until`, with the running totals by kind."""
    funds: dict[str, str] = {}
    balances: dict[str, int] = {}
    sums = dict.fromkeys(SIGN, 0)
    sequence, previous = 0, GENESIS
    for messages in feed.pages(0, until, LEDGER_TYPES, limit=page):
        for message in messages:
            if message.type == "Pledge.Made":
                funds[message.aggregate_id] = message.data["fund_id"]
                continue
            movement = movement_of(message, funds.get)
            if movement is None:
                continue
            balance = balances.get(movement.fund_id, 0) + SIGN[movement.kind] * movement.amount_cents
            balances[movement.fund_id] = balance
            sums[movement.kind] += movement.amount_cents
            sequence += 1
            entry = seal(sequence, movement, balance, previous)
            previous = entry.hash
            yield entry, sums


def stored(store: ReadStore, sealed: int, page: int = 5000) -> Iterator[Entry]:
    """The stored ledger up to the sealed position, in sequence order (pages read ahead)."""

    def pages() -> Iterator[list[Entry]]:
        after = -1
        while True:
            rows = store.tuples(f"SELECT {COLUMNS} FROM ledger_entries WHERE sequence > ? AND position <= ? "
                                "ORDER BY sequence LIMIT ?", (after, sealed, page))
            if not rows:
                return
            yield [Entry._make(row) for row in rows]
            after = int(rows[-1][0])

    for entries_ in read_ahead(pages()):
        yield from entries_


def verify(
    feed: EventFeed, store: ReadStore, public_key: Ed25519PublicKey, partitions: int = 1,
    published: SignedHead | None = None,
) -> Report:
    """Replay the event store, compare with the stored ledger and a published head; locate every difference."""
    sealed = sealed_position(store, partitions)
    expected_left: dict[int, Entry] = {}  # mismatched entries, paired up after the merge
    stored_left: dict[int, Entry] = {}
    checked, last, sums = 0, (0, 0, GENESIS), dict.fromkeys(SIGN, 0)
    at_published: tuple[str, dict[str, str]] | None = None
    expected_it, stored_it = replay(feed, sealed), stored(store, sealed)
    want, have = next(expected_it, None), next(stored_it, None)
    while want is not None or have is not None:
        if want is not None and (have is None or want[0].sequence <= have.sequence):
            entry, sums = want
            checked, last = checked + 1, (entry.sequence, entry.position, entry.hash)
            if published is not None and entry.sequence == published.head.sequence:
                at_published = (entry.hash, totals_of(sums))
            if have is not None and have.sequence == entry.sequence:
                if have != entry:
                    expected_left[entry.sequence], stored_left[have.sequence] = entry, have
                have = next(stored_it, None)
            else:
                expected_left[entry.sequence] = entry
            want = next(expected_it, None)
        elif have is not None:
            stored_left[have.sequence] = have
            have = next(stored_it, None)
    head = Head(last[0], last[1], last[2], totals_of(sums))
    report = Report(checked, head, sealed, _classify(expected_left, stored_left))
    if published is not None:
        report.differences += _check_published(published, public_key, at_published)
    report.differences.sort(key=lambda d: d.sequence)
    return report


def _classify(expected: dict[int, Entry], stored_: dict[int, Entry]) -> list[Difference]:
    expected_at = {e.position: e.sequence for e in expected.values()}
    stored_at = {s.position: s.sequence for s in stored_.values()}
    differences = []
    for sequence in sorted(expected.keys() | stored_.keys()):
        want, have = expected.get(sequence), stored_.get(sequence)
        if have is not None and want is not None and have.position == want.position:
            differences.append(Difference(sequence, "changed", _changes(want, have)))
        elif have is not None and have.position in expected_at:
            differences.append(Difference(sequence, "reordered",
                                          f"holds the entry for position {have.position}, which belongs at "
                                          f"sequence {expected_at[have.position]}"))
        elif have is not None and want is not None:
            differences.append(Difference(sequence, "changed", f"holds position {have.position} where position "
                                          f"{want.position} belongs: {_changes(want, have)}"))
        elif have is not None:
            differences.append(Difference(sequence, "extra", f"position {have.position} is in no event"))
        elif want is not None and want.position not in stored_at:
            differences.append(Difference(sequence, "missing", f"the {want.kind} of {euro(want.amount_cents)} at "
                                          f"position {want.position} (movement {want.movement_id}) is not stored"))
    return differences


def _changes(want: Entry, have: Entry) -> str:
    shown = []
    for name in _FIELDS:
        expected, actual = getattr(want, name), getattr(have, name)
        if expected != actual:
            if name.endswith("_cents"):
                expected, actual = euro(expected), euro(actual)
            shown.append(f"{name.removesuffix('_cents')} expected {expected} stored {actual}")
    return "; ".join(shown)


def _check_published(
    published: SignedHead, key: Ed25519PublicKey, at: tuple[str, dict[str, str]] | None
) -> list[Difference]:
    sequence = published.head.sequence
    try:
        key.verify(bytes.fromhex(published.signature), canonical(published.head.body()))
    except (InvalidSignature, ValueError):
        return [Difference(sequence, "head", "the published head's signature does not verify with the ledger key")]
    if at is None:
        return [] if sequence == 0 else [Difference(sequence, "head", "the published head is beyond the replay")]
    if at[0] != published.head.hash:
        return [Difference(sequence, "head", f"published hash {published.head.hash} but the events give {at[0]}")]
    if at[1] != published.head.totals:
        return [Difference(sequence, "head", f"published totals {json.dumps(published.head.totals)} but the "
                           f"events give {json.dumps(at[1])}")]
    return []
