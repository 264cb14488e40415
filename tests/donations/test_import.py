"""Bulk import of gifts already received: each line a pledge made and paid, duplicates recorded once, bad lines
reported by line number with nothing stored for them, funds loaded from a snapshot however long their history."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import Mock
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic
from fastapi.testclient import TestClient

from services.donations import gifts
from services.donations.application import DonationsApplication
from services.donations.domain.fund import Fund
from services.donations.gift_import import GiftImport, GiftImportReport
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import FixedClock
from services.kernel.errors import ConcurrencyConflict
from services.kernel.messages import skipped
from services.kernel.readmodel import SqliteStore
from services.main import Product
from services.privacy.application import UNSAVED_GRACE, PrivacyVault
from services.privacy.jobs import unsaved_people_job
from services.projections import ledger
from services.projections.ledger_audit import verify
from tests.conftest import MEMORY, RoleClient
from tests.donations.conftest import catch_up_ledger

HEADER = "donor_id,donor_kind,donor_name,donor_email,fund_id,amount,currency,method,reference,received_at,campaign_id"
NATALE = "6f1c2a8e-1111-4000-8000-000000000001"
NOWHERE = "5b0c1f0e-0000-4000-8000-000000000000"


def gift(fund: UUID | str, amount: str = "25.00", reference: str = "PAYID-1", method: str = "paypal",
         name: str = "Giulia Rossi", donor_id: str = "", email: str = "giulia@example.org",
         received_at: str = "2026-11-20T09:30:00+01:00", currency: str = "EUR", campaign: str = NATALE,
         kind: str = "person") -> str:
    return ",".join([donor_id, kind if name else "", name, email if name else "", str(fund), amount, currency,
                     method, reference, received_at, campaign])


def export(*lines: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO("\n".join([header, *lines]).encode())


def topics(donations: DonationsApplication) -> list[str]:
    """The domain events stored (not bookkeeping such as index entries, which feeds pass over too)."""
    return [n.topic.partition(":")[2] for n in donations.recorder.select_notifications(start=1, limit=100_000)
            if not skipped(n.topic)]


def events_saved(objs: tuple[Any, ...]) -> int:
    """How many new events of imported lines a save carries (they travel together, beside the funds)."""
    return sum(1 for o in objs if not isinstance(o, Fund) for e in o.collect_events()
               if not skipped(get_topic(type(e))))  # index entries are bookkeeping, saved in the same batch


def counts(report: GiftImportReport) -> tuple[int, int, int, int]:
    return report.rows, report.imported, report.duplicates, report.rejected


def test_a_paypal_export_becomes_paid_pledges_that_credit_the_fund(
    donations: DonationsApplication, famiglie: UUID, giulia: UUID
) -> None:
    report = donations.import_gifts(export(
        gift(famiglie, "25.00", "PAYID-1", name="Marco Bianchi", email="marco@example.org"),
        gift(famiglie, "40.00", "ch_3Nx", method="card", name="Pasticceria Dolce Srl", kind="company", email=""),
        gift(famiglie, "10.50", "SEPA-0001", method="sepa", name="", donor_id=str(giulia)),
    ))
    assert counts(report) == (3, 3, 0, 0) and report.lines == []
    assert donations.fund(famiglie).balance == Decimal("75.50")
    made = topics(donations)[2:]  # after Giulia and the fund
    assert made.count("Donor.Registered") == 2  # the two new donors; Giulia was already known
    assert [made.count(t) for t in ("Pledge.Made", "Pledge.PaymentReceived", "PaymentReference.Claimed",
                                    "Fund.Credited")] == [3, 3, 3, 3]
    assert donations.fund(famiglie).version == 4  # one save: created + three credits
    for pledge_id in _pledges(donations):
        assert donations.pledge(pledge_id).status == "fulfilled"
    marco = next(d for d in _donors(donations) if d != giulia and donations.donor(d, SYSTEM_ACCESS).kind == "person")
    assert donations.donor(marco, SYSTEM_ACCESS).details == {"name": "Marco Bianchi", "email": "marco@example.org"}


def _pledges(donations: DonationsApplication) -> list[UUID]:
    return [n.originator_id for n in donations.recorder.select_notifications(start=1, limit=100_000)
            if n.topic.endswith(":Pledge.Made")]


def _donors(donations: DonationsApplication) -> list[UUID]:
    return [n.originator_id for n in donations.recorder.select_notifications(start=1, limit=100_000)
            if n.topic.endswith(":Donor.Registered")]


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"fund": NOWHERE}, f"fund {NOWHERE} not found"),
    ({"fund": "famiglie"}, "must be an id"),
    ({"amount": "-5"}, "amount must be positive"),
    ({"amount": "12.345"}, "at most 2 decimals"),
    ({"amount": "dieci"}, "must be a number of euro"),
    ({"currency": "USD"}, "currency must be EUR"),
    ({"method": "bitcoin"}, "payment method must be one of"),
    ({"reference": ""}, "reference must be 1 to 140 characters"),
    ({"received_at": "ieri"}, "received_at must be a date"),
    ({"received_at": "2026-11-20T09:30:00"}, "must carry a time zone"),
    ({"received_at": "2027-01-01"}, "must not be in the future"),
    ({"received_at": "0001-01-01T00:00:00+05:00"}, "received_at must fall between 1900-01-01 and 2199-12-31"),
    ({"received_at": "1899-12-31"}, "received_at must fall between 1900-01-01"),
    ({"email": "giulia-at-example"}, "donor_email"),
    ({"kind": "cat"}, "donor kind must be"),
    ({"name": "", "donor_id": NOWHERE}, f"donor {NOWHERE} not found"),
    ({"donor_id": NOWHERE}, "not both"),
    ({"name": ""}, "donor_id or donor_name is required"),
    ({"campaign": "natale"}, "campaign_id must be an id"),
])
def test_a_bad_line_is_reported_by_number_and_nothing_of_it_is_stored(
    donations: DonationsApplication, famiglie: UUID, changes: dict[str, str], fragment: str
) -> None:
    before = len(topics(donations))
    report = donations.import_gifts(export(gift(famiglie, "25.00", "PAYID-1"),
                                           gift(**{"fund": famiglie, "reference": "PAYID-2", **changes})))
    assert counts(report) == (2, 1, 0, 1)
    [line] = report.lines
    assert (line.line, line.outcome) == (3, "rejected") and fragment in line.reason, line.reason
    assert donations.fund(famiglie).balance == Decimal("25.00")
    assert len(topics(donations)) == before + 5  # the good line only: donor, made, paid, claimed, credited


def test_a_closed_fund_takes_no_imported_gifts(donations: DonationsApplication, famiglie: UUID) -> None:
    donations.close_fund(famiglie)
    report = donations.import_gifts(export(gift(famiglie)))
    assert counts(report) == (1, 0, 0, 1) and "is closed" in report.lines[0].reason
    assert donations.fund(famiglie).balance == 0


def test_an_erased_donor_gets_no_new_gift(donations: DonationsApplication, famiglie: UUID, giulia: UUID,
                                         clock: FixedClock) -> None:
    donations.vault.erase(giulia, clock.now(), "tests", "asked to be forgotten")
    report = donations.import_gifts(export(gift(famiglie, name="", donor_id=str(giulia))))
    assert counts(report) == (1, 0, 0, 1) and "was erased" in report.lines[0].reason


def test_a_reference_twice_in_the_file_is_recorded_once(donations: DonationsApplication, famiglie: UUID) -> None:
    report = donations.import_gifts(export(
        gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "30.00", "PAYID-1"),
        gift(famiglie, "25.00", "PAYID-1", method="card"),  # another method: another provider's reference
    ))
    assert counts(report) == (4, 2, 1, 1)
    assert [(x.line, x.outcome) for x in report.lines] == [(3, "duplicate"), (4, "rejected")]
    assert "on line 2 too" in report.lines[0].reason and "for 25.00; check the statement" in report.lines[1].reason
    assert donations.fund(famiglie).balance == Decimal("50.00")


def test_a_reference_recorded_before_is_a_duplicate_whether_imported_or_posted(
    donations: DonationsApplication, famiglie: UUID, giulia: UUID
) -> None:
    donations.import_gifts(export(gift(famiglie, "25.00", "PAYID-1")))
    pledge = donations.make_pledge(giulia, famiglie, "money", Decimal("40.00"))
    donations.receive_payment(pledge, Decimal("40.00"), "bank_transfer", "CRO 0042")
    before = len(topics(donations))
    report = donations.import_gifts(export(
        gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "40.00", "CRO 0042", method="bank_transfer"),
        gift(famiglie, "99.00", "PAYID-1"), gift(famiglie, "15.00", "PAYID-2"),
    ))
    assert counts(report) == (4, 1, 2, 1)
    assert [(x.line, x.outcome) for x in report.lines] == [(2, "duplicate"), (3, "duplicate"), (4, "rejected")]
    assert "was recorded before" in report.lines[0].reason
    assert "on line 2 for 25.00" in report.lines[2].reason
    assert donations.fund(famiglie).balance == Decimal("80.00")
    assert len(topics(donations)) == before + 5


def test_the_same_export_imported_again_changes_nothing(donations: DonationsApplication, famiglie: UUID) -> None:
    lines = [gift(famiglie, "5.00", f"PAYID-{n}") for n in range(20)]
    assert counts(donations.import_gifts(export(*lines))) == (20, 20, 0, 0)
    before = len(topics(donations))
    assert counts(donations.import_gifts(export(*lines))) == (20, 0, 20, 0)
    assert len(topics(donations)) == before
    assert donations.fund(famiglie).balance == Decimal("100.00")


def test_lines_are_saved_500_per_transaction_with_every_aggregate_in_one_save(
    donations: DonationsApplication, famiglie: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves: list[int] = []
    original = donations.save

    def counting(*objs: Any, **kwargs: Any) -> Any:
        saves.append(events_saved(objs))
        return original(*objs, **kwargs)

    monkeypatch.setattr(donations, "save", counting)
    report = donations.import_gifts(export(*(gift(famiglie, "1.00", f"PAYID-{n}") for n in range(1_201))))
    assert counts(report) == (1_201, 1_201, 0, 0)
    assert saves == [500 * 4, 500 * 4, 201 * 4]  # donor, made, paid, claimed per line; with the credited fund
    assert donations.fund(famiglie).balance == Decimal("1201.00")


def test_a_fund_with_many_credits_loads_from_its_snapshot_with_few_events_read(
    donations: DonationsApplication, famiglie: UUID, giulia: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    donations.import_gifts(export(*(gift(famiglie, "1.00", f"PAYID-{n}") for n in range(1_250))))
    for n in range(3):  # then a few payments posted one by one: no 100th event, no new snapshot
        pledge = donations.make_pledge(giulia, famiglie, "money", Decimal("10.00"))
        donations.receive_payment(pledge, Decimal("10.00"), "cash", f"ricevuta {n}")
    assert donations.fund(famiglie).version == 1_254
    read: list[int] = []
    select = donations.recorder.select_events

    def counting(*args: Any, **kwargs: Any) -> Any:
        found = select(*args, **kwargs)
        read.append(len(found))
        return found

    monkeypatch.setattr(donations.recorder, "select_events", counting)
    fund = donations.get(famiglie, Fund)
    assert (fund.version, fund.balance) == (1_254, Decimal("1280.00"))
    assert sum(read) == 3  # the events after the snapshot the last import batch took (crossing 1,200), not 1,254
    assert donations.snapshots is not None
    assert [s.originator_version for s in donations.snapshots.get(famiglie, desc=True, limit=1)] == [1_251]


def test_only_funds_are_looked_up_in_the_snapshot_store(
    donations: DonationsApplication, famiglie: UUID, giulia: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    pledge = donations.make_pledge(giulia, famiglie, "money", Decimal("10.00"))
    assert donations.snapshots is not None
    asked: list[UUID] = []
    lookup = donations.snapshots.get

    def counting(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        asked.append(originator_id)
        return lookup(originator_id, *args, **kwargs)

    monkeypatch.setattr(donations.snapshots, "get", counting)
    assert donations.pledge(pledge).amount == Decimal("10.00")
    assert donations.donor(giulia, SYSTEM_ACCESS).kind == "person"
    assert donations.fund(famiglie).name == "Fondo famiglie"
    assert asked == [famiglie]  # a donor or a pledge is never snapshotted: no query for one


def test_a_reference_claimed_by_a_concurrent_import_is_reported_and_the_rest_saved(
    donations: DonationsApplication, famiglie: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    donations.import_gifts(export(gift(famiglie, "25.00", "PAYID-1")))
    monkeypatch.setattr(donations, "existing", lambda ids: set())  # the other import commits after our check
    report = donations.import_gifts(export(gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "10.00", "PAYID-2")))
    assert counts(report) == (2, 1, 1, 0)
    assert "by another import at the same time" in report.lines[0].reason
    assert donations.fund(famiglie).balance == Decimal("35.00")
    # the raced line's new donor was never saved: no personal data of theirs stays in the vault
    assert vault_people(donations) == set(_donors(donations)) and len(_donors(donations)) == 2


def vault_people(donations: DonationsApplication) -> set[UUID]:
    return {UUID(r["person_id"]) for r in donations.vault.store.query("SELECT person_id FROM vault_keys")} | {
        UUID(r["person_id"]) for r in donations.vault.store.query("SELECT person_id FROM vault_data")}


def test_a_line_raced_while_its_fund_stays_busy_leaves_no_personal_data_either(
    donations: DonationsApplication, famiglie: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    donations.import_gifts(export(gift(famiglie, "25.00", "PAYID-1")))
    original = donations.save

    def busy_for_batches(*objs: Any, **kwargs: Any) -> Any:
        if events_saved(objs) > 4:
            raise ConcurrencyConflict("another request changed this record at the same time")
        return original(*objs, **kwargs)

    monkeypatch.setattr(donations, "existing", lambda ids: set())
    monkeypatch.setattr(donations, "save", busy_for_batches)
    moving = GiftImport(donations, fund_version=lambda fund_id: -1)  # line by line, and PAYID-1 is taken
    report = moving.run(export(gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "10.00", "PAYID-2")))
    assert counts(report) == (2, 1, 1, 0)
    assert vault_people(donations) == set(_donors(donations)) and len(_donors(donations)) == 2


def test_a_fund_credited_meanwhile_is_loaded_again_and_the_batch_retried(
    donations: DonationsApplication, famiglie: UUID, giulia: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    pledge = donations.make_pledge(giulia, famiglie, "money", Decimal("40.00"))
    original, raced = donations.save, []

    def racing(*objs: Any, **kwargs: Any) -> Any:
        if not raced and events_saved(objs) > 4:
            raced.append(1)  # a payment posted to the same fund lands first
            donations.receive_payment(pledge, Decimal("40.00"), "cash", "ricevuta 7")
        return original(*objs, **kwargs)

    monkeypatch.setattr(donations, "save", racing)
    report = donations.import_gifts(export(gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "10.00", "PAYID-2")))
    assert counts(report) == (2, 2, 0, 0)
    assert donations.fund(famiglie).balance == Decimal("75.00")


def test_a_fund_that_stays_busy_falls_back_to_one_line_per_save(
    donations: DonationsApplication, famiglie: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = donations.save

    def busy_for_batches(*objs: Any, **kwargs: Any) -> Any:
        if events_saved(objs) > 4:
            raise ConcurrencyConflict("another request changed this record at the same time")
        return original(*objs, **kwargs)

    monkeypatch.setattr(donations, "save", busy_for_batches)
    moving = GiftImport(donations, fund_version=lambda fund_id: -1)  # as if the fund moved every time
    report = moving.run(export(gift(famiglie, "25.00", "PAYID-1"), gift(famiglie, "10.00", "PAYID-2")))
    assert counts(report) == (2, 2, 0, 0)
    assert donations.fund(famiglie).balance == Decimal("35.00")


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "file is empty"),
    (HEADER.encode(), "no gifts to import"),
    (b"fund_id,amount\n1,2", "the header lacks method, reference, received_at, donor_id or donor_name"),
    (b"donor_name,fund_id,amount,method,reference,received_at\nGiulia \xe8,x,1,card,r,2026-11-20",
     "not UTF-8 text (byte"),
])
def test_an_unreadable_file_is_refused_whole(donations: DonationsApplication, content: bytes, fragment: str) -> None:
    before = len(topics(donations))
    with pytest.raises(gifts.UnreadableCsv, match=fragment.replace("(", r"\(")):
        donations.import_gifts(io.BytesIO(content))
    assert len(topics(donations)) == before


def test_an_italian_bank_export_with_bom_semicolons_and_comma_decimals(
    donations: DonationsApplication, famiglie: UUID
) -> None:
    content = ("\ufeffdonor_name;fund_id;amount;method;reference;received_at\n"
               f"Giulia Rossi;{famiglie};1.250,00;Bank transfer;CRO 0001;2026-11-20\n"
               f"Marco Bianchi;{famiglie};25,5;bank_transfer;CRO 0002;2026-11-21\n").encode()
    report = donations.import_gifts(io.BytesIO(content))
    assert counts(report) == (2, 2, 0, 0)
    assert donations.fund(famiglie).balance == Decimal("1275.50")


# --- over HTTP -----------------------------------------------------------------------------------------------


def upload(client: TestClient, content: io.BytesIO, **headers: str) -> Any:
    return client.post("/donations/import", files={"file": ("paypal.csv", content.getvalue(), "text/csv")},
                       headers=headers)


def test_an_import_over_http_answers_counts_and_the_problem_lines(client: TestClient) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    answer = upload(client, export(gift(fund, "25.00", "PAYID-1"), gift(fund, "25.00", "PAYID-1"),
                                   gift(fund, "-1", "PAYID-2")))
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"rows": 3, "imported": 1, "duplicates": 1, "rejected": 1, "lines_truncated": False,
                             "lines": [{"line": 3, "outcome": "duplicate",
                                        "reason": "paypal reference 'PAYID-1' is on line 2 too; recorded once"},
                                       {"line": 4, "outcome": "rejected",
                                        "reason": "amount must be positive, got -1.00"}]}
    assert client.get(f"/funds/{fund}").json()["balance"] == "25.00"


def test_a_resent_import_with_the_same_idempotency_key_replays_the_first_answer(
    client: TestClient, product: Product
) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    file = export(*(gift(fund, "5.00", f"PAYID-{n}") for n in range(3)))
    first = upload(client, file, **{"Idempotency-Key": "paypal-2026-11-21"})
    head = product.feeds["donations"].head()
    again = upload(client, file, **{"Idempotency-Key": "paypal-2026-11-21"})
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.json()["imported"] == 3
    assert again.headers["Idempotent-Replay"] == "true"
    assert product.feeds["donations"].head() == head
    other = upload(client, export(gift(fund, "5.00", "PAYID-9")), **{"Idempotency-Key": "paypal-2026-11-21"})
    assert other.status_code == 409  # the same key with another file
    assert upload(client, file).json()["duplicates"] == 3  # re-sent without a key: every line a duplicate


def test_an_unreadable_upload_is_422_and_stores_nothing(client: TestClient, product: Product) -> None:
    head = product.feeds["donations"].head()
    refused = upload(client, io.BytesIO(b"nome,telefono\nGiulia,333"))
    assert refused.status_code == 422 and "the header lacks" in refused.json()["detail"]
    assert product.feeds["donations"].head() == head


@pytest.mark.parametrize(("role", "status"), [("campaign_manager", 201), ("coordinator", 403), ("auditor", 403),
                                              ("volunteer", 403), ("viewer", 403), ("public", 401)])
def test_only_administrators_and_campaign_managers_import_money(
    client: TestClient, client_as: RoleClient, role: str, status: int
) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    assert upload(client_as(role), export(gift(fund))).status_code == status


def test_the_ledger_still_verifies_after_an_import(client: TestClient, product: Product) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    upload(client, export(*(gift(fund, f"{n + 1}.00", f"PAYID-{n}") for n in range(30))))
    catch_up_ledger(product)
    key = ledger.signing_key(product.settings).public_key()
    report = verify(product.feeds["donations"], product.read_stores["ledger"], key)
    assert report.ok and report.checked == 30
    assert report.head.totals["balance"] == "465.00"


def test_personal_data_an_interrupted_import_never_saved_is_discarded_after_the_grace(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vault notes an import's new donors as unsaved until the batch is saved. A process that stops in
    between leaves their data behind: the sweep discards it once the grace has passed, and keeps the donors
    that were saved after all (stopped after the save, before saying so)."""
    vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32), clock=clock)
    donations = DonationsApplication(dict(MEMORY), vault=vault, clock=clock)
    famiglie = donations.create_fund("Fondo famiglie")
    donations.import_gifts(export(gift(famiglie, reference="PAYID-1", name="Giulia Rossi")))
    with monkeypatch.context() as stopped:
        stopped.setattr(donations, "save", Mock(side_effect=KeyboardInterrupt))  # stops between vault and store
        with pytest.raises(KeyboardInterrupt):
            donations.import_gifts(export(gift(famiglie, reference="PAYID-2", name="Marco Bianchi")))
    with monkeypatch.context() as stopped:
        stopped.setattr(vault, "saved", Mock())  # stops after the save, before the vault hears of it
        donations.import_gifts(export(gift(famiglie, reference="PAYID-3", name="Anna Verdi")))
    saved = set(_donors(donations))
    assert len(saved) == 2 and len(vault_people(donations)) == 3
    sweep = unsaved_people_job("donations", vault, donations.existing)

    clock.advance(UNSAVED_GRACE / 2)
    assert sweep.run() == 0 and len(vault_people(donations)) == 3  # the import may still be saving

    clock.advance(UNSAVED_GRACE)
    assert sweep.run() == 1
    assert vault_people(donations) == saved
    assert {vault.get(donor, SYSTEM_ACCESS)["name"] for donor in saved} == {"Giulia Rossi", "Anna Verdi"}
    assert vault.unsaved("donations", timedelta(0)) == [] and sweep.run() == 0


