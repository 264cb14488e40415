"""The way out: the charity's SMTP relay (one connection for many messages), or with no relay the local outbox folder
that the console lists. Both take one message for one recipient and say whether it was accepted."""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email import message_from_bytes
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar

import dkim

from services.kernel.clock import Clock, SystemClock
from services.kernel.settings import MailSettings
from services.mail.message import as_bytes

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_ENVELOPE_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+@[A-Za-z0-9.\-]+")  # RFC 5321 dot-atom @ domain

# Signed with the message: RFC 8058 asks that DKIM cover both unsubscribe headers.
_SIGNED_HEADERS = [b"From", b"To", b"Subject", b"Date", b"Message-ID", b"MIME-Version", b"Content-Type",
                   b"List-Unsubscribe", b"List-Unsubscribe-Post"]


@dataclass(frozen=True)
class Accepted:
    recipient: str


@dataclass(frozen=True)
class Refused:
    """The relay said no to this message for this recipient: 5xx for good (permanent), 4xx for now."""

    code: int
    text: str
    permanent: bool


class RelayDown(Exception):
    """The relay cannot be reached, or refused the connection or the login: nothing was sent; try again later."""


class Transport(Protocol):
    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> Accepted | Refused: ...

    def close(self) -> None: ...


def transport(settings: MailSettings, *, clock: Clock | None = None) -> Relay | Outbox:
    """The relay when one is set, else the outbox folder."""
    if settings.relay:
        return Relay(settings)
    if settings.outbox is None:
        raise ValueError("the outbox folder must be set when no relay is (the composition root sets it)")
    return Outbox(settings.outbox, clock or SystemClock(), signer=signer(settings))


def signer(settings: MailSettings) -> Signer | None:
    return Signer(settings.dkim_selector, settings.sender_domain, settings.dkim_key) if settings.dkim_selector else None


class Signer:
    """DKIM (RFC 6376) with the charity's key, for the domain of the From address (aligned, as DMARC asks)."""

    def __init__(self, selector: str, domain: str, key: bytes) -> None:
        self.selector, self.domain, self._key = selector.encode(), domain.encode(), key
        try:
            self.sign(b"From: probe@" + self.domain + b"\r\n\r\nprobe\r\n")
        except dkim.DKIMException as error:
            raise ValueError(f"the DKIM key cannot sign: {error}") from None

    def sign(self, raw: bytes) -> bytes:
        signature: bytes = dkim.sign(raw, self.selector, self.domain, self._key, include_headers=_SIGNED_HEADERS)
        return signature + raw


class Relay:
    """One SMTP connection, opened at the first message and kept for the next ones (reopened once if the relay
    closed it while idle). Not for several threads at once."""

    def __init__(self, settings: MailSettings, *, timeout: float = 30.0, tls: ssl.SSLContext | None = None) -> None:
        self._settings, self._timeout = settings, timeout
        self._tls = tls or ssl.create_default_context()
        self._signer = signer(settings)
        self._smtp: smtplib.SMTP | None = None

    @property
    def address(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> Accepted | Refused:
        """Hand `message` to the relay for `recipient` with the return path `envelope_from`."""
        _check_envelope(envelope_from, recipient)
        raw = as_bytes(message)
        if self._signer is not None:
            raw = self._signer.sign(raw)
        smtp = self._connection()
        try:
            code, text = smtp.mail(envelope_from)
        except smtplib.SMTPServerDisconnected:
            code, text = 421, b"closed"
        if code == 421:  # closed while idle, or closing: nothing of this message was said yet, so say it again
            self._drop()
            smtp = self._connection()
            code, text = self._guarded(lambda: smtp.mail(envelope_from))
        if code != 250:
            return self._refused(smtp, code, text)
        code, text = self._guarded(lambda: smtp.rcpt(recipient))
        if code not in (250, 251):
            return self._refused(smtp, code, text)
        try:
            code, text = self._guarded(lambda: smtp.data(raw))
        except smtplib.SMTPDataError as error:
            return self._refused(smtp, error.smtp_code, error.smtp_error)
        if code != 250:
            return self._refused(smtp, code, text)
        return Accepted(recipient)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        smtp: smtplib.SMTP | None = None
        try:
            if settings.security == "tls":
                smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=self._timeout, context=self._tls)
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=self._timeout)
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password)
        except smtplib.SMTPAuthenticationError as error:
            _close(smtp)
            raise RelayDown(f"the SMTP relay {self.address} refused the login of {settings.user!r}: "
                            f"{error.smtp_code} {_said(error.smtp_error)}; check ANGELI_SMTP_USER and "
                            "ANGELI_SMTP_PASSWORD") from None
        except (smtplib.SMTPException, OSError) as error:
            _close(smtp)
            raise RelayDown(f"the SMTP relay {self.address} cannot be reached ({settings.security}): "
                            f"{_reason(error)}") from None
        log.info("connected to the SMTP relay %s (%s)", self.address, settings.security)
        return smtp

    def _guarded(self, step: Callable[[], _T]) -> _T:
        """A step of a transaction; a connection lost here leaves the message unsent, or its fate unknown (lost
        after the data): the caller sends it again later, with the same Message-ID."""
        try:
            return step()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise RelayDown(f"the connection to the SMTP relay {self.address} was lost during a message: "
                            f"{_reason(error)}") from None

    def _refused(self, smtp: smtplib.SMTP, code: int, text: bytes | str) -> Refused:
        said = _said(text)
        # The code only: the relay's words often quote the recipient's address, which stays out of the logs.
        log.info("the SMTP relay %s refused a message: %s", self.address, code)
        try:
            smtp.rset()  # the connection stays ready for the next message
        except (smtplib.SMTPException, OSError):
            self._drop()
        return Refused(code=code, text=said, permanent=500 <= code < 600)

    def _drop(self) -> None:
        _close(self._smtp)
        self._smtp = None


