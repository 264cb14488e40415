"""Mail HTTP routes, one module per concept; routes only translate requests to use cases."""

from __future__ import annotations

from fastapi import APIRouter

from services.mail.api import outbox, templates

router = APIRouter()
router.include_router(templates.router)
router.include_router(outbox.router)

__all__ = ["router"]
