"""A campaign mailing against a real SMTP server (aiosmtpd on 127.0.0.1): 1,000 contacts, of whom 5 unsubscribed
earlier, 3 never agreed to e-mail, 2 are refused by the server and 1 bounces later by a delivery-status
notification through the product's own inbound endpoint. Every message is parsed back with the standard library."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.mail import mailings, people
from services.mail.bounce_endpoint import start_bounce_endpoint
from services.main import Product
from tests.conftest import free_port
from tests.mail.conftest import Server
from tests.mail.mailing_rig import (
    CONSENT,
    address,
    campaign_with_contacts,
    consent,
    mail_of,
    marketing_template,
    relayed,
    unsubscribed_before,
)

FIXTURES = Path(__file__).parent / "fixtures"
CONTACTS = 1000


@pytest.fixture
def embedded_settings(tmp_path: Path, smtp_server: Server) -> Settings:
    return relayed(tmp_path, smtp_server.port)


def parsed(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None, f"no text/{subtype} part"
    content: str = body.get_content()
    return content


def dsn_for(envelope_from: str, to: str) -> bytes:
    """A Postfix report that `to` does not exist, returned to the message's VERP address."""
    token = envelope_from.removeprefix("bounce+").partition("@")[0]
    text = (FIXTURES / "postfix_hard.eml").read_text()
    text = text.replace("nat26-giulia-Q7x", token).replace("giulia.rossi@example.org", to)
    return text.replace("\n", "\r\n").encode()


def test_a_mailing_to_a_thousand_contacts_reaches_exactly_those_who_agreed(
        product: Product, smtp_server: Server, client_as: object, clock: FixedClock) -> None:
    mail = mail_of(product)
    campaign_id, by_address = campaign_with_contacts(product, CONTACTS, agreed=range(3, CONTACTS))
    template_id = marketing_template(mail)
    everyone = list(by_address.values())
    no_consent, unsubscribed = set(everyone[:3]), everyone[3:8]
    held = product.vault.consents(everyone[3])  # the list's consent column, in the vault
    assert [(c.channel, c.purpose, c.text_version) for c in held] == [("email", "email_outreach", CONSENT)]
    for person_id in unsubscribed:
        unsubscribed_before(mail, person_id)
    refused = [address(500), address(700)]
    for to in refused:
        smtp_server.postmaster.refusals[to] = "550 5.1.1 user unknown"

    mailing = mailings.create(mail, campaign_id, template_id, "Annuncio Natale", by=SYSTEM, once=None)
    mailings.start(mail, mailing.id, by=SYSTEM, once=None)
    mail.runner.wait(120)

    received = smtp_server.postmaster.received
    assert len(received) == 990
    recipients = [r.rcpt_tos[0] for r in received]
    assert len(set(recipients)) == 990
    expected = {a for a, p in by_address.items() if p not in no_consent and p not in unsubscribed} - set(refused)
    assert set(recipients) == expected
    for letter in received[:50] + received[-50:]:
        message = parsed(letter.content)
        n = int(letter.rcpt_tos[0][len("donatore"):len("donatore") + 4])
        assert message["To"].addresses[0].addr_spec == letter.rcpt_tos[0]
        assert message["Subject"] == f"Nome{n}, Natale 2026 con Associazione Angeli ODV"
        text = part(message, "plain")
        assert f"Cara Nome{n} Cognome{n}," in text and "la campagna Natale 2026" in text
        assert "Via della Solidarietà 1" in text
        html = part(message, "html")
        assert f"<p>Cara Nome{n},</p>" in html
        assert letter.mail_from.startswith("bounce+") and letter.mail_from.endswith("@bounces.angeli.example")
        token = letter.mail_from.removeprefix("bounce+").partition("@")[0]
        assert message["Message-ID"].strip() == f"<{token}@angeli.example>"  # folded: it is 86 characters long
        unsubscribe = message["List-Unsubscribe"]
        assert unsubscribe.startswith("<https://angeli.example/mail/unsubscribe/")
        assert "mailto:unsubscribe+" in unsubscribe and "@bounces.angeli.example>" in unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.split("/mail/unsubscribe/")[1].split(">")[0] in text

    # Refused at RCPT: those addresses are on hold.
    for to in refused:
        state = people.person(mail, by_address[to])
        assert state.on_hold and state.hold_reason == "hard bounce 550"
        assert state.history[0].status == "refused"

    # A bounce that arrives later, through the inbound endpoint, by real SMTP.
    late = received[123]
    port = free_port()
    endpoint = start_bounce_endpoint("127.0.0.1", port, "bounces.angeli.example",
                                     lambda bounce: people.bounce(mail, bounce))
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("", [late.mail_from], dsn_for(late.mail_from, late.rcpt_tos[0]))
    finally:
        endpoint.stop()
    late_person = by_address[late.rcpt_tos[0]]
    state = people.person(mail, late_person)
    assert state.on_hold and state.history[0].status == "bounced"

    progress = mailings.progress(mail, mailing.id)
    assert progress.mailing.status == "sent"
    assert progress.counts["audience"] == CONTACTS
    assert progress.counts["excluded"] == {"no_consent": 3, "unsubscribed": 5, "on_hold": 0, "no_address": 0,
                                           "erased": 0}
    assert (progress.counts["accepted"], progress.counts["refused"], progress.counts["bounced"]) == (990, 2, 1)
    assert progress.counts["queued"] == 0

    # A second send of the same mailing sends nothing.
    mailings.start(mail, mailing.id, by=SYSTEM, once=None)
    mail.runner.wait(60)
    assert len(smtp_server.postmaster.received) == 990
    assert mailings.progress(mail, mailing.id).mailing.status == "sent"


