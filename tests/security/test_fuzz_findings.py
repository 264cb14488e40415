"""What the schemathesis run found, kept as plain regression tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

ZERO = {"raised": "0.00", "reversed": "0.00", "disbursed": "0.00", "balance": "0.00", "in_kind": "0.00"}


@pytest.mark.parametrize("field", ["sequence", "position"])
def test_a_published_head_with_a_number_beyond_64_bits_is_a_422_not_a_500(
        client_as: Callable[..., TestClient], field: str) -> None:
    # Given an auditor checking a published head whose numbers were made up
    head = {"sequence": 0, "position": 0, "hash": "0" * 64, "totals": ZERO, "signature": "00", field: 2**70}
    # When they ask to verify it, then the head is refused as invalid input, naming the field
    answer = client_as("auditor").post("/ledger/verify", json=head)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(f"{field}: Input should be less than or equal to")
