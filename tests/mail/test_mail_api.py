"""The mail routes: bad input answered with what was wrong and nothing stored; a test send to your own address."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM
from services.kernel.settings import Settings
from services.mail import template_library
from services.main import Product
from tests.mail.conftest import Server
from tests.mail.mailing_rig import CONSENT, campaign_with_contacts, mail_of, marketing_template, relayed

RoleClient = Callable[..., TestClient]


@pytest.fixture
def embedded_settings(tmp_path: Path, smtp_server: Server) -> Settings:
    return relayed(tmp_path, smtp_server.port)


def test_a_mailing_needs_a_known_campaign_and_a_marketing_template(product: Product, client_as: RoleClient) -> None:
    mail = mail_of(product)
    campaign_id, _ = campaign_with_contacts(product, 1)
    marketing = marketing_template(mail)
    receipt = template_library.create(mail, "Ricevuta", "transactional", by=SYSTEM, once=None)
    template_library.publish(mail, receipt, "Ricevuta", "<p>{{ charity.address }}</p>", "{{ charity.address }}",
                             by=SYSTEM, once=None)
    manager = client_as("campaign_manager")
    cases = [
        ({"campaign_id": str(uuid4()), "template_id": str(marketing), "name": "Natale"}, 404, "campaign"),
        ({"campaign_id": str(campaign_id), "template_id": str(receipt), "name": "Natale"}, 422, "transactional"),
        ({"campaign_id": str(campaign_id), "template_id": str(uuid4()), "name": "Natale"}, 404, ""),
        ({"campaign_id": str(campaign_id), "template_id": str(marketing), "name": ""}, 422, "name"),
        ({"campaign_id": str(campaign_id), "template_id": str(marketing), "name": "x" * 121}, 422, "name"),
        ({"campaign_id": str(campaign_id), "template_id": str(marketing), "name": "N", "to": "all"}, 422, "to"),
        ({"campaign_id": "not-an-id", "template_id": str(marketing), "name": "Natale"}, 422, "campaign_id"),
    ]
    for body, status, said in cases:
        answer = manager.post("/mail/mailings", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert said in answer.text
    assert manager.get("/mail/mailings").json() == []
    created = manager.post("/mail/mailings", json={"campaign_id": str(campaign_id), "template_id": str(marketing),
                                                   "name": "Natale"})
    assert created.status_code == 201
    listed = manager.get("/mail/mailings", params={"campaign_id": str(campaign_id)}).json()
    assert [m["name"] for m in listed] == ["Natale"] and listed[0]["status"] == "draft"
    assert listed[0]["campaign_name"] == "Natale 2026" and listed[0]["template_name"] == "Natale 2026"
    assert client_as("coordinator").post("/mail/mailings", json={}).status_code == 403


def test_consent_is_recorded_with_its_source_and_words_and_bad_input_stores_nothing(
        product: Product, client_as: RoleClient) -> None:
    _, people = campaign_with_contacts(product, 1)
    person_id = next(iter(people.values()))
    manager = client_as("campaign_manager")
    for body, said in [({"source": "x", "text": CONSENT}, "source"), ({"source": "modulo web", "text": "sì"}, "text"),
                       ({"source": "modulo web"}, "text"), ({"source": "modulo web", "text": CONSENT, "x": 1}, "x")]:
        answer = manager.post(f"/mail/people/{person_id}/consent", json=body)
        assert answer.status_code == 422 and said in answer.text, answer.text
    assert manager.get(f"/mail/people/{person_id}").json()["choices"] == []
    unknown = manager.post(f"/mail/people/{uuid4()}/consent", json={"source": "modulo web", "text": CONSENT})
    assert unknown.status_code == 404
    assert manager.post(f"/mail/people/{person_id}/consent/withdrawal",
                        json={"source": "telefonata"}).status_code == 409

    given = manager.post(f"/mail/people/{person_id}/consent", json={"source": "modulo web", "text": CONSENT})
    assert given.status_code == 201
    state = given.json()
    assert state["marketing_consent_at"] is not None
    assert state["choices"][0]["source"] == "modulo web" and state["choices"][0]["text"] == CONSENT
    held = product.vault.consents(person_id)  # the privacy desk lists it beside the phone's consents
    assert [(c.channel, c.purpose, c.source, c.text_version) for c in held] == [
        ("email", "email_outreach", "modulo web", CONSENT)]
    withdrawn = manager.post(f"/mail/people/{person_id}/consent/withdrawal", json={"source": "telefonata"})
    assert withdrawn.status_code == 200 and withdrawn.json()["marketing_consent_at"] is None
    assert [c["kind"] for c in withdrawn.json()["choices"]] == ["consented", "withdrawn"]
    assert product.vault.consents(person_id)[0].withdrawal_source == "telefonata"
    exported = client_as("administrator").get(f"/privacy/persons/{person_id}/export").json()["services"]["mail"]
    assert [c["kind"] for c in exported["choices"]] == ["consented", "withdrawn"]


def test_a_test_send_goes_to_the_senders_own_address_only(product: Product, client_as: RoleClient,
                                                          smtp_server: Server) -> None:
    mail = mail_of(product)
    campaign_id, _ = campaign_with_contacts(product, 2)
    mailing = client_as("campaign_manager").post("/mail/mailings", json={
        "campaign_id": str(campaign_id), "template_id": str(marketing_template(mail)), "name": "Natale"}).json()
    with_key = client_as("campaign_manager").post(f"/mail/mailings/{mailing['id']}/test", json={})
    assert with_key.status_code == 422 and "own e-mail address" in with_key.text

    assert product.identity is not None
    product.identity.create_account("sara@angeli.example", "una-password-lunga", "campaign_manager", SYSTEM, None)
    sara = client_as("public")
    token = sara.post("/auth/sign-in", json={"email": "sara@angeli.example", "password": "una-password-lunga"})
    sara.cookies.clear()
    sara.headers["Authorization"] = f"Bearer {token.json()['token']}"
    answer = sara.post(f"/mail/mailings/{mailing['id']}/test", json={})
    assert answer.status_code == 202 and answer.json() == {"to": "sara@angeli.example", "status": "accepted",
                                                           "reason": ""}
    assert [r.rcpt_tos for r in smtp_server.postmaster.received] == [["sara@angeli.example"]]
    assert "Natale 2026" in smtp_server.postmaster.received[0].content.decode()
    assert client_as("campaign_manager").get(f"/mail/mailings/{mailing['id']}").json()["counts"]["accepted"] == 0


def test_a_contact_list_brings_consent_to_e_mail_and_a_bad_consent_cell_is_reported(product: Product) -> None:
    app = product.services["campaigns"].application
    campaign_id, _ = campaign_with_contacts(product, 1)
    rows = ("nome;telefono;email;consenso_email\n"
            "Anna;+39 02 4000001;anna@example.org;sì\n"
            "Bruno;+39 02 4000002;bruno@example.org;forse\n"
            "Carla;+39 02 4000003;;sì\n"
            "Dario;+39 02 4000004;dario@example.org;\n")
    report = app.import_contacts(campaign_id, io.BytesIO(rows.encode()))  # type: ignore[attr-defined]
    assert report.imported == 2
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "email_consent must be sì or no (empty: no); got 'forse'"),
        (4, "email_consent is sì but the row has no e-mail address")]
    anna, dario = (app.person_id(n) for n in ("+39 02 4000001", "+39 02 4000004"))  # type: ignore[attr-defined]
    assert [(c.channel, c.purpose) for c in product.vault.consents(anna)] == [("email", "email_outreach")]
    assert product.vault.consents(dario) == []
