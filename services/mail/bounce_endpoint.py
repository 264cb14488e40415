"""The inbound SMTP endpoint for delivery-status notifications: remote MTAs hand bounces for `bounce+<token>@<domain>`
to it, each is read (services.mail.bounces) and handed to `handle`, which records it.

At-least-once: a message is answered 250 only after `handle` returned; if `handle` fails the answer is 451 and the
remote MTA delivers it again later — recording is idempotent per (message, kind), so a retry counts once.
Mail to `unsubscribe+<token>@<domain>` (the mailto of a message's List-Unsubscribe) unsubscribes the token's person.
Mail that is not a bounce (an auto-reply, a person answering the campaign) is accepted and dropped: refusing it
would send a bounce of our own back to the donor.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.mail.bounces import Bounce, bounce_token, parse_bounce

MAX_SIZE = 1024 * 1024  # a bounce is a few kilobytes; one quoting a big original needs no more than this
_log = logging.getLogger(__name__)


class BounceHandler:
    """aiosmtpd handler: recipients `bounce+<token>@<domain>` only (550 otherwise), each message read and handled."""

    def __init__(self, domain: str, handle: Callable[[Bounce], object],
                 unsubscribe: Callable[[str], None] | None = None) -> None:
        self.domain = domain.strip().lower()
        self.handle = handle
        self.unsubscribe = unsubscribe

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if bounce_token(address, self.domain) is None and self._unsubscribe_token(address) is None:
            return (f"550 5.1.1 <{address}>: no such mailbox; this server accepts only bounce+<token>@{self.domain}"
                    f" and unsubscribe+<token>@{self.domain}")
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        leaving = [t for t in (self._unsubscribe_token(to) for to in envelope.rcpt_tos) if t is not None]
        returned = [to for to in envelope.rcpt_tos if self._unsubscribe_token(to) is None]
        bounces = [b for b in (parse_bounce(data, to) for to in returned) if b is not None]
        try:
            for token in leaving:
                if self.unsubscribe is not None:
                    await asyncio.get_running_loop().run_in_executor(None, self.unsubscribe, token)
            for bounce in bounces:
                await asyncio.get_running_loop().run_in_executor(None, self.handle, bounce)
        except Exception:  # the process edge: whatever failed, the remote MTA keeps the bounce and retries
            _log.exception("bounce not recorded; answered 451 so the sender retries")
            return "451 4.3.0 the bounce could not be recorded now; please try again later"
        for bounce in bounces:
            _log.info("bounce received: %s %s", bounce.kind, bounce.status or "-")
        return "250 2.0.0 OK"


    def _unsubscribe_token(self, address: str) -> str | None:
        """The token of `unsubscribe+<token>@<domain>` (the mailto of List-Unsubscribe), else None."""
        local, _, domain = address.strip("<>").rpartition("@")
        prefix, plus, token = local.partition("+")
        if domain.lower() != self.domain or not plus or prefix.lower() != "unsubscribe" or not token.isalnum():
            return None
        return token.lower()


def start_bounce_endpoint(host: str, port: int, domain: str, handle: Callable[[Bounce], object],
                          max_size: int = MAX_SIZE, unsubscribe: Callable[[str], None] | None = None) -> Controller:
    """Listen for bounces on host:port until the returned controller's `stop()`; larger messages refused 552."""
    # SMTPUTF8: bounces quote originals whose addresses may be internationalised.
    controller = Controller(BounceHandler(domain, handle, unsubscribe), hostname=host, port=port,
                            data_size_limit=max_size, enable_SMTPUTF8=True, ident="Angeli bounce endpoint")
    controller.start()
    return controller

