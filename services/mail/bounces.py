"""Delivery-status notifications read: an inbound message (bytes) → the Bounce it reports, or None when it is not one.

Three shapes arrive at the bounce address: RFC 3464 delivery-status reports (`multipart/report;
report-type=delivery-status`: Action failed with Status 5.x.x is hard, 4.x.x or Action delayed is soft), RFC 5965
feedback reports (`report-type=feedback-report`: a recipient marked the mail as spam, a complaint), and the plain
text that some MTAs still write (Exim, old Postfix, webmail providers), read by their status codes and phrases.
Auto-replies and human replies are not bounces (None): a false hard bounce would silence a donor for good.

Which message bounced is the VERP token: the envelope recipient `bounce+<token>@<domain>` (local part
case-insensitive), else the returned original's Return-Path or Message-ID (`<token@domain>`) inside the report.
The token is not verified here; whoever records the bounce verifies it.

Never raises: whatever bytes arrive (the Internet writes them), the answer is a Bounce or None.
"""

from __future__ import annotations

import email.errors
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import Message
from email.parser import BytesParser, HeaderParser

from services.mail.domain.address import BounceKind

_DIAGNOSTIC_LENGTH = 500
_NESTING = 8  # multiparts deeper than this are not looked into
# Anything the standard library's parser or our reading of its result can raise on malformed input.
_MALFORMED = (email.errors.MessageError, ValueError, LookupError, TypeError, AttributeError, UnicodeError,
              RecursionError, IndexError)

