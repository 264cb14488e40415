"""The relay transport against a real SMTP server: what the server receives, parsed back with the standard library;
refusals per recipient on one connection; TLS verified; the password never said."""

from __future__ import annotations

import logging
import time
import traceback
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from uuid import UUID

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.kernel.settings import MailSettings
from services.mail.message import Attachment, Unsubscribe, build, envelope_sender
from services.mail.tokens import sign, verify
from services.mail.transport import Accepted, Refused, Relay, RelayDown
from tests.conftest import free_port
from tests.mail.conftest import RELAY_PASSWORD, RELAY_USER, Postmaster, Server, serve

KEY = bytes(range(32))
GIULIA = UUID("6f1c2a4e-6b3d-4c1e-9a57-2f0d1b9e8c11")
AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def relay_for(server: Server, **changes: object) -> MailSettings:
    fields: dict[str, object] = {"host": "127.0.0.1", "port": server.port, "security": "none",
                                 "bounce_domain": "bounces.angeli.example", **changes}
    return MailSettings(**fields)  # type: ignore[arg-type]


def natale(to: str = "Giulia Bianchi <giulia@example.org>", key: str = "natale-2026/giulia") -> EmailMessage:
    token = sign(KEY, "unsubscribe", GIULIA, "natale-2026", key)
    return build(key=key, sender="Associazione Angeli <info@angeli.example>", to=to,
                 subject="Natale 2026: un pranzo per chi è solo",
                 text="Cara Giulia,\nperché il Natale è di tutti: più di 300 pranzi.\n",
                 html="<p>Cara Giulia,</p><p>perché il Natale è di <b>tutti</b>.</p>", date=AT,
                 attachments=[Attachment("ricevuta-2026-0042.pdf", PDF)],
                 unsubscribe=Unsubscribe(f"https://angeli.example/mail/unsubscribe/{token}",
                                         f"unsubscribe+{token}@bounces.angeli.example"))


def bounce_address(key: str = "natale-2026/giulia") -> str:
    return envelope_sender(sign(KEY, "bounce", GIULIA, "natale-2026", key), "bounces.angeli.example")


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_marketing_message_arrives_with_its_headers_both_parts_the_receipt_and_the_verp_sender(
        smtp_server: Server) -> None:
    with Relay(relay_for(smtp_server)) as relay:
        outcome = relay.send(natale(), bounce_address(), "giulia@example.org")
    assert outcome == Accepted("giulia@example.org")
    [received] = smtp_server.postmaster.received
    assert received.mail_from == bounce_address() and received.rcpt_tos == ["giulia@example.org"]
    assert verify(KEY, received.mail_from.removeprefix("bounce+").partition("@")[0], "bounce").recipient == GIULIA
    mail = parsed(received.content)
    assert mail["Message-ID"] == natale()["Message-ID"]
    assert mail["Subject"] == "Natale 2026: un pranzo per chi è solo"
    assert mail["List-Unsubscribe"].startswith("<https://angeli.example/mail/unsubscribe/")
    assert ", <mailto:unsubscribe+" in mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    assert "perché il Natale è di tutti: più di 300 pranzi." in text.get_content()
    assert "perché il Natale è di <b>tutti</b>" in html.get_content()
    [receipt] = list(mail.iter_attachments())
    assert (receipt.get_filename(), receipt.get_content_type(), receipt.get_content()) == (
        "ricevuta-2026-0042.pdf", "application/pdf", PDF)


def test_a_refused_recipient_is_a_permanent_refusal_and_the_others_still_go_on_the_same_connection(
        smtp_server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="services.mail")
    smtp_server.postmaster.refusals["nessuno@example.org"] = "550 5.1.1 <nessuno@example.org>: no such user"
    with Relay(relay_for(smtp_server)) as relay:
        outcomes = [relay.send(natale(to=address, key=f"natale-2026/{address}"), bounce_address(), address)
                    for address in ("giulia@example.org", "nessuno@example.org", "marco@example.org")]
    assert outcomes == [Accepted("giulia@example.org"),
                        Refused(550, "5.1.1 <nessuno@example.org>: no such user", permanent=True),
                        Accepted("marco@example.org")]
    received = smtp_server.postmaster.received
    assert [r.rcpt_tos for r in received] == [["giulia@example.org"], ["marco@example.org"]]
    assert received[0].peer == received[1].peer  # one connection for all three
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("services.mail")]
    assert any("refused a message: 550" in line for line in logged)
    assert not any("nessuno" in line for line in logged)  # an address is personal data: not in the logs


def test_a_recipient_refused_for_now_is_a_temporary_refusal(smtp_server: Server) -> None:
    smtp_server.postmaster.refusals["giulia@example.org"] = "451 4.3.0 mailbox busy, try later"
    with Relay(relay_for(smtp_server)) as relay:
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Refused(
            451, "4.3.0 mailbox busy, try later", permanent=False)
        del smtp_server.postmaster.refusals["giulia@example.org"]
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Accepted("giulia@example.org")


def test_a_relay_closing_the_connection_at_the_start_of_a_message_is_asked_again_on_a_new_one(
        smtp_server: Server) -> None:
    smtp_server.postmaster.closing = 1
    with Relay(relay_for(smtp_server)) as relay:
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Accepted("giulia@example.org")
    assert smtp_server.postmaster.mails == 2 and len(smtp_server.postmaster.received) == 1


