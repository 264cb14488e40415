"""The template index: every e-mail template's id in order of creation, which the list of templates reads instead
of scanning the event log (as the calls service's protocol index does).

One per installation, saved with each template created, so it is never behind. Two templates created at the same
instant end in one 409 on it: templates are a handful per charity, written now and then, so a retry settles it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_TEMPLATE_INDEX = uuid5(NAMESPACE_URL, "angeli:mail:template-index")


class TemplateIndex(Aggregate):
    """The ids of every template created, oldest first; ids are only added (a retired template stays listed)."""

    @staticmethod
    def create_id() -> UUID:
        return _TEMPLATE_INDEX

    @event("Opened")
    def __init__(self) -> None:
        self.templates: list[str] = []

    def add(self, template_ids: list[UUID]) -> int:
        """Add the templates not listed yet; how many were added."""
        listed = set(self.templates)
        new = [str(i) for i in dict.fromkeys(template_ids) if str(i) not in listed]
        if new:
            self._add(new)
        return len(new)

    @event("Listed")
    def _add(self, template_ids: list[str]) -> None:
        self.templates.extend(template_ids)
