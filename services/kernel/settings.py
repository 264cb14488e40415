"""Settings: one frozen value read once from the environment, validated at start-up, embedded defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

Mode = Literal["embedded", "distributed"]


class SettingsError(ValueError):
    """A configuration variable is missing or malformed; the message names it and the accepted values."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "angeli"
    password: str = field(default="angeli", repr=False)  # a secret: never in repr, logs or error messages
    dbname: str = "angeli"

    def conninfo(self) -> str:
        """libpq connection string, every value quoted (a password with spaces or quotes stays one value)."""
        return " ".join(f"{name}={_quoted(str(value))}" for name, value in (
            ("host", self.host), ("port", self.port), ("user", self.user), ("password", self.password),
            ("dbname", self.dbname)))


AnyNetwork = IPv4Network | IPv6Network


@dataclass(frozen=True)
class SignInSettings:
    """Limits on failed sign-ins, and which reverse proxies may say who the client is."""

    attempts_per_address: int = 5  # failures for one sign-in e-mail from one client address, per window
    attempts_per_email: int = 20  # failures for one sign-in e-mail from all addresses together, per window
    window_seconds: int = 15 * 60
    trusted_proxies: tuple[AnyNetwork, ...] = ()  # X-Forwarded-For is read only from these direct peers


@dataclass(frozen=True)
class CharitySettings:
    """Who issues the tax-deduction receipts: the charity's name, tax code (codice fiscale) and address."""

    name: str = "Associazione Angeli ODV"
    tax_code: str = "97123450013"
    address: str = "Via della Solidarietà 1, 20121 Milano (MI)"


@dataclass(frozen=True)
class TelephonySettings:
    """How calls pass through the product: off (volunteers dial from their own phones), a TwiML-speaking provider,
    or the charity's own SIP proxy; the charity's number, the helpline line and how it rings."""

    mode: Literal["off", "twiml", "sip"] = "off"
    number: str = ""  # the charity's number presented to volunteers and donors (E.164)
    helpline: str = "helpline"  # the helpline's line as dialled: its number, or the SIP user on the proxy
    ring_seconds: int = 20
    strategy: Literal["linear", "ring-all"] = "linear"
    ring_all_hours: tuple[int, int] | None = None  # (from, until) Rome hours ringing everyone, e.g. (22, 7)
    fallback: Literal["voicemail", "message"] = "message"
    fallback_uri: str = ""  # SIP: where voicemail or the recorded message lives
    hours: str = ""  # the line's hours, said to a caller nobody could answer
    confirm: bool = True  # "press 1" on the volunteer's leg (providers that can)
    wrap_up_minutes: int = 10  # after the line closes, the volunteer's time to give the outcome before "answered"
    secret: str = field(default="", repr=False)  # the SIP proxy's shared secret
    twilio_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    public_url: str = ""  # the base URL the provider calls, when a proxy stands in front
    twilio_api_url: str = "https://api.twilio.com"

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


@dataclass(frozen=True)
class MailSettings:
    """How e-mail leaves: through the charity's SMTP relay, or (no relay set) into a local outbox folder; who it is
    from, where bounces return (VERP), the base of unsubscribe links, the pace, and optional DKIM signing."""

    host: str = ""  # the relay; empty: no relay, every message is written into `outbox`
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str = ""  # empty: no login
    password: str = field(default="", repr=False)  # a secret: never in repr, logs or error messages
    sender: str = "Associazione Angeli <info@angeli.example>"  # the From header
    bounce_domain: str = "angeli.example"  # envelope senders are bounce+<token>@<bounce_domain>
    public_url: str = "http://127.0.0.1:8000"  # the base of unsubscribe links
    per_minute: int = 120
    outbox: Path | None = None  # None: `<data_dir>/outbox` (what the composition root gives the mail service)
    dkim_selector: str = ""  # empty: no DKIM signature
    dkim_key: bytes = field(default=b"", repr=False)  # the PEM private key read from ANGELI_DKIM_KEY_FILE
    inbound_host: str = "127.0.0.1"  # where the inbound endpoint for bounces and unsubscribe replies listens
    inbound_port: int = 0  # 0: no inbound endpoint

    @property
    def relay(self) -> bool:
        return bool(self.host)

    @property
    def sender_domain(self) -> str:
        """The From address's domain: it names Message-IDs and the DKIM signature (aligned with DMARC)."""
        return parseaddr(self.sender)[1].rpartition("@")[2].lower()


