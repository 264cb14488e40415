"""What the console's outbox page reads: the newest messages of the local outbox folder (an installation with no
relay) and one of them taken apart (headers, text part, HTML part, attachments). Reads only; the messages hold
personal data (names, addresses, merged text), so only the roles that write mail read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from services.kernel.errors import DomainError, NotFound
from services.mail.application import MailApplication
from services.mail.transport import NotInOutbox, Outbox

ATTACHMENT_NAME_CHARS = 200


class MailGoesThroughRelay(DomainError):
    """A relay is configured: messages leave through it and no outbox folder is written. Maps to 409."""


@dataclass(frozen=True)
class Listed:
    name: str
    at: datetime  # when the message was written into the outbox
    sender: str
    to: str
    subject: str
    size: int  # bytes on disk, as sent


@dataclass(frozen=True)
class Attached:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Opened:
    name: str
    at: datetime
    size: int
    headers: tuple[tuple[str, str], ...]  # every header in order, as the recipient's mail program sees them
    text: str | None
    html: str | None
    attachments: tuple[Attached, ...]


def letters(app: MailApplication, limit: int) -> list[Listed]:
    """The newest `limit` messages of the outbox, newest first."""
    outbox = _outbox(app)
    return [Listed(letter.name, _written_at(letter.name), letter.sender, letter.to, letter.subject,
                   _size(outbox, letter.name)) for letter in outbox.list(limit)]


def letter(app: MailApplication, name: str) -> Opened:
    """The message `name` of the list, taken apart; NotFound for a name that is not an outbox message."""
    outbox = _outbox(app)
    try:
        message = outbox.read(name)
    except NotInOutbox as missing:
        raise NotFound(str(missing)) from None
    return Opened(name, _written_at(name), _size(outbox, name), tuple((k, str(v)) for k, v in message.items()),
                  _part(message, "plain"), _part(message, "html"), tuple(_attachments(message)))


def _outbox(app: MailApplication) -> Outbox:
    outbox = app.outbox()
    if outbox is None:
        raise MailGoesThroughRelay("mail goes through the SMTP relay (ANGELI_SMTP_HOST is set), so there is no local "
                                   "outbox to show: look for the messages in the relay's own logs")
    return outbox


def _written_at(name: str) -> datetime:
    """The instant the outbox wrote the message, which names its file (20261123T090000.000000Z-….eml)."""
    return datetime.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)


def _size(outbox: Outbox, name: str) -> int:
    try:
        return (outbox.folder / name).stat().st_size
    except FileNotFoundError:  # removed between the listing and now
        return 0


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype or body.is_attachment():
        return None
    content = body.get_content()
    # As sent over SMTP the lines end in CRLF; shown, they end as any text's do.
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


def _attachments(message: EmailMessage) -> list[Attached]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        filename = (part.get_filename() or "")[:ATTACHMENT_NAME_CHARS]
        found.append(Attached(filename, part.get_content_type(), len(payload) if isinstance(payload, bytes) else 0))
    return found


__all__ = ["Attached", "Listed", "MailGoesThroughRelay", "Opened", "letter", "letters"]
