"""The campaigns application as a route dependency, and the calls messages not yet handled here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.campaigns.application import CampaignsApplication
from services.campaigns.reactions import CALLS_REACTION
from services.kernel.freshness import Unhandled


async def _campaigns(request: Request) -> CampaignsApplication:
    application: CampaignsApplication = request.app.state.applications["campaigns"]
    return application


async def _calls_unhandled(request: Request) -> Unhandled | None:
    """The calls messages the campaigns reaction has not handled yet (a volunteer's own clock-in, just stored)."""
    unhandled: Unhandled | None = request.app.state.unhandled.get((CALLS_REACTION, "calls"))
    return unhandled


Campaigns = Annotated[CampaignsApplication, Depends(_campaigns)]
CallsUnhandled = Annotated[Unhandled | None, Depends(_calls_unhandled)]
