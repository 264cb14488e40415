"""Unsubscribe and bounce tokens: only the key's holder makes one, any change is refused, and they fit a VERP
address whatever the case a mail system writes them in."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.mail.tokens import LENGTH, InvalidToken, Purpose, reference, sign, verify

KEY = bytes(range(32))
GIULIA = UUID("6f1c2a4e-6b3d-4c1e-9a57-2f0d1b9e8c11")
purposes: st.SearchStrategy[Purpose] = st.sampled_from(["unsubscribe", "bounce"])
texts = st.text(max_size=80)


@settings(max_examples=200, deadline=None)
@given(purposes, st.uuids(), texts, texts)
def test_a_token_reads_back_as_the_recipient_and_message_it_was_made_for(
        purpose: Purpose, recipient: UUID, list_id: str, message_key: str) -> None:
    token = sign(KEY, purpose, recipient, list_id, message_key)
    claims = verify(KEY, token, purpose)
    assert (claims.purpose, claims.recipient, claims.reference) == (
        purpose, recipient, reference(KEY, list_id, message_key))


@settings(max_examples=200, deadline=None)
@given(purposes, st.uuids(), st.data())
def test_any_changed_character_is_refused(purpose: Purpose, recipient: UUID, data: st.DataObject) -> None:
    token = sign(KEY, purpose, recipient, "natale-2026", "mailing-1/giulia")
    at = data.draw(st.integers(0, len(token) - 1))
    other = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz234567").filter(lambda c: c != token[at]))
    with pytest.raises(InvalidToken):
        verify(KEY, token[:at] + other + token[at + 1:], purpose)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=70))
def test_any_text_that_is_not_a_token_is_refused_with_invalid_token(text: str) -> None:
    with pytest.raises(InvalidToken):
        verify(KEY, text, "unsubscribe")


def test_a_token_fits_a_verp_local_part_in_base32_lower_case() -> None:
    token = sign(KEY, "bounce", GIULIA, "natale-2026", "a message key as long as anyone likes " * 10)
    assert len(token) == LENGTH == 56 and len(f"bounce+{token}") <= 64
    assert token == token.lower() and set(token) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_a_mail_system_that_upper_cases_the_address_keeps_a_valid_token() -> None:
    token = sign(KEY, "bounce", GIULIA, "natale-2026", "m1")
    assert verify(KEY, token.upper(), "bounce").recipient == GIULIA


def test_a_bounce_token_does_not_unsubscribe_anyone() -> None:
    token = sign(KEY, "bounce", GIULIA, "natale-2026", "m1")
    with pytest.raises(InvalidToken, match="the token is for bounce, not unsubscribe"):
        verify(KEY, token, "unsubscribe")


def test_a_token_made_with_another_key_is_refused() -> None:
    token = sign(bytes(32), "unsubscribe", GIULIA, "natale-2026", "m1")
    with pytest.raises(InvalidToken, match="signature does not match"):
        verify(KEY, token, "unsubscribe")


def test_each_list_and_message_has_its_own_reference_and_the_reference_needs_the_key() -> None:
    references = {reference(KEY, "natale-2026", "m1"), reference(KEY, "natale-2026", "m2"),
                  reference(KEY, "pasqua-2027", "m1"), reference(KEY, "natale-2026m", "1"),
                  reference(bytes(32), "natale-2026", "m1")}
    assert len(references) == 5 and all(len(r) == 10 for r in references)


def test_a_short_key_or_an_unknown_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        sign(b"short", "bounce", GIULIA, "l", "m")
    with pytest.raises(ValueError, match="purpose must be one of unsubscribe, bounce"):
        sign(KEY, "newsletter", GIULIA, "l", "m")  # type: ignore[arg-type]


def test_the_key_is_the_installations_mail_token_key_kept_under_the_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"ANGELI_DATA_DIR": str(tmp_path)})
    token = sign(secret(settings, "mail_token_key"), "unsubscribe", GIULIA, "natale-2026", "m1")
    again = Settings.from_env({"ANGELI_DATA_DIR": str(tmp_path)})  # after a restart
    assert verify(secret(again, "mail_token_key"), token, "unsubscribe").recipient == GIULIA
