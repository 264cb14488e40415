"""Helpline protocols: versions, answers checked against the version a call follows, redirects to the directory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.call import NoRedirectHere, ProtocolMismatch, StepAlreadyAnswered
from services.calls.domain.directory import NoNumberForCategory
from services.calls.domain.protocol import InvalidAnswer, InvalidProtocol, UnknownProtocolVersion
from services.identity.domain import SYSTEM, SYSTEM_ACCESS
from services.kernel.errors import NotFound
from tests.calls.conftest import messages, register

ASCOLTO: list[dict[str, Any]] = [
    {"key": "comune", "question": "Da quale comune chiama?"},
    {"key": "sintomi", "question": "Ha febbre o difficoltà a respirare?", "choices": ["si", "no"],
     "redirect_when": "si", "redirect_to": "health"},
    {"key": "solo", "question": "Vive da solo?", "choices": ["si", "no"]},
]
MILANO_CSV = "istat_code,municipality,category,number\n015146,Milano,health,02 8578 1\n015146,Milano,social,020202\n"


def helpline_call(calls: CallsApplication) -> UUID:
    giulia = register(calls)
    calls.clock_in(giulia)
    return calls.start_call(giulia, "inbound", None, None)


def test_a_new_version_leaves_older_ones_readable(calls: CallsApplication) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    assert calls.publish_protocol(protocol, [*ASCOLTO, {"key": "farmaci", "question": "Prende farmaci?"}]) == 2
    assert len(calls.protocol(protocol, 1).steps) == 3
    assert len(calls.protocol(protocol).steps) == 4
    with pytest.raises(UnknownProtocolVersion, match="versions 1 to 2"):
        calls.protocol(protocol, 3)


@pytest.mark.parametrize(("steps", "reason"), [
    ([{"key": "A b", "question": "?"}], "key must be"),
    ([{"key": "a", "question": " "}], "question must not be empty"),
    ([{"key": "a", "question": "x"}, {"key": "a", "question": "y"}], "distinct"),
    ([{"key": "a", "question": "x", "choices": ["si", "no"], "redirect_when": "forse", "redirect_to": "health"}],
     "not one of the choices"),
    ([{"key": "a", "question": "x", "redirect_to": "health"}], "go together"),
])
def test_badly_written_protocols_are_refused(calls: CallsApplication, steps: list[dict[str, Any]],
                                             reason: str) -> None:
    with pytest.raises(InvalidProtocol, match=reason):
        calls.create_protocol("Ascolto anziani", steps)


def test_a_call_records_the_protocol_version_and_answers(calls: CallsApplication) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    call = helpline_call(calls)
    calls.record_answers(call, protocol, 1, {"comune": "Milano", "solo": "si"}, by=SYSTEM)
    calls.record_answers(call, protocol, 1, {"sintomi": "no"}, by=SYSTEM)
    view = calls.call(call, SYSTEM_ACCESS)
    assert view.protocol == (str(protocol), 1)
    assert view.answers == {"comune": "Milano", "solo": "si", "sintomi": "no"}
    with pytest.raises(StepAlreadyAnswered, match="solo"):
        calls.record_answers(call, protocol, 1, {"solo": "no"}, by=SYSTEM)
    calls.publish_protocol(protocol, ASCOLTO)
    with pytest.raises(ProtocolMismatch, match="version 1"):
        calls.record_answers(call, protocol, 2, {"farmaci": "no"}, by=SYSTEM)


@pytest.mark.parametrize(("answers", "reason"), [
    ({"colore": "blu"}, "not a step"), ({"sintomi": "forse"}, "must be one of"), ({"comune": " "}, "empty"),
])
def test_answers_must_fit_the_protocol(calls: CallsApplication, answers: dict[str, str], reason: str) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    call = helpline_call(calls)
    with pytest.raises(InvalidAnswer, match=reason):
        calls.record_answers(call, protocol, 1, answers, by=SYSTEM)
    assert calls.call(call, SYSTEM_ACCESS).answers == {}


def test_a_step_redirects_the_caller_to_the_health_number_of_their_municipality(calls: CallsApplication) -> None:
    calls.import_directory(MILANO_CSV.encode())
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    call = helpline_call(calls)
    calls.record_answers(call, protocol, 1, {"sintomi": "si"}, by=SYSTEM)
    assert calls.redirect_call(call, "sintomi", "015146", by=SYSTEM) == "+390285781"
    assert messages(calls, "Call.Redirected")[0].data == {
        "step": "sintomi", "category": "health", "istat_code": "015146", "target": "+390285781",
        "redirected_at": "2026-11-23T09:00:00+00:00"}
    assert calls.call(call, SYSTEM_ACCESS).redirects[0]["target"] == "+390285781"


def test_redirect_only_where_the_step_and_answer_say_so(calls: CallsApplication) -> None:
    calls.import_directory(MILANO_CSV.encode())
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    call = helpline_call(calls)
    with pytest.raises(NoRedirectHere, match="no protocol yet"):
        calls.redirect_call(call, "sintomi", "015146", by=SYSTEM)
    calls.record_answers(call, protocol, 1, {"sintomi": "no", "solo": "si"}, by=SYSTEM)
    with pytest.raises(NoRedirectHere, match="answered 'si'"):
        calls.redirect_call(call, "sintomi", "015146", by=SYSTEM)
    with pytest.raises(NoRedirectHere, match="does not redirect"):
        calls.redirect_call(call, "solo", "015146", by=SYSTEM)


def test_redirect_needs_the_municipality_and_its_number(calls: CallsApplication) -> None:
    calls.import_directory(b"istat_code;municipality;category;number\n015146;Milano;social;020202\n")
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    call = helpline_call(calls)
    calls.record_answers(call, protocol, 1, {"sintomi": "si"}, by=SYSTEM)
    with pytest.raises(NoNumberForCategory, match="no 'health' number"):
        calls.redirect_call(call, "sintomi", "015146", by=SYSTEM)
    with pytest.raises(NotFound, match="not in the directory"):
        calls.redirect_call(call, "sintomi", "058091", by=SYSTEM)
    assert messages(calls, "Call.Redirected") == []
