"""The bounce endpoint against real SMTP: a remote MTA's delivery-status notifications sent with smtplib to the
aiosmtpd server on 127.0.0.1, as `MAIL FROM:<>` then `RCPT TO:<bounce+token@domain>`."""

from __future__ import annotations

import random
import re
import smtplib
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from services.kernel.clock import FixedClock
from services.kernel.settings import MailSettings
from services.mail import people, tokens
from services.mail.application import MailApplication
from services.mail.bounce_endpoint import start_bounce_endpoint
from services.mail.bounces import Bounce, parse_bounce
from services.privacy.application import PrivacyVault
from tests.conftest import MEMORY, free_port

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = "bounces.angeli.example"
LIMIT = 64 * 1024


class Received:
    """The handler: keeps what it is handed; told to, fails as a broken event store would."""

    def __init__(self) -> None:
        self.bounces: list[Bounce] = []
        self.failing = False

    def __call__(self, bounce: Bounce) -> None:
        if self.failing:
            raise ConnectionError("event store unreachable")
        self.bounces.append(bounce)


@pytest.fixture
def received() -> Received:
    return Received()


@pytest.fixture
def port(received: Received) -> Iterator[int]:
    port = free_port()
    controller = start_bounce_endpoint("127.0.0.1", port, DOMAIN, received, max_size=LIMIT)
    try:
        yield port
    finally:
        controller.stop()


def deliver(port: int, data: bytes, to: str) -> None:
    """What a remote MTA does with a bounce: a null reverse path, one VERP recipient."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("", [to], data)


def fixture(name: str) -> bytes:
    """The hand-written notification with the CRLF line ends it has on the wire."""
    return re.sub(rb"\r?\n", b"\r\n", (FIXTURES / name).read_bytes())


def test_a_postfix_bounce_is_accepted_and_handed_over_with_its_token_from_the_envelope(
        port: int, received: Received) -> None:
    deliver(port, fixture("postfix_hard.eml"), f"bounce+Env-T0ken@{DOMAIN}")
    assert received.bounces == [Bounce("Env-T0ken", "hard", "5.1.1", "550 5.1.1 <giulia.rossi@example.org>: "
                                       "Recipient address rejected: User unknown in virtual mailbox table",
                                       "giulia.rossi@example.org")]


@pytest.mark.parametrize(("name", "token", "kind"), [
    ("postfix_delayed.eml", "nat26-marco-K2p", "soft"), ("exchange_hard.eml", "nat26-anna-Z0r", "hard"),
    ("arf_complaint.eml", "nat26-luca-P4s", "complaint"), ("exim_hard.eml", "nat26-paola-M8d", "hard"),
    ("exim_delay.eml", "nat26-sara-W5t", "soft"), ("gmail_plain.eml", "nat26-elena-H3k", "hard"),
    ("outlook_html.eml", "nat26-fabio-R9c", "hard"),
])
def test_each_shape_of_notification_arrives_as_the_parser_reads_it(
        port: int, received: Received, name: str, token: str, kind: str) -> None:
    deliver(port, fixture(name), f"BOUNCE+{token}@{DOMAIN.upper()}")
    assert [(b.token, b.kind) for b in received.bounces] == [(token, kind)]
    assert received.bounces == [parse_bounce(fixture(name), f"bounce+{token}@{DOMAIN}")]


def test_an_auto_reply_is_accepted_and_dropped(port: int, received: Received) -> None:
    deliver(port, fixture("auto_reply.eml"), f"bounce+nat26-giulia-Q7x@{DOMAIN}")
    assert received.bounces == []


@pytest.mark.parametrize("to", ["info@bounces.angeli.example", "bounce+nat26-giulia-Q7x@other.example",
                                "postmaster@bounces.angeli.example"])
def test_a_recipient_that_is_not_a_bounce_address_is_refused_550(port: int, received: Received, to: str) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(port, fixture("postfix_hard.eml"), to)
    code, reply = refused.value.recipients[to]
    assert code == 550
    assert f"accepts only bounce+<token>@{DOMAIN}".encode() in reply
    assert received.bounces == []


def test_an_oversized_message_is_refused_552_when_announced(port: int, received: Received) -> None:
    big = fixture("postfix_hard.eml") + b"x" * 76 + (b"\r\n" + b"x" * 76) * (LIMIT // 78 + 10)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        deliver(port, big, f"bounce+nat26-giulia-Q7x@{DOMAIN}")  # smtplib announces SIZE=..., refused at MAIL
    assert refused.value.smtp_code == 552


def test_an_oversized_message_is_refused_552_at_the_end_of_data(port: int, received: Received) -> None:
    big = fixture("postfix_hard.eml") + (b"y" * 76 + b"\r\n") * (LIMIT // 78 + 10)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.mail("")[0] == 250  # no SIZE parameter: the size is known only as the data arrives
        assert smtp.rcpt(f"bounce+nat26-giulia-Q7x@{DOMAIN}")[0] == 250
        code, _ = smtp.data(big)
        assert code == 552
    assert received.bounces == []


def test_garbage_is_answered_without_harming_the_server(port: int, received: Received) -> None:
    garbage = bytes(range(256)) * 40 + b"\r\nContent-Type: multipart/report; boundary=\r\n\r\n--\r\n"
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("")
        smtp.rcpt(f"bounce+x@{DOMAIN}")
        code, _ = smtp.docmd("DATA")
        assert code == 354
        smtp.send(garbage.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        code, _ = smtp.getreply()
        assert code in (250, 500, 552)
    noise = random.Random(20)
    for _ in range(5):  # short lines of random bytes: accepted, read, and found to be no bounce
        junk = b"".join(bytes(noise.randrange(256) for _ in range(70)).replace(b"\r", b"").replace(b"\n", b"") +
                        b"\r\n" for _ in range(40))
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("", [f"bounce+x@{DOMAIN}"], junk)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # a client that hangs up mid-message
        raw.recv(1024)
        raw.sendall(b"EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<bounce+y@" + DOMAIN.encode() + b">\r\nDATA\r\n\x00\xff\xfe")
    deliver(port, fixture("exim_hard.eml"), f"bounce+nat26-paola-M8d@{DOMAIN}")
    assert [b.token for b in received.bounces] == ["nat26-paola-M8d"]


def test_a_bounce_that_cannot_be_recorded_is_answered_451_and_taken_on_the_retry(
        port: int, received: Received) -> None:
    received.failing = True
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        deliver(port, fixture("postfix_hard.eml"), f"bounce+nat26-giulia-Q7x@{DOMAIN}")
    assert deferred.value.smtp_code == 451
    received.failing = False
    deliver(port, fixture("postfix_hard.eml"), f"bounce+nat26-giulia-Q7x@{DOMAIN}")  # the MTA's next attempt
    assert [b.token for b in received.bounces] == ["nat26-giulia-Q7x"]


def test_bounces_received_put_their_addresses_on_hold(vault: PrivacyVault) -> None:
    """The whole path: SMTP → parser → the token verified → the address's aggregate."""
    key = b"k" * 32
    mail = MailApplication(dict(MEMORY), vault, MailSettings(), key,
                           clock=FixedClock(datetime(2026, 12, 3, 9, tzinfo=UTC)))
    giulia, marco = UUID(int=1), UUID(int=2)
    giulia_token, marco_token = (tokens.sign(key, "bounce", who, "campaign:natale", "natale-1")
                                 for who in (giulia, marco))
    port = free_port()
    controller = start_bounce_endpoint("127.0.0.1", port, DOMAIN, lambda b: people.bounce(mail, b))
    try:
        deliver(port, fixture("postfix_hard.eml"), f"bounce+{giulia_token}@{DOMAIN}")
        deliver(port, fixture("postfix_hard.eml"), f"bounce+{giulia_token}@{DOMAIN}")  # delivered twice
        deliver(port, fixture("postfix_delayed.eml"), f"bounce+{marco_token}@{DOMAIN}")
    finally:
        controller.stop()
    assert (mail.address(str(giulia)).on_hold, mail.address(str(giulia)).bounces) == (True, 1)
    assert (mail.address(str(marco)).on_hold, mail.address(str(marco)).bounces) == (False, 1)


