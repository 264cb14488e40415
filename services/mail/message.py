"""A message as it leaves: MIME built with the standard library (text and HTML alternatives, UTF-8, attachments),
the one-click unsubscribe headers of marketing mail (RFC 8058), and the per-message envelope sender (VERP)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Unsubscribe:
    """Where a recipient leaves the list: a page that confirms on GET and acts on POST, and an address."""

    url: str  # https://…/…/<token>
    mailto: str  # unsubscribe+<token>@<bounce domain>, or with ?subject=…


def message_id(key: str, domain: str) -> str:
    """The Message-ID of the message `key`: the same every time, so a resend after a crash can be recognised."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def envelope_sender(token: str, bounce_domain: str) -> str:
    """The VERP return path: a bounce comes back to an address that names its message and recipient."""
    return f"bounce+{token}@{bounce_domain}"


def build(*, key: str, sender: str, to: str, subject: str, text: str, html: str | None, date: datetime,
          attachments: Sequence[Attachment] = (), unsubscribe: Unsubscribe | None = None) -> EmailMessage:
    """One message to one recipient; `to` is an address or `Name <address>`; `unsubscribe` for marketing mail.

    A header value with a line break is refused (ValueError), so no merged value can add a header."""
    if date.tzinfo is None:
        raise ValueError(f"the date of a message must be timezone-aware; got {date!r}")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = _address(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(key, parseaddr(sender)[1].rpartition("@")[2].lower() or "localhost")
    if unsubscribe is not None:
        _check_unsubscribe(unsubscribe)
        message["List-Unsubscribe"] = f"<{unsubscribe.url}>, <mailto:{unsubscribe.mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable keeps every line short and 7-bit, whatever the relay announces (8BITMIME or not).
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


def as_bytes(message: EmailMessage) -> bytes:
    """The message as sent over SMTP: CRLF line ends, non-ASCII headers as encoded words."""
    return message.as_bytes(policy=SMTP)


def _address(to: str) -> Address:
    name, address = parseaddr(to)
    local, at, domain = address.rpartition("@")
    if not (local and at and domain) or "\n" in to or "\r" in to:
        raise ValueError(f"the recipient must be an address such as giulia@example.org; got {to!r}")
    if not address.isascii():  # it would need SMTPUTF8 from every relay on the way
        raise ValueError(f"the recipient's address must be written in ASCII (SMTPUTF8 is not used); got {address!r}")
    return Address(display_name=name, username=local, domain=domain)


def _check_unsubscribe(unsubscribe: Unsubscribe) -> None:
    # RFC 8058: the one-click URL is HTTPS; a comma or angle bracket would end the header's URL list early.
    parts = urlsplit(unsubscribe.url)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c in unsubscribe.url for c in "<>, \r\n"):
        raise ValueError(f"the unsubscribe link must be an https:// URL; got {unsubscribe.url!r}")
    if "@" not in unsubscribe.mailto or any(c in unsubscribe.mailto for c in "<>, \r\n"):
        raise ValueError(f"the unsubscribe address must be an e-mail address; got {unsubscribe.mailto!r}")
