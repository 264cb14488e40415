"""The ledger read model fed from the donation aggregates: what tests/donations/test_ledger.py does not cover.

The chain is recomputed here from the module docstring's definition with the standard library's json (not the
module's own `seal`), every entry is dated by its day in Rome, a failed batch leaves neither rows nor tracking
behind, and the auditor's replay (ledger_audit) agrees with the read model on the in-memory store.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel.readmodel import apply_batch
from services.projections import ledger
from services.projections.ledger_audit import SignedHead, verify
from tests.projections.conftest import Donations, ReadModel, ReadModelOf, Sources, rome

MONEY_TYPES = ("Pledge.PaymentReceived", "Pledge.PaymentReversed", "Fund.FundsDisbursed")


def autumn(donations: Donations) -> dict[str, Any]:
    """Fondo famiglie: Giulia pays 60.00 late on 31 October, Marco 40.00 half an hour later, which is already
    1 November in Rome; 25.00 of Giulia's is charged back on 10 November and 50.00 spent on 12 November."""
    famiglie = donations.fund("Fondo famiglie", rome("2026-10-01 09:00"))
    giulia = donations.pledge(famiglie, "100.00", rome("2026-10-20 10:00"))
    marco = donations.pledge(famiglie, "40.00", rome("2026-10-20 11:00"))
    giulia_paid = donations.pay(giulia, famiglie, "60.00", datetime(2026, 10, 31, 22, 30, tzinfo=UTC))  # 23:30 CET
    marco_paid = donations.pay(marco, famiglie, "40.00", datetime(2026, 10, 31, 23, 30, tzinfo=UTC))  # 00:30 CET
    donations.reverse(giulia, famiglie, giulia_paid, "25.00", rome("2026-11-10 10:00"))
    spent = donations.disburse(famiglie, "50.00", rome("2026-11-12 16:00"))
    return {"fund": str(famiglie.id), "giulia_paid": giulia_paid, "marco_paid": marco_paid, "spent": spent}


@pytest.fixture
def facts(donations: Donations) -> dict[str, Any]:
    return autumn(donations)


@pytest.fixture
def book(read_model: ReadModelOf, facts: dict[str, Any]) -> ReadModel:
    model = read_model(ledger.PROJECTION)
    model.catch_up()
    return model


def sealed(model: ReadModel) -> int:
    return ledger.sealed_position(model.store)


def test_each_movement_is_one_entry_in_store_order_with_the_fund_balance_after_it(
    book: ReadModel, facts: dict[str, Any], sources: Sources
) -> None:
    entries = ledger.entries(book.store, sealed(book))
    assert [(e.sequence, e.kind, e.amount_cents, e.fund_balance_cents, e.entry_date) for e in entries] == [
        (1, "payment", 6000, 6000, "2026-10-31"),
        (2, "payment", 4000, 10000, "2026-11-01"),  # 23:30 UTC on 31 October is past midnight in Rome
        (3, "reversal", 2500, 7500, "2026-11-10"),
        (4, "disbursement", 5000, 2500, "2026-11-12"),
    ]
    positions = [m.position for m in sources.messages("donations") if m.type in MONEY_TYPES]
    assert [e.position for e in entries] == positions
    assert [e.movement_id for e in entries] == [str(facts["giulia_paid"]), str(facts["marco_paid"]),
                                                str(facts["giulia_paid"]), str(facts["spent"])]


def test_every_hash_is_sha256_of_the_previous_hash_and_the_entry_s_canonical_json(book: ReadModel) -> None:
    details = {"payment": {"method": "card"}, "reversal": {},
               "disbursement": {"purpose": "Pacchi alimentari", "document": "FATT-2026-118"}}
    previous = "0" * 64
    for entry in ledger.entries(book.store, sealed(book)):
        body = {"sequence": entry.sequence, "position": entry.position, "kind": entry.kind, "fund_id": entry.fund_id,
                "movement_id": entry.movement_id, "amount": f"{entry.amount_cents / 100:.2f}",
                "fund_balance": f"{entry.fund_balance_cents / 100:.2f}", "date": entry.entry_date,
                "details": details[entry.kind]}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert entry.previous_hash == previous
        assert entry.hash == hashlib.sha256((previous + text).encode()).hexdigest(), entry.sequence
        previous = entry.hash


