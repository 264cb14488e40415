"""The webhook signature agrees with the official `twilio` package's RequestValidator (a dev dependency only: the
product checks signatures itself), and a changed URL, field, token or body never verifies."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from services.kernel.webhooks import twilio_signature, verify_twilio

TOKEN = "12345678901234567890123456789012"
URL = "https://angeli.example.org/telephony/twiml/status?leg=giulia"
CALLBACK = {"CallSid": "CA1234567890ABCDE", "Caller": "+390212345678", "Digits": "1234", "From": "+390212345678",
            "To": "+390298765432", "CallStatus": "ringing", "Timestamp": "Mon, 23 Nov 2026 09:00:05 +0000",
            "SequenceNumber": "1"}

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


def test_the_signature_is_the_official_validators_for_a_documented_callback() -> None:
    assert twilio_signature(TOKEN, URL, CALLBACK) == RequestValidator(TOKEN).compute_signature(URL, CALLBACK)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(names, values, max_size=8), st.sampled_from([URL, "http://10.0.0.5:8000/v?a=1&b=%20",
                                                                   "https://h.example/ü"]))
def test_any_fields_and_address_sign_as_the_official_validator_signs_them(params: dict[str, str], url: str) -> None:
    assert twilio_signature(TOKEN, url, params) == RequestValidator(TOKEN).compute_signature(url, params)


def test_repeated_field_names_sign_each_value_sorted_as_the_validator_does() -> None:
    class MultiDict(dict[str, list[str]]):
        def getall(self, name: str) -> list[str]:
            return self[name]

    pairs = [("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "answered"), ("To", "+39021")]
    official = RequestValidator(TOKEN).compute_signature(URL, MultiDict(StatusCallbackEvent=["ringing", "answered"],
                                                                        To=["+39021"]))
    assert twilio_signature(TOKEN, URL, pairs) == official


def test_a_signature_verifies_with_or_without_the_default_port_as_the_provider_may_sign_either() -> None:
    for signed_for, received_at in [("https://angeli.example.org:443/telephony/twiml/voice",
                                     "https://angeli.example.org/telephony/twiml/voice"),
                                    ("https://angeli.example.org/telephony/twiml/voice",
                                     "https://angeli.example.org:443/telephony/twiml/voice")]:
        header = RequestValidator(TOKEN).compute_signature(signed_for, CALLBACK)
        assert verify_twilio(TOKEN, received_at, CALLBACK, header)
        assert RequestValidator(TOKEN).validate(received_at, CALLBACK, header)


def test_a_changed_field_address_or_token_never_verifies() -> None:
    header = twilio_signature(TOKEN, URL, CALLBACK)
    assert verify_twilio(TOKEN, URL, CALLBACK, header)
    assert not verify_twilio(TOKEN, URL, {**CALLBACK, "CallStatus": "completed"}, header)
    assert not verify_twilio(TOKEN, URL, {**CALLBACK, "Extra": ""}, header)
    assert not verify_twilio(TOKEN, URL.replace("giulia", "marco"), CALLBACK, header)
    assert not verify_twilio(TOKEN[::-1], URL, CALLBACK, header)
    assert not verify_twilio(TOKEN, URL, CALLBACK, None) and not verify_twilio(TOKEN, URL, CALLBACK, "")
    assert not verify_twilio("", URL, CALLBACK, twilio_signature("", URL, CALLBACK))  # no token: nothing verifies


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(names, values, max_size=6), st.text(max_size=20))
def test_verification_agrees_with_the_official_validator(params: dict[str, str], forged: str) -> None:
    validator = RequestValidator(TOKEN)
    good = validator.compute_signature(URL, params)
    assert verify_twilio(TOKEN, URL, params, good) == validator.validate(URL, params, good) is True
    assert verify_twilio(TOKEN, URL, params, forged) == validator.validate(URL, params, forged)


def test_a_json_body_is_signed_through_its_hash_in_the_address() -> None:
    body = '{"CallSid":"CA1","CallStatus":"completed"}'
    url = f"https://angeli.example.org/telephony/twiml/status?bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"
    header = RequestValidator(TOKEN).compute_signature(url, {})
    assert RequestValidator(TOKEN).validate(url, body, header)
    assert verify_twilio(TOKEN, url, body, header)
    assert not verify_twilio(TOKEN, url, body.replace("completed", "busy"), header)
