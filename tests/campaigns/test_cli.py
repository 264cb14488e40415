"""The import commands from the shell, on the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.campaigns.domain.contact import Contact
from services.cli import main
from services.kernel.settings import Settings
from tests.campaigns.conftest import SCRIPT
from tests.campaigns.test_dialer_postgres import campaigns_app


def test_contacts_and_register_import_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    application = campaigns_app(Settings(data_dir=tmp_path / "var"))
    from datetime import date
    from decimal import Decimal
    from uuid import uuid4
    campaign_id = application.create_campaign(
        "Natale 2026", uuid4(), Decimal("100.00"), date(2026, 11, 1), date(2026, 12, 31),
        {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
        ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], (SCRIPT["text"], SCRIPT["privacy_notice"]), 5)
    application.close()
    donors = tmp_path / "donatori.csv"
    donors.write_text("nome;telefono\nGiulia;02 1234 5678\nMarco;12\n", encoding="utf-8-sig")
    assert main(["contacts", "import", str(campaign_id), str(donors)]) == 1
    out = capsys.readouterr().out
    assert "1 imported, 0 merged, 1 invalid of 2 rows" in out and "line 3:" in out
    register = tmp_path / "rpo.csv"
    register.write_text("phone\n+390212345678\n")
    assert main(["register", "import", str(register), "--checked-on", "2026-11-20"]) == 0
    assert "1 listed" in capsys.readouterr().out
    register.write_bytes(b"\xff\xfe")
    assert main(["register", "import", str(register), "--checked-on", "2026-11-21"]) == 2


def test_the_import_from_the_shell_prints_each_contacts_id_with_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a draft campaign
    from datetime import date
    from decimal import Decimal
    from uuid import UUID, uuid4
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    application = campaigns_app(Settings(data_dir=tmp_path / "var"))
    campaign_id = application.create_campaign(
        "Natale 2026", uuid4(), Decimal("100.00"), date(2026, 11, 1), date(2026, 12, 31),
        {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
        ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], (SCRIPT["text"], SCRIPT["privacy_notice"]), 5)
    application.close()
    donors = tmp_path / "donatori.csv"
    donors.write_text("nome;telefono\nGiulia;02 1234 5678\nMarco;06 9876 5432\n", encoding="utf-8")
    # When the file is imported from the shell
    assert main(["contacts", "import", str(campaign_id), str(donors)]) == 0
    # Then each line's contact id is printed, and each is a contact of the campaign
    printed = [line.split(": contact ") for line in capsys.readouterr().out.splitlines() if ": contact " in line]
    assert [line for line, _ in printed] == ["line 2", "line 3"]
    application = campaigns_app(Settings(data_dir=tmp_path / "var"))
    try:
        assert all(application.get(UUID(cid), Contact).campaign_id == campaign_id for _, cid in printed)
    finally:
        application.close()
