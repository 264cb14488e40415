"""`angeli directory import FILE.csv` adds the valid rows and prints each bad one with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.calls.application import CallsApplication
from services.cli import main
from services.kernel.settings import Settings
from services.main import build


def test_directory_import_from_the_shell_reports_bad_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANGELI_MODE", "embedded")
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    csv = tmp_path / "comuni.csv"
    csv.write_text("istat_code,municipality,category,number\n015146,Milano,health,02 8578 1\n"
                   "015146,Milano,health,12\n", encoding="utf-8-sig")
    assert main(["directory", "import", str(csv)]) == 1
    out = capsys.readouterr().out
    assert "1 numbers added" in out and f"{csv}:3: number '12' is not a valid Italian phone number" in out
    product = build(Settings(mode="embedded", data_dir=tmp_path / "var"))
    try:
        calls = product.services["calls"].application
        assert isinstance(calls, CallsApplication)
        assert calls.municipality("015146").numbers == (("health", "+390285781"),)
    finally:
        product.stop()


def test_an_unreadable_file_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ANGELI_MODE", "embedded")
    csv = tmp_path / "comuni.csv"
    csv.write_bytes(b"nothing useful\n")
    assert main(["directory", "import", str(csv)]) == 2


def test_check_reports_every_line_and_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANGELI_MODE", "embedded")
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    csv = tmp_path / "comuni.csv"
    csv.write_text("istat_code,municipality,category,number\n015146,Milano,sanità,02 8578 1\n"
                   "015146,Milano,oroscopo,02 8578 1\n", encoding="utf-8")
    assert main(["directory", "import", "--check", str(csv)]) == 1
    out = capsys.readouterr().out
    assert f"{csv}:2: would be imported: Milano, health, +390285781" in out
    assert f"{csv}:3: rejected: unknown category 'oroscopo'" in out and "nothing stored" in out
    assert main(["directory", "import", str(csv)]) == 1
    assert main(["directory", "import", "--check", str(csv)]) == 1
    assert f"{csv}:2: unchanged" in capsys.readouterr().out