@pytest.mark.parametrize("service", ["donations", "calls", "campaigns"])
def test_each_service_storing_new_people_sweeps_those_it_never_saved(
    service: str, product: Product, clock: FixedClock
) -> None:
    """The job runs in the product's scheduler; a person another service left unsaved is not this one's."""
    vault = product.vault
    (job,) = [job for job in product.services[service].jobs if job.id == f"{service}.unsaved_people"]
    vault.put_many({uuid4(): {"name": "Lucia Neri"}}, unsaved_by="elsewhere")
    vault.put_many({uuid4(): {"name": "Paolo Galli"}}, unsaved_by=service)
    clock.advance(2 * UNSAVED_GRACE)
    assert job.run() == 1
    assert [r["owner"] for r in vault.store.query("SELECT owner FROM vault_unsaved")] == ["elsewhere"]


def test_a_donor_whose_registration_fails_leaves_no_personal_data(
    donations: DonationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(donations, "save", Mock(side_effect=ConcurrencyConflict("the event store is away")))
    with pytest.raises(ConcurrencyConflict):
        donations.register_donor("person", {"name": "Giulia Rossi"})
    assert vault_people(donations) == set()
    monkeypatch.undo()
    giulia = donations.register_donor("person", {"name": "Giulia Rossi"})
    assert vault_people(donations) == {giulia}
    assert donations.vault.store.query("SELECT person_id FROM vault_unsaved") == []


def test_a_donor_saved_before_the_registration_failed_keeps_their_personal_data(
    donations: DonationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = donations.save

    def fails_after_the_commit(*objs: Any, **kwargs: Any) -> Any:
        original(*objs, **kwargs)
        raise RuntimeError("a listener failed")

    monkeypatch.setattr(donations, "save", fails_after_the_commit)
    with pytest.raises(RuntimeError):
        donations.register_donor("person", {"name": "Giulia Rossi"})
    (giulia,) = _donors(donations)
    assert vault_people(donations) == {giulia} and donations.vault.get(giulia, SYSTEM_ACCESS)["name"] == "Giulia Rossi"
    assert donations.vault.store.query("SELECT person_id FROM vault_unsaved") == []
