"""Mail HTTP routes, one module per concept; routes only translate requests to use cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
# letters
from services.mail.api import thanks  # noqa: E402

router.include_router(thanks.router)
# (end of letters)

__all__ = ["router"]
