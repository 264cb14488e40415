"""Protocol drafts on the server: saved as events on the protocol, shared by editors, saved only over the revision
loaded (optimistic concurrency), discarded, published as the next version once finished; calls keep theirs."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.protocol import DraftConflict, DraftNotFinished, InvalidProtocol, NoDraft
from services.identity.domain import SYSTEM, Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import NotFound
from tests.calls.conftest import messages, register
from tests.calls.test_protocols import ASCOLTO

ANNA = Actor(kind="account", id="a1", name="anna@example.org", role="coordinator")
MARCO = Actor(kind="account", id="a2", name="marco@example.org", role="coordinator")
FARMACI = {"key": "farmaci", "question": "Prende farmaci?", "choices": ["si", "no"]}


def test_a_saved_draft_is_the_same_for_every_editor_and_names_who_saved_it(calls: CallsApplication) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    assert calls.protocol_draft(protocol) is None
    assert calls.save_protocol_draft(protocol, [*ASCOLTO, FARMACI], None, by=ANNA) == 1
    draft = calls.protocol_draft(protocol)
    assert draft is not None
    assert (draft.revision, draft.based_on, draft.latest_version) == (1, 1, 1)
    assert draft.saved_by == "account:anna@example.org"
    assert [s.key for s in draft.steps] == ["comune", "sintomi", "solo", "farmaci"]
    assert calls.save_protocol_draft(protocol, ASCOLTO, 1, by=MARCO) == 2
    assert messages(calls, "Protocol.DraftSaved")[-1].data["saved_by"] == "account:marco@example.org"
    assert calls.protocol(protocol).version == 1  # the published version is untouched


def test_saving_over_a_newer_draft_than_the_one_loaded_is_refused(calls: CallsApplication) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    calls.save_protocol_draft(protocol, ASCOLTO, None, by=ANNA)
    calls.save_protocol_draft(protocol, [*ASCOLTO, FARMACI], 1, by=MARCO)  # Marco saved after Anna loaded 1
    with pytest.raises(DraftConflict, match=r"saved again after you loaded revision 1: revision 2, .* by "
                                            r"account:marco@example.org"):
        calls.save_protocol_draft(protocol, ASCOLTO, 1, by=ANNA)
    with pytest.raises(DraftConflict, match="already has a draft"):
        calls.save_protocol_draft(protocol, ASCOLTO, None, by=ANNA)
    with pytest.raises(DraftConflict):
        calls.publish_protocol_draft(protocol, 1, by=ANNA)
    with pytest.raises(DraftConflict):
        calls.discard_protocol_draft(protocol, 1, by=ANNA)
    draft = calls.protocol_draft(protocol)
    assert draft is not None and draft.revision == 2 and len(draft.steps) == 4


def test_a_draft_may_be_unfinished_but_is_published_only_when_finished(calls: CallsApplication) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    unfinished: list[dict[str, Any]] = [*ASCOLTO, {"key": "farmaci", "question": " "},
                                        {"key": "aiuto", "question": "Serve aiuto?", "redirect_to": "social services"}]
    calls.save_protocol_draft(protocol, unfinished, None, by=ANNA)
    with pytest.raises(DraftNotFinished, match="step 4: question must not be empty"):
        calls.publish_protocol_draft(protocol, 1, by=ANNA)
    finished = [*ASCOLTO, FARMACI, {"key": "aiuto", "question": "Serve aiuto?", "choices": ["si", "no"],
                                    "redirect_when": "si", "redirect_to": "social services"}]
    calls.save_protocol_draft(protocol, finished, 1, by=ANNA)
    assert calls.publish_protocol_draft(protocol, 2, by=MARCO) == 2
    assert [s.key for s in calls.protocol(protocol).steps][-2:] == ["farmaci", "aiuto"]
    assert calls.protocol_draft(protocol) is None
    assert messages(calls, "Protocol.DraftPublished")[0].data["version"] == 2


@pytest.mark.parametrize(("steps", "reason"), [
    ([], "1 to 100 steps"),
    ([{"key": "A b", "question": ""}], "key must be"),
    ([{"key": "a", "question": ""}, {"key": "a", "question": ""}], "distinct"),
    ([{"key": "a", "question": "", "choices": ["si", "si"]}], "choices must be distinct"),
    ([{"key": "a", "question": "", "choices": ["si", "no"], "redirect_when": "forse"}], "not one of the choices"),
])
def test_what_a_draft_must_already_get_right(calls: CallsApplication, steps: list[dict[str, Any]],
                                             reason: str) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    with pytest.raises(InvalidProtocol, match=reason):
        calls.save_protocol_draft(protocol, steps, None, by=ANNA)
    assert calls.protocol_draft(protocol) is None
    assert messages(calls, "Protocol.DraftSaved") == []


def test_a_discarded_or_published_draft_tells_a_late_editor_what_happened(calls: CallsApplication) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    calls.save_protocol_draft(protocol, ASCOLTO, None, by=ANNA)
    calls.discard_protocol_draft(protocol, 1, by=MARCO)
    assert calls.protocol_draft(protocol) is None
    with pytest.raises(DraftConflict, match=r"revision 1\) was discarded at .* by account:marco@example.org"):
        calls.save_protocol_draft(protocol, ASCOLTO, 1, by=ANNA)
    assert calls.save_protocol_draft(protocol, [*ASCOLTO, FARMACI], None, by=ANNA) == 2  # revisions go on
    calls.publish_protocol_draft(protocol, 2, by=ANNA)
    with pytest.raises(DraftConflict, match="published as version 2"):
        calls.publish_protocol_draft(protocol, 2, by=MARCO)
    with pytest.raises(NoDraft, match="no draft revision 9"):
        calls.discard_protocol_draft(protocol, 9, by=MARCO)
    with pytest.raises(NotFound):
        calls.protocol_draft(uuid4())


def test_calls_keep_the_version_they_followed_when_a_draft_is_published(calls: CallsApplication,
                                                                       clock: FixedClock) -> None:
    protocol = calls.create_protocol("Ascolto anziani", ASCOLTO)
    giulia = register(calls)
    calls.clock_in(giulia)
    call = calls.start_call(giulia, "inbound", None, None)
    calls.record_answers(call, protocol, 1, {"solo": "si"}, by=SYSTEM)
    calls.save_protocol_draft(protocol, [FARMACI], None, by=ANNA)
    calls.publish_protocol_draft(protocol, 1, by=ANNA)
    calls.record_answers(call, protocol, 1, {"sintomi": "no"}, by=SYSTEM)  # still version 1's steps
    assert len(calls.protocol(protocol, 1).steps) == 3 and len(calls.protocol(protocol, 2).steps) == 1

