"""A message is built with the standard library: text and HTML alternatives in UTF-8, an attachment, the one-click
unsubscribe headers, and a Message-ID that a resend repeats."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from services.mail.message import Attachment, Unsubscribe, as_bytes, build, envelope_sender, message_id

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SENDER = "Associazione Angeli <info@angeli.example>"
UNSUBSCRIBE = Unsubscribe(url="https://angeli.example/mail/unsubscribe/abc234",
                          mailto="unsubscribe+abc234@bounces.angeli.example")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def natale(**changes: object) -> EmailMessage:
    fields: dict[str, object] = dict(
        key="mailing-natale-2026/giulia", sender=SENDER, to="Giulia Bianchi <giulia@example.org>",
        subject="Natale 2026: un pranzo per chi è solo", text="Cara Giulia,\nperché il Natale è di tutti.\n",
        html="<p>Cara Giulia,</p><p>perché il Natale è di <b>tutti</b>.</p>", date=AT, unsubscribe=UNSUBSCRIBE)
    return build(**{**fields, **changes})  # type: ignore[arg-type]


def parsed(message: EmailMessage) -> EmailMessage:
    back = message_from_bytes(as_bytes(message), policy=default)
    assert isinstance(back, EmailMessage)
    return back


def test_a_marketing_message_has_both_parts_in_utf8_and_the_one_click_unsubscribe_headers() -> None:
    mail = parsed(natale())
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        SENDER, "Giulia Bianchi <giulia@example.org>", "Natale 2026: un pranzo per chi è solo")
    assert mail["Date"].datetime == AT
    assert mail["List-Unsubscribe"] == ("<https://angeli.example/mail/unsubscribe/abc234>, "
                                        "<mailto:unsubscribe+abc234@bounces.angeli.example>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == "Cara Giulia,\nperché il Natale è di tutti.\n"
    assert "perché il Natale è di <b>tutti</b>" in html.get_content()
    assert text.get_content_charset() == "utf-8"


def test_the_wire_form_is_seven_bit_with_crlf_line_ends() -> None:
    raw = as_bytes(natale(to="Niccolò Rossi <niccolo@example.org>"))
    assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert parsed(natale(to="Niccolò Rossi <niccolo@example.org>"))["To"] == "Niccolò Rossi <niccolo@example.org>"


def test_the_message_id_follows_from_the_key_so_a_resend_carries_the_same() -> None:
    first, again, other = natale(), natale(date=datetime(2026, 11, 24, tzinfo=UTC)), natale(key="mailing-x/giulia")
    assert first["Message-ID"] == again["Message-ID"] == message_id("mailing-natale-2026/giulia", "angeli.example")
    assert other["Message-ID"] != first["Message-ID"]
    assert first["Message-ID"].endswith("@angeli.example>")


def test_transactional_mail_has_no_unsubscribe_headers_and_may_be_text_only() -> None:
    mail = parsed(natale(unsubscribe=None, html=None))
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
    assert mail.get_content_type() == "text/plain"


def test_a_receipt_is_attached_as_a_pdf_beside_the_two_parts() -> None:
    mail = parsed(natale(attachments=[Attachment("ricevuta-2026-0042.pdf", PDF)]))
    assert mail.get_content_type() == "multipart/mixed"
    [receipt] = list(mail.iter_attachments())
    assert (receipt.get_content_type(), receipt.get_filename(), receipt.get_content()) == (
        "application/pdf", "ricevuta-2026-0042.pdf", PDF)
    assert mail.get_body(("html",)) is not None and mail.get_body(("plain",)) is not None


def test_the_envelope_sender_is_the_verp_address() -> None:
    assert envelope_sender("abc234", "bounces.angeli.example") == "bounce+abc234@bounces.angeli.example"


@pytest.mark.parametrize("changes", [
    {"subject": "Natale\r\nBcc: everyone@example.org"},
    {"to": "giulia@example.org\r\nBcc: everyone@example.org"},
    {"to": "Giulia"},
    {"to": "Niccolò <niccolò@example.org>"},
    {"date": datetime(2026, 11, 23, 9, 30)},
    {"unsubscribe": Unsubscribe(url="javascript:alert(1)", mailto="u@angeli.example")},
    {"unsubscribe": Unsubscribe(url="https://angeli.example/u/1>, <https://evil.example", mailto="u@angeli.example")},
    {"unsubscribe": Unsubscribe(url="https://angeli.example/u/1", mailto="nobody")},
])
def test_a_value_that_would_add_a_header_or_break_one_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # each case its own message: the point is that none is built
        natale(**changes)
