"""Without a relay (the embedded default), a mailing goes into the outbox under the data folder: the console lists
those letters, and nothing is written anywhere else."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

from services.identity.domain import SYSTEM
from services.kernel.settings import Settings
from services.mail import mailings
from services.mail.application import MailApplication
from services.main import Product
from tests.mail.mailing_rig import campaign_with_contacts, marketing_template


def test_without_a_relay_a_mailing_is_written_into_the_data_folders_outbox(product: Product,
                                                                            embedded_settings: Settings) -> None:
    mail = product.services["mail"].application
    assert isinstance(mail, MailApplication)
    campaign_id, by_address = campaign_with_contacts(product, 4, agreed=range(4))
    mailing = mailings.create(mail, campaign_id, marketing_template(mail), "Annuncio", by=SYSTEM, once=None)
    mailings.start(mail, mailing.id, by=SYSTEM, once=None)
    mail.runner.wait(30)
    outbox = mail.outbox()
    assert outbox is not None
    assert Path(embedded_settings.data_dir / "outbox") == outbox.folder
    letters = outbox.list()
    assert sorted(parseaddr(letter.to)[1] for letter in letters) == sorted(by_address)