_BOUNCE_ADDRESS = re.compile(r"\bbounce\+(?P<token>[^@\s<>\"';,]+)@(?P<domain>[A-Za-z0-9.-]+)", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<\s*(?:bounce\+)?(?P<token>[^@\s<>\"]+)@[^>\s]+>", re.IGNORECASE)
_ENHANCED = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")
_BASIC = re.compile(r"(?:^|said:|error[^:\n]{0,80}:|returned[ \t]*['\"]?)[ \t]*([45][0-5]\d)[ -]\S",
                    re.IGNORECASE | re.MULTILINE)
# Each pattern is linear in its input: a match starts only where a run of its characters starts (the Internet
# sends megabyte lines of one character too).
_ADDRESS = re.compile(r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+"
                      r"(?:\.[A-Za-z0-9-]+)+")

_BOUNCE_SENDERS = re.compile(r"mailer-daemon|postmaster|mail delivery (?:subsystem|system)|microsoftexchange",
                             re.IGNORECASE)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered mail|mail delivery failed|delivery status notification|delivery failure|"
    r"failure notice|returned mail|delivery has failed|could not be delivered|message .{0,40}delayed|delayed mail|"
    r"non recapitabil|mancato recapito|impossibile recapitare", re.IGNORECASE)
_AUTO_REPLY_SUBJECTS = re.compile(
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|risposta automatica|fuori (?:sede|ufficio)|"
    r"vacation|on holiday|in ferie|assente", re.IGNORECASE)
_HARD_PHRASES = re.compile(
    r"user unknown|unknown user|no such user|does not exist|address rejected|recipient not found|"
    r"mailbox unavailable|invalid recipient|address not found|no mailbox here|account (?:has been )?disabled|"
    r"utente sconosciuto|indirizzo inesistente", re.IGNORECASE)
_SOFT_PHRASES = re.compile(
    r"mailbox (?:is )?full|over quota|quota exceeded|not yet been delivered|still being retried|"
    r"will (?:keep|continue to) try|try again later|temporar", re.IGNORECASE)
_DELAY = re.compile(r"delayed|not yet been delivered|still being retried|will (?:keep|continue to) try|"
                    r"delivery attempts will continue", re.IGNORECASE)
# Where a plain-text bounce starts quoting the message that bounced (its codes and phrases are not the report's).
_ORIGINAL_MARKER = re.compile(
    r"(?<!-)-{2,}+[^\n]{0,80}?(?:copy of the message|original message|undelivered message)|original message headers:",
    re.IGNORECASE)
_SCRIPT = re.compile(r"<\s*(script|style)\b")
_NOT_RECIPIENTS = re.compile(r"^(?:bounce\+|mailer-daemon@|postmaster@)", re.IGNORECASE)


@dataclass(frozen=True)
class Bounce:
    """A delivery-status notification as Angeli needs it: which message (its VERP token), how it failed."""

    token: str
    kind: BounceKind
    status: str  # enhanced status code, e.g. "5.1.1"; "" for a complaint
    diagnostic: str  # the remote server's words, e.g. "550 5.1.1 user unknown"
    recipient: str | None  # the address that failed, when the report names it


@dataclass(frozen=True)
class _Finding:
    kind: BounceKind
    status: str
    diagnostic: str
    recipient: str | None


def parse_bounce(data: bytes, envelope_recipient: str | None = None) -> Bounce | None:
    """The bounce this message reports, or None (not a bounce, or no token to say which message bounced)."""
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(data)
        finding = _finding(message)
        if finding is None:
            return None
        token = _token(envelope_recipient, message)
        return Bounce(token, finding.kind, finding.status, finding.diagnostic, finding.recipient) if token else None
    except _MALFORMED:
        return None


def bounce_token(address: str, domain: str | None = None) -> str | None:
    """'bounce+Ab12@bounces.angeli.example' → 'Ab12' (any case of 'bounce'; only at `domain` when one is given)."""
    match = _BOUNCE_ADDRESS.search(address)
    if match is None or (domain is not None and match["domain"].lower() != domain.lower()):
        return None
    return match["token"]


def _finding(message: Message) -> _Finding | None:
    for part in _parts(message):
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            return _delivery_status(part)
        if kind == "message/feedback-report":
            return _feedback(part)
    if _auto_reply(message) or not _bounce_shaped(message):
        return None
    return _plain_text(_report_text(message), _header(message, "X-Failed-Recipients"))


def _parts(message: Message, depth: int = 0) -> Iterator[Message]:
    """The message and its multipart parts, not looking inside attached messages (a forwarded old bounce)."""
    yield message
    if depth < _NESTING and message.get_content_maintype() == "multipart" and message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _parts(part, depth + 1)


def _delivery_status(part: Message) -> _Finding | None:
    """RFC 3464: the first failed recipient, else the first delayed one; delivered/relayed/expanded are no bounce."""
    recipients = [f for f in _field_blocks(part) if "action" in f or "final-recipient" in f]
    chosen = next((f for f in recipients if f.get("action", "").lower().startswith("failed")), None) or \
        next((f for f in recipients if f.get("action", "").lower().startswith("delayed")), None)
    if chosen is None:
        return None
    diagnostic = _clean(re.sub(r"^\s*[\w-]+\s*;", "", chosen.get("diagnostic-code", "")))
    status = _status(chosen.get("status", "")) or _status_of_text(diagnostic)
    delayed = chosen["action"].lower().startswith("delayed")
    if delayed or status.startswith("4"):
        return _Finding("soft", status or "4.0.0", diagnostic, _recipient(chosen))
    return _Finding("hard", status or "5.0.0", diagnostic, _recipient(chosen))


def _feedback(part: Message) -> _Finding | None:
    """RFC 5965: a complaint, unless the report says the mail is not spam or is about authentication only."""
    fields: dict[str, str] = {}
    for block in _field_blocks(part):
        fields.update({k: v for k, v in block.items() if k not in fields})
    feedback_type = fields.get("feedback-type", "abuse").strip().lower() or "abuse"
    if feedback_type in ("not-spam", "auth-failure"):
        return None
    agent = _clean(fields.get("user-agent", ""))
    diagnostic = f"feedback report: {feedback_type}" + (f" ({agent})" if agent else "")
    return _Finding("complaint", "", diagnostic, _address_in(fields.get("original-rcpt-to", "")))


def _field_blocks(part: Message) -> list[dict[str, str]]:
    """The groups of `Name: value` fields of a report part, names lower-cased."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [{k.lower(): _text(v) for k, v in block.items()} for block in payload if isinstance(block, Message)]
    chunks = re.split(r"\r?\n[ \t]*\r?\n", _decoded(part))
    return [{k.lower(): _text(v) for k, v in HeaderParser().parsestr(chunk.strip() + "\n").items()}
            for chunk in chunks if chunk.strip()]


def _plain_text(text: str, failed_recipients: str) -> _Finding | None:
    """A bounce in prose: its first 4.x.x/5.x.x code, else its first 4xx/5xx reply, else a known phrase."""
    marker = _ORIGINAL_MARKER.search(text)
    report = text[:text.rfind("\n", 0, marker.start()) + 1] if marker else text
    status, line = _status_in(report)
    if not status:
        for phrases, default in ((_HARD_PHRASES, "5.0.0"), (_SOFT_PHRASES, "4.0.0")):
            match = phrases.search(report)
            if match:
                status, line = default, _line_of(report, match.start())
                break
    if not status:
        return None
    kind: BounceKind = "soft" if status.startswith("4") or _DELAY.search(report) else "hard"
    recipient = _address_in(failed_recipients) or next(
        (a for a in _ADDRESS.findall(report) if not _NOT_RECIPIENTS.match(a)), None)
    return _Finding(kind, status, _clean(line), recipient)


def _status_in(text: str) -> tuple[str, str]:
    enhanced = _ENHANCED.search(text)
    if enhanced:
        return ".".join(enhanced.groups()), _line_of(text, enhanced.start())
    basic = _BASIC.search(text)
    if basic:
        return f"{basic[1][0]}.0.0", _line_of(text, basic.start(1))
    return "", ""


def _status(value: str) -> str:
    match = _ENHANCED.search(value)
    return ".".join(match.groups()) if match else ""


def _status_of_text(text: str) -> str:
    return _status_in(text)[0]


def _line_of(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start:] if end < 0 else text[start:end]


def _auto_reply(message: Message) -> bool:
    """An out-of-office or other automatic answer (RFC 3834 and the common vendor headers), not from a daemon."""
    if _BOUNCE_SENDERS.search(_header(message, "From")):
        return False
    auto = _header(message, "Auto-Submitted").strip().lower()
    return bool(auto.startswith("auto-replied") or _header(message, "X-Autoreply") or
                _header(message, "X-Autorespond") or "auto_reply" in _header(message, "Precedence").lower() or
                _AUTO_REPLY_SUBJECTS.search(_header(message, "Subject")))


def _bounce_shaped(message: Message) -> bool:
    return bool(_BOUNCE_SENDERS.search(_header(message, "From")) or
                _BOUNCE_SUBJECTS.search(_header(message, "Subject")))


def _report_text(message: Message) -> str:
    """The readable text of the message: its text/plain parts, else its HTML ones with the tags taken out."""
    plain = [_decoded(p) for p in _parts(message) if p.get_content_type() == "text/plain"]
    if any(t.strip() for t in plain):
        return "\n".join(plain)
    pages = [_decoded(p) for p in _parts(message) if p.get_content_type() == "text/html"]
    return "\n".join(_html_text(page) for page in pages)


def _html_text(page: str) -> str:
    """An HTML page's text, a line per block element, without its scripts and styles (linear in the page: no
    pattern here can scan past the next '<')."""
    page = _without_scripts(page)
    page = re.sub(r"(?i)<\s*/?\s*(?:br|p|div|tr|li|h\d)\b[^<>]*>", "\n", page)
    return html.unescape(re.sub(r"<[^<>]*>", " ", page))


def _without_scripts(page: str) -> str:
    lower = page.lower()
    kept: list[str] = []
    at = 0
    while (opening := _SCRIPT.search(lower, at)) is not None:
        kept.append(page[at:opening.start()])
        closing = lower.find(f"</{opening[1]}", opening.end())
        if closing < 0:
            return "".join(kept)
        at = lower.find(">", closing) + 1 or len(page)
    kept.append(page[at:])
    return "".join(kept)


def _token(envelope_recipient: str | None, message: Message) -> str:
    """From the envelope, else the headers a mailbox delivery keeps of it, else the returned original's headers."""
    for value in (envelope_recipient or "", *(_header(message, n) for n in ("Delivered-To", "X-Original-To", "To"))):
        token = bounce_token(value)
        if token:
            return token
    for headers in _original_headers(message):
        token = bounce_token(headers.get("return-path", ""))
        if token:
            return token
        match = _MESSAGE_ID.search(headers.get("message-id", ""))
        if match:
            return match["token"]
    return ""


