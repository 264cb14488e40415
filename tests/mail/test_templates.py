"""E-mail templates as versioned data: versions that never change, rename, retire, the required pieces refused
when missing, the template list read through its index, and nothing stored on bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.identity.domain import Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.eventstore import ServiceApplication, event_store_env
from services.kernel.settings import Settings
from services.mail import template_library as library
from services.mail.domain.template import (
    InvalidTemplateName,
    Kind,
    MissingRequiredPiece,
    Template,
    TemplateRetired,
    UnknownTemplateVersion,
)
from services.mail.domain.template_index import TemplateIndex
from services.mail.rendering import InvalidTemplate
from tests.conftest import MEMORY

CHIARA = Actor(kind="account", id="c1", name="chiara@angeli.example", role="campaign_manager")
FOOTER_HTML = "<p>Associazione Angeli, {{ charity.address }}</p>"
FOOTER_TEXT = "Associazione Angeli, {{ charity.address }}"
UNSUBSCRIBE_HTML = '<p><a href="{{ unsubscribe_url }}">Non ricevere più queste e-mail</a></p>'
UNSUBSCRIBE_TEXT = "Per non ricevere più queste e-mail: {{ unsubscribe_url }}"
NATALE_HTML = "<p>Cara {{ donor.first_name }}, a Natale 2026 apriamo la nuova linea d'ascolto.</p>" \
              + FOOTER_HTML + UNSUBSCRIBE_HTML
NATALE_TEXT = "Cara {{ donor.first_name }}, a Natale 2026 apriamo la nuova linea d'ascolto.\n" \
              + FOOTER_TEXT + "\n" + UNSUBSCRIBE_TEXT
THANKS_HTML = "<p>Grazie {{ donor.first_name }} per il tuo dono di {{ gift.amount }}.</p>" + FOOTER_HTML
THANKS_TEXT = "Grazie {{ donor.first_name }} per il tuo dono di {{ gift.amount }}.\n" + FOOTER_TEXT


@pytest.fixture
def mail(clock: FixedClock) -> ServiceApplication:
    return ServiceApplication(dict(MEMORY), clock=clock)


def natale(mail: ServiceApplication) -> UUID:
    template = library.create(mail, "Natale 2026", "marketing", by=CHIARA, once=None)
    library.publish(mail, template, "Natale 2026: una nuova linea d'ascolto", NATALE_HTML, NATALE_TEXT, by=CHIARA,
                    once=None)
    return template


def stored_events(mail: ServiceApplication, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in mail.repository.event_store.get(aggregate_id)]


def test_each_publication_adds_a_version_and_older_ones_never_change(mail: ServiceApplication,
                                                                     clock: FixedClock) -> None:
    template = natale(mail)
    clock.advance(timedelta(days=1))
    second = library.publish(mail, template, "Natale 2026: ascoltiamo chi è solo",
                             NATALE_HTML.replace("Cara", "Gentile"), NATALE_TEXT, by=CHIARA, once=None)
    assert second == 2
    first = library.version(mail, template, 1)
    assert (first.number, first.content.subject) == (1, "Natale 2026: una nuova linea d'ascolto")
    assert first.content.html == NATALE_HTML and first.published_by == "account:chiara@angeli.example"
    latest = library.version(mail, template)
    assert (latest.number, latest.content.subject, latest.kind) == (2, "Natale 2026: ascoltiamo chi è solo",
                                                                   Kind.MARKETING)
    assert latest.published_at - first.published_at == timedelta(days=1)
    with pytest.raises(UnknownTemplateVersion, match="versions 1 to 2, not 3"):
        library.version(mail, template, 3)
    assert stored_events(mail, template) == ["Created", "VersionPublished", "VersionPublished"]


def test_a_template_has_no_version_until_one_is_published(mail: ServiceApplication) -> None:
    template = library.create(mail, "Grazie", "transactional", by=CHIARA, once=None)
    with pytest.raises(UnknownTemplateVersion, match="no published version yet"):
        library.for_sending(mail, template)
    assert library.templates(mail)[0].versions == 0


def test_renaming_keeps_every_version_and_a_rename_to_the_same_name_records_nothing(mail: ServiceApplication) -> None:
    template = natale(mail)
    library.rename(mail, template, "  Natale 2026 — annuncio  ", by=CHIARA, once=None)
    library.rename(mail, template, "Natale 2026 — annuncio", by=CHIARA, once=None)
    assert library.version(mail, template, 1).name == "Natale 2026 — annuncio"
    assert library.version(mail, template, 1).content.html == NATALE_HTML
    assert stored_events(mail, template) == ["Created", "VersionPublished", "Renamed"]


def test_a_retired_template_keeps_its_versions_but_sends_and_takes_nothing_new(mail: ServiceApplication) -> None:
    template = natale(mail)
    library.retire(mail, template, by=CHIARA, once=None)
    library.retire(mail, template, by=CHIARA, once=None)  # again: nothing more to record
    assert library.version(mail, template, 1).content.text == NATALE_TEXT  # mail already sent can be shown
    with pytest.raises(TemplateRetired, match="retired on 2026-11-23, so you cannot send new mail"):
        library.for_sending(mail, template)
    with pytest.raises(TemplateRetired, match="cannot publish"):
        library.publish(mail, template, "Ancora", NATALE_HTML, NATALE_TEXT, by=CHIARA, once=None)
    with pytest.raises(TemplateRetired, match="cannot rename"):
        library.rename(mail, template, "Natale 2027", by=CHIARA, once=None)
    assert stored_events(mail, template) == ["Created", "VersionPublished", "Retired"]


def test_the_list_reads_the_index_by_name_with_retired_templates_last(mail: ServiceApplication) -> None:
    old = natale(mail)
    thanks = library.create(mail, "grazie per il dono", "transactional", by=CHIARA, once=None)
    library.publish(mail, thanks, "Grazie, {{ donor.first_name }}", THANKS_HTML, THANKS_TEXT, by=CHIARA, once=None)
    appeal = library.create(mail, "Appello di primavera", "marketing", by=CHIARA, once=None)
    library.retire(mail, old, by=CHIARA, once=None)
    assert library.listed(mail) == [old, thanks, appeal]  # the index, in order of creation
    assert [(s.name, s.kind, s.versions, s.retired) for s in library.templates(mail)] == [
        ("Appello di primavera", Kind.MARKETING, 0, False), ("grazie per il dono", Kind.TRANSACTIONAL, 1, False),
        ("Natale 2026", Kind.MARKETING, 1, True)]
    assert stored_events(mail, TemplateIndex.create_id()) == ["Opened", "Listed", "Listed", "Listed"]


def test_the_index_lists_each_template_once() -> None:
    index = TemplateIndex()
    first, second = Template.create("A", "marketing", _now(), "x").id, Template.create("B", "marketing", _now(), "x").id
    assert index.add([first, first]) == 1
    assert index.add([first, second]) == 1
    assert index.templates == [str(first), str(second)]


@pytest.mark.parametrize(("kind", "html", "text", "reason"), [
    ("transactional", THANKS_HTML.replace(FOOTER_HTML, ""), THANKS_TEXT,
     r"the HTML part lacks \{\{ charity.address \}\} \(the charity's postal address\)$"),
    ("transactional", THANKS_HTML, THANKS_TEXT.replace(FOOTER_TEXT, "Associazione Angeli"),
     r"the text part lacks \{\{ charity.address \}\}"),
    ("marketing", NATALE_HTML, NATALE_TEXT.replace(UNSUBSCRIBE_TEXT, ""),
     r"a marketing template must show .*unsubscribe_url.* the text part lacks \{\{ unsubscribe_url \}\} "
     r"\(the unsubscribe link\)$"),
    ("marketing", THANKS_HTML, THANKS_TEXT,
     r"HTML part lacks \{\{ unsubscribe_url \}\}.*; the text part lacks \{\{ unsubscribe_url \}\}"),
    ("marketing", "<p>Ciao</p>", "Ciao",
     r"HTML part lacks \{\{ charity.address \}\} \(the charity's postal address\) and \{\{ unsubscribe_url \}\}"),
    # Shown only sometimes is not shown: a branch or a loop could leave it out.
    ("transactional", "{% if donor.vip %}" + FOOTER_HTML + "{% endif %}", THANKS_TEXT, "HTML part lacks"),
    ("marketing", NATALE_HTML, NATALE_TEXT.replace("{{ unsubscribe_url }}", "{% for u in [1] %}{{ unsubscribe_url }}"
                                                   "{% endfor %}"), "text part lacks"),
    # Named, but not as the merge field: a comment, a plain word, another field.
    ("transactional", THANKS_HTML.replace("{{ charity.address }}", "{# charity.address #}"), THANKS_TEXT, "HTML part"),
    ("transactional", THANKS_HTML, THANKS_TEXT.replace("charity.address", "charity.name"), "text part lacks"),
])
def test_a_version_without_the_required_pieces_is_refused_and_nothing_is_stored(
        mail: ServiceApplication, kind: str, html: str, text: str, reason: str) -> None:
    template = library.create(mail, "Prova", kind, by=CHIARA, once=None)
    with pytest.raises(MissingRequiredPiece, match=reason):
        library.publish(mail, template, "Prova", html, text, by=CHIARA, once=None)
    assert stored_events(mail, template) == ["Created"]


def test_the_pieces_may_be_filtered_or_read_by_key_and_transactional_mail_needs_no_unsubscribe_link(
        mail: ServiceApplication) -> None:
    template = library.create(mail, "Ricevuta", "transactional", by=CHIARA, once=None)
    html = "<p>Ricevuta</p><address>{{ charity['address'] | e }}</address>"
    assert library.publish(mail, template, "La tua ricevuta", html, "Ricevuta\n{{ charity.address|trim }}",
                           by=CHIARA, once=None) == 1


@pytest.mark.parametrize(("subject", "html", "text", "reason"), [
    ("Natale {{ donor.first_name", NATALE_HTML, NATALE_TEXT, "the subject has a syntax error on line 1"),
    ("Natale", NATALE_HTML, NATALE_TEXT.replace(".\n", ".\n{% if donor.vip %}\n"),
     "the text part has a syntax error on line 4: Unexpected end of template"),
    ("Natale", "<p>\n\n{% for g in gifts %}{{ g.amount }</p>" + NATALE_HTML, NATALE_TEXT,
     "the HTML part has a syntax error on line 3"),
    ("Natale", "{% include 'footer.html' %}" + NATALE_HTML, NATALE_TEXT, r"HTML part uses \{% include %\} on line 1"),
    ("Natale", NATALE_HTML, "{% extends 'base.txt' %}" + NATALE_TEXT, r"uses \{% extends %\}"),
    ("Natale", NATALE_HTML + "{{ ''.__class__ }}", NATALE_TEXT, "reads '__class__' on line 1"),
    ("Natale", NATALE_HTML, NATALE_TEXT + "{{ donor['__dict__'] }}", "text part reads '__dict__'"),
    ("Natale", NATALE_HTML + "{{ donor | attr('__class__') }}", NATALE_TEXT, "reads '__class__'"),
    ("", NATALE_HTML, NATALE_TEXT, "the subject must be 1 to 200 characters on one line, got 0"),
    ("N" * 201, NATALE_HTML, NATALE_TEXT, "1 to 200 characters on one line, got 201"),
    ("Natale\r\nBcc: tutti@example.org", NATALE_HTML, NATALE_TEXT, "on one line"),
    ("Natale", NATALE_HTML + "<p>" + "è" * 110_000 + "</p>", NATALE_TEXT,
     r"the HTML part must be at most 200 KB \(204800 bytes in UTF-8\), got 220"),
    ("Natale", NATALE_HTML, NATALE_TEXT + "x" * (200 * 1024), "the text part must be at most 200 KB .* got 2049"),
    ("Natale", NATALE_HTML, "  \n ", "the text part must not be empty"),
    ("Natale", NATALE_HTML + "\x00", NATALE_TEXT, "the HTML part contains a NUL character"),
    ("Natale", NATALE_HTML, "\ud800" + NATALE_TEXT, "the text part is not valid Unicode text at character 0"),
])
def test_a_version_that_cannot_be_parsed_or_is_too_big_is_refused_and_nothing_is_stored(
        mail: ServiceApplication, subject: str, html: str, text: str, reason: str) -> None:
    template = library.create(mail, "Natale 2026", "marketing", by=CHIARA, once=None)
    with pytest.raises(InvalidTemplate, match=reason):
        library.publish(mail, template, subject, html, text, by=CHIARA, once=None)
    assert stored_events(mail, template) == ["Created"]


def test_the_largest_allowed_subject_and_body_are_published(mail: ServiceApplication) -> None:
    template = library.create(mail, "Natale 2026", "marketing", by=CHIARA, once=None)
    body = NATALE_TEXT + "x" * (200 * 1024 - len(NATALE_TEXT.encode()))  # "più" takes 4 bytes
    assert library.publish(mail, template, "N" * 200, NATALE_HTML, body, by=CHIARA, once=None) == 1


@pytest.mark.parametrize(("name", "kind", "error", "reason"), [
    ("  ", "marketing", InvalidTemplateName, "name must be 1 to 120 characters"),
    ("N" * 121, "marketing", InvalidTemplateName, "name must be 1 to 120"),
    ("Natale\n2026", "marketing", InvalidTemplateName, "on one line"),
    ("Natale \udc80", "marketing", InvalidTemplateName, "name must be"),
    ("Natale 2026", "newsletter", InvalidInput, r"kind must be one of \['marketing', 'transactional'\], got 'newsl"),
])
def test_a_template_with_a_bad_name_or_kind_is_not_created(mail: ServiceApplication, name: str, kind: str,
                                                           error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason):
        library.create(mail, name, kind, by=CHIARA, once=None)
    assert library.listed(mail) == [] and library.templates(mail) == []
    with pytest.raises(NotFound):
        mail.get(TemplateIndex.create_id(), TemplateIndex)


def test_a_bad_new_name_is_refused_and_the_old_one_kept(mail: ServiceApplication) -> None:
    template = natale(mail)
    with pytest.raises(InvalidTemplateName):
        library.rename(mail, template, "", by=CHIARA, once=None)
    assert library.version(mail, template).name == "Natale 2026"
    assert stored_events(mail, template) == ["Created", "VersionPublished"]


def test_another_aggregate_is_not_a_template(mail: ServiceApplication) -> None:
    natale(mail)
    with pytest.raises(NotFound, match=r"template .* not found"):
        library.version(mail, TemplateIndex.create_id())


def test_versions_read_back_from_a_stored_log_are_the_ones_published(embedded_settings: Settings,
                                                                      clock: FixedClock) -> None:
    """On the embedded SQLite store, through the JSON transcoder: kind, accents and instants survive replay."""
    env = event_store_env(embedded_settings, "mail")
    template = natale(ServiceApplication(env, clock=clock))
    again = ServiceApplication(env, clock=clock)
    version = library.version(again, template)
    assert (version.kind, version.content.text, version.published_at) == (Kind.MARKETING, NATALE_TEXT, clock.now())
    assert [s.name for s in library.templates(again)] == ["Natale 2026"]


def _now() -> datetime:
    return datetime(2026, 11, 23, 9, tzinfo=UTC)
