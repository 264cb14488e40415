"""E-mail templates' use cases: create, publish a version, rename, retire, list, read a version, preview it with a
record's merge fields. get → act → save, one save per command; the rules are the Template aggregate's
(domain/template.py). Functions of the mail service's application (any ServiceApplication), as the calls service's
protocol drafts are, so the application names each one in a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.identity.domain import Actor
from services.kernel.errors import NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.idempotency import PendingRequest
from services.mail.domain.template import Kind, Template, TemplateVersion
from services.mail.domain.template_index import TemplateIndex
from services.mail.rendering import Rendered


@dataclass(frozen=True)
class TemplateSummary:
    id: UUID
    name: str
    kind: Kind
    versions: int
    retired: bool


@dataclass(frozen=True)
class Preview:
    """A version merged with one record, with the merge fields it uses and those the record lacks (a field used
    only under `{% if x is defined %}` or `| default(...)` may be lacking and the mail still render)."""

    version: TemplateVersion
    fields: tuple[str, ...]
    missing: tuple[str, ...]
    rendered: Rendered


def create(app: ServiceApplication, name: str, kind: str, *, by: Actor, once: PendingRequest | None) -> UUID:
    """A new template, listed in the template index saved with it; it has no version until one is published."""
    template = Template.create(name, kind, created_at=app.clock.now(), created_by=by.label)
    app.save(template, _index_with(app, template.id), once=once)
    return template.id


def publish(app: ServiceApplication, template_id: UUID, subject: str, html: str, text: str, *, by: Actor,
            once: PendingRequest | None) -> int:
    """Publish the next version (checked: syntax, sizes, required pieces); its number."""
    template = app.get(template_id, Template)
    number = template.publish(subject, html, text, published_at=app.clock.now(), published_by=by.label)
    app.save(template, once=once)
    return number


def rename(app: ServiceApplication, template_id: UUID, name: str, *, by: Actor, once: PendingRequest | None) -> None:
    template = app.get(template_id, Template)
    template.rename(name, renamed_at=app.clock.now(), renamed_by=by.label)
    app.save(template, once=once)


def retire(app: ServiceApplication, template_id: UUID, *, by: Actor, once: PendingRequest | None) -> None:
    template = app.get(template_id, Template)
    template.retire(retired_at=app.clock.now(), retired_by=by.label)
    app.save(template, once=once)


def version(app: ServiceApplication, template_id: UUID, number: int | None = None) -> TemplateVersion:
    """A published version (the latest when `number` is None), retired or not."""
    return app.get(template_id, Template).published(number)


def for_sending(app: ServiceApplication, template_id: UUID) -> TemplateVersion:
    """The latest version for new mail; refused when the template is retired or has no version."""
    return app.get(template_id, Template).for_sending()


def templates(app: ServiceApplication) -> list[TemplateSummary]:
    """Every template by name (retired ones last), found through the template index, without replaying events."""
    found = app.read_many(listed(app), Template)
    return sorted((TemplateSummary(t.id, t.name, t.kind, len(t.versions), t.retired) for t in found),
                  key=lambda s: (s.retired, s.name.casefold()))


def preview(app: ServiceApplication, template_id: UUID, data: Mapping[str, Any],
            number: int | None = None) -> Preview:
    """The version merged with a record's fields: MissingMergeField names the first field it needs and the record
    lacks (and the part); `version.missing_fields(data)` lists them all, for the page to say what to fill in."""
    published = version(app, template_id, number)
    rendered = published.render(data)
    return Preview(published, tuple(published.merge_fields()), tuple(published.missing_fields(data)), rendered)


def listed(app: ServiceApplication) -> list[UUID]:
    found = app.read_many([TemplateIndex.create_id()], TemplateIndex, skip_missing=True)
    return [UUID(i) for i in found[0].templates] if found else []


def _index_with(app: ServiceApplication, template_id: UUID) -> TemplateIndex:
    try:
        index = app.get(TemplateIndex.create_id(), TemplateIndex)
    except NotFound:
        index = TemplateIndex()
    index.add([template_id])
    return index
