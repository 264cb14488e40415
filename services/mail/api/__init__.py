"""Mail HTTP routes, one module per concept; routes only translate requests to use cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

__all__ = ["router"]
