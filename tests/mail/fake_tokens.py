"""Mail tests' shared pieces: a token verifier standing in for services/mail/tokens.py (another branch's)."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.errors import InvalidInput


@dataclass(frozen=True)
class FakeClaims:
    recipient: str
    message: str


class TokenNotValid(InvalidInput):
    pass


def verify(token: str) -> FakeClaims:
    """'giulia.natale-1' → recipient giulia, message natale-1; anything else is not ours."""
    recipient, dot, message = token.partition(".")
    if not dot or not recipient or not message:
        raise TokenNotValid(f"token {token!r} is not valid")
    return FakeClaims(recipient, message)
