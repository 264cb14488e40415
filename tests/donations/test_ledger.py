"""The hash-chained ledger on SQLite: entries, signed head, the auditor's replay finding every alteration."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services import cli
from services.donations.application import DonationsApplication
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.readmodel import ReadStore, SqliteStore
from services.kernel.settings import Settings
from services.main import Product
from services.projections import ledger
from services.projections.ledger_audit import verify
from tests.donations.conftest import catch_up_ledger

D = Decimal
NATALE = "6f1c2a8e-1111-4000-8000-000000000001"


def history(donations: DonationsApplication) -> dict[str, Any]:
    """Giulia and Marco give to two funds over October and November; one chargeback, one disbursement."""
    giulia = donations.register_donor("person", {"name": "Giulia Rossi"})
    marco = donations.register_donor("person", {"name": "Marco Bianchi"})
    famiglie, freddo = donations.create_fund("Fondo famiglie"), donations.create_fund("Emergenza freddo")
    october = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
    g1 = donations.make_pledge(giulia, famiglie, "money", D("50.00"), campaign_id=NATALE)
    donations.receive_payment(g1, D("50.00"), "card", "ch_1", received_at=october)
    m1 = donations.make_pledge(marco, famiglie, "money", D("100.00"), campaign_id=NATALE)
    paid = donations.receive_payment(m1, D("100.00"), "bank_transfer", "CRO-7", received_at=october)
    donations.disburse(famiglie, D("30.00"), "Spesa per 3 famiglie", "FATT-118")
    donations.reverse_payment(m1, paid.payment_id, D("40.00"), "chargeback")
    g2 = donations.make_pledge(giulia, freddo, "money", D("20.00"))
    donations.receive_payment(g2, D("5.00"), "paypal", "PP-1")
    coats = donations.make_pledge(marco, freddo, "goods", D("90.00"), description="Cappotti", quantity=3)
    donations.receive_goods(coats, 3)
    return {"giulia": giulia, "marco": marco, "famiglie": famiglie, "freddo": freddo, "m1": m1, "g1": g1}


@pytest.fixture
def filled(product: Product) -> dict[str, Any]:
    facts = history(product.services["donations"].application)  # type: ignore[arg-type]
    catch_up_ledger(product)
    return facts


def store(product: Product) -> ReadStore:
    return product.read_stores["ledger"]


def rows(product: Product) -> list[dict[str, Any]]:
    return store(product).query("SELECT * FROM ledger_entries ORDER BY sequence")


def audit(product: Product) -> list[tuple[int, str, str]]:
    key = ledger.signing_key(product.settings).public_key()
    report = verify(product.feeds["donations"], store(product), key)
    return [(d.sequence, d.problem, d.detail) for d in report.differences]


def test_one_chained_entry_per_money_movement_with_running_fund_balances(
    product: Product, filled: dict[str, Any]
) -> None:
    entries = rows(product)
    assert [(e["sequence"], e["kind"], e["amount_cents"], e["fund_balance_cents"]) for e in entries] == [
        (1, "payment", 5000, 5000), (2, "payment", 10000, 15000), (3, "disbursement", 3000, 12000),
        (4, "reversal", 4000, 8000), (5, "payment", 500, 500), (6, "in_kind", 9000, 500)]
    assert entries[0]["previous_hash"] == ledger.GENESIS
    assert all(b["previous_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    text = json.dumps(entries)
    assert str(filled["giulia"]) not in text and str(filled["marco"]) not in text


def test_entry_hash_is_sha256_of_previous_hash_and_canonical_json(product: Product, filled: dict[str, Any]) -> None:
    import hashlib

    first = rows(product)[0]
    canonical = ('{"amount":"50.00","date":"2026-10-15","details":{"method":"card"},"fund_balance":"50.00",'
                 f'"fund_id":"{filled["famiglie"]}","kind":"payment","movement_id":"{first["movement_id"]}",'
                 f'"position":{first["position"]},"sequence":1}}')
    assert first["hash"] == hashlib.sha256((ledger.GENESIS + canonical).encode()).hexdigest()


def test_head_is_signed_and_verifies_with_the_served_public_key(client: TestClient, filled: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    head = client.get("/ledger/head").json()
    assert head["sequence"] == 6
    assert head["totals"] == {"raised": "155.00", "reversed": "40.00", "disbursed": "30.00", "balance": "85.00",
                              "in_kind": "90.00"}
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(client.get("/ledger/public-key").json()["public_key"]))
    body = {k: head[k] for k in ("sequence", "position", "hash", "totals")}
    key.verify(bytes.fromhex(head["signature"]), ledger.canonical(body))


def test_untouched_ledger_verifies_over_http_and_cli(
    client: TestClient, product: Product, filled: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = client.get("/ledger/verify").json()
    assert report["ok"] and report["checked"] == 6 and report["differences"] == []
    monkeypatch.setenv("ANGELI_DATA_DIR", str(product.settings.data_dir))
    assert cli.main(["ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK 6 entries")


def test_editing_one_amount_in_the_database_is_located(
    product: Product, filled: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with store(product).transaction() as tx:
        tx.execute("UPDATE ledger_entries SET amount_cents = 99900 WHERE sequence = 2")
    assert audit(product) == [(2, "changed", "amount expected 100.00 stored 999.00")]
    monkeypatch.setenv("ANGELI_DATA_DIR", str(product.settings.data_dir))
    assert cli.main(["ledger", "verify"]) == 1
    assert "sequence 2: changed: amount expected 100.00 stored 999.00" in capsys.readouterr().out


def test_deleting_a_row_is_reported_missing(product: Product, filled: dict[str, Any]) -> None:
    with store(product).transaction() as tx:
        tx.execute("DELETE FROM ledger_entries WHERE sequence = 3")
    [(sequence, problem, detail)] = audit(product)
    assert (sequence, problem) == (3, "missing") and "disbursement of 30.00" in detail


def test_deleting_the_last_row_is_reported_missing(product: Product, filled: dict[str, Any]) -> None:
    with store(product).transaction() as tx:
        tx.execute("DELETE FROM ledger_entries WHERE sequence = 6")
    assert [(s, p) for s, p, _ in audit(product)] == [(6, "missing")]


def test_swapping_two_rows_is_reported_reordered(product: Product, filled: dict[str, Any]) -> None:
    with store(product).transaction() as tx:
        tx.execute("UPDATE ledger_entries SET sequence = CASE sequence WHEN 2 THEN 4 ELSE 2 END "
                   "WHERE sequence IN (2, 4)")
    differences = audit(product)
    assert [(s, p) for s, p, _ in differences] == [(2, "reordered"), (4, "reordered")]
    assert "belongs at sequence 4" in differences[0][2]


def test_an_invented_row_is_reported_extra(product: Product, filled: dict[str, Any]) -> None:
    with store(product).transaction() as tx:
        tx.execute("INSERT INTO ledger_entries SELECT position - 1, 7, kind, fund_id, movement_id, amount_cents,"
                   " fund_balance_cents, entry_date, details, hash, hash FROM ledger_entries WHERE sequence = 6")
    assert [(s, p) for s, p, _ in audit(product)] == [(7, "extra")]


def test_a_forger_who_recomputes_every_hash_is_caught_by_replay_and_the_published_head(
    client: TestClient, product: Product, filled: dict[str, Any]
) -> None:
    published = client.get("/ledger/head").json()
    with store(product).transaction() as tx:
        tx.execute("UPDATE ledger_entries SET amount_cents = 1000 WHERE sequence = 1")
        ledger._chain_from(tx, 0)  # the forger re-chains so the stored ledger is self-consistent
    report = client.post("/ledger/verify", json=published).json()
    assert not report["ok"]
    assert report["differences"][0]["sequence"] == 1 and "amount expected 50.00 stored 10.00" in \
        report["differences"][0]["detail"]
    forged_head = client.get("/ledger/head").json()
    assert forged_head["hash"] != published["hash"]


def test_a_published_head_with_a_bad_signature_or_wrong_totals_is_reported(
    client: TestClient, filled: dict[str, Any]
) -> None:
    published = client.get("/ledger/head").json()
    bad = {**published, "signature": "00" * 64}
    [difference] = client.post("/ledger/verify", json=bad).json()["differences"]
    assert difference["problem"] == "head" and "signature" in difference["detail"]
    assert client.post("/ledger/verify", json=published).json()["ok"]
    assert client.post("/ledger/verify", json={**published, "extra": 1}).status_code == 422


def test_rebuilding_from_zero_gives_byte_identical_hashes(
    product: Product, filled: dict[str, Any], tmp_path: Path
) -> None:
    fresh = SqliteStore(str(tmp_path / "rebuilt.db"))
    EmbeddedFollower(product.feeds, [ProjectionSubscriber(ledger.PROJECTION, fresh)]).catch_up()
    assert fresh.query("SELECT * FROM ledger_entries ORDER BY sequence") == rows(product)


def test_partitions_delivered_out_of_order_seal_the_same_chain(
    product: Product, filled: dict[str, Any], tmp_path: Path
) -> None:
    """Kafka delivers per partition; the sealed ledger is still chained in event-store order."""
    messages = product.feeds["donations"].read(0, limit=1000)[0]
    # Two partitions keyed by aggregate, as Kafka would, each aggregate's turn alternating in order of first
    # appearance (random ids split by parity could leave one partition empty).
    partition_of = {aggregate: n % 2 for n, aggregate in enumerate(dict.fromkeys(m.aggregate_id for m in messages))}
    parts = [[m for m in messages if partition_of[m.aggregate_id] == part] for part in (0, 1)]
    out_of_order = SqliteStore(str(tmp_path / "kafka.db"))
    subscriber = ProjectionSubscriber(ledger.PROJECTION, out_of_order)
    subscriber.handle(parts[1], 1)
    assert ledger.sealed_position(out_of_order, partitions=2) == 0  # partition 0 has delivered nothing yet
    subscriber.handle(parts[0], 0)
    sealed = ledger.sealed_position(out_of_order, partitions=2)
    assert sealed == min(parts[0][-1].position, parts[1][-1].position)
    in_order = [r for r in rows(product) if r["position"] <= sealed]
    assert out_of_order.query(f"SELECT * FROM ledger_entries WHERE position <= {sealed} ORDER BY sequence") == in_order


def test_balances_and_ledger_as_of_a_past_day(client: TestClient, filled: dict[str, Any]) -> None:
    october = client.get("/ledger/balances", params={"as_of": "2026-10-31"}).json()["funds"]
    assert october == {str(filled["famiglie"]): {"raised": "150.00", "reversed": "0.00", "disbursed": "0.00",
                                                 "balance": "150.00", "in_kind": "0.00"}}
    entries = client.get("/ledger", params={"as_of": "2026-10-31"}).json()["entries"]
    assert [e["sequence"] for e in entries] == [1, 2]
    now = client.get("/ledger/balances").json()["funds"][str(filled["famiglie"])]
    assert now["balance"] == "80.00"
    assert client.get("/ledger", params={"as_of": "last week"}).status_code == 422


def test_transparency_per_fund_and_month_and_per_campaign(client: TestClient, filled: dict[str, Any]) -> None:
    months = client.get(f"/transparency/funds/{filled['famiglie']}").json()["months"]
    assert months == [
        {"month": "2026-10", "raised": "150.00", "reversed": "0.00", "disbursed": "0.00", "in_kind": "0.00",
         "balance": "150.00", "donors": 2},
        {"month": "2026-11", "raised": "0.00", "reversed": "40.00", "disbursed": "30.00", "in_kind": "0.00",
         "balance": "80.00", "donors": 0},
    ]
    assert client.get(f"/transparency/funds/{filled['famiglie']}", params={"as_of": "2026-10-31"}).json()[
        "months"][-1]["month"] == "2026-10"
    natale = client.get(f"/transparency/campaigns/{NATALE}").json()
    assert natale == {"campaign_id": NATALE, "pledges": 2, "fulfilled": 1, "cancelled": 0, "pledged": "150.00",
                      "paid": "110.00", "conversion": 0.7333}
    assert client.get("/transparency/campaigns/5b0c1f0e-0000-4000-8000-000000000000").status_code == 404
    assert [f["name"] for f in client.get("/transparency/funds").json()["funds"]] == ["Emergenza freddo",
                                                                                    "Fondo famiglie"]


def test_receipts_are_numbered_per_year_voided_on_reversal_and_reproducible(
    client: TestClient, product: Product, filled: dict[str, Any], tmp_path: Path
) -> None:
    receipts = client.get("/receipts/2026", params={"with_donor": True}).json()["receipts"]
    assert [(r["number"], r["pledge_id"], r["amount"], r["voided_on"]) for r in receipts] == [
        ("2026-000001", str(filled["g1"]), "50.00", None),
        ("2026-000002", str(filled["m1"]), "100.00", "2026-11-23"),  # Marco's chargeback voided it
    ]
    assert receipts[0]["donor"] == {"name": "Giulia Rossi"}
    assert client.get("/receipts/2027").json()["receipts"] == []
    assert client.get("/receipts/1999").status_code == 422
    from services.projections import transparency

    fresh = SqliteStore(str(tmp_path / "again.db"))
    EmbeddedFollower(product.feeds, [ProjectionSubscriber(transparency.PROJECTION, fresh)]).catch_up()
    sealed = ledger.sealed_position(fresh)
    assert transparency.receipts(fresh, 2026, sealed) == transparency.receipts(
        product.read_stores["transparency"], 2026, sealed)


def test_verify_reads_the_event_store_not_the_projection(product: Product, filled: dict[str, Any]) -> None:
    feed = product.feeds["donations"]
    assert isinstance(feed, EventFeed) and feed.source == "donations"
    assert date.fromisoformat(rows(product)[0]["entry_date"]) == date(2026, 10, 15)
    assert audit(product) == []


def test_ledger_verify_cli_accepts_a_published_head_file(
    client: TestClient, product: Product, filled: dict[str, Any], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    head = client.get("/ledger/head").json()
    path = tmp_path / "head.json"
    path.write_text(json.dumps({**head, "hash": "ab" * 32}))
    monkeypatch.setenv("ANGELI_DATA_DIR", str(product.settings.data_dir))
    assert cli.main(["ledger", "verify", "--head", str(path)]) == 1
    assert "sequence 6: head:" in capsys.readouterr().out
    assert Settings.from_env().data_dir == product.settings.data_dir