def test_the_one_click_post_unsubscribes_and_the_get_does_not(product: Product, smtp_server: Server,
                                                               client: TestClient) -> None:
    mail = mail_of(product)
    campaign_id, by_address = campaign_with_contacts(product, 3)
    consent(mail, list(by_address.values()))
    mailing = mailings.create(mail, campaign_id, marketing_template(mail), "Annuncio", by=SYSTEM, once=None)
    mailings.start(mail, mailing.id, by=SYSTEM, once=None)
    mail.runner.wait(30)
    letter = smtp_server.postmaster.received[0]
    link = parsed(letter.content)["List-Unsubscribe"].split(",")[0].strip("<> ")
    path = link.removeprefix("https://angeli.example")
    person = by_address[letter.rcpt_tos[0]]

    page = client.get(path)
    assert page.status_code == 200 and "<form method=\"post\">" in page.text
    assert people.person(mail, person).unsubscribed_at is None  # a link scanner's GET changes nothing

    answer = client.post(path, content=b"List-Unsubscribe=One-Click",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200 and "Iscrizione annullata" in answer.text
    state = people.person(mail, person)
    assert state.unsubscribed_at is not None
    assert state.choices[-1].source == f"one-click from campaign:{campaign_id}"
    assert client.post(path).status_code == 200  # again: the same answer, nothing more recorded
    assert [c.kind for c in people.person(mail, person).choices] == ["consented", "unsubscribed"]
    assert mailings.progress(mail, mailing.id).counts["unsubscribed"] == 1

    forged = path[:-1] + ("a" if path[-1] != "a" else "b")
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404


def test_a_template_missing_a_merge_field_is_refused_at_preview(product: Product, client_as: object) -> None:
    mail = mail_of(product)
    campaign_id, _ = campaign_with_contacts(product, 2)
    template_id = marketing_template(mail, text="Cara {{ donor.nickname }},\n{{ charity.address }}\n"
                                                "{{ unsubscribe_url }}\n")
    mailing = mailings.create(mail, campaign_id, template_id, "Annuncio", by=SYSTEM, once=None)
    manager = client_as("campaign_manager")  # type: ignore[operator]
    answer = manager.get(f"/mail/mailings/{mailing.id}/preview")
    assert answer.status_code == 422
    assert "donor.nickname" in answer.text


def test_a_relay_that_is_down_is_waited_for_and_nothing_is_lost(product: Product, smtp_server: Server) -> None:
    mail = mail_of(product)
    mail.runner.retry_seconds = 0.5
    campaign_id, by_address = campaign_with_contacts(product, 20)
    consent(mail, list(by_address.values()))
    mailing = mailings.create(mail, campaign_id, marketing_template(mail), "Annuncio", by=SYSTEM, once=None)
    mail.settings = replace(mail.settings, port=free_port())  # the relay is down before the first message
    mailings.start(mail, mailing.id, by=SYSTEM, once=None)
    waiting = _until(lambda: mailings.progress(mail, mailing.id).mailing.relay_waiting_since is not None)
    assert waiting
    progress = mailings.progress(mail, mailing.id)
    assert progress.counts["queued"] == 20 and progress.counts["accepted"] == 0
    assert progress.mailing.status == "sending"
    back = Controller(smtp_server.postmaster, hostname="127.0.0.1", port=mail.settings.port)
    back.start()  # the relay is back
    try:
        mail.runner.wait(60)
    finally:
        back.stop()
    progress = mailings.progress(mail, mailing.id)
    assert progress.counts["accepted"] == 20 and progress.mailing.relay_waiting_since is None
    assert sorted(r.rcpt_tos[0] for r in smtp_server.postmaster.received) == sorted(by_address)


def _until(condition: object, seconds: float = 20.0) -> bool:
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False
