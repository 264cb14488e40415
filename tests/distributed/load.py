"""A load generator for fault tests: pledges and payments with Idempotency-Keys, retried across replicas."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

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

    def wait_for_payments(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted.payments) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.accepted.payments)} payments accepted in {timeout} s")
            time.sleep(0.1)

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
            if response.status_code == 409 and response.json().get("took_effect"):
                # The replica died after the command's transaction but before its answer was recorded.
                changed = response.json()["changed"]
                return {"id": changed[0], "payment_id": f"lost-answer-{key}"}
            if response.status_code >= 500 or response.status_code == 409:
                time.sleep(0.2)  # in progress elsewhere, or the store was briefly unavailable: ask again
                continue
            raise AssertionError(f"{path} refused: {response.status_code} {response.text}")
        raise AssertionError(f"{path} got no definite answer in 120 s")


@dataclass(frozen=True)
class Hold:
    """A lease as the volunteer saw it: from the offer's answer to the hand-back request. The server's
    lease certainly covered this span, so two overlapping spans on one contact mean a double lease."""

    contact_id: str
    volunteer_id: str
    held_from: float
    held_until: float


class DialerLoad:
    """Clocked-in volunteers asking for the next contact and handing it back, again and again."""

    def __init__(self, bases: list[str], campaign_id: str, volunteers: list[str], headers: dict[str, str]) -> None:
        self.bases, self.campaign_id, self.headers = bases, campaign_id, headers
        self.holds: list[Hold] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(v,), daemon=True) for v in volunteers]
        self._turn = itertools.count()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_for_offers(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.holds) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.holds)} offers in {timeout} s")
            time.sleep(0.2)

    def finish(self) -> list[Hold]:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        return self.holds

    def _run(self, volunteer: str) -> None:
        while not self.stop.is_set():
            answer = self._post(f"/campaigns/{self.campaign_id}/dialer/next", {"volunteer_id": volunteer})
            held_from = time.monotonic()
            offer = answer.get("offer") if answer else None
            if not offer:
                time.sleep(0.2)
                continue
            time.sleep(0.05)  # "on the phone"
            held_until = time.monotonic()
            self._post(f"/campaigns/{self.campaign_id}/contacts/{offer['contact_id']}/lease/release",
                       {"volunteer_id": volunteer, "reason": "load test"})
            with self.lock:
                self.holds.append(Hold(offer["contact_id"], volunteer, held_from, held_until))

    def _post(self, path: str, body: dict[str, str]) -> dict[str, Any] | None:
        key = uuid.uuid4().hex
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (self.stop.is_set() and path.endswith("/next")):
            base = self.bases[next(self._turn) % len(self.bases)]
            try:
                response = httpx.post(base + path, json=body, headers={**self.headers, "Idempotency-Key": key},
                                      timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if response.status_code in (200, 201, 204):
                return response.json() if response.content else {}
            time.sleep(0.2)  # 409 (e.g. not yet known as clocked in) or 5xx: ask again
        return None


def double_leases(holds: list[Hold]) -> list[tuple[Hold, Hold]]:
    by_contact: dict[str, list[Hold]] = {}
    for hold in holds:
        by_contact.setdefault(hold.contact_id, []).append(hold)
    clashes = []
    for spans in by_contact.values():
        spans.sort(key=lambda h: h.held_from)
        clashes += [(a, b) for a, b in itertools.pairwise(spans) if b.held_from < a.held_until]
    return clashes
