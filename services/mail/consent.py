"""Consent to marketing e-mail, as the privacy vault holds it: a consent on channel e-mail for one of the
marketing purposes (the privacy desk's and the mail desk's), or `email_outreach` recorded before channels were named
(the donor form's). Transactional mail needs none."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from services.privacy.domain import Consent

MARKETING = "email_outreach"  # the purpose the mail desk records
MARKETING_PURPOSES = frozenset({MARKETING, "newsletter", "fundraising_appeals"})


class Consents(Protocol):
    def consents(self, person_id: UUID) -> list[Consent]: ...


def marketing_consents(vault: Consents, person_id: UUID, at: datetime) -> list[Consent]:
    """The person's consents valid at `at` that cover marketing e-mail."""
    return [c for c in vault.consents(person_id) if c.valid_at(at) and (
        (c.channel == "email" and c.purpose in MARKETING_PURPOSES) or (c.channel == "any" and c.purpose == MARKETING))]
