"""What a volunteer is shown for a leased contact: the call's few personal fields and the merged script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.campaigns.calendar import Interval
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import Contact
from services.identity.domain import Access
from services.privacy.application import PrivacyVault
from services.privacy.domain import PersonErased

# The vault fields a volunteer is shown for a call (the script merges the names); never e-mail or tax code.
OFFERED_FIELDS = ("first_name", "last_name", "phone")


@dataclass(frozen=True)
class Offer:
    contact_id: UUID
    person_id: UUID
    kind: str
    attempts: int
    lease_id: str
    lease_until: datetime
    policy: str
    allowed: Interval
    phone: str
    first_name: str
    last_name: str
    script: str
    script_version: int


def offer(campaign: Campaign, contact: Contact, vault: PrivacyVault, access: Access) -> Offer:
    """The leased contact as the volunteer sees it, its details read from the vault for `access`."""
    try:
        # Only what the call needs: the trail then proves the volunteer never saw the rest.
        fields = vault.get(contact.person_id, access, fields=OFFERED_FIELDS)
    except (KeyError, PersonErased):
        fields = {}
    script = campaign.script or {"text": "", "privacy_notice": "", "version": 0}
    merge = {"first_name": fields.get("first_name", ""), "last_name": fields.get("last_name", ""),
             "campaign": campaign.name, "volunteer_name": "", "privacy_notice": script["privacy_notice"]}
    allowed = Interval(contact.allowed_from or contact.due_at, contact.allowed_until or contact.due_at)
    assert contact.lease_until is not None
    return Offer(
        contact_id=contact.id, person_id=contact.person_id, kind=contact.kind, attempts=contact.attempts,
        lease_id=contact.lease_id, lease_until=contact.lease_until, policy=campaign.policy.label,
        allowed=allowed, phone=fields.get("phone", ""), first_name=merge["first_name"],
        last_name=merge["last_name"], script=script["text"].format_map(merge), script_version=script["version"],
    )
