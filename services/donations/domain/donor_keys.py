"""Donor search keys: a donor's phone, e-mail, tax code and name words, normalised and turned into keyed digests.

The search index stores these digests only (HMAC-SHA256 under the installation's donor search key), never the
values: a digest cannot be read back, and without the key a guess cannot be checked against it. The same
normalisation on both sides makes "GIULIA", "giulia" and "Giulià" one key, and "02 1234 5678" and
"+39 02 12345678" one number. Pure: the key comes in from the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from enum import StrEnum

import phonenumbers

from services.kernel.errors import InvalidInput

_TAX_CODE = re.compile(r"[A-Z0-9]{11,16}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WORD = re.compile(r"[^\W_]+")  # letters and digits; apostrophes, dots, dashes and spaces separate words
MIN_QUERY = 2
MAX_QUERY = 200
MAX_WORDS = 6


class SearchBy(StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    TAX_CODE = "tax_code"


class SearchNotValid(InvalidInput):
    pass


class PhoneNotValid(InvalidInput):
    pass


def search_by(by: str) -> SearchBy:
    try:
        return SearchBy(by)
    except ValueError:
        names = ", ".join(b.value for b in SearchBy)
        raise SearchNotValid(f"by must be one of {names}; got {by!r}") from None


def phone(raw: str, region: str = "IT") -> str:
    """'02 1234 5678' → '+390212345678' (E.164, Italian numbers without their +39); PhoneNotValid says why not."""
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneNotValid(f"phone number {text!r} cannot be read; write it like +39 02 1234 5678") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneNotValid(f"phone number {text!r} is not a valid number; write it like +39 02 1234 5678")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(text: str) -> str:
    """Case and accents folded: 'Niccolò' → 'niccolo', 'STRAßE' → 'strasse'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_words(name: str) -> list[str]:
    """The folded words of a name, each once, in order: "D'Angelo-Rossi S.r.l." → d, angelo, rossi, s, r, l."""
    words: list[str] = []
    for word in _WORD.findall(fold(name)):
        if word not in words:
            words.append(word)
    return words


def normal_values(by: SearchBy, raw: str) -> list[str]:
    """What a query (or a held value) stands for once normalised: one value, or the name's words."""
    if by is SearchBy.NAME:
        return name_words(raw)
    if by is SearchBy.PHONE:
        return [phone(raw)]
    if by is SearchBy.EMAIL:
        return [raw.strip().casefold()]
    return [raw.strip().upper()]


def query_values(by: SearchBy, query: str) -> list[str]:
    """A search's normalised values, or SearchNotValid/PhoneNotValid saying what to type instead."""
    text = query.strip()
    if not text:
        raise SearchNotValid("the search is empty: type a name, phone number, e-mail or tax code")
    if len(text) > MAX_QUERY:
        raise SearchNotValid(f"the search is at most {MAX_QUERY} characters, got {len(text)}")
    if by is SearchBy.NAME:
        words = name_words(text)
        if sum(len(w) for w in words) < MIN_QUERY:
            raise SearchNotValid(f"the search is too short: type at least {MIN_QUERY} letters of a name")
        if len(words) > MAX_WORDS:
            raise SearchNotValid(f"a name search takes at most {MAX_WORDS} words, got {len(words)}")
        return words
    if by is SearchBy.EMAIL and not _EMAIL.fullmatch(text):
        raise SearchNotValid(f"an e-mail search needs a whole address like giulia@example.org, got {text!r}")
    if by is SearchBy.TAX_CODE and not _TAX_CODE.fullmatch(text.upper()):
        raise SearchNotValid(f"a tax code is 11 to 16 letters and digits (e.g. RSSGLI80A41H501U), got {text!r}")
    return normal_values(by, text)


class DonorKeys:
    """Keyed digests of normalised values; the index holds these and nothing else of a donor's details."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the donor search key must be at least 32 bytes")
        self._key = key

    def digest(self, by: SearchBy, value: str) -> str:
        return hmac.new(self._key, f"{by.value}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def of_query(self, by: SearchBy, query: str) -> list[str]:
        """The digests a search looks up (a name: one per word, every one must match)."""
        return [self.digest(by, value) for value in query_values(by, query)]

    def of_details(self, details: dict[str, str], *, strict: bool) -> list[str]:
        """Every digest a donor is found by. `strict` (a new donor typed in): a phone that cannot be read is
        refused; otherwise (imports, the backfill) it is left out of the index and the rest indexed."""
        digests: list[str] = []
        for by in SearchBy:
            raw = (details.get(by.value) or "").strip()
            if not raw:
                continue
            try:
                values = normal_values(by, raw)
            except PhoneNotValid:
                if strict:
                    raise
                continue
            digests.extend(self.digest(by, value) for value in values)
        return list(dict.fromkeys(digests))
