"""The calls application as a route dependency, and how times are shown (Europe/Rome)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from services.calls.application import CallsApplication

ROME = ZoneInfo("Europe/Rome")


async def _calls(request: Request) -> CallsApplication:
    application: CallsApplication = request.app.state.applications["calls"]
    return application


Calls = Annotated[CallsApplication, Depends(_calls)]


def rome(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(ROME)