def _check_envelope(envelope_from: str, recipient: str) -> None:
    """Plain ASCII addresses: nothing that could end an SMTP command or a header line, nothing needing SMTPUTF8."""
    for what, address in (("envelope sender", envelope_from), ("recipient", recipient)):
        if not _ENVELOPE_ADDRESS.fullmatch(address):
            raise ValueError(f"the {what} must be a plain address such as giulia@example.org; got {address!r}")


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def _said(text: bytes | str) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else text


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_said(error.smtp_error)}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


@dataclass(frozen=True)
class Letter:
    """One message of the outbox, as its list shows it."""

    name: str
    subject: str
    to: str
    sender: str
    date: str
    envelope_from: str


_LETTER_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-z]{1,64}\.eml")


class NotInOutbox(LookupError):
    """No message of that name in the outbox (a name naming another folder or file is never read)."""


class Outbox:
    """A folder of `.eml` files, one per message accepted, named by the instant and the message's Message-ID digest
    (the message key's): the mail of an installation with no relay, shown by the console."""

    def __init__(self, folder: Path, clock: Clock, *, signer: Signer | None = None) -> None:
        self.folder, self._clock, self._signer = folder, clock, signer

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> Accepted:
        """Write `message` atomically (a reader sees it whole or not at all), with the envelope as a mail store
        keeps it: Return-Path and Delivered-To."""
        _check_envelope(envelope_from, recipient)
        raw = as_bytes(message)
        if self._signer is not None:
            raw = self._signer.sign(raw)
        raw = f"Return-Path: <{envelope_from}>\r\nDelivered-To: {recipient}\r\n".encode() + raw
        at = self._clock.now().astimezone(UTC)
        digest = re.sub(r"[^0-9a-z]", "", str(message.get("Message-ID", "")).partition("@")[0].lower())[:64] or "x"
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{at:%Y%m%dT%H%M%S.%fZ}-{digest}.eml"
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(raw)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        log.debug("mail to the outbox: %s", name)
        return Accepted(recipient)

    def list(self, limit: int = 200) -> list[Letter]:
        """The newest `limit` messages, newest first."""
        if not self.folder.is_dir():
            return []
        names = sorted((p.name for p in self.folder.iterdir() if _LETTER_NAME.fullmatch(p.name)), reverse=True)
        return [self._letter(name) for name in names[:limit]]

    def read(self, name: str) -> EmailMessage:
        """The message `name` of `list()`, parsed."""
        parsed = message_from_bytes(self._path(name).read_bytes(), policy=default)
        assert isinstance(parsed, EmailMessage)  # the policy `default` makes EmailMessage
        return parsed

    def close(self) -> None:
        """Nothing held open."""

    def _letter(self, name: str) -> Letter:
        with self._path(name).open("rb") as file:
            headers = BytesHeaderParser(policy=default).parse(file)
        return Letter(name=name, subject=str(headers.get("Subject", "")), to=str(headers.get("To", "")),
                      sender=str(headers.get("From", "")), date=str(headers.get("Date", "")),
                      envelope_from=str(headers.get("Return-Path", "")).strip("<>"))

    def _path(self, name: str) -> Path:
        # The name is checked against the outbox's own pattern: no separator, no "..", nothing but a message file.
        if not _LETTER_NAME.fullmatch(name):
            raise NotInOutbox(f"{name!r} is not the name of an outbox message (such as 20261123T090000.000000Z-…eml)")
        path = self.folder / name
        if not path.is_file():
            raise NotInOutbox(f"there is no message {name!r} in the outbox")
        return path
