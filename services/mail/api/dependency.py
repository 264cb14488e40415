"""The mail application as a route dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.mail.application import MailApplication


async def _mail(request: Request) -> MailApplication:
    application: MailApplication = request.app.state.applications["mail"]
    return application


Mail = Annotated[MailApplication, Depends(_mail)]
