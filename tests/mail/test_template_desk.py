"""The template editor's reads on the in-memory store: a template with every version, and a draft's preview merged
with a person's data from the vault or with sample data, saying (not raising) a missing required piece; nothing is
stored by a preview."""

from __future__ import annotations

import os
from uuid import UUID, uuid4

import pytest

from services.identity.domain import Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import NotFound
from services.kernel.settings import MailSettings
from services.mail import template_desk
from services.mail import template_library as library
from services.mail.application import MailApplication
from services.mail.rendering import InvalidTemplate, MissingMergeField
from services.privacy.application import PrivacyVault
from tests.conftest import MEMORY

LUCIA = Actor(kind="account", id="l1", name="lucia@angeli.example", role="campaign_manager")
FOOTER = "{{ charity.name }}, {{ charity.address }} · {{ unsubscribe_url }}"
SUBJECT = "{{ campaign.name }}: una nuova linea d'ascolto"
HTML = "<p>Cara {{ donor.first_name }},</p><p>" + FOOTER + "</p>"
TEXT = "Cara {{ donor.first_name }},\n" + FOOTER


@pytest.fixture
def mail(vault: PrivacyVault, clock: FixedClock) -> MailApplication:
    return MailApplication(dict(MEMORY), vault=vault, settings=MailSettings(), token_key=os.urandom(32), clock=clock)


def natale(mail: MailApplication) -> UUID:
    return library.create(mail, "Natale 2026", "marketing", by=LUCIA, once=None)


def test_a_template_is_read_with_every_version_oldest_first(mail: MailApplication) -> None:
    template = natale(mail)
    library.publish(mail, template, SUBJECT, HTML, TEXT, by=LUCIA, once=None)
    library.publish(mail, template, "Un anno insieme", HTML, TEXT, by=LUCIA, once=None)

    view = template_desk.template(mail, template)

    assert view.name == "Natale 2026" and view.retired_at is None
    assert [(v.number, v.content.subject) for v in view.versions] == [(1, SUBJECT), (2, "Un anno insieme")]


def test_a_draft_is_merged_with_sample_data_and_the_campaign_named(mail: MailApplication) -> None:
    template = natale(mail)

    shown = template_desk.preview_draft(mail, template, SUBJECT, HTML, TEXT, person_id=None, by=LUCIA,
                                        campaign="Pasqua 2027")

    assert shown.person_id is None and shown.problem == ""
    assert shown.rendered.subject == "Pasqua 2027: una nuova linea d'ascolto"
    assert shown.rendered.text.startswith("Cara Ada,\nAssociazione Angeli ODV, Via della Solidarietà 1")
    assert template_desk.UNSUBSCRIBE_PLACEHOLDER in shown.rendered.html
    assert template_desk.template(mail, template).versions == ()  # a preview publishes nothing


def test_a_draft_is_merged_with_a_persons_own_data_from_the_vault(mail: MailApplication,
                                                                  vault: PrivacyVault) -> None:
    template, marta = natale(mail), uuid4()
    vault.put(marta, {"name": "Marta Verdi", "email": "marta@example.org"})

    shown = template_desk.preview_draft(mail, template, SUBJECT, HTML, TEXT, person_id=marta, by=LUCIA)

    assert shown.person_id == marta and shown.rendered.text.startswith("Cara Marta,")
    assert shown.rendered.subject == "Natale 2026: una nuova linea d'ascolto"  # the sample campaign's name


def test_a_person_the_vault_does_not_know_is_not_found(mail: MailApplication) -> None:
    with pytest.raises(NotFound, match="no personal data is held"):
        template_desk.preview_draft(mail, natale(mail), SUBJECT, HTML, TEXT, person_id=uuid4(), by=LUCIA)


def test_a_missing_required_piece_is_said_and_the_draft_still_shown(mail: MailApplication) -> None:
    shown = template_desk.preview_draft(mail, natale(mail), SUBJECT, HTML, "Cara {{ donor.first_name }}",
                                        person_id=None, by=LUCIA)

    assert "the text part lacks {{ charity.address }} (the charity's postal address) and {{ unsubscribe_url }}" \
        in shown.problem
    assert shown.rendered.text == "Cara Ada"


def test_a_missing_merge_field_and_a_syntax_error_are_raised_naming_the_part(mail: MailApplication) -> None:
    template = natale(mail)
    with pytest.raises(MissingMergeField) as missing:
        template_desk.preview_draft(mail, template, SUBJECT, HTML + "{{ donor.nickname }}", TEXT, person_id=None,
                                    by=LUCIA)
    assert (missing.value.field, missing.value.part) == ("donor.nickname", "html")
    with pytest.raises(InvalidTemplate, match="the text part has a syntax error on line 3"):
        template_desk.preview_draft(mail, template, SUBJECT, HTML, TEXT + "\n{% if %}", person_id=None, by=LUCIA)
