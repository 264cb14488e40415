"""A campaign of contacts with e-mail addresses, a marketing template and consents, on a product whose mail goes
to a real SMTP server (aiosmtpd on 127.0.0.1): what the mailing tests share."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

from services.campaigns.application import CampaignsApplication
from services.identity.domain import SYSTEM
from services.kernel.settings import MailSettings, Settings
from services.mail import people, template_library, tokens
from services.mail.application import MailApplication
from services.main import Product

SUBJECT = "{{ donor.first_name }}, Natale 2026 con {{ charity.name }}"
TEXT = ("Cara {{ donor.first_name }} {{ donor.last_name }},\nquest'anno la campagna {{ campaign.name }} porta i pasti "
        "caldi a chi è solo.\n\n{{ charity.name }}, {{ charity.address }}\nPer non ricevere più queste e-mail: "
        "{{ unsubscribe_url }}\n")
HTML = ("<p>Cara {{ donor.first_name }},</p><p>la campagna <b>{{ campaign.name }}</b> è iniziata.</p>"
        "<p>{{ charity.name }}, {{ charity.address }} · <a href=\"{{ unsubscribe_url }}\">Annulla l'iscrizione</a></p>")
CONSENT = "Acconsento a ricevere e-mail sulle iniziative e le raccolte fondi dell'associazione."


def mail_settings(port: int, per_minute: int = 100_000) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, security="none", public_url="https://angeli.example",
                        bounce_domain="bounces.angeli.example", per_minute=per_minute)


def relayed(tmp_path: Path, port: int) -> Settings:
    """The embedded product in `tmp_path`, its mail through the relay on `port`."""
    return Settings(mode="embedded", data_dir=tmp_path / "var", mail=mail_settings(port))


def mail_of(product: Product) -> MailApplication:
    app = product.services["mail"].application
    assert isinstance(app, MailApplication)
    return app


def address(n: int) -> str:
    return f"donatore{n:04d}@example.org"


@dataclass(frozen=True)
class Rig:
    campaign_id: UUID
    template_id: UUID
    people: dict[str, UUID]  # address → person id


def campaign_with_contacts(product: Product, count: int,
                           agreed: range | None = None) -> tuple[UUID, dict[str, UUID]]:
    """A campaign of `count` contacts with addresses; those numbered in `agreed` gave consent to marketing e-mail
    with the list (its column consenso_email)."""
    app = product.services["campaigns"].application
    assert isinstance(app, CampaignsApplication)
    campaign_id = app.create_campaign(
        "Natale 2026", uuid4(), Decimal("10000.00"), date(2026, 11, 1), date(2026, 12, 31),
        {"weekdays": [0, 1, 2, 3, 4], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
        ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], None, 5)
    agreed = agreed or range(0)
    rows = "nome;cognome;telefono;email;consenso_email;testo_consenso\n" + "".join(
        f"Nome{n};Cognome{n};+39 02 {3000000 + n};{address(n)};{'sì' if n in agreed else ''};{CONSENT}\n"
        for n in range(count))
    report = app.import_contacts(campaign_id, io.BytesIO(rows.encode()))
    assert report.imported == count, report
    found = {address(n): app.person_id(f"+39 02 {3000000 + n}") for n in range(count)}
    return campaign_id, found


def marketing_template(mail: MailApplication, text: str = TEXT) -> UUID:
    template_id = template_library.create(mail, "Natale 2026", "marketing", by=SYSTEM, once=None)
    template_library.publish(mail, template_id, SUBJECT, HTML, text, by=SYSTEM, once=None)
    return template_id


def consent(mail: MailApplication, person_ids: list[UUID]) -> None:
    for person_id in person_ids:
        people.consent(mail, person_id, "modulo web Natale", CONSENT, by=SYSTEM, once=None)


def unsubscribed_before(mail: MailApplication, person_id: UUID) -> None:
    """The person left through an earlier mailing's link."""
    token = tokens.sign(mail.token_key, "unsubscribe", person_id, "campaign:estate-2026", "mailing:estate")
    assert people.unsubscribe(mail, token, "one-click")
