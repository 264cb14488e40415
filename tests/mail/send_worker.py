"""A process that sends one mailing and exits: what the kill-and-restart test runs, and kills, twice.

    python -m tests.mail.send_worker <data dir> <relay port> <mailing id>
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from uuid import UUID

from services.kernel.settings import Settings
from services.mail import mailings
from services.mail.application import MailApplication
from services.main import build
from tests.mail.mailing_rig import mail_settings


def main(data_dir: str, port: str, mailing_id: str) -> int:
    settings = Settings(mode="embedded", data_dir=Path(data_dir), mail=mail_settings(int(port), per_minute=6000),
                        run_feeds=False, run_jobs=False)
    product = build(settings)
    try:
        mail = product.services["mail"].application
        assert isinstance(mail, MailApplication)
        mailings.run(mail, UUID(mailing_id), threading.Event())
    finally:
        product.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