def test_a_message_refused_after_its_content_is_a_refusal_too(smtp_server: Server) -> None:
    smtp_server.postmaster.content_refusals["giulia@example.org"] = "554 5.7.1 message refused as spam"
    with Relay(relay_for(smtp_server)) as relay:
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Refused(
            554, "5.7.1 message refused as spam", permanent=True)
        assert relay.send(natale(), bounce_address(), "marco@example.org") == Accepted("marco@example.org")


def test_a_relay_that_is_down_raises_relay_down_naming_host_and_port() -> None:
    port = free_port()
    relay = Relay(MailSettings(host="127.0.0.1", port=port, security="none"), timeout=2)
    with pytest.raises(RelayDown, match=rf"the SMTP relay 127\.0\.0\.1:{port} cannot be reached \(none\): "
                                        "ConnectionRefusedError"):
        relay.send(natale(), bounce_address(), "giulia@example.org")


def test_a_connection_the_relay_closed_while_idle_is_opened_again() -> None:
    with contextmanager(serve)(Postmaster(), timeout=0.3) as server:  # it hangs up after 0.3 s of silence
        with Relay(relay_for(server)) as relay:
            assert relay.send(natale(), bounce_address(), "giulia@example.org") == Accepted("giulia@example.org")
            time.sleep(0.8)
            assert relay.send(natale(), bounce_address(), "marco@example.org") == Accepted("marco@example.org")
        first, second = server.postmaster.received
        assert first.peer != second.peer


def test_starttls_upgrades_the_connection_and_checks_the_relays_certificate(starttls_server: Server) -> None:
    with Relay(relay_for(starttls_server, security="starttls"), tls=starttls_server.client_tls()) as relay:
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Accepted("giulia@example.org")
    assert starttls_server.postmaster.received[0].tls


def test_a_relay_whose_certificate_nobody_vouches_for_is_not_trusted(starttls_server: Server) -> None:
    relay = Relay(relay_for(starttls_server, security="starttls"), timeout=5)  # the system's trusted authorities
    with pytest.raises(RelayDown, match="certificate verify failed"):
        relay.send(natale(), bounce_address(), "giulia@example.org")
    assert starttls_server.postmaster.received == []


def test_implicit_tls_speaks_tls_from_the_first_byte(tls_server: Server) -> None:
    with Relay(relay_for(tls_server, security="tls"), tls=tls_server.client_tls()) as relay:
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Accepted("giulia@example.org")
    assert tls_server.postmaster.received[0].tls


def test_a_relay_that_asks_for_a_login_gets_it_over_tls(login_server: Server) -> None:
    settings = relay_for(login_server, security="starttls", user=RELAY_USER, password=RELAY_PASSWORD)
    with Relay(settings, tls=login_server.client_tls()) as relay:
        assert relay.send(natale(), bounce_address(), "giulia@example.org") == Accepted("giulia@example.org")
    assert login_server.postmaster.received[0].login == RELAY_USER


def test_a_refused_login_names_the_user_and_never_the_password_in_errors_or_logs(
        login_server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Parola-Sbagliata-Natale-2026"
    for password in (wrong, RELAY_PASSWORD):  # the wrong one refused; the right one used, and said nowhere either
        relay = Relay(relay_for(login_server, security="starttls", user=RELAY_USER, password=password),
                      tls=login_server.client_tls())
        try:
            relay.send(natale(), bounce_address(), "giulia@example.org")
        except RelayDown as error:
            told = "".join(traceback.format_exception(error)) + repr(error)
            assert f"refused the login of '{RELAY_USER}'" in told and "535" in told
            assert wrong not in told and RELAY_PASSWORD not in told
        finally:
            relay.close()
    assert len(login_server.postmaster.received) == 1
    logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
    assert "connected to the SMTP relay" in logged
    assert wrong not in logged and RELAY_PASSWORD not in logged
    assert RELAY_PASSWORD not in repr(relay_for(login_server, user=RELAY_USER, password=RELAY_PASSWORD))


def test_with_a_dkim_key_the_message_carries_a_signature_that_verifies(smtp_server: Server) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    record = b"v=DKIM1; k=rsa; p=" + __import__("base64").b64encode(public)
    settings = relay_for(smtp_server, sender="Associazione Angeli <info@angeli.example>", dkim_selector="angeli2026",
                         dkim_key=pem)
    with Relay(settings) as relay:
        relay.send(natale(), bounce_address(), "giulia@example.org")
    content = smtp_server.postmaster.received[0].content

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"angeli2026._domainkey.angeli.example." else b""

    assert dkim.verify(content, dnsfunc=dns)
    signature = parsed(content)["DKIM-Signature"]
    assert "d=angeli.example" in signature and "list-unsubscribe-post" in signature.lower()
    tampered = content.replace(b"Cara Giulia", b"Cara Marta")
    assert tampered != content and not dkim.verify(tampered, dnsfunc=dns)


def test_a_dkim_key_that_cannot_sign_is_refused_when_the_relay_is_made(smtp_server: Server) -> None:
    with pytest.raises(ValueError, match="the DKIM key cannot sign"):
        Relay(relay_for(smtp_server, dkim_selector="angeli2026",
                        dkim_key=b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"))
