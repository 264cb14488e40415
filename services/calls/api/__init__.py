"""Calls HTTP routes, one module per concept; routes only translate requests to use cases."""

from __future__ import annotations

from fastapi import APIRouter

from services.calls.api import (
    calls,
    directory,
    joining,
    protocol_drafts,
    protocols,
    shifts,
    telephony,
    twiml,
    volunteers,
)

router = APIRouter()
for module in (volunteers, shifts, calls, protocols, directory):
    router.include_router(module.router)
router.include_router(joining.router)  # sign-up and the volunteers' desk
router.include_router(protocol_drafts.router)  # protocols: drafts of the next version

router.include_router(telephony.router)  # calls through the product
router.include_router(twiml.router)  # twiml: the helpline's webhooks for a TwiML provider

__all__ = ["router"]
