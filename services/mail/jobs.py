"""Scheduled work of the mail service: mailings being sent are picked up (after a restart, or started by another
process) and sent on by this process's runner."""

from __future__ import annotations

from services.kernel.scheduling import Job
from services.mail.application import MailApplication


def jobs(application: MailApplication) -> list[Job]:
    return [Job("mail-resume-sends", application.runner.kick, 30.0)]
