"""Rendering a published version with a record's merge fields: strict about missing fields (named with the part),
HTML escaped, the sandbox closed, Italian text intact, the merge fields listed for a preview."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.identity.domain import Actor
from services.kernel.clock import FixedClock
from services.kernel.eventstore import ServiceApplication
from services.mail import rendering
from services.mail import template_library as library
from services.mail.domain.template import Content, Kind, MissingRequiredPiece, TemplateVersion
from services.mail.rendering import InvalidTemplate, MissingMergeField
from tests.conftest import MEMORY

CHIARA = Actor(kind="account", id="c1", name="chiara@angeli.example", role="campaign_manager")
SUBJECT = "{{ donor.first_name }}, perché a Natale 2026 nessuno resti solo"
HTML = """<h1>Cara {{ donor.first_name }},</h1>
<p>grazie per i {{ gift.amount }} donati: la città di {{ donor.address.city }} ha una linea d'ascolto in più.</p>
{% for g in gifts %}<li>{{ g.date }}: {{ g.amount }}</li>{% endfor %}
<p>{{ charity.name }} · {{ charity.address }}</p>
<p><a href="{{ unsubscribe_url }}">Non ricevere più queste e-mail</a></p>"""
TEXT = """Cara {{ donor.first_name }},
grazie per i {{ gift.amount }} donati: la città di {{ donor.address.city }} ha una linea d'ascolto in più.
{% if donor.nickname is defined %}(per gli amici: {{ donor.nickname }}){% endif %}
{{ charity.name }} · {{ charity.address }}
Per non ricevere più queste e-mail: {{ unsubscribe_url }}"""


def giulia(**donor: Any) -> dict[str, Any]:
    return {
        "donor": {"first_name": "Giulia", "address": {"city": "Forlì"}, **donor},
        "gift": {"amount": "50,00 €"},
        "gifts": [{"date": "1 dicembre 2026", "amount": "50,00 €"}],
        "charity": {"name": "Associazione Angeli ETS", "address": "Via Roma 1, 47121 Forlì (FC)"},
        "unsubscribe_url": "https://angeli.example/disiscrizione?t=abc&l=natale",
    }


def natale(subject: str = SUBJECT, html: str = HTML, text: str = TEXT) -> TemplateVersion:
    content = Content.check(Kind.MARKETING, subject, html, text)
    return TemplateVersion("t1", "Natale 2026", Kind.MARKETING, 1, content, datetime(2026, 11, 23, tzinfo=UTC),
                           "account:chiara@angeli.example")


def test_a_version_renders_italian_text_with_its_accents_in_every_part() -> None:
    mail = natale().render(giulia())
    assert mail.subject == "Giulia, perché a Natale 2026 nessuno resti solo"
    assert "la città di Forlì ha una linea d'ascolto in più" in mail.text
    assert "la città di Forlì ha una linea d&#39;ascolto in più" not in mail.html  # the template's own text as written
    assert "<p>grazie per i 50,00 € donati: la città di Forlì ha una linea d'ascolto in più.</p>" in mail.html
    assert "<li>1 dicembre 2026: 50,00 €</li>" in mail.html
    assert "Associazione Angeli ETS · Via Roma 1, 47121 Forlì (FC)" in mail.text
    assert 'href="https://angeli.example/disiscrizione?t=abc&amp;l=natale"' in mail.html  # escaped in HTML only
    assert "https://angeli.example/disiscrizione?t=abc&l=natale" in mail.text


def test_a_merge_value_cannot_inject_html_but_reads_as_written_in_the_text_part() -> None:
    name = '<script>alert("x")</script>Giulia & "Marco"'
    mail = natale().render(giulia(first_name=name))
    assert "<script>" not in mail.html
    assert "Cara &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;Giulia &amp; &#34;Marco&#34;,</h1>" in mail.html
    assert mail.text.startswith(f"Cara {name},\n")
    assert mail.subject.startswith(name)  # a header, not HTML: the mail library encodes it


def test_a_line_break_in_a_merge_value_cannot_start_a_header_in_the_subject() -> None:
    mail = natale().render(giulia(first_name="Giulia\r\nBcc: tutti@example.org"))
    assert mail.subject == "Giulia Bcc: tutti@example.org, perché a Natale 2026 nessuno resti solo"


@pytest.mark.parametrize(("data", "field", "part"), [
    (giulia(first_name=None) | {"donor": {"address": {"city": "Forlì"}}}, "donor.first_name", "subject"),
    (giulia() | {"gift": {}}, "gift.amount", "html"),
    (giulia() | {"donor": {"first_name": "Giulia", "address": {}}}, "donor.address.city", "html"),
    ({k: v for k, v in giulia().items() if k != "unsubscribe_url"}, "unsubscribe_url", "html"),
    (giulia() | {"gifts": [{"date": "1 dicembre 2026"}]}, "gifts[0].amount", "html"),
])
def test_a_missing_merge_field_is_refused_naming_the_field_and_the_part(data: dict[str, Any], field: str,
                                                                       part: str) -> None:
    with pytest.raises(MissingMergeField) as refused:
        natale().render(data)
    assert (refused.value.field, refused.value.part) == (field, part)
    assert f"uses the merge field {field!r}, which this record does not have" in refused.value.message


def test_a_field_missing_only_from_the_text_part_names_the_text_part() -> None:
    version = natale(text=TEXT + "\nCodice donatore: {{ donor.code }}")
    with pytest.raises(MissingMergeField, match=r"the text part uses the merge field 'donor\.code'"):
        version.render(giulia())


def test_an_optional_field_may_be_missing_when_the_template_asks_whether_it_is_defined() -> None:
    assert "per gli amici" not in natale().render(giulia()).text
    assert "(per gli amici: Giuli)" in natale().render(giulia(nickname="Giuli")).text
    assert natale(html=HTML + "{{ donor.title | default('Gentile donatrice') }}").render(giulia()).html.endswith(
        "Gentile donatrice")


def test_a_merge_field_named_like_a_method_of_a_mapping_is_the_field() -> None:
    version = natale(text=TEXT + "\n{{ donor.items }} regali, {{ donor['keys'] }}")
    assert version.render(giulia(items="3", keys="chiavi")).text.endswith("3 regali, chiavi")
    with pytest.raises(MissingMergeField, match=r"'donor\.items'"):
        version.render(giulia())


def test_the_merge_fields_a_version_uses_are_listed_and_those_a_record_lacks_named() -> None:
    version = natale(text=TEXT + "\n{% set saluto = 'Ciao' %}{{ saluto }} {{ donor.last_name.upper() }}")
    assert version.merge_fields() == [
        "charity.address", "charity.name", "donor.address.city", "donor.first_name", "donor.last_name",
        "donor.nickname", "gift.amount", "gifts", "unsubscribe_url"]  # not the loop's `g`, nor `saluto`
    assert version.missing_fields(giulia()) == ["donor.last_name", "donor.nickname"]
    assert version.missing_fields({"donor": {"first_name": "Giulia"}}) == [
        "charity.address", "charity.name", "donor.address.city", "donor.last_name", "donor.nickname",
        "gift.amount", "gifts", "unsubscribe_url"]
    assert version.missing_fields(giulia(last_name="Rossi", nickname="Giuli")) == []
    assert version.render(giulia(last_name="Rossi")).text.endswith("Ciao ROSSI")


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ donor.first_name.__class__.__mro__ }}",
    "{{ donor.first_name | attr('__class__') }}",
    "{{ gifts.__len__() }}",
])
def test_the_sandbox_refuses_python_internals_at_publication(source: str) -> None:
    with pytest.raises(InvalidTemplate, match="names starting with _ are not merge fields"):
        natale(html=HTML + source)


@pytest.mark.parametrize(("source", "reason"), [
    # Names built at render time escape the check at publication; the sandbox still refuses them.
    ("{{ donor.first_name[donor.secret] }}", "refused by the sandbox: access to attribute '__class__'"),
    ("{{ donor.first_name | attr(donor.secret) }}", "refused by the sandbox"),
    ("{% for i in range(100000) %}{% endfor %}", "could not be rendered: range.. may count at most 1000 items, got 1"),
    ("{% for i in range(1000) %}{{ donor.bio }}{% endfor %}", "writes more than 1 MB once merged"),
    ("{{ gift.amount / 0 }}", "could not be rendered"),
])
def test_what_the_sandbox_refuses_while_rendering_is_an_invalid_template(source: str, reason: str) -> None:
    data = giulia(secret="__class__", bio="x" * 2000)
    with pytest.raises(InvalidTemplate, match=reason):
        rendering.render_part("html", source, data)


def test_a_preview_shows_a_real_record_merged_or_refuses_naming_the_missing_field(clock: FixedClock) -> None:
    mail = ServiceApplication(dict(MEMORY), clock=clock)
    template = library.create(mail, "Natale 2026", "marketing", by=CHIARA, once=None)
    library.publish(mail, template, SUBJECT, HTML, TEXT, by=CHIARA, once=None)
    preview = library.preview(mail, template, giulia())
    assert preview.rendered.subject == "Giulia, perché a Natale 2026 nessuno resti solo"
    assert preview.missing == ("donor.nickname",)  # optional here: the text asks whether it is defined
    assert "donor.first_name" in preview.fields
    with pytest.raises(MissingMergeField, match="the subject uses the merge field 'donor',"):
        library.preview(mail, template, {k: v for k, v in giulia().items() if k != "donor"})


@pytest.mark.parametrize(("field", "blank", "reason"), [
    ("charity", {"name": "Associazione Angeli ETS", "address": "  "}, r"\{\{ charity.address \}\} \(the charity's pos"),
    ("unsubscribe_url", "", r"\{\{ unsubscribe_url \}\} \(the unsubscribe link\) is blank in the merge data"),
])
def test_a_required_piece_merged_as_blank_is_refused(field: str, blank: Any, reason: str) -> None:
    with pytest.raises(MissingRequiredPiece, match=reason):
        natale().render(giulia() | {field: blank})


def test_a_transactional_mail_needs_no_unsubscribe_link_in_its_data() -> None:
    content = Content.check(Kind.TRANSACTIONAL, "Grazie {{ donor.first_name }}", "<p>Grazie</p>{{ charity.address }}",
                            "Grazie\n{{ charity.address }}")
    receipt = TemplateVersion("t2", "Grazie", Kind.TRANSACTIONAL, 1, content, datetime(2026, 11, 23, tzinfo=UTC), "x")
    data = {k: v for k, v in giulia().items() if k != "unsubscribe_url"}
    assert receipt.render(data).text == "Grazie\nVia Roma 1, 47121 Forlì (FC)"
    assert receipt.merge_fields() == ["charity.address", "donor.first_name"]


@pytest.mark.parametrize("source", [
    "{{ gifts | map(attribute='__class__') | list }}",
    "{{ donor.first_name[donor.secret ~ '__'] }}",
])
def test_a_string_naming_python_internals_is_refused_at_publication(source: str) -> None:
    with pytest.raises(InvalidTemplate, match="names starting with __ are Python's internals"):
        natale(html=HTML + source)


def test_str_format_cannot_reach_internals_while_rendering() -> None:
    with pytest.raises(InvalidTemplate, match="refused by the sandbox"):
        rendering.render_part("text", "{{ '{0.__class__}'.format(donor.first_name) }}", giulia())
    with pytest.raises(MissingMergeField, match=r"'donor\.__class__'"):  # merge data is read as fields only
        rendering.render_part("text", "{{ '{0.__class__}'.format(donor) }}", giulia())
    with pytest.raises(MissingMergeField, match=r"'gifts\[0\]\.__class__'"):  # merge data: fields only
        rendering.render_part("text", "{{ gifts | map(attribute=donor.secret) | list }}", giulia(secret="__class__"))
    with pytest.raises(InvalidTemplate, match="refused by the sandbox"):
        rendering.render_part("text", "{{ [donor.first_name] | map(attribute=donor.secret) | list }}",
                              giulia(secret="__class__"))


def test_a_missing_field_written_inside_a_list_is_refused_not_shown_as_undefined() -> None:
    with pytest.raises(MissingMergeField, match=r"'donor\.nickname'"):
        rendering.render_part("text", "{{ [donor.first_name, donor.nickname] }}", giulia())
