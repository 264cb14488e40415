"""A payment's thank-you and a donor's receipt through a real SMTP server (aiosmtpd on 127.0.0.1): the whole product,
the donations feed followed, the day's batch run by the clock, the message read back as the relay received it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower
from services.kernel.settings import MailSettings, Settings
from services.mail import merge, sending, thanks
from services.mail import template_library as library
from services.mail.thanks_reactions import DONATIONS_REACTION
from services.main import Product, build, create_api_for
from tests.conftest import api_key
from tests.mail.conftest import Server

TEXT = ("Cara {{ donor.first_name }}, grazie per il tuo dono di {{ gift.amount }} del {{ gift.date }} "
        "al fondo {{ gift.fund }}.\n{{ charity.name }}, {{ charity.address }}")
HTML = ("<p>Cara {{ donor.first_name }}, grazie per il tuo dono di {{ gift.amount }} del {{ gift.date }} "
        "al fondo {{ gift.fund }}.</p><p>{{ charity.name }}, {{ charity.address }}</p>")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Rome


@pytest.fixture
def served(tmp_path: Path, smtp_server: Server, clock: FixedClock) -> Iterator[tuple[Product, TestClient]]:
    relay = MailSettings(host="127.0.0.1", port=smtp_server.port, security="none", outbox=tmp_path / "outbox")
    product = build(Settings(mode="embedded", data_dir=tmp_path / "var", mail=relay), clock)
    client = TestClient(create_api_for(product), raise_server_exceptions=False)
    client.headers["X-API-Key"] = api_key(product, "campaign_manager")
    yield product, client
    product.stop()


def follow(product: Product, *names: str) -> int:
    return EmbeddedFollower(product.feeds, [s for s in product.subscribers if s.name in names]).catch_up()


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def received(server: Server, index: int) -> EmailMessage:
    message = message_from_bytes(server.postmaster.received[index].content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_payment_is_thanked_after_the_delay_and_a_receipt_arrives_with_its_pdf(
        served: tuple[Product, TestClient], smtp_server: Server, clock: FixedClock) -> None:
    product, client = served
    admin = TestClient(client.app, raise_server_exceptions=False)
    admin.headers["X-API-Key"] = api_key(product, "administrator")
    donor = post(admin, "/donors", {"kind": "person", "name": "Giulia Rossi", "email": "giulia@example.org",
                                    "tax_code": "RSSGLI80A41F205X"})["id"]
    fund = post(admin, "/funds", {"name": "Linea d'ascolto"})["id"]
    follow(product, DONATIONS_REACTION)
    mail = product.services["mail"].application
    template = library.create(mail, "Grazie del dono", "transactional", by=SYSTEM, once=None)
    library.publish(mail, template, "Grazie, {{ donor.first_name }}", HTML, TEXT, by=SYSTEM, once=None)
    answer = client.put(f"/mail/thanks/funds/{fund}", json={"template_id": str(template), "delay_days": 2})
    assert answer.status_code == 200, answer.text

    pledge = post(admin, "/pledges", {"donor_id": donor, "fund_id": fund, "amount": "1250.50"})["id"]
    payment = post(admin, f"/pledges/{pledge}/payments",
                   {"amount": "1250.50", "method": "bank_transfer", "reference": "BON-77"})["payment_id"]
    others = {}  # a donor with no e-mail address, and one erased after paying: nothing sent, and why
    for name, body in (("no_address", {"kind": "person", "name": "Marco Bianchi"}),
                       ("erased", {"kind": "person", "name": "Anna Verdi", "email": "anna@example.org"})):
        other = post(admin, "/donors", body)["id"]
        gift = post(admin, "/pledges", {"donor_id": other, "fund_id": fund, "amount": "10.00"})["id"]
        others[name] = post(admin, f"/pledges/{gift}/payments",
                            {"amount": "10.00", "method": "cash", "reference": name})["payment_id"]
        if name == "erased":
            post(admin, f"/privacy/persons/{other}/erase", {"reason": "the donor's request", "confirmation": other},
                 200)
    follow(product, DONATIONS_REACTION)

    assert thanks.send_due_thanks(mail).ran  # Monday's batch: not due until Wednesday
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert thanks.send_due_thanks(mail).ran
    assert smtp_server.postmaster.received == []
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    batch = thanks.send_due_thanks(mail)
    assert (batch.sent, batch.skipped) == (1, 2)
    [arrived] = smtp_server.postmaster.received
    assert arrived.rcpt_tos == ["giulia@example.org"] and arrived.mail_from.startswith("bounce+")
    letter = received(smtp_server, 0)
    assert letter["Subject"] == "Grazie, Giulia" and "giulia@example.org" in letter["To"]
    assert letter["List-Unsubscribe"] is None  # transactional: no unsubscribe link
    text = letter.get_body(("plain",))
    assert text is not None
    assert "grazie per il tuo dono di 1.250,50\xa0€ del 23 novembre 2026 al fondo Linea d'ascolto" in \
        text.get_content()
    assert client.get(f"/mail/thanks/payments/{payment}").json()["status"] == "sent"
    for why, other_payment in others.items():
        state = client.get(f"/mail/thanks/payments/{other_payment}").json()
        assert state["status"] == "skipped" and state["reason"].endswith(f"({why})")
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    thanks.send_due_thanks(mail)
    assert len(smtp_server.postmaster.received) == 1  # thanked once

    follow(product, "ledger", "transparency")  # the payment fulfilled the pledge: receipt 2026-000001
    sent = post(client, "/mail/receipts", {"donor_id": donor, "year": 2026}, 202)
    assert (sent["status"], sent["files"]) == ("accepted", ["ricevuta-2026-000001.pdf"])
    assert len(smtp_server.postmaster.received) == 2
    receipt = received(smtp_server, 1)
    assert receipt["Subject"] == "La ricevuta delle tue donazioni 2026" and receipt["List-Unsubscribe"] is None
    [attached] = list(receipt.iter_attachments())
    assert (attached.get_content_type(), attached.get_filename()) == ("application/pdf", "ricevuta-2026-000001.pdf")
    pdf = attached.get_content()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 1000
    served_pdf = admin.get("/receipts/2026/2026-000001.pdf")
    assert served_pdf.status_code == 200 and pdf == served_pdf.content  # the very document of the donor desk

    # At year end, when the plan says so: every donor of the year their receipts, once.
    assert client.put("/mail/thanks/receipts", json={"template_id": None, "year_end": True}).status_code == 200
    clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    done = thanks.send_year_end_receipts(mail, mail.receipts)
    assert (done.year, done.donors, done.sent) == (2026, 3, 1)  # no address, erased: not sent
    year_end = received(smtp_server, 2)
    assert [a.get_filename() for a in year_end.iter_attachments()] == ["ricevuta-2026-000001.pdf"]
    assert thanks.send_year_end_receipts(mail, mail.receipts, now_or_never=True).ran is False
    built_in = thanks.plan(mail).built_in_receipt_template_id
    assert built_in is not None  # even without the year's mark, the message key keeps each donor to one message
    again = sending.send_one(mail, person_id=UUID(donor), template_id=built_in, list_id="receipts",
                             message_key="receipt:2026", by=merge.access(SYSTEM))
    assert again.status == "accepted" and len(smtp_server.postmaster.received) == 3
