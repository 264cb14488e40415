"""Reading delivery-status notifications: each real-world shape by its hand-written fixture, the token's fallbacks,
and never a crash (nor a bounce) from garbage."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.mail.bounces import Bounce, bounce_token, parse_bounce

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = "bounces.angeli.example"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def without(data: bytes, *headers: str) -> bytes:
    """The message with these header lines (top-level and quoted alike) taken out."""
    pattern = rb"(?im)^[ \t]*(?:" + b"|".join(h.encode() for h in headers) + rb"):.*\r?\n"
    return re.sub(pattern, b"", data)


@pytest.mark.parametrize(("name", "expected"), [
    ("postfix_hard.eml", Bounce("nat26-giulia-Q7x", "hard", "5.1.1", "550 5.1.1 <giulia.rossi@example.org>: "
                                "Recipient address rejected: User unknown in virtual mailbox table",
                                "giulia.rossi@example.org")),
    ("postfix_delayed.eml", Bounce("nat26-marco-K2p", "soft", "4.4.1", "connect to mx.example.net[198.51.100.9]:25: "
                                   "Connection timed out", "marco.bianchi@example.net")),
    ("exchange_hard.eml", Bounce("nat26-anna-Z0r", "hard", "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
                                 "Recipient not found by SMTP address lookup", "anna.verdi@contoso.example")),
    ("arf_complaint.eml", Bounce("nat26-luca-P4s", "complaint", "", "feedback report: abuse (SomeGenerator/1.0)",
                                 "luca.neri@hotmail.example")),
])
def test_standard_reports_are_read_field_by_field(name: str, expected: Bounce) -> None:
    assert parse_bounce(fixture(name)) == expected


def test_an_exim_failure_in_plain_text_is_hard_with_its_code_and_the_failed_recipient() -> None:
    bounce = parse_bounce(fixture("exim_hard.eml"), f"bounce+nat26-paola-M8d@{DOMAIN}")
    assert bounce == Bounce("nat26-paola-M8d", "hard", "5.1.1", "550 5.1.1 <paola.gallo@example.it>: Recipient "
                            "address rejected: User unknown", "paola.gallo@example.it")


def test_an_exim_delay_warning_is_soft() -> None:
    bounce = parse_bounce(fixture("exim_delay.eml"))
    assert bounce is not None
    assert (bounce.token, bounce.kind, bounce.status) == ("nat26-sara-W5t", "soft", "4.2.2")
    assert bounce.diagnostic == "452 4.2.2 <sara.colombo@example.it>: mailbox is full"
    assert bounce.recipient == "sara.colombo@example.it"


def test_a_gmail_notice_without_a_report_part_is_read_from_its_text() -> None:
    bounce = parse_bounce(fixture("gmail_plain.eml"))
    assert bounce is not None
    assert (bounce.token, bounce.kind, bounce.status, bounce.recipient) == (
        "nat26-elena-H3k", "hard", "5.1.1", "elena.ferrari@gmail.example")
    assert bounce.diagnostic.startswith("550 5.1.1 The email account that you tried to reach does not exist.")


def test_an_outlook_notice_in_base64_html_only_is_read_once_the_tags_are_taken_out() -> None:
    bounce = parse_bounce(fixture("outlook_html.eml"))
    assert bounce == Bounce("nat26-fabio-R9c", "hard", "5.1.10", "Remote Server returned '550 5.1.10 "
                            "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
                            "fabio.marino@outlook.example")


@pytest.mark.parametrize("name", ["auto_reply.eml", "human_reply.eml", "positive_dsn.eml"])
def test_auto_replies_human_replies_and_delivery_confirmations_are_not_bounces(name: str) -> None:
    """The human reply even quotes '550 5.1.1' and 'user unknown': without a daemon's shape it stays a reply."""
    assert parse_bounce(fixture(name), f"bounce+nat26-giulia-Q7x@{DOMAIN}") is None


def test_the_envelope_recipient_names_the_message_whatever_the_case_of_its_local_part() -> None:
    bounce = parse_bounce(fixture("postfix_hard.eml"), f"BOUNCE+Envelope-Tok3n@{DOMAIN.upper()}")
    assert bounce is not None and bounce.token == "Envelope-Tok3n"


def test_without_the_envelope_the_returned_headers_return_path_names_the_message() -> None:
    data = without(fixture("postfix_hard.eml"), "To", "X-Postfix-Sender")
    assert b"bounce+" in data  # only the original's Return-Path is left
    bounce = parse_bounce(data)
    assert bounce is not None and bounce.token == "nat26-giulia-Q7x"


@pytest.mark.parametrize("name", ["exchange_hard.eml", "exim_hard.eml", "gmail_plain.eml"])
def test_without_any_return_path_the_original_message_id_names_the_message(name: str) -> None:
    data = b"".join(line for line in fixture(name).splitlines(keepends=True) if b"bounce+" not in line)
    bounce = parse_bounce(data)
    assert bounce is not None and bounce.token.startswith("nat26-")


def test_a_bounce_that_names_no_message_is_not_recorded() -> None:
    data = without(fixture("outlook_html.eml"), "To")
    assert parse_bounce(data) is None


def test_bounce_addresses_are_recognised_only_at_our_domain() -> None:
    assert bounce_token(f"<Bounce+Ab_12-x@{DOMAIN}>", DOMAIN) == "Ab_12-x"
    assert bounce_token(f"bounce+Ab12@{DOMAIN}", "other.example") is None
    assert bounce_token(f"info@{DOMAIN}", DOMAIN) is None
    assert bounce_token(f"bounce+@{DOMAIN}", DOMAIN) is None


@pytest.mark.parametrize("data", [b"", b"\x00\xff" * 100, b"Content-Type: multipart/report\n\n--",
                                  b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n"
                                  b"--x\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
                                  b"!!!not base64\n--x--\n",
                                  b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\nContent-Type: "
                                  b"multipart/mixed; boundary=a\n\n" * 200])
def test_malformed_messages_are_not_bounces(data: bytes) -> None:
    assert parse_bounce(data, f"bounce+x@{DOMAIN}") is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_are_no_bounce_and_never_an_error(data: bytes) -> None:
    assert parse_bounce(data, f"bounce+x@{DOMAIN}") is None


LINES = sorted({line for path in FIXTURES.glob("*.eml") for line in path.read_bytes().splitlines(keepends=True)})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES) | st.binary(max_size=40), max_size=80))
def test_shuffled_lines_of_real_reports_give_a_well_formed_bounce_or_none(lines: list[bytes]) -> None:
    result = parse_bounce(b"".join(lines))
    assert result is None or (result.kind in ("hard", "soft", "complaint") and result.token
                              and len(result.diagnostic) <= 500)


@pytest.mark.parametrize("body", [b"<script" * 40_000, b"<br" * 100_000, b"a" * 300_000, b"-" * 300_000,
                                  b"-- copy" * 40_000, b"a@" * 150_000, b"said:" + b" " * 300_000,
                                  b"\n" * 300_000, b"error" * 60_000], ids=lambda b: repr(b[:8]))
@pytest.mark.parametrize("content_type", [b"text/plain", b"text/html"])
def test_a_bounce_shaped_message_of_one_repeated_piece_is_read_in_linear_time(content_type: bytes,
                                                                             body: bytes) -> None:
    """300 kB that a backtracking pattern would take minutes over (an HTML reader took 5 minutes on 900 kB)."""
    message = (b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
               b"Content-Type: " + content_type + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
               base64.encodebytes(body))
    started = time.perf_counter()
    assert parse_bounce(message, f"bounce+x@{DOMAIN}") is None
    assert time.perf_counter() - started < 5