def test_an_unsubscribe_reply_to_the_mailto_unsubscribes(vault: PrivacyVault) -> None:
    """List-Unsubscribe's mailto: a reply to unsubscribe+<token>@<domain> is an unsubscribe, not a bounce."""
    key = b"k" * 32
    mail = MailApplication(dict(MEMORY), vault, MailSettings(), key,
                           clock=FixedClock(datetime(2026, 12, 3, 9, tzinfo=UTC)))
    anna = UUID(int=3)
    vault.put(anna, {"email": "anna@example.org"})
    token = tokens.sign(key, "unsubscribe", anna, "campaign:natale", "natale-1")
    port = free_port()
    controller = start_bounce_endpoint("127.0.0.1", port, DOMAIN, lambda b: people.bounce(mail, b),
                                       unsubscribe=lambda t: people.unsubscribe(mail, t, "mailto"))
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("anna@example.org", [f"unsubscribe+{token}@{DOMAIN}"],
                          b"Subject: unsubscribe\r\n\r\nunsubscribe\r\n")
            refused = smtp.docmd("MAIL", "FROM:<anna@example.org>"), smtp.docmd("RCPT", f"TO:<info+{token}@{DOMAIN}>")
    finally:
        controller.stop()
    assert refused[1][0] == 550
    assert people.person(mail, anna).unsubscribed_at is not None
    assert people.person(mail, anna).choices[-1].source == "mailto from "
