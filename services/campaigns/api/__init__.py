"""Campaigns HTTP routes, one module per concept; routes only translate requests to use cases."""

from __future__ import annotations

from fastapi import APIRouter

from services.campaigns.api import campaigns, contacts, dialer, donor_contacts, people, telephony, twiml

router = APIRouter()
for module in (campaigns, contacts, dialer, people, donor_contacts):
    router.include_router(module.router)

router.include_router(telephony.router)  # calls through the product
router.include_router(twiml.router)  # twiml: click-to-call through a TwiML provider

__all__ = ["router"]
