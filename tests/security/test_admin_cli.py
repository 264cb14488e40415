"""`angeli admin create`: the only way in on a fresh install; weak or missing passwords are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli import main
from services.identity.application import Identity
from services.kernel.clock import FixedClock
from services.kernel.readmodel import open_store
from services.kernel.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ANGELI_MODE", "embedded")
    return tmp_path / "var"


def identity_at(data_dir: Path, clock: FixedClock) -> Identity:
    return Identity(open_store(Settings(data_dir=data_dir), "identity"), clock)


def test_a_fresh_install_has_no_administrator(data_dir: Path, clock: FixedClock) -> None:
    assert not identity_at(data_dir, clock).has_administrator()


def test_the_first_administrator_is_created_from_an_environment_variable(
    data_dir: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ANNA_PASSWORD", "sette-angeli-milano")
    assert main(["admin", "create", "--email", "anna@angeli.example", "--password-env", "ANNA_PASSWORD"]) == 0
    out = capsys.readouterr().out
    assert "administrator anna@angeli.example created" in out and "sette-angeli-milano" not in out
    identity = identity_at(data_dir, clock)
    assert identity.sign_in("anna@angeli.example", "sette-angeli-milano", "127.0.0.1").account.role == "administrator"
    assert identity.changes()[0]["actor"].startswith("cli:angeli admin create")


def test_the_password_can_come_from_a_file(data_dir: Path, clock: FixedClock, tmp_path: Path) -> None:
    secret = tmp_path / "anna.pw"
    secret.write_text("sette-angeli-milano\n")
    assert main(["admin", "create", "--email", "anna@angeli.example", "--password-file", str(secret)]) == 0
    assert identity_at(data_dir, clock).has_administrator()


def test_a_weak_password_is_refused_and_nothing_is_created(
    data_dir: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ANNA_PASSWORD", "angeli26")
    assert main(["admin", "create", "--email", "anna@angeli.example", "--password-env", "ANNA_PASSWORD"]) == 1
    assert "at least 12 characters, got 8" in capsys.readouterr().err
    assert not identity_at(data_dir, clock).has_administrator()


def test_an_unset_variable_or_unreadable_file_is_refused(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "create", "--email", "anna@angeli.example", "--password-env", "NOT_SET_ANYWHERE"]) == 2
    assert main(["admin", "create", "--email", "anna@angeli.example", "--password-file", "/nonexistent/pw"]) == 2
    assert "NOT_SET_ANYWHERE is empty or unset" in capsys.readouterr().err


def test_the_same_email_cannot_be_created_twice(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNA_PASSWORD", "sette-angeli-milano")
    args = ["admin", "create", "--email", "anna@angeli.example", "--password-env", "ANNA_PASSWORD"]
    assert main(args) == 0
    assert main(args) == 1


def test_starting_without_an_administrator_says_how_to_create_one(
    data_dir: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    from services.identity.cli import HINT
    from services.main import create_app

    app = create_app()
    try:
        assert HINT in caplog.text
    finally:
        app.state.product.stop()


def test_the_answer_names_the_data_folder_the_administrator_was_stored_in(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ANNA_PASSWORD", "sette-angeli-milano")
    assert main(["admin", "create", "--email", "anna@angeli.example", "--password-env", "ANNA_PASSWORD"]) == 0
    assert f"in {data_dir.resolve()};" in capsys.readouterr().out


def test_without_a_password_source_the_password_is_asked_twice_on_the_terminal(
    data_dir: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    typed = iter(["sette-angeli-milano", "sette-angeli-milano"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert main(["admin", "create", "--email", "anna@angeli.example"]) == 0
    assert identity_at(data_dir, clock).has_administrator()


def test_two_different_passwords_typed_create_nothing(
    data_dir: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    typed = iter(["sette-angeli-milano", "sette-angeli-roma!"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert main(["admin", "create", "--email", "anna@angeli.example"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    assert not identity_at(data_dir, clock).has_administrator()


def test_without_a_password_source_or_a_terminal_it_says_how_to_give_one(
    data_dir: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["admin", "create", "--email", "anna@angeli.example"]) == 2
    assert "--password-env VAR or --password-file PATH" in capsys.readouterr().err
    assert not identity_at(data_dir, clock).has_administrator()