def _original_headers(message: Message) -> Iterator[dict[str, str]]:
    """The headers of the message that bounced: an attached message/rfc822, a text/rfc822-headers part, or the
    copy a plain-text bounce quotes in its body."""
    for part in _parts(message):
        kind = part.get_content_type()
        payload = part.get_payload()
        if kind == "message/rfc822" and isinstance(payload, list) and payload and isinstance(payload[0], Message):
            yield {k.lower(): _text(v) for k, v in payload[0].items()}
        elif kind == "text/rfc822-headers":
            yield {k.lower(): _text(v) for k, v in HeaderParser().parsestr(_decoded(part)).items()}
    quoted = _report_text(message)
    found = {name.lower(): value for name, value in
             re.findall(r"(?im)^[ \t>]*(Return-Path|Message-ID):[ \t]*(.+)$", quoted)}
    if found:
        yield found


def _recipient(fields: dict[str, str]) -> str | None:
    return _address_in(fields.get("final-recipient", "")) or _address_in(fields.get("original-recipient", ""))


def _address_in(value: str) -> str | None:
    """'rfc822; Giulia@Example.org' or '<giulia@example.org>' → the address."""
    match = _ADDRESS.search(value.split(";", 1)[-1])
    return match[0] if match else None


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else _text(value)


def _text(value: object) -> str:
    """A header value as text, whether the parser gave a str or (for undecodable bytes) a Header."""
    if isinstance(value, Header):
        return str(value)
    return value if isinstance(value, str) else ""


def _decoded(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("latin-1")


def _clean(text: str) -> str:
    return " ".join(text.split())[:_DIAGNOSTIC_LENGTH]
