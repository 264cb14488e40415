"""What the console's template editor reads and tries: one template with every version, and a draft (a subject, an
HTML part and a text part not published yet) merged with a real person's data from the vault or with sample data.

A draft's preview stores nothing: it renders as a published version would (the same sandbox, the same strictness
about missing merge fields) and says whether the draft could be published as it stands. Reading a person's fields
for it is a read of personal data with purpose "e-mail", recorded in the vault's access trail like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.identity.domain import Actor
from services.kernel.errors import NotFound
from services.mail import merge
from services.mail.application import MailApplication
from services.mail.domain.template import Content, Kind, MissingRequiredPiece, Template, TemplateVersion
from services.mail.rendering import Rendered

# The link a real message carries is signed for its recipient and list; a preview shows where it would be.
UNSUBSCRIBE_PLACEHOLDER = "https://angeli.example/mail/unsubscribe/ANTEPRIMA"
SAMPLE_CAMPAIGN = "Natale 2026"
SAMPLE_DONOR = {"first_name": "Ada", "last_name": "Esempio", "name": "Ada Esempio",
                "email": "ada.esempio@example.org"}


@dataclass(frozen=True)
class TemplateView:
    """A template as its editor shows it: the name, the kind, and every version (oldest first)."""

    id: UUID
    name: str
    kind: Kind
    created_at: datetime
    retired_at: datetime | None
    versions: tuple[TemplateVersion, ...]


@dataclass(frozen=True)
class DraftPreview:
    person_id: UUID | None  # None: merged with the sample data
    fields: tuple[str, ...]
    missing: tuple[str, ...]  # fields the record lacks that the draft only uses under `is defined` or `default`
    rendered: Rendered
    problem: str  # "": the draft could be published as it is; else why a publication would be refused


def template(app: MailApplication, template_id: UUID) -> TemplateView:
    """One template with all its versions; NotFound for an unknown id."""
    found = app.get(template_id, Template)
    versions = tuple(found.published(n) for n in range(1, len(found.versions) + 1))
    return TemplateView(found.id, found.name, found.kind, found.created_at, found.retired_at, versions)


def preview_draft(app: MailApplication, template_id: UUID, subject: str, html: str, text: str, *,
                  person_id: UUID | None, by: Actor, campaign: str = "") -> DraftPreview:
    """The draft merged with `person_id`'s fields from the vault (one access event), or with sample data when no
    person is named. Raises InvalidTemplate for a part that cannot be parsed, MissingMergeField naming the first
    field the record lacks, NotFound for an unknown template or a person the vault does not know, PersonErased for
    an erased one. A missing required piece (the postal address, the unsubscribe link) is said, not raised: the
    editor previews while the footer is still being written."""
    found = app.get(template_id, Template)
    problem = ""
    try:
        content = Content.check(found.kind, subject, html, text)
    except MissingRequiredPiece as missing:
        problem = missing.message
        content = Content(subject.strip(), html, text)
    draft = TemplateVersion(str(found.id), found.name, found.kind, len(found.versions) + 1, content,
                            app.clock.now(), by.label)
    data = _merge_data(app, person_id, by, campaign or SAMPLE_CAMPAIGN)
    rendered = draft.render(data)
    return DraftPreview(person_id, tuple(draft.merge_fields()), tuple(draft.missing_fields(data)), rendered, problem)


def _merge_data(app: MailApplication, person_id: UUID | None, by: Actor, campaign: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"campaign": {"name": campaign}, "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER}
    if person_id is None:
        return {"donor": dict(SAMPLE_DONOR), "charity": merge.charity_fields(app.charity), **extra}
    try:
        return merge.recipient(app.vault, person_id, merge.access(by), app.charity, extra=extra).data
    except KeyError:
        raise NotFound(f"no personal data is held for person {person_id}: give the id of a donor or a campaign "
                       "contact, or leave it empty to preview with sample data") from None
