"""A caller that is no account proves itself with a shared secret in a header: compared in constant time, and
refused (403) when missing or different, before anything is read or stored."""

from __future__ import annotations

import hmac

from services.kernel.errors import DomainError


class WrongSecret(DomainError):
    status_code = 403


def require_secret(expected: str, given: str | None, header: str, who: str) -> None:
    if not expected or given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WrongSecret(f"the {header} header is missing or wrong; only {who} may ask here")
