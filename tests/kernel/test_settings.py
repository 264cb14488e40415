"""Settings are read once from the environment and fail fast with the variable's name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import psycopg.conninfo
import pytest

from services.kernel.clock import ShiftedClock
from services.kernel.settings import PostgresSettings, Settings, SettingsError


def test_embedded_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert (settings.mode, settings.port, settings.distributed, settings.clock_start) == ("embedded", 8000, False, None)


@pytest.mark.parametrize(("env", "message"), [
    ({"ANGELI_MODE": "cluster"}, "ANGELI_MODE must be 'embedded' or 'distributed'"),
    ({"ANGELI_PORT": "eighty"}, "ANGELI_PORT must be a whole number"),
    ({"ANGELI_PG_PORT": "70000"}, "ANGELI_PG_PORT must be between 1 and 65535"),
    ({"ANGELI_FEED_INTERVAL": "0"}, "ANGELI_FEED_INTERVAL must be between"),
    ({"ANGELI_RUN_FEEDS": "maybe"}, "ANGELI_RUN_FEEDS must be true or false"),
    ({"ANGELI_CLOCK_START": "2026-11-23T10:00"}, "must include a UTC offset"),
    ({"ANGELI_CLOCK_START": "Monday"}, "must be an ISO date-time"),
    ({"ANGELI_TRUSTED_PROXIES": "10.0.0.0/8, the-proxy"}, "ANGELI_TRUSTED_PROXIES must be comma-separated"),
    ({"ANGELI_SIGN_IN_ATTEMPTS_PER_ACCOUNT": "0"}, "ANGELI_SIGN_IN_ATTEMPTS_PER_ACCOUNT must be between 1"),
    ({"ANGELI_SIGN_IN_WINDOW_SECONDS": "soon"}, "ANGELI_SIGN_IN_WINDOW_SECONDS must be a whole number"),
    ({"ANGELI_PG_PASSWORD_FILE": "/nonexistent/pg-password"}, "cannot read /nonexistent/pg-password"),
])
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_a_training_clock_starts_where_asked_and_runs_on() -> None:
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    clock = ShiftedClock(Settings.from_env({"ANGELI_CLOCK_START": start.isoformat()}).clock_start or start)
    first = clock.now()
    assert abs(first - start) < timedelta(seconds=1)
    assert clock.now() >= first


def test_sign_in_limits_and_trusted_proxies_come_from_the_environment() -> None:
    sign_in = Settings.from_env({
        "ANGELI_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.10 ,fd00::/8", "ANGELI_SIGN_IN_ATTEMPTS_PER_ADDRESS": "3",
        "ANGELI_SIGN_IN_ATTEMPTS_PER_ACCOUNT": "50", "ANGELI_SIGN_IN_WINDOW_SECONDS": "600"}).sign_in
    assert sign_in.trusted_proxies == (ip_network("10.0.0.0/8"), ip_network("192.168.1.10/32"), ip_network("fd00::/8"))
    assert (sign_in.attempts_per_address, sign_in.attempts_per_email, sign_in.window_seconds) == (3, 50, 600)


def test_by_default_no_proxy_is_trusted_and_the_limits_are_5_and_20_in_15_minutes() -> None:
    sign_in = Settings.from_env({}).sign_in
    assert (sign_in.trusted_proxies, sign_in.attempts_per_address, sign_in.attempts_per_email,
            sign_in.window_seconds) == ((), 5, 20, 900)


def test_the_postgres_password_may_come_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "pg").write_text("una parola d'ordine\n")
    assert Settings.from_env({"ANGELI_PG_PASSWORD_FILE": str(tmp_path / "pg")}).postgres.password == \
        "una parola d'ordine"
    assert Settings.from_env({"ANGELI_PG_PASSWORD": "direct", "ANGELI_PG_PASSWORD_FILE": str(tmp_path / "pg")}
                             ).postgres.password == "direct"


def test_an_empty_password_file_is_refused_naming_the_file_not_its_content(tmp_path: Path) -> None:
    (tmp_path / "pg").write_text("")
    with pytest.raises(SettingsError, match="is empty"):
        Settings.from_env({"ANGELI_PG_PASSWORD_FILE": str(tmp_path / "pg")})


def test_the_postgres_password_is_not_in_the_settings_repr() -> None:
    settings = Settings.from_env({"ANGELI_PG_PASSWORD": "Segreto-Natale-2026"})
    assert "Segreto-Natale-2026" not in repr(settings) and "Segreto-Natale-2026" not in str(settings)
    assert "Segreto-Natale-2026" not in repr(settings.postgres)


def test_a_password_with_spaces_quotes_and_backslashes_stays_one_conninfo_value() -> None:
    password = "a b'c\\d host=evil"
    parsed = psycopg.conninfo.conninfo_to_dict(PostgresSettings(password=password, dbname="my db").conninfo())
    assert parsed == {"host": "127.0.0.1", "port": "5432", "user": "angeli", "password": password, "dbname": "my db"}


def test_keys_are_read_once_into_the_settings_and_never_from_the_process_environment_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from base64 import b64encode

    from services.kernel.secrets import secret, secret_file

    vault_key, signing_file = bytes(range(32)), tmp_path / "signing"
    signing_file.write_text(b64encode(bytes(32)).decode())
    settings = Settings.from_env({"ANGELI_DATA_DIR": str(tmp_path / "var"), "ANGELI_MODE": "embedded",
                                  "ANGELI_VAULT_KEY": b64encode(vault_key).decode(),
                                  "ANGELI_LEDGER_SIGNING_KEY_FILE": str(signing_file)})
    monkeypatch.setenv("ANGELI_VAULT_KEY", b64encode(bytes(32)).decode())  # a later change is not seen
    assert secret(settings, "vault_key") == vault_key and secret_file(settings, "vault_key") is None
    assert secret(settings, "ledger_signing_key") == bytes(32)
    assert secret_file(settings, "ledger_signing_key") == signing_file
    assert "ANGELI_VAULT_KEY" not in repr(settings) and b64encode(vault_key).decode() not in repr(settings)


def test_with_no_relay_mail_goes_to_the_outbox_under_the_data_folder() -> None:
    mail = Settings.from_env({"ANGELI_DATA_DIR": "/srv/angeli", "ANGELI_PORT": "8080"}).mail
    assert (mail.relay, mail.outbox, mail.port, mail.security, mail.per_minute) == (
        False, Path("/srv/angeli/outbox"), 587, "starttls", 120)
    assert (mail.sender, mail.sender_domain, mail.bounce_domain) == (
        "Associazione Angeli <info@angeli.example>", "angeli.example", "angeli.example")
    assert mail.public_url == "http://127.0.0.1:8080" and not mail.dkim_selector


def test_a_relay_with_login_tls_and_its_own_bounce_domain_comes_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "smtp").write_text("Parola-Segreta-Natale\n")
    mail = Settings.from_env({
        "ANGELI_SMTP_HOST": "smtp.angeli.example", "ANGELI_SMTP_SECURITY": "TLS", "ANGELI_SMTP_USER": "angeli",
        "ANGELI_SMTP_PASSWORD_FILE": str(tmp_path / "smtp"), "ANGELI_MAIL_FROM": "Angeli Milano <ciao@angeli.example>",
        "ANGELI_MAIL_BOUNCE_DOMAIN": "Bounces.Angeli.Example", "ANGELI_MAIL_PUBLIC_URL": "https://angeli.example/",
        "ANGELI_MAIL_PER_MINUTE": "600", "ANGELI_MAIL_OUTBOX": str(tmp_path / "out")}).mail
    assert (mail.relay, mail.host, mail.port, mail.security, mail.user, mail.password) == (
        True, "smtp.angeli.example", 465, "tls", "angeli", "Parola-Segreta-Natale")
    assert (mail.bounce_domain, mail.public_url, mail.per_minute, mail.outbox) == (
        "bounces.angeli.example", "https://angeli.example", 600, tmp_path / "out")


def test_the_smtp_password_is_in_no_repr_of_the_settings() -> None:
    settings = Settings.from_env({"ANGELI_SMTP_HOST": "127.0.0.1", "ANGELI_SMTP_USER": "angeli",
                                  "ANGELI_SMTP_PASSWORD": "Parola-Segreta-Natale",
                                  "ANGELI_MAIL_PUBLIC_URL": "https://angeli.example"})
    assert settings.mail.password == "Parola-Segreta-Natale"
    assert "Parola-Segreta-Natale" not in repr(settings) and "Parola-Segreta-Natale" not in repr(settings.mail)


RELAY = {"ANGELI_SMTP_HOST": "smtp.angeli.example", "ANGELI_MAIL_PUBLIC_URL": "https://angeli.example"}


@pytest.mark.parametrize(("env", "message"), [
    ({"ANGELI_SMTP_HOST": "smtp angeli"}, "ANGELI_SMTP_HOST must be a host name or an IP address"),
    ({"ANGELI_SMTP_SECURITY": "ssl"}, "ANGELI_SMTP_SECURITY must be starttls, tls or none"),
    ({"ANGELI_SMTP_PORT": "0"}, "ANGELI_SMTP_PORT must be between 1 and 65535"),
    ({"ANGELI_SMTP_USER": "angeli"}, "ANGELI_SMTP_USER and ANGELI_SMTP_PASSWORD .or _FILE. go together"),
    ({"ANGELI_SMTP_PASSWORD": "secret"}, "ANGELI_SMTP_USER and ANGELI_SMTP_PASSWORD"),
    ({**RELAY, "ANGELI_SMTP_SECURITY": "none", "ANGELI_SMTP_USER": "a", "ANGELI_SMTP_PASSWORD": "b"},
     "would send ANGELI_SMTP_PASSWORD in clear"),
    ({"ANGELI_SMTP_PASSWORD_FILE": "/nonexistent/smtp", "ANGELI_SMTP_USER": "a"}, "cannot read /nonexistent/smtp"),
    ({"ANGELI_MAIL_FROM": "Associazione Angeli"}, "ANGELI_MAIL_FROM must be an address"),
    ({"ANGELI_MAIL_FROM": "info@angeli.example\nBcc: x@y.example"}, "ANGELI_MAIL_FROM must be one line"),
    ({"ANGELI_MAIL_BOUNCE_DOMAIN": "bounces"}, "ANGELI_MAIL_BOUNCE_DOMAIN must be a domain name"),
    ({"ANGELI_SMTP_HOST": "smtp.angeli.example"}, "ANGELI_MAIL_PUBLIC_URL is required with ANGELI_SMTP_HOST"),
    ({**RELAY, "ANGELI_MAIL_PUBLIC_URL": "http://angeli.example"}, "ANGELI_MAIL_PUBLIC_URL must be an https://"),
    ({"ANGELI_MAIL_PUBLIC_URL": "angeli.example"}, "ANGELI_MAIL_PUBLIC_URL must be an https://"),
    ({"ANGELI_MAIL_PUBLIC_URL": "https://angeli.example/?a=1"}, "without query"),
    ({"ANGELI_MAIL_PER_MINUTE": "0"}, "ANGELI_MAIL_PER_MINUTE must be between 1 and 100000"),
    ({"ANGELI_DKIM_SELECTOR": "angeli2026"}, "ANGELI_DKIM_SELECTOR and ANGELI_DKIM_KEY_FILE go together"),
    ({"ANGELI_DKIM_SELECTOR": "a b", "ANGELI_DKIM_KEY_FILE": "/k"}, "ANGELI_DKIM_SELECTOR must be a DNS label"),
    ({"ANGELI_DKIM_SELECTOR": "s1", "ANGELI_DKIM_KEY_FILE": "/nonexistent/dkim"}, "cannot read /nonexistent/dkim"),
])
def test_bad_mail_settings_are_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_a_refused_smtp_password_is_never_quoted_in_the_error() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**RELAY, "ANGELI_SMTP_SECURITY": "none", "ANGELI_SMTP_USER": "angeli",
                           "ANGELI_SMTP_PASSWORD": "Parola-Segreta-Natale"})
    assert "Parola-Segreta-Natale" not in str(refused.value)


def test_a_dkim_key_file_is_read_at_start_up_and_must_be_a_pem_private_key(tmp_path: Path) -> None:
    (tmp_path / "dkim.pem").write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    (tmp_path / "public.pem").write_text("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n")
    mail = Settings.from_env({"ANGELI_DKIM_SELECTOR": "angeli2026", "ANGELI_DKIM_KEY_FILE": str(tmp_path / "dkim.pem")}
                             ).mail
    assert (mail.dkim_selector, mail.dkim_key.startswith(b"-----BEGIN PRIVATE KEY")) == ("angeli2026", True)
    assert "MIIB" not in repr(mail)
    with pytest.raises(SettingsError, match="must hold a PEM private key"):
        Settings.from_env({"ANGELI_DKIM_SELECTOR": "s1", "ANGELI_DKIM_KEY_FILE": str(tmp_path / "public.pem")})
