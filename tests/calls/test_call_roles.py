"""A volunteer takes a call only with the role its kind needs: the helpline role for an inbound call, outreach for
an outbound (campaign) call; refused with the reason (409, as a shift of another role is), nothing stored."""

from __future__ import annotations

from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.calls.domain.call import CallRoleNotHeld, Direction, require_call_role
from services.calls.domain.volunteer import Role
from tests.calls.conftest import messages, register


def test_the_rule_names_the_missing_role_and_the_roles_held() -> None:
    require_call_role(uuid4(), Direction.INBOUND, (Role.HELPLINE,))
    require_call_role(uuid4(), Direction.OUTBOUND, (Role.COORDINATOR, Role.OUTREACH))
    with pytest.raises(CallRoleNotHeld, match=r"lacks the helpline role .* inbound .*roles held: outreach"):
        require_call_role(uuid4(), Direction.INBOUND, (Role.OUTREACH,))
    with pytest.raises(CallRoleNotHeld, match=r"lacks the outreach role .* outbound .*roles held: coordinator, "
                                              r"helpline"):
        require_call_role(uuid4(), Direction.OUTBOUND, (Role.COORDINATOR, Role.HELPLINE))


def test_a_volunteer_without_the_helpline_role_cannot_take_an_inbound_call(calls: CallsApplication) -> None:
    marco = register(calls, "Marco Bianchi", roles=("outreach",))
    calls.clock_in(marco)
    with pytest.raises(CallRoleNotHeld, match="helpline role"):
        calls.start_call(marco, "inbound", None, None)
    assert messages(calls, "Call.Started") == []
    calls.start_call(marco, "outbound", uuid4(), uuid4())


def test_a_helpline_volunteer_cannot_take_a_campaign_call(calls: CallsApplication) -> None:
    giulia = register(calls, roles=("helpline",))
    calls.clock_in(giulia)
    with pytest.raises(CallRoleNotHeld, match="outreach role"):
        calls.start_call(giulia, "outbound", uuid4(), uuid4())
    calls.start_call(giulia, "inbound", None, None)
    assert len(messages(calls, "Call.Started")) == 1


def test_the_api_refuses_with_409_and_the_reason(client: TestClient) -> None:
    marco = client.post("/volunteers", json={"full_name": "Marco Bianchi", "phone": "+39 02 1234 5678",
                                             "email": "marco@example.org", "roles": ["outreach"]}).json()["id"]
    assert client.post(f"/volunteers/{marco}/clock-in").status_code == 200
    refused = client.post("/calls", json={"volunteer_id": marco, "direction": "inbound"})
    assert refused.status_code == 409
    assert "lacks the helpline role" in refused.json()["detail"]
    assert client.get("/calls", params={"volunteer_id": marco}).json()["total"] == 0
