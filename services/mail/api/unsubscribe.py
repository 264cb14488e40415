"""One-click unsubscribe (RFC 8058): the link in every marketing message.

GET shows a confirmation page and changes nothing (link scanners and mail previews follow GETs); POST unsubscribes
(a mail client's one-click POST with `List-Unsubscribe=One-Click`, or the page's button), idempotently: a second
POST answers the same page. The token is signed: a changed or foreign token is a 404 page saying the link is not
valid, and nothing is stored. The page speaks Italian, or English to a browser that prefers it.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from services.mail import people
from services.mail.api.dependency import Mail
from services.mail.tokens import InvalidToken

router = APIRouter(tags=["mail"])

_TEXT = {
    "it": {"title": "Annulla l'iscrizione", "ask": "Non vuoi più ricevere le nostre e-mail sulle iniziative e le "
           "raccolte fondi? Conferma qui sotto: non te ne scriveremo più, per nessuna campagna.",
           "button": "Annulla l'iscrizione", "done_title": "Iscrizione annullata",
           "done": "Fatto: non riceverai più e-mail sulle nostre iniziative. Ricevute e ringraziamenti per le "
           "donazioni che farai continueranno ad arrivare.", "bad_title": "Link non valido",
           "bad": "Questo link per annullare l'iscrizione non è valido (forse è stato copiato a metà). Rispondi "
           "all'e-mail ricevuta scrivendo «cancellami» e lo faremo noi."},
    "en": {"title": "Unsubscribe", "ask": "No longer want our e-mails about initiatives and appeals? Confirm "
           "below: we will not write to you about any campaign again.", "button": "Unsubscribe",
           "done_title": "Unsubscribed", "done": "Done: you will receive no more e-mails about our initiatives. "
           "Receipts and thanks for gifts you make will still arrive.", "bad_title": "Link not valid",
           "bad": "This unsubscribe link is not valid (perhaps it was copied only in part). Reply to the e-mail "
           "you received with 'unsubscribe' and we will do it for you."},
}


@router.get("/mail/unsubscribe/{token}", response_class=HTMLResponse)
def confirm_page(token: str, request: Request, mail: Mail) -> HTMLResponse:
    """The confirmation page: nothing changes until its button is pressed."""
    text = _text(request)
    try:
        people.recipient_of(mail, token)
    except InvalidToken:
        return _page(text, text["bad_title"], text["bad"], status=404)
    form = (f'<form method="post"><button type="submit">{escape(text["button"])}</button></form>')
    return _page(text, text["title"], text["ask"], form)


@router.post("/mail/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, request: Request, mail: Mail) -> HTMLResponse:
    """Unsubscribe from all marketing mail (the one-click POST, or the page's button); the same answer twice."""
    text = _text(request)
    # RFC 8058 clients post `List-Unsubscribe=One-Click`; the page's own form posts nothing.
    one_click = b"List-Unsubscribe=One-Click" in (await request.body())[:200]
    via: Literal["one-click", "page"] = "one-click" if one_click else "page"
    try:
        await run_in_threadpool(people.unsubscribe, mail, token, via)
    except InvalidToken:
        return _page(text, text["bad_title"], text["bad"], status=404)
    return _page(text, text["done_title"], text["done"])


def _text(request: Request) -> dict[str, str]:
    wanted = request.headers.get("accept-language", "").lower()
    return _TEXT["en" if wanted.startswith("en") else "it"]


def _page(text: dict[str, str], title: str, body: str, form: str = "", status: int = 200) -> HTMLResponse:
    lang = "en" if text is _TEXT["en"] else "it"
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
            '<style>body{font:1.05rem/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;'
            'color:#1b1b1b}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;'
            'background:#1d4e89;color:#fff;cursor:pointer}button:focus-visible{outline:3px solid #f5a623;'
            f'outline-offset:2px}}</style></head><body><main><h1>{escape(title)}</h1><p>{escape(body)}</p>'
            f'{form}</main></body></html>')
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
