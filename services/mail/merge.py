"""What a template is merged with: the recipient's fields from the vault (each read an access event with purpose
"e-mail"), the charity's name and address, the campaign, and the links of this message.

Templates name `donor.first_name`, `donor.last_name`, `donor.name`, `donor.email`, `charity.name`,
`charity.address`, `charity.tax_code`, `campaign.name`, `unsubscribe_url`, plus what a use case adds (a gift's
`gift.amount`, …). A donor record holds `name`; a campaign contact `first_name` and `last_name`: each is filled
from the other where it can be, so one template serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.identity.domain import Access, Actor
from services.kernel.settings import CharitySettings

PURPOSE = "e-mail"
FIELDS = ("first_name", "last_name", "name", "email")


@dataclass(frozen=True)
class Recipient:
    person_id: UUID
    email: str  # "" when the vault holds none
    data: dict[str, Any]  # the merge data, without the message's own links


def access(by: Actor) -> Access:
    """A read of personal data to write someone an e-mail, by `by`: what the vault's trail records."""
    return Access(by, PURPOSE)


def recipient(vault: Any, person_id: UUID, by: Access, charity: CharitySettings,
              extra: dict[str, Any] | None = None) -> Recipient:
    """The person's merge data read from the vault (one access event); PersonErased for an erased person."""
    fields = vault.get(person_id, by, FIELDS)
    first, last, name = fields.get("first_name", ""), fields.get("last_name", ""), fields.get("name", "")
    if not name:
        name = " ".join(p for p in (first, last) if p)
    if not first and name:
        first = name.split()[0]
    donor = {k: v for k, v in {"first_name": first, "last_name": last, "name": name,
                                "email": fields.get("email", "")}.items() if v}
    data: dict[str, Any] = {"donor": donor, "charity": charity_fields(charity), **(extra or {})}
    return Recipient(person_id, fields.get("email", "").strip(), data)


def charity_fields(charity: CharitySettings) -> dict[str, str]:
    return {"name": charity.name, "address": charity.address, "tax_code": charity.tax_code}
