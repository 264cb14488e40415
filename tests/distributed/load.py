"""A load generator for fault tests: pledges and payments with Idempotency-Keys, retried across replicas."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx


@dataclass
class Accepted:
    pledges: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PledgeLoad:
    """Posts a pledge then pays it, again and again. A request whose connection broke is retried with the
    same Idempotency-Key on the next replica until it gets a definite answer, so `accepted` is exact."""

    def __init__(self, bases: list[str], donor: str, fund: str, headers: dict[str, str]) -> None:
        self.bases = bases
        self.headers = headers
        self.donor, self.fund = donor, fund
        self.accepted = Accepted()
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self._turn = itertools.count()

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> Accepted:
        self.stop.set()
        self._thread.join(timeout=120)
        return self.accepted

    def _run(self) -> None:
        while not self.stop.is_set():
            pledge = self._post("/pledges", {"donor_id": self.donor, "fund_id": self.fund, "amount": "25.00"})
            if pledge is None:
                continue
            with self.accepted.lock:
                self.accepted.pledges.append(pledge["id"])
            paid = self._post(f"/pledges/{pledge['id']}/payments",
                              {"amount": "25.00", "method": "bank_transfer", "reference": uuid.uuid4().hex})
            if paid is not None:
                with self.accepted.lock:
                    self.accepted.payments.append(paid["payment_id"])
            time.sleep(0.02)

    def _post(self, path: str, body: dict[str, str]) -> dict[str, str] | None:
        key = uuid.uuid4().hex
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            base = self.bases[next(self._turn) % len(self.bases)]
            try:
                response = httpx.post(base + path, json=body, headers={**self.headers, "Idempotency-Key": key},
                                      timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)  # that replica is down: same key, next replica
                continue
            if response.status_code in (200, 201):
                answer: dict[str, str] = response.json()
                return answer
            if response.status_code >= 500 or response.status_code == 409:
                time.sleep(0.2)  # in progress elsewhere, or the store was briefly unavailable: ask again
                continue
            raise AssertionError(f"{path} refused: {response.status_code} {response.text}")
        raise AssertionError(f"{path} got no definite answer in 120 s")
