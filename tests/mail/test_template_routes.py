"""The template routes: a campaign manager creates, publishes, renames and retires templates; a draft is previewed
with a real donor's data (a read in the access trail with purpose e-mail) or sample data, and a merge field the
record lacks is a 422 naming it; bad input stores nothing; coordinators and auditors read, volunteers nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.main import Product
from tests.conftest import RoleClient

FOOTER_HTML = "<p>{{ charity.name }}, {{ charity.address }}</p>"
FOOTER_TEXT = "{{ charity.name }}, {{ charity.address }}"
NATALE = {
    "subject": "Natale 2026: {{ campaign.name }}",
    "html": "<p>Cara {{ donor.first_name }}, apriamo una nuova linea d'ascolto.</p>" + FOOTER_HTML
            + '<p><a href="{{ unsubscribe_url }}">Non ricevere più queste e-mail</a></p>',
    "text": "Cara {{ donor.first_name }}, apriamo una nuova linea d'ascolto.\n" + FOOTER_TEXT
            + "\nPer non ricevere più queste e-mail: {{ unsubscribe_url }}",
}


def created(client: TestClient, name: str = "Natale 2026", kind: str = "marketing") -> dict[str, Any]:
    answer = client.post("/mail/templates", json={"name": name, "kind": kind})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def giulia(client: TestClient) -> str:
    """A donor whose name and e-mail are in the vault; her id is her person id."""
    answer = client.post("/donors", json={"kind": "person", "name": "Giulia Bianchi", "email": "giulia@example.org"})
    assert answer.status_code == 201, answer.text
    donor_id: str = answer.json()["id"]
    return donor_id


@pytest.fixture
def manager(client_as: RoleClient) -> TestClient:
    return client_as("campaign_manager")


def test_a_campaign_manager_creates_publishes_and_reads_a_template_with_its_versions(manager: TestClient) -> None:
    template = created(manager)
    assert template["versions"] == [] and template["kind"] == "marketing" and not template["retired"]

    first = manager.post(f"/mail/templates/{template['id']}/versions", json=NATALE)
    second = manager.post(f"/mail/templates/{template['id']}/versions", json={**NATALE, "subject": "Un anno insieme"})

    assert first.status_code == 201 and second.status_code == 201, second.text
    read = manager.get(f"/mail/templates/{template['id']}").json()
    assert [(v["number"], v["subject"]) for v in read["versions"]] == [
        (1, "Natale 2026: {{ campaign.name }}"), (2, "Un anno insieme")]
    assert read["versions"][0]["fields"] == ["campaign.name", "charity.address", "charity.name", "donor.first_name",
                                             "unsubscribe_url"]
    assert read["versions"][0]["published_by"] == "api_key:tests as campaign_manager"
    listed = manager.get("/mail/templates").json()
    assert [(t["name"], t["versions"], t["retired"]) for t in listed] == [("Natale 2026", 2, False)]


def test_rename_and_retire_and_a_retired_template_takes_no_new_version(manager: TestClient) -> None:
    template = created(manager, "Auguri")
    renamed = manager.post(f"/mail/templates/{template['id']}/rename", json={"name": "Auguri di Natale"})
    retired = manager.post(f"/mail/templates/{template['id']}/retire")
    refused = manager.post(f"/mail/templates/{template['id']}/versions", json=NATALE)

    assert renamed.json()["name"] == "Auguri di Natale"
    assert retired.status_code == 200 and retired.json()["retired"] and retired.json()["retired_at"]
    assert refused.status_code == 409 and "retired" in refused.json()["detail"]
    assert manager.get(f"/mail/templates/{template['id']}").json()["versions"] == []


def test_a_marketing_version_without_the_unsubscribe_link_is_refused_and_nothing_is_stored(
        manager: TestClient) -> None:
    template = created(manager)
    lacking = {**NATALE, "html": "<p>Cara {{ donor.first_name }}</p>" + FOOTER_HTML}

    answer = manager.post(f"/mail/templates/{template['id']}/versions", json=lacking)

    assert answer.status_code == 422
    assert answer.json()["error"] == "MissingRequiredPiece"
    assert "the HTML part lacks {{ unsubscribe_url }}" in answer.json()["detail"]
    assert manager.get(f"/mail/templates/{template['id']}").json()["versions"] == []


@pytest.mark.parametrize(("body", "said"), [
    ({"subject": "", "html": "<p>x</p>", "text": "x"}, "the subject must be 1 to 200 characters"),
    ({"subject": "Ciao", "html": "<p>{{ donor.first_name </p>", "text": "x"},
     "the HTML part has a syntax error on line 1"),
    ({"subject": "Ciao", "html": "<p>x</p>", "text": "   "}, "the text part must not be empty"),
    ({"subject": "Ciao", "html": "<p>x</p>"}, "text"),
    ({"subject": "Ciao", "html": "<p>x</p>", "text": "x", "sender": "x"}, "sender"),
])
def test_an_invalid_version_is_a_422_saying_what_to_fix_and_stores_nothing(manager: TestClient, body: dict[str, str],
                                                                           said: str) -> None:
    template = created(manager, kind="transactional")

    answer = manager.post(f"/mail/templates/{template['id']}/versions", json=body)

    assert answer.status_code == 422 and said in answer.json()["detail"]
    assert manager.get(f"/mail/templates/{template['id']}").json()["versions"] == []


@pytest.mark.parametrize(("body", "said"), [
    ({"name": "   ", "kind": "marketing"}, "name must be 1 to 120 characters"),
    ({"name": "x" * 121, "kind": "marketing"}, "name must be 1 to 120 characters"),
    ({"name": "Riga\nspezzata", "kind": "marketing"}, "on one line"),
    ({"name": "Natale", "kind": "newsletter"}, "kind"),
])
def test_a_template_with_a_bad_name_or_kind_is_refused_and_not_listed(manager: TestClient, body: dict[str, str],
                                                                      said: str) -> None:
    answer = manager.post("/mail/templates", json=body)

    assert answer.status_code == 422 and said in answer.json()["detail"]
    assert manager.get("/mail/templates").json() == []


def test_a_draft_is_previewed_with_a_real_donors_data_and_the_read_is_in_the_access_trail(
        client: TestClient, product: Product) -> None:
    template = created(client)
    donor = giulia(client)

    answer = client.post(f"/mail/templates/{template['id']}/preview",
                         json={**NATALE, "person_id": donor, "campaign": "Natale 2026"})

    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["person_id"] == donor and shown["subject"] == "Natale 2026: Natale 2026"
    assert "Cara Giulia, apriamo" in shown["html"] and "Via della Solidarietà 1" in shown["text"]
    assert shown["publishable"] and shown["problem"] == "" and shown["missing"] == []
    assert "donor.first_name" in shown["fields"]
    product.catch_up()  # the access trail's read model follows its events
    reads = client.get("/privacy/access", params={"person_id": donor, "purpose": "e-mail"}).json()["accesses"]
    assert [(r["purpose"], r["outcome"]) for r in reads] == [("e-mail", "read")], reads
    assert client.get(f"/mail/templates/{template['id']}").json()["versions"] == []  # a preview publishes nothing


def test_a_draft_is_previewed_with_sample_data_when_no_person_is_given(manager: TestClient) -> None:
    template = created(manager)

    shown = manager.post(f"/mail/templates/{template['id']}/preview", json=NATALE).json()

    assert shown["person_id"] is None and "Cara Ada" in shown["text"]
    assert "https://angeli.example/mail/unsubscribe/" in shown["html"]


def test_a_merge_field_the_record_lacks_is_a_422_naming_the_field_and_the_part(manager: TestClient) -> None:
    template = created(manager)
    draft = {**NATALE, "html": NATALE["html"] + "<p>{{ donor.nickname }}</p>"}

    answer = manager.post(f"/mail/templates/{template['id']}/preview", json=draft)

    assert answer.status_code == 422
    assert answer.json() | {"detail": ""} == {"detail": "", "error": "MissingMergeField", "field": "donor.nickname",
                                               "part": "html"}
    assert "donor.nickname" in answer.json()["detail"]


def test_a_field_under_a_condition_is_named_missing_and_the_draft_still_renders(manager: TestClient) -> None:
    template = created(manager)
    draft = {**NATALE, "text": NATALE["text"] + "\n{% if donor.nickname is defined %}{{ donor.nickname }}{% endif %}"}

    shown = manager.post(f"/mail/templates/{template['id']}/preview", json=draft).json()

    assert shown["missing"] == ["donor.nickname"] and "donor.nickname" in shown["fields"]


def test_a_draft_lacking_a_required_piece_is_previewed_and_said_not_publishable(manager: TestClient) -> None:
    template = created(manager)
    draft = {**NATALE, "text": "Cara {{ donor.first_name }}\n" + FOOTER_TEXT}

    shown = manager.post(f"/mail/templates/{template['id']}/preview", json=draft).json()

    assert not shown["publishable"] and "the text part lacks {{ unsubscribe_url }}" in shown["problem"]
    assert "Cara Ada" in shown["text"]


@pytest.mark.parametrize(("person", "status"), [("00000000-0000-4000-8000-000000000000", 404), ("nobody", 422)])
def test_a_preview_for_an_unknown_person_says_so(manager: TestClient, person: str, status: int) -> None:
    template = created(manager)

    answer = manager.post(f"/mail/templates/{template['id']}/preview", json={**NATALE, "person_id": person})

    assert answer.status_code == status


def test_a_preview_of_an_unknown_template_is_404(manager: TestClient) -> None:
    answer = manager.post("/mail/templates/00000000-0000-4000-8000-000000000000/preview", json=NATALE)
    assert answer.status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "auditor"])
def test_coordinators_and_auditors_read_templates_but_change_nothing(client: TestClient, client_as: RoleClient,
                                                                     role: str) -> None:
    template = created(client)
    reader = client_as(role)

    assert reader.get("/mail/templates").status_code == 200
    assert reader.get(f"/mail/templates/{template['id']}").status_code == 200
    assert reader.post("/mail/templates", json={"name": "X", "kind": "marketing"}).status_code == 403
    assert reader.post(f"/mail/templates/{template['id']}/versions", json=NATALE).status_code == 403
    assert reader.post(f"/mail/templates/{template['id']}/preview", json=NATALE).status_code == 403


@pytest.mark.parametrize("role", ["volunteer", "viewer"])
def test_volunteers_and_viewers_do_not_read_templates(client_as: RoleClient, role: str) -> None:
    assert client_as(role).get("/mail/templates").status_code == 403
