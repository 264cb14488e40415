"""The donor search index: keyed digests of normalised values, never the values; donor → pledges; the backfill."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from services.donations import donor_index
from services.donations.application import DonationsApplication
from services.donations.domain.donor_keys import (
    DonorKeys,
    PhoneNotValid,
    SearchBy,
    SearchNotValid,
    fold,
    name_words,
    query_values,
)
from services.identity.domain import Access, Actor
from services.kernel import keyindex
from services.kernel.clock import FixedClock
from services.kernel.upgrades import Upgrade
from services.privacy.application import PrivacyVault

CARLA = Actor(kind="account", id="carla", name="carla", role="campaign_manager")
OFFICE = Access(CARLA, "GET /donors")
GIULIA = {"name": "Giulia Niccolò D'Angelo", "phone": "+39 333 123 4567", "email": "Giulia.DAngelo@Example.org",
          "tax_code": "dnggli80a41f205x"}
KEY = b"k" * 32


def test_names_fold_case_and_accents_into_words() -> None:
    assert fold("NICCOLÒ Ñandú Straße") == "niccolo nandu strasse"
    assert name_words("Giulia Niccolò D'Angelo-Rossi giulia") == ["giulia", "niccolo", "d", "angelo", "rossi"]


@pytest.mark.parametrize(("by", "query", "fragment"), [
    (SearchBy.NAME, "   ", "the search is empty"),
    (SearchBy.NAME, "G", "too short"),
    (SearchBy.NAME, "a b c d e f g", "at most 6 words"),
    (SearchBy.PHONE, "not a phone", "cannot be read"),
    (SearchBy.PHONE, "+39 123", "not a valid number"),
    (SearchBy.EMAIL, "giulia@", "a whole address"),
    (SearchBy.TAX_CODE, "RSS-GLI", "11 to 16 letters and digits"),
])
def test_bad_searches_say_what_to_type(by: SearchBy, query: str, fragment: str) -> None:
    with pytest.raises((SearchNotValid, PhoneNotValid), match=fragment):
        query_values(by, query)


def test_one_number_written_three_ways_is_one_digest() -> None:
    keys = DonorKeys(KEY)
    assert keys.of_query(SearchBy.PHONE, "333 1234567") == keys.of_query(SearchBy.PHONE, "+393331234567") \
        == keys.of_query(SearchBy.PHONE, "0039 333 123 4567")
    assert keys.of_query(SearchBy.EMAIL, "GIULIA.dangelo@example.ORG") == keys.of_query(
        SearchBy.EMAIL, "giulia.dangelo@example.org")
    assert DonorKeys(b"x" * 32).of_query(SearchBy.PHONE, "333 1234567") != keys.of_query(SearchBy.PHONE, "333 1234567")


def test_a_new_donor_with_an_unreadable_phone_is_refused_and_nothing_stored(
    donations: DonationsApplication, vault: PrivacyVault
) -> None:
    with pytest.raises(PhoneNotValid, match="cannot be read"):
        donations.register_donor("person", {"name": "Giulia", "phone": "call me"})
    assert donations.recorder.max_notification_id() is None
    assert vault.store.one("SELECT COUNT(*) AS n FROM vault_data")["n"] == 0  # type: ignore[index]


def test_search_finds_giulia_by_each_key_whatever_the_case_and_accents(donations: DonationsApplication) -> None:
    giulia = donations.register_donor("person", GIULIA)
    donations.register_donor("person", {"name": "Giulia Rossi", "phone": "+39 02 1234 5678"})

    def found(by: str, query: str) -> list[UUID]:
        return [d.id for d in donor_index.search(donations, by, query, OFFICE).donors]

    assert found("phone", "333 123 4567") == [giulia]
    assert found("email", "GIULIA.dangelo@example.org") == [giulia]
    assert found("tax_code", "DNGGLI80A41F205X") == [giulia]
    assert found("name", "niccolo dangelo") == []  # whole words: "d" and "angelo"
    assert found("name", "NICCOLO d'angelo") == [giulia]
    assert len(found("name", "giulia")) == 2
    assert found("name", "giulia rossi") != found("name", "giulia niccolò")
    assert found("phone", "+39 333 000 0000") == []


def test_each_donor_a_search_shows_is_a_read_in_the_trail(donations: DonationsApplication, vault: PrivacyVault) -> None:
    giulia = donations.register_donor("person", GIULIA)
    result = donor_index.search(donations, "phone", "3331234567", OFFICE)
    assert [(d.id, d.name) for d in result.donors] == [(giulia, GIULIA["name"])]
    recorded = [e for e in vault.trail.recorder.select_notifications(1, 100)]
    assert len(recorded) == 1
    assert b"donor search by phone" in recorded[0].state and b"carla" in recorded[0].state
    assert b"333" not in recorded[0].state  # the query's text is not in the trail


def test_the_index_holds_no_plain_value(tmp_path: Path, vault: PrivacyVault, clock: FixedClock) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "donations.db"),
           "CREATE_TABLE": "y"}
    donations = DonationsApplication(env, vault=vault, clock=clock, search_key=KEY)
    giulia = donations.register_donor("person", GIULIA)
    assert [d.id for d in donor_index.search(donations, "name", "giulia", OFFICE).donors] == [giulia]
    with sqlite3.connect(tmp_path / "donations.db") as db:
        rows = db.execute("SELECT originator_id, topic, state FROM stored_events").fetchall()
    assert sum(1 for _, topic, _ in rows if topic.startswith("services.kernel.keyindex:")) == 8  # 5 words, 3, mark
    stored = " ".join(f"{i} {t} {s.decode()}" for i, t, s in rows).casefold()
    for value in ("giulia", "niccol", "angelo", "3331234567", "333 123", "example", "dnggli", "f205x"):
        assert value not in stored, value


def test_a_donors_pledges_are_listed_with_status_payments_and_reversals(
    donations: DonationsApplication, famiglie: UUID
) -> None:
    giulia = donations.register_donor("person", GIULIA)
    other = donations.register_donor("person", {"name": "Marco"})
    first = donations.make_pledge(giulia, famiglie, "money", Decimal("50.00"))
    paid = donations.receive_payment(first, Decimal("50.00"), "bank_transfer", "CRO 1")
    donations.reverse_payment(first, paid.payment_id, Decimal("20.00"), "chargeback")
    donations.make_pledge(other, famiglie, "money", Decimal("5.00"))
    pledges = donor_index.donor_pledges(donations, giulia, donations.clock.now().date())
    assert [(p.id, p.status, p.paid, p.fund_name) for p in pledges] == [
        (first, "partially_paid", Decimal("30.00"), "Fondo famiglie")]
    assert [(x.amount, x.reversed, x.reference) for x in pledges[0].payments] == [
        (Decimal("50.00"), Decimal("20.00"), "CRO 1")]


def test_the_backfill_indexes_donors_and_pledges_stored_before_once(
    donations: DonationsApplication, vault: PrivacyVault, famiglie: UUID
) -> None:
    giulia = donations.register_donor("person", GIULIA)
    pledge = donations.make_pledge(giulia, famiglie, "money", Decimal("10.00"))
    # As an installation before the index: forget the entries (a fresh key stands for an index never written).
    donations.keys = DonorKeys(KEY)
    assert donor_index.search(donations, "phone", "3331234567", OFFICE).total == 0
    done = donor_index.backfill(donations)
    assert done.donors_indexed == 0  # marked indexed already: the mark, not the key, decides
    recorder = donations.recorder
    marks = set(keyindex.entry_ids(donor_index.INDEXED, [giulia]))
    # an older store: no entries at all
    older = DonationsApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault, clock=donations.clock,
                                 search_key=KEY)
    for notification in recorder.select_notifications(1, 1000):
        if notification.topic.startswith("services.kernel.keyindex:") or notification.originator_id in marks:
            continue
        older.recorder.insert_events([notification])
    assert older.read_many([pledge], object, skip_missing=True)
    assert donor_index.backfill_once(older) == donor_index.Backfilled(donors_indexed=1, pledges_listed=1)
    assert [d.id for d in donor_index.search(older, "phone", "3331234567", OFFICE).donors] == [giulia]
    assert [p.id for p in donor_index.donor_pledges(older, giulia, older.clock.now().date())] == [pledge]
    assert older.exists(Upgrade.create_id(donor_index.UPGRADE))
    assert donor_index.backfill_once(older) is None
    assert donor_index.backfill(older) == donor_index.Backfilled(0, 0)
    assert any(b"donor search index backfill" in n.state for n in vault.trail.recorder.select_notifications(1, 100))


def test_an_erased_donor_is_not_found_by_their_old_number(
    donations: DonationsApplication, vault: PrivacyVault
) -> None:
    giulia = donations.register_donor("person", GIULIA)
    assert donor_index.search(donations, "phone", "3331234567", OFFICE).total == 1
    vault.erase(giulia, donations.clock.now(), "account:anna", "the donor's erasure request")
    assert donor_index.search(donations, "phone", "3331234567", OFFICE) == donor_index.DonorSearch("phone", 0, ())
    assert donor_index.search(donations, "name", "giulia", OFFICE).total == 0
