"""The outbox routes: with no relay, the messages written into the local folder are listed newest first and one is
taken apart (headers, text part, HTML part, attachments); with a relay there is no outbox (409); names that are not
an outbox message's are refused; only the roles that write mail read them (they hold personal data)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.mail.application import MailApplication
from services.mail.message import Attachment, Unsubscribe, build
from services.main import Product
from tests.conftest import RoleClient, api_key


def mail_of(product: Product) -> MailApplication:
    application = product.services["mail"].application
    assert isinstance(application, MailApplication)
    return application


def written(product: Product, clock: FixedClock, name: str, subject: str, *, attachment: bool = False) -> None:
    """A message to `name` written into the product's outbox, a minute after the one before."""
    address = f"{name.lower()}@example.org"
    message = build(key=f"natale/{name}", sender="Associazione Angeli <info@angeli.example>",
                    to=f"{name} Rossi <{address}>", subject=subject, text=f"Cara {name}, grazie di cuore.\n",
                    html=f"<p>Cara <b>{name}</b>, grazie.</p><script>alert(1)</script>", date=clock.now(),
                    attachments=[Attachment("ricevuta-2026-17.pdf", b"%PDF-1.7\n%%EOF\n")] if attachment else (),
                    unsubscribe=Unsubscribe("https://angeli.example/mail/unsubscribe/abc",
                                            "unsubscribe+abc@angeli.example"))
    way = mail_of(product).transport()
    way.send(message, "bounce+abc@angeli.example", address)
    clock.advance(timedelta(minutes=1))


def test_the_outbox_lists_the_newest_messages_first_with_when_from_to_subject_and_size(
        client: TestClient, product: Product, clock: FixedClock) -> None:
    written(product, clock, "Giulia", "Natale 2026: una nuova linea d'ascolto")
    written(product, clock, "Marco", "Grazie, Marco", attachment=True)

    answer = client.get("/mail/outbox")

    assert answer.status_code == 200
    letters = answer.json()
    assert [(x["to"], x["subject"]) for x in letters] == [
        ("Marco Rossi <marco@example.org>", "Grazie, Marco"),
        ("Giulia Rossi <giulia@example.org>", "Natale 2026: una nuova linea d'ascolto")]
    assert letters[0]["sender"] == "Associazione Angeli <info@angeli.example>"
    assert letters[0]["at"].startswith("2026-11-23T09:01:00") and letters[1]["at"].startswith("2026-11-23T09:00:00")
    assert letters[0]["size"] > letters[1]["size"] > 300  # the attachment is counted
    assert client.get("/mail/outbox", params={"limit": 1}).json()[0]["to"].startswith("Marco")


def test_one_message_is_shown_with_its_headers_parts_and_attachments(client: TestClient, product: Product,
                                                                     clock: FixedClock) -> None:
    written(product, clock, "Marco", "Grazie, Marco", attachment=True)
    name = client.get("/mail/outbox").json()[0]["name"]

    shown = client.get(f"/mail/outbox/{name}").json()

    headers = dict(shown["headers"])
    assert headers["Subject"] == "Grazie, Marco" and headers["Return-Path"] == "<bounce+abc@angeli.example>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert shown["text"] == "Cara Marco, grazie di cuore.\n"
    assert shown["html"].startswith("<p>Cara <b>Marco</b>, grazie.</p>")  # as sent: the page frames it, sandboxed
    assert shown["attachments"] == [{"filename": "ricevuta-2026-17.pdf", "content_type": "application/pdf",
                                     "size": 15}]


@pytest.mark.parametrize("name", ["20261123T090000.000000Z-nothere.eml", "..%2F..%2Fsecrets%2Fmail_token_key",
                                  "passwd", "20261123T090000.000000Z-abc.eml.tmp"])
def test_a_name_that_is_no_outbox_message_is_404(client: TestClient, name: str) -> None:
    assert client.get(f"/mail/outbox/{name}").status_code == 404


def test_an_empty_outbox_is_an_empty_list(client: TestClient) -> None:
    assert client.get("/mail/outbox").json() == []


@pytest.mark.parametrize("limit", [0, 1001, "many"])
def test_a_bad_limit_is_a_422(client: TestClient, limit: object) -> None:
    assert client.get("/mail/outbox", params={"limit": limit}).status_code == 422


@pytest.mark.parametrize(("role", "status"), [("campaign_manager", 200), ("coordinator", 403), ("auditor", 403),
                                              ("volunteer", 403), ("viewer", 403), ("public", 401)])
def test_only_the_roles_that_write_mail_read_the_outbox(client_as: RoleClient, role: str, status: int) -> None:
    assert client_as(role).get("/mail/outbox").status_code == status


@pytest.fixture
def relayed(tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    """The product with an SMTP relay set: mail leaves through it, no outbox is written."""
    from services.main import build as build_product
    from services.main import create_api_for

    plain = Settings(mode="embedded", data_dir=tmp_path / "var")
    product = build_product(replace(plain, mail=replace(plain.mail, host="smtp.angeli.example",
                                                        public_url="https://angeli.example")), clock)
    client = TestClient(create_api_for(product), raise_server_exceptions=False)
    client.headers["X-API-Key"] = api_key(product, "administrator")
    yield client
    product.stop()


def test_with_a_relay_configured_the_outbox_says_mail_goes_through_the_relay(relayed: TestClient) -> None:
    for path in ("/mail/outbox", "/mail/outbox/20261123T090000.000000Z-abc.eml"):
        answer = relayed.get(path)
        assert answer.status_code == 409
        assert "relay" in answer.json()["detail"]
