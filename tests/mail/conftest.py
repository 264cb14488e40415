"""Real SMTP servers for the mail tests (aiosmtpd on 127.0.0.1, a free port each): plain, STARTTLS and implicit TLS
with a self-signed certificate made here, and one that asks for a login. Each records what it received."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port

RELAY_USER, RELAY_PASSWORD = "angeli", "Parola-Segreta-Natale-2026"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    peer: tuple[str, int]  # the client's address and port: the same port, the same connection
    tls: bool
    login: str | None


@dataclass
class Postmaster:
    """The server's handler: refuses the recipients it is told to (with the given reply), keeps every message."""

    refusals: dict[str, str] = field(default_factory=dict)  # at RCPT
    content_refusals: dict[str, str] = field(default_factory=dict)  # after DATA
    closing: int = 0  # answer the next `closing` MAIL commands with 421 (the server is going away)
    mails: int = 0

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.mails += 1
        if self.closing:
            self.closing -= 1
            return "421 4.3.2 shutting down, come back later"
        envelope.mail_from = address
        return "250 OK"
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if refusal := next((self.content_refusals[r] for r in envelope.rcpt_tos if r in self.content_refusals), None):
            return refusal
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content),
                                      tuple(session.peer), _encrypted(server, session), login))
        return "250 2.0.0 accepted"


@dataclass(frozen=True)
class Server:
    port: int
    postmaster: Postmaster
    controller: Controller
    ca_file: Path | None = None

    def client_tls(self) -> ssl.SSLContext:
        """What a client that trusts this server's certificate uses (the certificate names 127.0.0.1)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid from yesterday for a week."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.angeli.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "relay.crt", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def serve(postmaster: Postmaster, ca_file: Path | None = None, **options: Any) -> Iterator[Server]:
    port = free_port()
    controller = Controller(postmaster, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield Server(port, postmaster, controller, ca_file)
    finally:
        controller.stop()


def _server_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    cert_file, key_file = certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        RELAY_USER.encode(), RELAY_PASSWORD.encode())
    return AuthResult(success=good, handled=False, auth_data=auth_data if good else None)


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    """No TLS, no login: a relay on the same machine."""
    yield from serve(Postmaster())


@pytest.fixture
def starttls_server(tmp_path: Path) -> Iterator[Server]:
    context, cert_file = _server_tls(tmp_path)
    yield from serve(Postmaster(), cert_file, tls_context=context, require_starttls=True)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Server]:
    """Implicit TLS (port 465 style): TLS from the first byte."""
    context, cert_file = _server_tls(tmp_path)
    yield from serve(Postmaster(), cert_file, ssl_context=context)


@pytest.fixture
def login_server(tmp_path: Path) -> Iterator[Server]:
    """STARTTLS, then AUTH LOGIN or PLAIN with RELAY_USER and RELAY_PASSWORD before any message."""
    context, cert_file = _server_tls(tmp_path)
    yield from serve(Postmaster(), cert_file, tls_context=context, require_starttls=True, authenticator=_authenticator,
                      auth_required=True, auth_require_tls=True)


def _encrypted(server: Any, session: Any) -> bool:
    # STARTTLS fills session.ssl; implicit TLS shows on the transport.
    return session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
