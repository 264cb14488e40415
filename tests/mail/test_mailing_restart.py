"""A send killed in the middle and started again: the process is killed (SIGKILL) by the SMTP server itself while
it hands over the 80th message, before the server accepts it; the next process resumes the mailing. Everybody
receives it once: nobody twice, nobody skipped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.identity.domain import SYSTEM
from services.kernel.settings import Settings
from services.mail import mailings
from services.mail.application import MailApplication
from services.main import build
from tests.conftest import free_port
from tests.mail.conftest import Postmaster
from tests.mail.mailing_rig import campaign_with_contacts, consent, mail_settings, marketing_template

CONTACTS = 200
KILL_AT = 80


@dataclass
class Killer(Postmaster):
    """Kills the sending process when its `KILL_AT`th message arrives, and does not keep that message."""

    victim: int = 0
    seen: int = 0
    killed: list[int] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.victim and self.seen == KILL_AT:
            os.kill(self.victim, signal.SIGKILL)
            self.killed.append(self.victim)
            return "421 4.3.0 going away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def killer() -> Iterator[tuple[Killer, int]]:
    postmaster, port = Killer(), free_port()
    controller = Controller(postmaster, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield postmaster, port
    finally:
        controller.stop()


def worker(data_dir: Path, port: int, mailing_id: object) -> subprocess.Popen[bytes]:
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen([sys.executable, "-m", "tests.mail.send_worker", str(data_dir), str(port), str(mailing_id)],
                            cwd=root, env={**os.environ, "PYTHONPATH": str(root)})


def finished(process: subprocess.Popen[bytes]) -> int:
    """The process's exit code; one still running after two minutes is killed (no test leaves it behind)."""
    try:
        return process.wait(120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_send_killed_in_the_middle_resumes_without_sending_anyone_twice(tmp_path: Path,
                                                                          killer: tuple[Killer, int]) -> None:
    postmaster, port = killer
    data_dir = tmp_path / "var"
    settings = Settings(mode="embedded", data_dir=data_dir, mail=mail_settings(port), run_feeds=False,
                        run_jobs=False)
    product = build(settings)
    mail = product.services["mail"].application
    assert isinstance(mail, MailApplication)
    campaign_id, by_address = campaign_with_contacts(product, CONTACTS)
    consent(mail, list(by_address.values()))
    mailing = mailings.create(mail, campaign_id, marketing_template(mail), "Annuncio", by=SYSTEM, once=None)
    mailings.start(mail, mailing.id, by=SYSTEM, once=None)  # recorded; this process runs no sends
    product.stop()

    first = worker(data_dir, port, mailing.id)
    postmaster.victim = first.pid
    assert finished(first) == -signal.SIGKILL
    assert postmaster.killed == [first.pid]
    assert len(postmaster.received) == KILL_AT - 1

    postmaster.victim = 0
    assert finished(worker(data_dir, port, mailing.id)) == 0

    recipients = [r.rcpt_tos[0] for r in postmaster.received]
    assert len(recipients) == len(set(recipients)), "somebody received the mailing twice"
    assert sorted(recipients) == sorted(by_address), "somebody was skipped"

    product = build(settings)
    try:
        mail = product.services["mail"].application
        assert isinstance(mail, MailApplication)
        progress = mailings.progress(mail, mailing.id)
        assert progress.mailing.status == "sent"
        assert (progress.counts["accepted"], progress.counts["queued"]) == (CONTACTS, 0)
    finally:
        product.stop()
