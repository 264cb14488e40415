"""Scheduled work of the thank-yous: one sweep every quarter of an hour that sends the day's batch once (from
09:00 in Rome) and, from 15 January, the last year's receipts when the plan asks for them."""

from __future__ import annotations

import logging

from services.kernel.scheduling import Job
from services.mail import thanks
from services.mail.application import MailApplication

log = logging.getLogger(__name__)


def sweep(application: MailApplication) -> dict[str, int]:
    batch = thanks.send_due_thanks(application)
    year_end = thanks.send_year_end_receipts(application, application.receipts)
    if batch.ran or year_end.ran:
        log.info("thank-yous: %d sent, %d skipped, %d refused; receipts %d: %d of %d donors sent", batch.sent,
                 batch.skipped, batch.refused, year_end.year, year_end.sent, year_end.donors)
    return {"sent": batch.sent, "skipped": batch.skipped, "refused": batch.refused, "receipts": year_end.sent}


def jobs(application: MailApplication, every_seconds: float = 900) -> tuple[Job, ...]:
    return (Job("mail.thanks", lambda: sweep(application), every_seconds),)