@dataclass(frozen=True)
class Settings:
    mode: Mode = "embedded"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    sign_in: SignInSettings = field(default_factory=SignInSettings)
    charity: CharitySettings = field(default_factory=CharitySettings)
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = 6
    topic_prefix: str = "angeli"
    feed_interval_seconds: float = 0.2
    # Expected regular gifts missed in a row that make a standing commitment lapsed.
    regular_lapse_periods: int = 2
    telephony: TelephonySettings = field(default_factory=TelephonySettings)
    mail: MailSettings = field(default_factory=MailSettings)
    # What this process runs beside the API: the feeds (embedded follower, or relays and consumers) and jobs.
    run_feeds: bool = True
    run_jobs: bool = True
    # Training/demo installations may start their clock at a chosen instant (then it runs in real time).
    clock_start: datetime | None = None
    # The keys given in the environment, ANGELI_<NAME>_KEY (base64) or ANGELI_<NAME>_KEY_FILE, for kernel.secrets;
    # never printed (repr) nor compared.
    keys: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def distributed(self) -> bool:
        return self.mode == "distributed"

    def topic(self, source: str) -> str:
        return f"{self.topic_prefix}.{source}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("ANGELI_MODE", "embedded")
        if mode not in ("embedded", "distributed"):
            raise SettingsError(f"ANGELI_MODE must be 'embedded' or 'distributed', got {mode!r}")
        postgres = PostgresSettings(
            host=env.get("ANGELI_PG_HOST", "127.0.0.1"),
            port=_int(env, "ANGELI_PG_PORT", 5432, low=1, high=65535),
            user=env.get("ANGELI_PG_USER", "angeli"),
            password=_secret_text(env, "ANGELI_PG_PASSWORD", "angeli"),
            dbname=env.get("ANGELI_PG_DB", "angeli"),
        )
        data_dir = Path(env.get("ANGELI_DATA_DIR", "var"))
        host, port = env.get("ANGELI_HOST", "127.0.0.1"), _int(env, "ANGELI_PORT", 8000, low=1, high=65535)
        return cls(
            mode=mode,  # type: ignore[arg-type]  # checked just above
            data_dir=data_dir,
            host=host,
            port=port,
            postgres=postgres,
            sign_in=SignInSettings(
                attempts_per_address=_int(env, "ANGELI_SIGN_IN_ATTEMPTS_PER_ADDRESS", 5, low=1, high=1000),
                attempts_per_email=_int(env, "ANGELI_SIGN_IN_ATTEMPTS_PER_ACCOUNT", 20, low=1, high=100_000),
                window_seconds=_int(env, "ANGELI_SIGN_IN_WINDOW_SECONDS", 900, low=1, high=7 * 24 * 3600),
                trusted_proxies=_networks(env, "ANGELI_TRUSTED_PROXIES"),
            ),
            charity=_charity(env),
            kafka_bootstrap=env.get("ANGELI_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            kafka_partitions=_int(env, "ANGELI_KAFKA_PARTITIONS", 6, low=1, high=1000),
            topic_prefix=env.get("ANGELI_TOPIC_PREFIX", "angeli"),
            feed_interval_seconds=_float(env, "ANGELI_FEED_INTERVAL", 0.2, low=0.01, high=60.0),
            regular_lapse_periods=_int(env, "ANGELI_REGULAR_LAPSE_PERIODS", 2, low=1, high=24),
            telephony=_telephony(env),
            mail=_mail(env, data_dir, f"http://{host}:{port}"),
            run_feeds=_bool(env, "ANGELI_RUN_FEEDS", True),
            run_jobs=_bool(env, "ANGELI_RUN_JOBS", True),
            clock_start=_instant(env, "ANGELI_CLOCK_START"),
            keys={name: value for name, value in env.items()
                  if name.startswith("ANGELI_") and name.endswith(("_KEY", "_KEY_FILE")) and value},
        )


def _telephony(env: Mapping[str, str]) -> TelephonySettings:
    mode = env.get("ANGELI_TELEPHONY", "off") or "off"
    if mode not in ("off", "twiml", "sip"):
        raise SettingsError(f"ANGELI_TELEPHONY must be off, twiml or sip; got {mode!r}")
    strategy = env.get("ANGELI_TELEPHONY_STRATEGY", "linear") or "linear"
    if strategy not in ("linear", "ring-all"):
        raise SettingsError(f"ANGELI_TELEPHONY_STRATEGY must be linear or ring-all; got {strategy!r}")
    fallback = env.get("ANGELI_TELEPHONY_FALLBACK", "message") or "message"
    if fallback not in ("voicemail", "message"):
        raise SettingsError(f"ANGELI_TELEPHONY_FALLBACK must be voicemail or message; got {fallback!r}")
    number = env.get("ANGELI_TELEPHONY_NUMBER", "").strip()
    if number and not re.fullmatch(r"\+[1-9]\d{5,14}", number):
        raise SettingsError(f"ANGELI_TELEPHONY_NUMBER must be an E.164 number such as +390212345678; got {number!r}")
    if mode != "off" and not number:
        raise SettingsError("ANGELI_TELEPHONY_NUMBER is required when ANGELI_TELEPHONY is on: the charity's number "
                            "that volunteers and donors see, e.g. +390212345678")
    helpline = env.get("ANGELI_TELEPHONY_HELPLINE", "helpline").strip() or "helpline"
    if not re.fullmatch(r"[A-Za-z0-9+._-]{1,40}", helpline):
        raise SettingsError(f"ANGELI_TELEPHONY_HELPLINE must be a number or a SIP user; got {helpline!r}")
    secret = _secret_text(env, "ANGELI_TELEPHONY_SECRET", "")
    if mode == "sip" and len(secret) < 16:
        raise SettingsError("ANGELI_TELEPHONY_SECRET (or _FILE) of at least 16 characters is required with "
                            "ANGELI_TELEPHONY=sip: the SIP proxy sends it with every question")
    token = _secret_text(env, "ANGELI_TWILIO_AUTH_TOKEN", "")
    if mode == "twiml" and not token:
        raise SettingsError("ANGELI_TWILIO_AUTH_TOKEN (or _FILE) is required with ANGELI_TELEPHONY=twiml: every "
                            "webhook's signature is checked with it")
    return TelephonySettings(
        mode=mode,  # type: ignore[arg-type]  # checked just above
        number=number, helpline=helpline,
        ring_seconds=_int(env, "ANGELI_TELEPHONY_RING_SECONDS", 20, low=5, high=120),
        strategy=strategy,  # type: ignore[arg-type]  # checked just above
        ring_all_hours=_hours(env, "ANGELI_TELEPHONY_RING_ALL_HOURS"),
        fallback=fallback,  # type: ignore[arg-type]  # checked just above
        fallback_uri=env.get("ANGELI_TELEPHONY_FALLBACK_URI", "").strip(),
        hours=_text(env, "ANGELI_TELEPHONY_HOURS", "", longest=200),
        confirm=_bool(env, "ANGELI_TELEPHONY_CONFIRM", True),
        wrap_up_minutes=_int(env, "ANGELI_TELEPHONY_WRAP_UP_MINUTES", 10, low=1, high=24 * 60),
        secret=secret,
        twilio_sid=env.get("ANGELI_TWILIO_ACCOUNT_SID", "").strip(),
        twilio_auth_token=token,
        public_url=env.get("ANGELI_TELEPHONY_PUBLIC_URL", "").strip().rstrip("/"),
        twilio_api_url=env.get("ANGELI_TWILIO_API_URL", "https://api.twilio.com").strip().rstrip("/"),
    )


_DEFAULT_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_HOST_NAME = re.compile(r"(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")


def _mail(env: Mapping[str, str], data_dir: Path, local_url: str) -> MailSettings:
    host = env.get("ANGELI_SMTP_HOST", "").strip()
    if host and not _host(host):
        raise SettingsError(f"ANGELI_SMTP_HOST must be a host name or an IP address such as smtp.example.org; "
                            f"got {host!r}")
    security = env.get("ANGELI_SMTP_SECURITY", "").strip().lower() or "starttls"
    if security not in _DEFAULT_SMTP_PORTS:
        raise SettingsError(f"ANGELI_SMTP_SECURITY must be starttls, tls or none; got {security!r}")
    user, password = env.get("ANGELI_SMTP_USER", "").strip(), _secret_text(env, "ANGELI_SMTP_PASSWORD", "")
    if bool(user) != bool(password):
        raise SettingsError("ANGELI_SMTP_USER and ANGELI_SMTP_PASSWORD (or _FILE) go together: set both for a relay "
                            "that asks for a login, neither for one that does not")
    if user and security == "none":
        raise SettingsError("ANGELI_SMTP_SECURITY=none would send ANGELI_SMTP_PASSWORD in clear: use starttls or tls "
                            "with a login")
    sender = _sender(env)
    selector, key = _dkim(env)
    return MailSettings(
        host=host, security=security,  # type: ignore[arg-type]  # checked just above
        port=_int(env, "ANGELI_SMTP_PORT", _DEFAULT_SMTP_PORTS[security], low=1, high=65535),
        user=user, password=password, sender=sender,
        bounce_domain=_domain(env, "ANGELI_MAIL_BOUNCE_DOMAIN", parseaddr(sender)[1].rpartition("@")[2].lower()),
        public_url=_public_url(env, local_url, relay=bool(host)),
        per_minute=_int(env, "ANGELI_MAIL_PER_MINUTE", 120, low=1, high=100_000),
        outbox=Path(env.get("ANGELI_MAIL_OUTBOX", "").strip() or data_dir / "outbox"),
        dkim_selector=selector, dkim_key=key,
        inbound_host=_inbound_host(env), inbound_port=_int(env, "ANGELI_MAIL_INBOUND_PORT", 0, low=0, high=65535),
    )


def _inbound_host(env: Mapping[str, str]) -> str:
    host = env.get("ANGELI_MAIL_INBOUND_HOST", "").strip() or "127.0.0.1"
    if not _host(host):
        raise SettingsError(f"ANGELI_MAIL_INBOUND_HOST must be an IP address or host name to listen on; got {host!r}")
    return host


def _host(name: str) -> bool:
    try:
        ip_address(name)
        return True
    except ValueError:
        return len(name) <= 253 and _HOST_NAME.fullmatch(name) is not None


def _sender(env: Mapping[str, str]) -> str:
    raw = _text(env, "ANGELI_MAIL_FROM", MailSettings.sender, longest=200)
    address = parseaddr(raw)[1]
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise SettingsError(f"ANGELI_MAIL_FROM must be an address such as \"Associazione Angeli "
                            f"<info@angeli.example>\"; got {raw!r} ({error})") from None
    return raw


def _domain(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if "." not in value or not _HOST_NAME.fullmatch(value) or len(value) > 253:
        raise SettingsError(f"{name} must be a domain name such as bounces.angeli.example; got {value!r}")
    return value


def _public_url(env: Mapping[str, str], default: str, *, relay: bool) -> str:
    """The base of the links in the mail (unsubscribe): HTTPS for real mail, RFC 8058; a local URL for the outbox."""
    raw = env.get("ANGELI_MAIL_PUBLIC_URL", "").strip().rstrip("/")
    if not raw and relay:
        raise SettingsError("ANGELI_MAIL_PUBLIC_URL is required with ANGELI_SMTP_HOST: the https:// address where "
                            "donors reach the unsubscribe page, e.g. https://angeli.example")
    url = raw or default
    parts = urlsplit(url)
    if (parts.scheme != "https" and (relay or parts.scheme != "http")) or not parts.hostname or parts.query \
            or parts.fragment or not url.isprintable() or " " in url:
        raise SettingsError("ANGELI_MAIL_PUBLIC_URL must be an https:// address without query, e.g. "
                            f"https://angeli.example (http:// only for the local outbox); got {url!r}")
    return url


def _dkim(env: Mapping[str, str]) -> tuple[str, bytes]:
    selector, path = env.get("ANGELI_DKIM_SELECTOR", "").strip(), env.get("ANGELI_DKIM_KEY_FILE", "").strip()
    if bool(selector) != bool(path):
        raise SettingsError("ANGELI_DKIM_SELECTOR and ANGELI_DKIM_KEY_FILE go together: set both to sign mail "
                            "with DKIM, neither to send it unsigned")
    if not selector:
        return "", b""
    if not re.fullmatch(r"(?i)[a-z0-9](?:[a-z0-9._-]{0,62})", selector):
        raise SettingsError(f"ANGELI_DKIM_SELECTOR must be a DNS label such as angeli2026; got {selector!r}")
    try:
        key = Path(path).read_bytes()
    except OSError as error:
        raise SettingsError(f"ANGELI_DKIM_KEY_FILE: cannot read {path}: {error.strerror}") from None
    if b"-----BEGIN" not in key or b"PRIVATE KEY-----" not in key:
        raise SettingsError(f"ANGELI_DKIM_KEY_FILE: {path} must hold a PEM private key (-----BEGIN PRIVATE KEY-----)")
    return selector, key


def _hours(env: Mapping[str, str], name: str) -> tuple[int, int] | None:
    """`22-07`: from 22:00 until 07:00 (Rome); empty: never."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", raw)
    if not match or not all(0 <= int(h) <= 23 for h in match.groups()) or match[1] == match[2]:
        raise SettingsError(f"{name} must be two different hours such as 22-07 (from 22:00 until 07:00); got {raw!r}")
    return int(match[1]), int(match[2])


def _charity(env: Mapping[str, str]) -> CharitySettings:
    default = CharitySettings()
    name = _text(env, "ANGELI_CHARITY_NAME", default.name, longest=200)
    address = _text(env, "ANGELI_CHARITY_ADDRESS", default.address, longest=300)
    tax_code = env.get("ANGELI_CHARITY_TAX_CODE", "").strip().upper() or default.tax_code
    if not (_fiscal_number(tax_code) or (len(tax_code) == 16 and tax_code.isascii() and tax_code.isalnum())):
        raise SettingsError("ANGELI_CHARITY_TAX_CODE must be the charity's codice fiscale: 11 digits with a valid "
                            f"check digit (as for a partita IVA) or 16 letters and digits; got {tax_code!r}")
    return CharitySettings(name=name, tax_code=tax_code, address=address)


def _fiscal_number(code: str) -> bool:
    """11 digits whose last is the check digit of the first ten (the Luhn-like rule of the Italian tax office)."""
    if len(code) != 11 or not (code.isascii() and code.isdigit()):
        return False
    odd = sum(int(d) for d in code[0:10:2])
    even = sum(2 * int(d) - 9 if int(d) > 4 else 2 * int(d) for d in code[1:10:2])
    return (10 - (odd + even) % 10) % 10 == int(code[10])


def _text(env: Mapping[str, str], name: str, default: str, *, longest: int) -> str:
    """One line of printable text, at most `longest` characters (it is printed on documents)."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if len(value) > longest or not value.isprintable():
        raise SettingsError(f"{name} must be one line of at most {longest} printable characters, "
                            f"got {len(value)} characters{'' if value.isprintable() else ' with a control character'}")
    return value


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _secret_text(env: Mapping[str, str], name: str, default: str) -> str:
    """`NAME`, else the first line of the file `NAME_FILE`; error messages name the file, never the value."""
    if env.get(name):
        return env[name]
    path = env.get(f"{name}_FILE")
    if not path:
        return default
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise SettingsError(f"{name}_FILE: cannot read {path}: {error.strerror}") from None
    if not lines or not lines[0]:
        raise SettingsError(f"{name}_FILE: {path} is empty; write the secret on its first line")
    return lines[0]


def _networks(env: Mapping[str, str], name: str) -> tuple[AnyNetwork, ...]:
    networks = []
    for part in env.get(name, "").split(","):
        if part.strip():
            try:
                networks.append(ip_network(part.strip(), strict=False))
            except ValueError:
                raise SettingsError(f"{name} must be comma-separated addresses or CIDRs such as 10.0.0.0/8, "
                                    f"got {part.strip()!r}") from None
    return tuple(networks)


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _instant(env: Mapping[str, str], name: str) -> datetime | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an ISO date-time with offset, e.g. 2026-11-23T10:00:00+01:00; "
                            f"got {raw!r}") from None
    if value.tzinfo is None:
        raise SettingsError(f"{name} must include a UTC offset, e.g. 2026-11-23T10:00:00+01:00; got {raw!r}")
    return value
