"""The privacy desk's rules and routes: consents with channel, text version, expiry and withdrawal; an erasure that
needs the person's id typed again; unknown people refused; the access trail searched by person, actor, purpose and
days, a page at a time; auditors read the trail and nothing else of the desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM, Access, Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput
from services.main import Product
from services.privacy.application import PrivacyVault
from services.privacy.domain import ConsentAlreadyWithdrawn, ConsentNotFound, ErasureNotConfirmed, UnknownPerson
from tests.conftest import RoleClient
from tests.security.conftest import GIULIA, MARCO

GIULIA_DATA = {"name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org"}
CARLA = Actor(kind="account", id="c1", name="carla@angeli.example", role="coordinator")
PAOLO = Actor(kind="account", id="p1", name="paolo@angeli.example", role="campaign_manager")


def consent_rows(vault: PrivacyVault) -> int:
    counted = vault.store.one("SELECT COUNT(*) AS n FROM vault_consents")
    return int(counted["n"]) if counted else 0


# --- the vault ------------------------------------------------------------------------------------------------
def test_a_consent_keeps_its_channel_and_text_version_and_a_withdrawal_ends_it_from_then_on(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    given = clock.now() - timedelta(days=30)
    consent = privacy_vault.record_consent(GIULIA, "newsletter", "modulo web Natale 2026", given, by=SYSTEM,
                                           channel="email", text_version="2026-1")
    assert (consent.channel, consent.text_version, consent.expires_at) == ("email", "2026-1", None)
    assert consent.status(clock.now()) == "active"

    clock.advance(timedelta(days=1))
    withdrawn = privacy_vault.withdraw_consent(GIULIA, consent.consent_id, clock.now() - timedelta(hours=2),
                                               "telefonata allo sportello", by=CARLA)

    assert withdrawn.status(clock.now()) == "withdrawn"
    assert (withdrawn.withdrawn_by, withdrawn.withdrawal_source) == (CARLA.label, "telefonata allo sportello")
    assert privacy_vault.has_consent(GIULIA, "newsletter", clock.now() - timedelta(hours=3))
    assert not privacy_vault.has_consent(GIULIA, "newsletter", clock.now())
    with pytest.raises(ConsentAlreadyWithdrawn, match="withdrawn already"):
        privacy_vault.withdraw_consent(GIULIA, consent.consent_id, clock.now(), "di nuovo", by=CARLA)


def test_a_withdrawal_before_the_consent_or_in_the_future_or_of_another_persons_consent_is_refused(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    privacy_vault.put(MARCO, {"name": "Marco Bianchi"})
    consent = privacy_vault.record_consent(GIULIA, "newsletter", "modulo", clock.now() - timedelta(days=1), by=SYSTEM)
    with pytest.raises(InvalidInput, match="before the consent was given"):
        privacy_vault.withdraw_consent(GIULIA, consent.consent_id, clock.now() - timedelta(days=2), "x", by=CARLA)
    with pytest.raises(InvalidInput, match="withdrawn_at is in the future"):
        privacy_vault.withdraw_consent(GIULIA, consent.consent_id, clock.now() + timedelta(hours=1), "x", by=CARLA)
    with pytest.raises(ConsentNotFound, match=f"person {MARCO} has no consent"):
        privacy_vault.withdraw_consent(MARCO, consent.consent_id, clock.now(), "x", by=CARLA)
    assert privacy_vault.consent(GIULIA, consent.consent_id).withdrawn_at is None


def test_an_expiry_in_the_past_an_unknown_channel_or_an_unknown_person_records_nothing(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    long_ago = clock.now() - timedelta(days=400)
    with pytest.raises(InvalidInput, match="expires_at is in the past"):
        privacy_vault.record_consent(GIULIA, "newsletter", "modulo", long_ago, long_ago + timedelta(days=365),
                                     by=SYSTEM)
    with pytest.raises(InvalidInput, match="channel must be one of phone, email, post, sms, any, got 'fax'"):
        privacy_vault.record_consent(GIULIA, "newsletter", "modulo", clock.now(), by=SYSTEM, channel="fax")
    with pytest.raises(UnknownPerson, match="no one is held under the id"):
        privacy_vault.record_consent(uuid4(), "newsletter", "modulo", clock.now(), by=SYSTEM)
    assert consent_rows(privacy_vault) == 0


def test_consents_recorded_before_the_desk_read_as_any_channel_without_a_text_version(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    with privacy_vault.store.transaction() as tx:  # a row as the vault wrote it before channels and versions
        tx.execute("INSERT INTO vault_consents (consent_id, person_id, purpose, source, given_at, expires_at,"
                   " recorded_at, recorded_by) VALUES (?, ?, 'phone_outreach', 'join form', ?, NULL, ?, 'system')",
                   (str(uuid4()), str(GIULIA), clock.now().isoformat(), clock.now().isoformat()))
    [old] = privacy_vault.consents(GIULIA)
    assert (old.channel, old.text_version, old.expires_at, old.withdrawn_at) == ("any", "", None, None)
    assert old.status(clock.now()) == "active"
    assert privacy_vault.knows(GIULIA)  # a consent alone makes the person known to the desk


def test_an_erasure_needs_the_persons_id_typed_again_and_erases_once(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    for typed in ("", "yes", str(MARCO)):
        with pytest.raises(ErasureNotConfirmed, match=f"type the person's id {GIULIA} to erase them"):
            privacy_vault.request_erasure(GIULIA, "richiesta", typed, by=CARLA)
    assert not privacy_vault.is_erased(GIULIA)
    with pytest.raises(UnknownPerson):
        privacy_vault.request_erasure(MARCO, "richiesta", str(MARCO), by=CARLA)
    assert not privacy_vault.is_erased(MARCO)

    first = privacy_vault.request_erasure(GIULIA, "richiesta del 20 novembre", f"  {str(GIULIA).upper()} ", by=CARLA)
    clock.advance(timedelta(hours=1))
    again = privacy_vault.request_erasure(GIULIA, "di nuovo", str(GIULIA), by=PAOLO)
    assert again == first and first["erased_by"] == CARLA.label


# --- the routes -------------------------------------------------------------------------------------------------
def donor_who_gave(client: TestClient, name: str = "Giulia Rossi") -> tuple[str, str]:
    """A donor who paid €50 into a new fund: (donor id, fund id)."""
    fund = client.post("/funds", json={"name": f"Natale 2026 {uuid4().hex[:4]}"}).json()["id"]
    donor = client.post("/donors", json={"kind": "person", "name": name, "phone": "+39 02 1234 5678"}).json()["id"]
    pledge = client.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "50.00"}).json()["id"]
    paid = client.post(f"/pledges/{pledge}/payments", json={"amount": "50.00", "method": "bank_transfer",
                                                            "reference": f"CRO {uuid4().hex[:6]}"})
    assert paid.status_code in (200, 201), paid.text
    return donor, fund


def test_the_desk_shows_a_person_on_file_without_reading_their_data(
    client: TestClient, product: Product,
) -> None:
    donor, _ = donor_who_gave(client)
    product.catch_up()
    before = len(client.get("/privacy/access", params={"person_id": donor}).json()["accesses"])
    on_file = client.get(f"/privacy/persons/{donor}")
    assert on_file.status_code == 200, on_file.text
    assert on_file.json() == {"person_id": donor, "holds_data": True, "erased": False, "erasure": None,
                              "consents": []}
    product.catch_up()
    assert len(client.get("/privacy/access", params={"person_id": donor}).json()["accesses"]) == before

    unknown = uuid4()
    missing = client.get(f"/privacy/persons/{unknown}")
    assert missing.status_code == 404 and f"no one is held under the id {unknown}" in missing.json()["detail"]
    assert client.get(f"/privacy/persons/{unknown}/export").status_code == 404
    bad = client.get("/privacy/persons/giulia-rossi")
    assert bad.status_code == 422 and "person_id" in bad.json()["detail"]


def test_consents_over_the_desk_add_and_withdraw_and_refuse_bad_input_storing_nothing(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    donor, _ = donor_who_gave(client)
    url = f"/privacy/persons/{donor}/consents"
    given = "2026-11-20T00:00:00+01:00"
    refused = {
        "expiry in the past": ({"expires_at": "2026-11-21T00:00:00+01:00"}, 422, "expires_at is in the past"),
        "expiry before given": ({"expires_at": "2026-11-19T00:00:00+01:00"}, 422, "expires_at must be after given_at"),
        "unknown channel": ({"channel": "fax"}, 422, "channel must be one of phone, email, post, sms, any"),
        "bad purpose": ({"purpose": "News Letter"}, 422, "purpose"),
        "naive given_at": ({"given_at": "2026-11-20T10:00"}, 422, "given_at"),
        "bad version": ({"text_version": "v1<script>"}, 422, "text_version"),
    }
    for case, (change, status, words) in refused.items():
        answer = client.post(url, json={"purpose": "newsletter", "source": "modulo web", "given_at": given,
                                        "channel": "email", "text_version": "2026-1", **change})
        assert answer.status_code == status and words in answer.json()["detail"], (case, answer.text)
    stranger = client.post(f"/privacy/persons/{uuid4()}/consents", json={
        "purpose": "newsletter", "source": "modulo web", "given_at": given})
    assert stranger.status_code == 404 and "no consent was recorded" in stranger.json()["detail"]
    assert client.get(url).json() == []

    added = client.post(url, json={"purpose": "newsletter", "source": "modulo web", "given_at": given,
                                   "expires_at": "2027-11-20T00:00:00+01:00", "channel": "email",
                                   "text_version": "2026-1"})
    assert added.status_code == 201, added.text
    consent = added.json()
    assert (consent["channel"], consent["text_version"], consent["status"]) == ("email", "2026-1", "active")

    withdraw = f"{url}/{consent['consent_id']}/withdraw"
    assert client.post(withdraw, json={"source": "x"}).status_code == 422  # too short to say how
    assert client.post(f"{url}/{uuid4()}/withdraw", json={"source": "telefonata"}).status_code == 404
    future = client.post(withdraw, json={"source": "telefonata", "withdrawn_at": "2026-12-25T10:00:00Z"})
    assert future.status_code == 422 and "in the future" in future.json()["detail"]
    done = client.post(withdraw, json={"source": "telefonata allo sportello"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "withdrawn" and done.json()["withdrawn_at"] == clock.now().isoformat().replace(
        "+00:00", "Z")
    twice = client.post(withdraw, json={"source": "telefonata allo sportello"})
    assert twice.status_code == 409 and "withdrawn already" in twice.json()["detail"]
    [listed] = client.get(url).json()
    assert listed["status"] == "withdrawn"
    export = client.get(f"/privacy/persons/{donor}/export").json()
    assert export["consents"][0]["channel"] == "email" and export["consents"][0]["withdrawal_source"] == (
        "telefonata allo sportello")


def test_an_erasure_without_the_confirmation_is_refused_and_with_it_the_money_stays_and_the_ledger_verifies(
    client: TestClient, product: Product,
) -> None:
    donor, fund = donor_who_gave(client)
    product.catch_up()
    balances = client.get("/ledger/balances").json()
    published = client.get("/ledger/head").json()
    url = f"/privacy/persons/{donor}/erase"

    missing = client.post(url, json={"reason": "richiesta del 20 novembre"})
    wrong = client.post(url, json={"reason": "richiesta del 20 novembre", "confirmation": "CANCELLA"})
    for answer in (missing, wrong):
        assert answer.status_code == 422, answer.text
        assert f"type the person's id {donor} to erase them" in answer.json()["detail"]
        assert "nothing was erased" in answer.json()["detail"]
    no_reason = client.post(url, json={"reason": "", "confirmation": donor})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    stranger = uuid4()
    unknown = client.post(f"/privacy/persons/{stranger}/erase",
                          json={"reason": "richiesta", "confirmation": str(stranger)})
    assert unknown.status_code == 404 and "nothing was erased" in unknown.json()["detail"]
    assert not product.vault.is_erased(UUID(donor)) and not product.vault.knows(stranger)
    assert client.get(f"/donors/{donor}").json()["erased"] is False

    erased = client.post(url, json={"reason": "richiesta del 20 novembre", "confirmation": donor})
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"] is True and erased.json()["reason"] == "richiesta del 20 novembre"
    product.catch_up()

    assert client.get(f"/privacy/persons/{donor}").json()["erased"] is True
    assert client.get(f"/donors/{donor}").json()["erased"] is True
    export = client.get(f"/privacy/persons/{donor}/export").json()
    assert export["personal_data"] is None and export["erased"] is True
    assert client.get("/ledger/balances").json() == balances  # the money figures stay
    assert client.get("/ledger/verify").json()["ok"] is True
    assert client.post("/ledger/verify", json=published).json()["ok"] is True
    assert fund in str(balances)


# --- the access trail -----------------------------------------------------------------------------------------
def reads(product: Product, clock: FixedClock) -> None:
    """Giulia read by Carla (a call) on 20 Nov, by Paolo (a receipt) on 21 Nov and 23 Nov; Marco by Carla on 22 Nov."""
    vault = product.vault
    vault.put(GIULIA, GIULIA_DATA)
    vault.put(MARCO, {"name": "Marco Bianchi"})
    start = clock.now()
    for days_before, person, actor, purpose in ((3, GIULIA, CARLA, "GET /calls/giulia"),
                                                (2, GIULIA, PAOLO, "receipt 2026/0001"),
                                                (1, MARCO, CARLA, "GET /calls/marco"),
                                                (0, GIULIA, PAOLO, "receipt 2026/0002")):
        clock.set(start - timedelta(days=days_before))
        vault.get(person, Access(actor, purpose), fields=("name",))
    clock.set(start)
    product.catch_up()


def purposes(page: dict[str, Any]) -> list[str]:
    return [a["purpose"] for a in page["accesses"]]


def test_the_trail_is_filtered_by_person_actor_purpose_and_days_newest_first_a_page_at_a_time(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    reads(product, clock)

    def search(**params: Any) -> dict[str, Any]:
        answer = client.get("/privacy/access", params=params)
        assert answer.status_code == 200, answer.text
        page: dict[str, Any] = answer.json()
        return page

    assert purposes(search(person_id=str(GIULIA))) == ["receipt 2026/0002", "receipt 2026/0001", "GET /calls/giulia"]
    assert purposes(search(actor="CARLA@")) == ["GET /calls/marco", "GET /calls/giulia"]
    assert purposes(search(purpose="receipt", person_id=str(GIULIA))) == ["receipt 2026/0002", "receipt 2026/0001"]
    # Days are Rome's: 21 and 22 November (the reads are at 10:00 in Rome).
    assert purposes(search(**{"from": "2026-11-21", "to": "2026-11-22"})) == ["GET /calls/marco", "receipt 2026/0001"]
    assert purposes(search(actor="%")) == []  # a LIKE wildcard is a character like the others
    first = search(limit=3)
    assert (first["total"], first["next_offset"], len(first["accesses"])) == (4, 3, 3)
    last = search(limit=3, offset=3)
    assert purposes(last) == ["GET /calls/giulia"] and last["next_offset"] is None
    one = first["accesses"][0]
    assert set(one) == {"access_id", "at", "person_id", "actor", "role", "purpose", "outcome", "fields"}
    assert one["fields"] == ["name"] and "Giulia" not in str(first)


def test_the_trail_refuses_bad_filters_with_a_clear_message(client: TestClient) -> None:
    cases = {
        "from after to": ({"from": "2026-11-23", "to": "2026-11-20"}, "from (2026-11-23) is after to (2026-11-20)"),
        "bad day": ({"from": "2026-02-30"}, "from:"),
        "year out of range": ({"to": "1066-10-14"}, "to: Value error, must fall between"),
        "bad person": ({"person_id": "giulia"}, "person_id:"),
        "limit zero": ({"limit": "0"}, "limit:"),
        "negative offset": ({"offset": "-1"}, "offset:"),
        "long actor": ({"actor": "a" * 121}, "actor:"),
    }
    for case, (params, words) in cases.items():
        answer = client.get("/privacy/access", params=params)
        assert answer.status_code == 422 and words in answer.json()["detail"], (case, answer.text)


def test_auditors_read_the_trail_and_nothing_else_of_the_desk(
    client_as: RoleClient, product: Product, clock: FixedClock,
) -> None:
    reads(product, clock)
    auditor = client_as("auditor")
    assert auditor.get("/privacy/access").json()["total"] == 4
    assert auditor.get(f"/privacy/persons/{GIULIA}").status_code == 403
    assert auditor.get(f"/privacy/persons/{GIULIA}/export").status_code == 403
    assert auditor.post(f"/privacy/persons/{GIULIA}/erase", json={
        "reason": "prova", "confirmation": str(GIULIA)}).status_code == 403
    assert not product.vault.is_erased(GIULIA)
    for role in ("campaign_manager", "coordinator", "viewer", "volunteer", "public"):
        assert client_as(role).get("/privacy/access").status_code in (401, 403), role


def test_a_day_filter_is_the_centres_day_not_utcs(client: TestClient, product: Product, clock: FixedClock) -> None:
    product.vault.put(GIULIA, GIULIA_DATA)
    clock.set(datetime(2026, 11, 19, 23, 30, tzinfo=UTC))  # 00:30 of 20 Nov in Rome
    product.vault.get(GIULIA, Access(CARLA, "late call"))
    product.catch_up()
    assert purposes(client.get("/privacy/access", params={"from": "2026-11-20", "to": "2026-11-20"}).json()) == [
        "late call"]
    assert purposes(client.get("/privacy/access", params={"to": "2026-11-19"}).json()) == []


@pytest.mark.postgres
def test_on_postgresql_consents_withdraw_and_the_trail_searches_alike(pg_settings: Any, clock: FixedClock) -> None:
    import os

    from services.kernel.messages import Message
    from services.kernel.readmodel import PostgresStore, apply_batch
    from services.privacy import trail

    vault_store = PostgresStore(pg_settings.postgres.conninfo(), schema="vault")
    log = PostgresStore(pg_settings.postgres.conninfo(), schema="access_log")
    try:
        vault = PrivacyVault(vault_store, os.urandom(32), clock)
        vault.put(GIULIA, GIULIA_DATA)
        consent = vault.record_consent(GIULIA, "newsletter", "modulo", clock.now(), by=SYSTEM, channel="post",
                                       text_version="2026-1")
        assert vault.withdraw_consent(GIULIA, consent.consent_id, clock.now(), "lettera", by=CARLA).status(
            clock.now()) == "withdrawn"
        assert vault.on_file(GIULIA).consents[0].channel == "post"

        log.create(trail.SCHEMA)
        accesses = [("carla_1@angeli.example", "call"), ("carla%@angeli.example", "call"),
                    ("paolo@angeli.example", "receipt")]
        apply_batch(log, trail.PROJECTION, [
            Message("privacy", n, trail.RECORDED, 1, str(uuid4()), clock.now().isoformat(), {
                "person_id": str(GIULIA), "actor": f"account:{actor}", "role": "coordinator", "purpose": purpose,
                "outcome": "read", "fields": ["name"], "at": (clock.now() + timedelta(minutes=n)).isoformat()})
            for n, (actor, purpose) in enumerate(accesses, start=1)])
        rows, total = trail.search(log, actor="carla%")
        assert (total, [r["actor"] for r in rows]) == (1, ["account:carla%@angeli.example"])
        rows, total = trail.search(log, actor="_1@", limit=1)
        assert (total, rows[0]["actor"]) == (1, "account:carla_1@angeli.example")
        rows, total = trail.search(log, person_id=GIULIA, purpose="CALL", limit=1, offset=1)
        assert (total, rows[0]["actor"]) == (2, "account:carla_1@angeli.example")
    finally:
        vault_store.close()
        log.close()
