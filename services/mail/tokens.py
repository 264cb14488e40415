"""Signed tokens in unsubscribe links and bounce addresses (VERP): they name a recipient and one message of one
list, and only the holder of the key can make one.

A token is base32, lower case, 56 characters: it fits in a VERP local part (`bounce+<token>`, 63 of the 64
characters RFC 5321 allows) and survives mail systems that change the case of addresses. Its 35 bytes are

    1   version (high 4 bits) and purpose (low 4 bits)
    16  the recipient's id
    6   the reference: a keyed digest of (list id, message key); the strings themselves do not fit
    12  HMAC-SHA256 of the 23 bytes before, truncated to 96 bits

The list id and message key are not carried, only bound: whoever sends a message keeps its `reference(...)`, and
finds the message again from a verified token's recipient and reference. The digest is keyed, so a token reveals
nothing about lists or messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

Purpose = Literal["unsubscribe", "bounce"]
_PURPOSES: dict[str, int] = {"unsubscribe": 1, "bounce": 2}
_VERSION = 1
_MAC_BYTES = 12
_REFERENCE_BYTES = 6
_BODY_BYTES = 1 + 16 + _REFERENCE_BYTES
LENGTH = (_BODY_BYTES + _MAC_BYTES) * 8 // 5  # characters of every token: 56


class InvalidToken(ValueError):
    """A token that was not made with this key for this purpose, was changed, or is not a token at all."""


@dataclass(frozen=True)
class Claims:
    purpose: Purpose
    recipient: UUID
    reference: str  # `reference(key, list_id, message_key)` of the message the token was made for


def sign(key: bytes, purpose: Purpose, recipient: UUID, list_id: str, message_key: str) -> str:
    """The token naming `recipient` and the message `message_key` of list `list_id`, for `purpose`."""
    if purpose not in _PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(_PURPOSES)}; got {purpose!r}")
    _check_key(key)
    body = bytes([_VERSION << 4 | _PURPOSES[purpose]]) + recipient.bytes + _digest(key, list_id, message_key)
    return _text(body + _mac(key, body))


def verify(key: bytes, token: str, purpose: Purpose) -> Claims:
    """The claims of `token` if this key made it for `purpose`; otherwise InvalidToken saying why."""
    _check_key(key)
    raw = _bytes(token)
    body, mac = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise InvalidToken("the token's signature does not match: it was changed or made with another key")
    if body[0] >> 4 != _VERSION:
        raise InvalidToken(f"the token is of version {body[0] >> 4}, this reader knows version {_VERSION}")
    found = next((name for name, code in _PURPOSES.items() if code == body[0] & 0x0F), None)
    if found != purpose:
        raise InvalidToken(f"the token is for {found or 'an unknown purpose'}, not {purpose}")
    return Claims(purpose=purpose, recipient=UUID(bytes=body[1:17]), reference=_text(body[17:]))


def reference(key: bytes, list_id: str, message_key: str) -> str:
    """What a token made for this message carries in `Claims.reference` (10 base32 characters)."""
    _check_key(key)
    return _text(_digest(key, list_id, message_key))


def _digest(key: bytes, list_id: str, message_key: str) -> bytes:
    # Lengths first, so ("a", "bc") and ("ab", "c") never share a digest.
    encoded = [part.encode() for part in (list_id, message_key)]
    framed = b"".join(len(part).to_bytes(4, "big") + part for part in encoded)
    return hmac.new(key, b"angeli mail reference\0" + framed, hashlib.sha256).digest()[:_REFERENCE_BYTES]


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"angeli mail token\0" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def _text(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def _bytes(token: str) -> bytes:
    if not isinstance(token, str) or len(token) != LENGTH or not token.isascii() or not token.isalnum():
        raise InvalidToken(f"a token is {LENGTH} letters and digits; got {len(token) if isinstance(token, str) else 0}")
    try:
        return base64.b32decode(token.upper())
    except binascii.Error:
        raise InvalidToken("a token is written in base32 (letters a-z and digits 2-7)") from None


def _check_key(key: bytes) -> None:
    if len(key) < 16:
        raise ValueError(f"the token key must have at least 16 bytes; got {len(key)}")
