"""Mail HTTP routes, one module per concept; routes only translate requests to use cases."""

from __future__ import annotations

from fastapi import APIRouter

from services.mail.api import mailings, outbox, people, templates, unsubscribe

router = APIRouter()
for module in (mailings, people, unsubscribe, templates, outbox):
    router.include_router(module.router)
# thank-you letters
from services.mail.api import thanks  # noqa: E402

router.include_router(thanks.router)
# (end of thank-you letters)

__all__ = ["router"]
