"""E-mail templates as versioned data: a name, a kind (marketing or transactional) and numbered versions, each a
subject, an HTML part and a text part that never change once published.

A version is checked when it is published, never again on replay: each part parses (`InvalidTemplate` names the
part and the line), sizes are bounded, and the pieces the law and the mailbox providers require are shown in both
parts: the charity's postal address in every template, the unsubscribe link in marketing ones. A retired template
keeps its versions readable (for the mail already sent with them) but takes no new version and sends nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import DomainError, InvalidInput, NotFound
from services.mail import rendering
from services.mail.rendering import InvalidTemplate, Part, Rendered

NAME_CHARS = 120
SUBJECT_CHARS = 200
BODY_BYTES = 200 * 1024  # each of the HTML and text parts, encoded as UTF-8
ADDRESS = "charity.address"
UNSUBSCRIBE = "unsubscribe_url"
_PIECES = {ADDRESS: "the charity's postal address", UNSUBSCRIBE: "the unsubscribe link"}


class Kind(StrEnum):
    MARKETING = "marketing"  # new initiatives, appeals: only with e-mail consent, always with an unsubscribe link
    TRANSACTIONAL = "transactional"  # a receipt, a thank-you for a gift just made, a reply to a request


class InvalidTemplateName(InvalidInput):
    pass


class MissingRequiredPiece(InvalidInput):
    """A version lacks the postal address, or (marketing) the unsubscribe link, in a part."""


class TemplateRetired(DomainError):
    pass


class UnknownTemplateVersion(NotFound):
    pass


def parse_kind(raw: str) -> Kind:
    try:
        return Kind(raw)
    except ValueError:
        raise InvalidInput(f"kind must be one of {[k.value for k in Kind]}, got {raw!r}") from None


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= NAME_CHARS or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise InvalidTemplateName(f"name must be 1 to {NAME_CHARS} characters on one line, got {name!r}")
    return name


def _required(kind: Kind) -> list[str]:
    return [ADDRESS, UNSUBSCRIBE] if kind is Kind.MARKETING else [ADDRESS]


@dataclass(frozen=True)
class Content:
    """What one version sends: Jinja2 sources of the subject and the two parts."""

    subject: str
    html: str
    text: str

    @classmethod
    def check(cls, kind: Kind, subject: str, html: str, text: str) -> Content:
        """The version as it may be published, or the first rule it breaks, with what to fix."""
        subject = subject.strip()
        if not subject or len(subject) > SUBJECT_CHARS or "\n" in subject or "\r" in subject:
            raise InvalidTemplate(f"the subject must be 1 to {SUBJECT_CHARS} characters on one line, "
                                  f"got {len(subject)}")
        parts: dict[Part, str] = {"subject": subject, "html": html, "text": text}
        for part, source in parts.items():
            where = rendering.PART_NAMES[part]
            if "\x00" in source:
                raise InvalidTemplate(f"the {where} contains a NUL character")
            try:
                size = len(source.encode())
            except UnicodeEncodeError as error:  # a lone surrogate, e.g. "\ud800" in JSON
                raise InvalidTemplate(f"the {where} is not valid Unicode text at character {error.start}") from None
            if part != "subject" and not source.strip():
                raise InvalidTemplate(f"the {where} must not be empty")
            if part != "subject" and size > BODY_BYTES:
                raise InvalidTemplate(f"the {where} must be at most {BODY_BYTES // 1024} KB ({BODY_BYTES} bytes "
                                      f"in UTF-8), got {size} bytes")
        trees = {part: rendering.parse(part, source) for part, source in parts.items()}
        required = _required(kind)
        lacking = [f"the {rendering.PART_NAMES[part]} lacks " + " and ".join(
                       f"{{{{ {piece} }}}} ({_PIECES[piece]})" for piece in absent)
                   for part in ("html", "text")
                   if (absent := [piece for piece in required if not rendering.shows(trees[part], piece)])]
        if lacking:
            raise MissingRequiredPiece(f"a {kind.value} template must show " + " and ".join(
                f"{{{{ {piece} }}}}" for piece in required) + " in both parts, outside any {% if %} or loop: "
                + "; ".join(lacking))
        return cls(subject, html, text)


@dataclass(frozen=True)
class TemplateVersion:
    """A published version: what a mailing names and renders, the same on any day it is read."""

    template_id: str
    name: str
    kind: Kind
    number: int
    content: Content
    published_at: datetime
    published_by: str

    def merge_fields(self) -> list[str]:
        """Every merge field the subject and the parts use, as dotted names, sorted."""
        c = self.content
        parts: tuple[tuple[Part, str], ...] = (("subject", c.subject), ("html", c.html), ("text", c.text))
        return sorted({field for part, source in parts for field in rendering.fields_of(part, source)})

    def missing_fields(self, data: Mapping[str, Any]) -> list[str]:
        """Which merge fields this record lacks: what a preview shows before any mail is sent."""
        return rendering.missing_fields(self.merge_fields(), data)

    def render(self, data: Mapping[str, Any]) -> Rendered:
        """The mail for one record; MissingMergeField names the first field it lacks and the part, and a required
        piece merged as blank (an empty postal address, an empty unsubscribe link) is refused as absent."""
        for piece in _required(self.kind):
            value: Any = data
            for key in piece.split("."):
                value = value.get(key) if isinstance(value, Mapping) else None
            if value is not None and not str(value).strip():
                raise MissingRequiredPiece(f"{{{{ {piece} }}}} ({_PIECES[piece]}) is blank in the merge data: "
                                           "a mail without it is not sent")
        return rendering.render(self.content.subject, self.content.html, self.content.text, data)


class Template(Aggregate):
    """An e-mail template; each publication adds a numbered version, old versions stay readable."""

    @classmethod
    def create(cls, name: str, kind: str, created_at: datetime, created_by: str) -> Template:
        return cls(_check_name(name), parse_kind(kind).value, created_at, created_by)

    @event("Created")
    def __init__(self, name: str, kind: str, created_at: datetime, created_by: str) -> None:
        self.name = name
        self.kind = Kind(kind)
        self.created_at = created_at
        self.versions: list[tuple[Content, datetime, str]] = []
        self.retired_at: datetime | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def publish(self, subject: str, html: str, text: str, published_at: datetime, published_by: str) -> int:
        """Publish the next version; its number. Checked here, so nothing unfit is ever stored."""
        self._require_active("publish a version of it")
        content = Content.check(self.kind, subject, html, text)
        self._publish(len(self.versions) + 1, content.subject, content.html, content.text, published_at,
                      published_by)
        return len(self.versions)

    @event("VersionPublished")
    def _publish(self, version: int, subject: str, html: str, text: str, published_at: datetime,
                 published_by: str) -> None:
        self.versions.append((Content(subject, html, text), published_at, published_by))

    def rename(self, name: str, renamed_at: datetime, renamed_by: str) -> bool:
        """Rename the template (its versions keep their content); False when the name is already this one."""
        self._require_active("rename it")
        name = _check_name(name)
        if name == self.name:
            return False
        self._rename(name, renamed_at, renamed_by)
        return True

    @event("Renamed")
    def _rename(self, name: str, renamed_at: datetime, renamed_by: str) -> None:
        self.name = name

    def retire(self, retired_at: datetime, retired_by: str) -> bool:
        """Retire the template: no new version, nothing new sent with it; False when it was retired already."""
        if self.retired:
            return False
        self._retire(retired_at, retired_by)
        return True

    @event("Retired")
    def _retire(self, retired_at: datetime, retired_by: str) -> None:
        self.retired_at = retired_at

    def _require_active(self, doing: str) -> None:
        if self.retired_at is not None:
            raise TemplateRetired(f"template {self.name!r} was retired on {self.retired_at.date().isoformat()}, "
                                  f"so you cannot {doing}; create a new template instead")

    def published(self, number: int | None = None) -> TemplateVersion:
        """The given version, or the latest when `number` is None; readable after retirement too."""
        if not self.versions:
            raise UnknownTemplateVersion(f"template {self.name!r} has no published version yet")
        number = len(self.versions) if number is None else number
        if not 1 <= number <= len(self.versions):
            raise UnknownTemplateVersion(
                f"template {self.name!r} has versions 1 to {len(self.versions)}, not {number}")
        content, published_at, published_by = self.versions[number - 1]
        return TemplateVersion(str(self.id), self.name, self.kind, number, content, published_at, published_by)

    def for_sending(self) -> TemplateVersion:
        """The latest version, for new mail: refused once the template is retired."""
        self._require_active("send new mail with it")
        return self.published()
