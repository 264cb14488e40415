"""With no relay, mail is written into the outbox folder: whole files, listed newest first, read back; no name
reaches outside the folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.mail.message import Attachment, build
from services.mail.transport import Accepted, NotInOutbox, Outbox, Relay, transport

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def letter(name: str, subject: str, key: str) -> EmailMessage:
    address = name.lower().replace("ò", "o")
    return build(key=key, sender="Associazione Angeli <info@angeli.example>", to=f"{name} <{address}@example.org>",
                 subject=subject, text=f"Cara {name}, grazie di cuore.\n", html=f"<p>Cara {name}, grazie.</p>",
                 date=AT, attachments=[Attachment("ricevuta.pdf", b"%PDF-1.7\n%%EOF\n")])


@pytest.fixture
def outbox(tmp_path: Path) -> tuple[Outbox, FixedClock]:
    clock = FixedClock(AT)
    return Outbox(tmp_path / "outbox", clock), clock


def test_each_message_becomes_one_eml_file_listed_newest_first(outbox: tuple[Outbox, FixedClock]) -> None:
    box, clock = outbox
    for name, address, subject in (("Giulia", "giulia", "Grazie, Giulia"), ("Niccolò", "niccolo", "Grazie, Niccolò"),
                                   ("Marco", "marco", "Natale 2026")):
        outcome = box.send(letter(name, subject, f"thanks/{name}"), "bounce+abc@bounces.angeli.example",
                           f"{address}@example.org")
        assert outcome == Accepted(f"{address}@example.org")
        clock.advance(timedelta(minutes=1))
    listed = box.list()
    assert [(m.subject, m.to) for m in listed] == [
        ("Natale 2026", "Marco <marco@example.org>"), ("Grazie, Niccolò", "Niccolò <niccolo@example.org>"),
        ("Grazie, Giulia", "Giulia <giulia@example.org>")]
    assert listed[0].name.startswith("20261123T093200.000000Z-") and listed[0].name.endswith(".eml")
    assert listed[0].envelope_from == "bounce+abc@bounces.angeli.example" and listed[0].date.startswith("Mon, 23 Nov")
    assert sorted(p.name for p in box.folder.iterdir()) == sorted(m.name for m in listed)  # no temporary file left
    assert [m.subject for m in box.list(limit=1)] == ["Natale 2026"]


def test_a_listed_message_reads_back_whole(outbox: tuple[Outbox, FixedClock]) -> None:
    box, _ = outbox
    box.send(letter("Giulia", "Grazie, Giulia", "thanks/giulia"), "bounce+abc@b.angeli.example",
             "giulia.bianchi+angeli@example.org")
    [entry] = box.list()
    message = box.read(entry.name)
    text = message.get_body(("plain",))
    assert text is not None and "Cara Giulia, grazie di cuore." in text.get_content()
    assert message["Delivered-To"] == "giulia.bianchi+angeli@example.org"
    assert [a.get_filename() for a in message.iter_attachments()] == ["ricevuta.pdf"]


def test_the_file_is_named_by_the_instant_and_the_message_key(outbox: tuple[Outbox, FixedClock]) -> None:
    box, _ = outbox
    message = letter("Giulia", "Grazie", "thanks/giulia")
    box.send(message, "bounce+abc@b.angeli.example", "giulia@example.org")
    digest = str(message["Message-ID"]).strip("<").partition("@")[0]
    assert [m.name for m in box.list()] == [f"20261123T093000.000000Z-{digest}.eml"]


@pytest.mark.parametrize("name", [
    "../secrets/mail_token_key", "/etc/passwd", "20261123T093000.000000Z-abc.eml/../../x",
    "..%2f..%2fetc%2fpasswd", "20261123T093000.000000Z-ABC.eml", "", ".writing-x.tmp",
])
def test_a_name_outside_the_folder_or_not_of_a_message_is_refused(outbox: tuple[Outbox, FixedClock],
                                                                  name: str) -> None:
    box, _ = outbox
    box.folder.mkdir(parents=True)
    (box.folder.parent / "passwd").write_text("root:x:0:0")
    with pytest.raises(NotInOutbox, match="is not the name of an outbox message"):
        box.read(name)


def test_a_message_that_is_not_there_is_not_in_the_outbox(outbox: tuple[Outbox, FixedClock]) -> None:
    box, _ = outbox
    assert box.list() == []
    with pytest.raises(NotInOutbox, match="there is no message"):
        box.read("20261123T093000.000000Z-abc.eml")


def test_with_no_relay_set_mail_goes_to_the_outbox_under_the_data_folder(tmp_path: Path) -> None:
    chosen = transport(Settings.from_env({"ANGELI_DATA_DIR": str(tmp_path)}).mail, clock=FixedClock(AT))
    assert isinstance(chosen, Outbox) and chosen.folder == tmp_path / "outbox"
    relay = transport(Settings.from_env({"ANGELI_SMTP_HOST": "smtp.angeli.example",
                                         "ANGELI_MAIL_PUBLIC_URL": "https://angeli.example"}).mail)
    assert isinstance(relay, Relay) and relay.address == "smtp.angeli.example:587"


@pytest.mark.parametrize(("envelope_from", "recipient"), [
    ("bounce+abc@b.angeli.example", "giulia@example.org\r\nBcc: everyone@example.org"),
    ("bounce+abc@b.angeli.example>\r\nX-Evil: 1", "giulia@example.org"),
    ("bounce+abc@b.angeli.example", "niccolò@example.org"),
    ("bounce+abc@b.angeli.example", "Giulia <giulia@example.org>"),
])
def test_an_envelope_address_that_could_break_a_line_is_refused_and_nothing_written(
        outbox: tuple[Outbox, FixedClock], envelope_from: str, recipient: str) -> None:
    box, _ = outbox
    with pytest.raises(ValueError, match="must be a plain address"):
        box.send(letter("Giulia", "Grazie", "thanks/giulia"), envelope_from, recipient)
    assert box.list() == []