def test_balances_as_of_a_day_count_only_entries_dated_in_rome_on_or_before_it(
    book: ReadModel, facts: dict[str, Any]
) -> None:
    def balance(day: date | None) -> dict[str, str]:
        return ledger.balances(book.store, sealed(book), as_of=day)[facts["fund"]]

    assert balance(date(2026, 10, 31)) == {"raised": "60.00", "reversed": "0.00", "disbursed": "0.00",
                                           "balance": "60.00", "in_kind": "0.00"}
    assert balance(date(2026, 11, 10)) == {"raised": "100.00", "reversed": "25.00", "disbursed": "0.00",
                                           "balance": "75.00", "in_kind": "0.00"}
    assert balance(None) == {"raised": "100.00", "reversed": "25.00", "disbursed": "50.00", "balance": "25.00",
                             "in_kind": "0.00"}
    assert ledger.balances(book.store, sealed(book), as_of=date(2026, 10, 30)) == {}


def test_entries_page_by_sequence_and_stop_at_the_day_asked(book: ReadModel) -> None:
    store, up_to = book.store, sealed(book)
    assert [e.sequence for e in ledger.entries(store, up_to, after=1, limit=2)] == [2, 3]
    assert [e.sequence for e in ledger.entries(store, up_to, after=4)] == []
    assert [e.sequence for e in ledger.entries(store, up_to, as_of=date(2026, 11, 1))] == [1, 2]


def test_the_head_is_the_last_entry_with_the_totals_up_to_it(book: ReadModel) -> None:
    last = ledger.entries(book.store, sealed(book))[-1]
    head = ledger.head(book.store, sealed(book))
    assert (head.sequence, head.position, head.hash) == (4, last.position, last.hash)
    assert head.totals == {"raised": "100.00", "reversed": "25.00", "disbursed": "50.00", "balance": "25.00",
                           "in_kind": "0.00"}
    # Up to the second entry's position, the head is that entry and the later movements are not in its totals
    second = ledger.entries(book.store, sealed(book))[1]
    earlier = ledger.head(book.store, second.position)
    assert (earlier.sequence, earlier.hash, earlier.totals["raised"], earlier.totals["reversed"]) == \
        (2, second.hash, "100.00", "0.00")


def test_an_empty_ledger_has_the_genesis_head_and_zero_totals(read_model: ReadModelOf) -> None:
    model = read_model(ledger.PROJECTION)
    assert model.catch_up() == 0
    head = ledger.head(model.store, sealed(model))
    assert (head.sequence, head.hash) == (0, ledger.GENESIS)
    assert set(head.totals.values()) == {"0.00"}


def test_a_payment_whose_pledge_was_never_seen_fails_the_batch_and_leaves_no_row_or_position(
    read_model: ReadModelOf, facts: dict[str, Any], sources: Sources
) -> None:
    # Given the donation messages without the pledges' Pledge.Made
    model = read_model(ledger.PROJECTION)
    model.store.create(ledger.SCHEMA)
    orphans = [m for m in sources.messages("donations") if m.type != "Pledge.Made"]
    # When they are applied
    with pytest.raises(LookupError, match=r"Pledge\.Made was never seen"):
        apply_batch(model.store, ledger.PROJECTION, orphans)
    # Then nothing of the batch was kept: the same batch is retried from the same position
    assert model.store.query("SELECT * FROM ledger_entries") == []
    assert model.store.positions() == {}


def test_the_auditor_s_replay_agrees_with_the_read_model_and_locates_an_entry_moved_to_another_day(
    book: ReadModel, sources: Sources
) -> None:
    # Given the ledger the read model built, and its head signed with the ledger key
    key = Ed25519PrivateKey.generate()
    head = ledger.head(book.store, sealed(book))
    published = SignedHead(head, ledger.sign(head, key))
    # Then replaying the donation event store gives the same four entries and head
    report = verify(sources.feeds["donations"], book.store, key.public_key(), published=published)
    assert (report.ok, report.checked, report.head) == (True, 4, head)
    # And when Marco's payment is moved back to 31 October in the database, the replay says where and how
    with book.store.transaction() as tx:
        tx.execute("UPDATE ledger_entries SET entry_date = '2026-10-31' WHERE sequence = 2")
    differences = verify(sources.feeds["donations"], book.store, key.public_key()).differences
    assert [(d.sequence, d.problem, d.detail) for d in differences] == [
        (2, "changed", "entry_date expected 2026-11-01 stored 2026-10-31")]
