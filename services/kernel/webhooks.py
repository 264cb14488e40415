"""Webhooks from a provider: the request is trusted only when its signature proves the provider sent it (fail closed).

Twilio's scheme (TwiML-speaking providers copy it): base64(HMAC-SHA1(auth token, the full URL the provider called +
every POST parameter sorted by name, name and value concatenated)) in `X-Twilio-Signature`. A JSON body is signed
as the URL alone, which carries `bodySHA256` (hex SHA-256 of the body). The provider's own signer is inconsistent
about default ports, so the URL is tried with and without its port, as the official validator does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlsplit, urlunsplit
from xml.etree.ElementTree import Element, tostring

from fastapi import Request, Response

from services.kernel.errors import DomainError

SIGNATURE_HEADER = "X-Twilio-Signature"
Params = Mapping[str, str] | Iterable[tuple[str, str]]


class Unsigned(DomainError):
    """A webhook came without a valid signature: nothing of it is read further, nothing stored. Maps to 403."""

    status_code = 403


def twilio_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """The signature the provider sends for a POST of `params` (form fields; repeated names allowed) to `url`."""
    pairs = list(params.items() if isinstance(params, Mapping) else params or ())
    signed = url
    for name in sorted({name for name, _ in pairs}):
        for value in sorted({value for other, value in pairs if other == name}):
            signed += name + value
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio(auth_token: str, url: str, params: Params | str | None, header: str | None) -> bool:
    """Whether `header` signs this request. `params`: the form fields, or a JSON body as text (then the URL's
    `bodySHA256` must be the body's hash). An empty auth token or header never verifies."""
    if not auth_token or not header:
        return False
    fields: Params | None = params if not isinstance(params, str) else ()
    if isinstance(params, str):
        declared = parse_qs(urlsplit(url).query).get("bodySHA256", [""])[0]
        if not hmac.compare_digest(hashlib.sha256(params.encode()).hexdigest(), declared):
            return False
    candidates = {url, _with_port(url), _without_port(url)}
    # Every candidate is computed and compared (constant time each), whichever matches.
    matches = [hmac.compare_digest(twilio_signature(auth_token, u, fields).encode(), header.encode())
               for u in sorted(candidates)]
    return any(matches)


def _with_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is not None or not parts.hostname:
        return url
    port = 443 if parts.scheme == "https" else 80
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))


def public_url(request: Request, public_base: str) -> str:
    """The URL the provider called: `public_base` (the address as the provider sees it, behind a proxy) + the path
    and query; the request's own URL when no public address is configured."""
    if not public_base:
        return str(request.url)
    query = request.url.query
    return public_base.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def verified_form(request: Request, auth_token: str, public_base: str) -> dict[str, str]:
    """The POSTed form of a signed webhook, or `Unsigned` before any of it is used. Repeated names keep their last
    value (the provider sends each field once)."""
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        raise Unsigned(f"refused: the request carries no {SIGNATURE_HEADER} header; only the telephony provider, "
                       "signing with the configured auth token, may call this address")
    if not auth_token:
        raise Unsigned("refused: no auth token is configured to check the provider's signature "
                       "(set ANGELI_TWILIO_AUTH_TOKEN or ANGELI_TWILIO_AUTH_TOKEN_FILE)")
    form = await request.form()
    pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    if not verify_twilio(auth_token, public_url(request, public_base), pairs, header):
        raise Unsigned(f"refused: the {SIGNATURE_HEADER} signature does not match this request; check that the "
                       "auth token is the account's and that ANGELI_TELEPHONY_PUBLIC_URL is the address the "
                       "provider calls")
    return dict(pairs)


def xml_answer(root: Element, status_code: int = 200) -> Response:
    """An XML document (built with ElementTree, so every value is escaped) as the answer."""
    body = tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status_code, media_type="application/xml")
