"""The import commands from the shell, on the embedded default. The commands run on the system clock, so the
register's check days are taken from the real date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.campaigns.domain.contact import Contact
from services.cli import main
from services.kernel.settings import Settings
from tests.campaigns.conftest import SCRIPT
from tests.campaigns.test_dialer_postgres import campaigns_app
from tests.conftest import ROME


@pytest.fixture
def natale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UUID:
    """Draft campaign "Natale 2026" in the embedded store the shell commands use."""
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    application = campaigns_app(Settings(data_dir=tmp_path / "var"))
    try:
        return application.create_campaign(
            "Natale 2026", uuid4(), Decimal("100.00"), date(2026, 11, 1), date(2026, 12, 31),
            {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
            ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], (SCRIPT["text"], SCRIPT["privacy_notice"]),
            5)
    finally:
        application.close()


def test_contacts_and_register_import_from_the_shell(natale: UUID, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    donors = tmp_path / "donatori.csv"
    donors.write_text("nome;telefono\nGiulia;02 1234 5678\nMarco;12\n", encoding="utf-8-sig")
    assert main(["contacts", "import", str(natale), str(donors)]) == 1
    out = capsys.readouterr().out
    assert "1 imported, 0 merged, 1 invalid of 2 rows" in out and "line 3:" in out
    register = tmp_path / "rpo.csv"
    register.write_text("phone\n+390212345678\n")
    checked_on = datetime.now(ROME).date() - timedelta(days=3)
    assert main(["register", "import", str(register), "--checked-on", checked_on.isoformat()]) == 0
    assert "1 listed" in capsys.readouterr().out
    register.write_bytes(b"\xff\xfe")
    next_day = (checked_on + timedelta(days=1)).isoformat()
    assert main(["register", "import", str(register), "--checked-on", next_day]) == 2


def test_the_import_from_the_shell_prints_each_contacts_id_with_its_line(
        natale: UUID, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given draft campaign Natale 2026 and a list of two donors
    donors = tmp_path / "donatori.csv"
    donors.write_text("nome;telefono\nGiulia;02 1234 5678\nMarco;06 9876 5432\n", encoding="utf-8")
    # When the file is imported from the shell
    assert main(["contacts", "import", str(natale), str(donors)]) == 0
    # Then each line's contact id is printed, and each is a contact of the campaign
    printed = [line.split(": contact ") for line in capsys.readouterr().out.splitlines() if ": contact " in line]
    assert [line for line, _ in printed] == ["line 2", "line 3"]
    application = campaigns_app(Settings(data_dir=tmp_path / "var"))
    try:
        assert all(application.get(UUID(cid), Contact).campaign_id == natale for _, cid in printed)
    finally:
        application.close()
