"""Sign-in limits behind a reverse proxy: the client's address from trusted proxies only, and a per-account
limit that a guessing attack spread over many addresses cannot dodge."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.identity import api as auth_api
from services.identity.api import client_address
from services.identity.application import Identity
from services.identity.cli import CLI
from services.identity.domain import Unauthenticated
from services.kernel.clock import FixedClock
from services.kernel.http import create_api
from services.kernel.readmodel import SqliteStore
from services.kernel.settings import SignInSettings
from tests.security.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, FAST_HASHER
from tests.security.secret_values import ADMIN_EMAIL as SERVER_ADMIN
from tests.security.secret_values import ADMIN_PASSWORD as SERVER_PASSWORD
from tests.security.test_secrets_never_logged_processes import create_administrator, environment, serving

PROXIES = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))
WRONG = "forse-era-questa"


def test_without_trusted_proxies_x_forwarded_for_is_ignored() -> None:
    assert client_address("203.0.113.7", ["198.51.100.1"], ()) == "203.0.113.7"


def test_a_trusted_proxy_names_the_client_in_the_right_most_hop() -> None:
    assert client_address("10.0.0.2", ["198.51.100.1"], PROXIES) == "198.51.100.1"


def test_hops_written_by_the_client_left_of_the_proxy_are_not_believed() -> None:
    # Giulia's browser sends a forged header; the proxy appends the address it really saw.
    assert client_address("10.0.0.2", ["1.2.3.4, 198.51.100.1"], PROXIES) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    hops = ["1.2.3.4, 198.51.100.1, 10.1.1.1", "10.2.2.2"]  # the header may come more than once
    assert client_address("10.0.0.2", hops, PROXIES) == "198.51.100.1"


def test_an_untrusted_peer_claiming_to_forward_is_itself_the_client() -> None:
    assert client_address("198.51.100.9", ["10.0.0.2"], PROXIES) == "198.51.100.9"


def test_a_hop_that_is_not_an_address_leaves_the_nearest_proxy_as_the_client() -> None:
    assert client_address("10.0.0.2", ["198.51.100.1, not-an-ip"], PROXIES) == "10.0.0.2"


def test_addresses_are_compared_in_canonical_form_and_ipv6_proxies_work() -> None:
    assert client_address("fd00::2", ["2001:DB8:0:0::1"], PROXIES) == "2001:db8::1"


def test_when_every_hop_is_a_proxy_the_farthest_one_is_the_client() -> None:
    assert client_address("10.0.0.2", ["10.9.9.9"], PROXIES) == "10.9.9.9"


def test_no_peer_at_all_is_one_unknown_client() -> None:
    assert client_address(None, ["198.51.100.1"], PROXIES) == "unknown"


def _app(tmp_path: Path, clock: FixedClock, limits: SignInSettings) -> FastAPI:
    identity = Identity(SqliteStore(str(tmp_path / "identity.db")), clock, hasher=FAST_HASHER, limits=limits)
    identity.create_account(ADMIN_EMAIL, ADMIN_PASSWORD, "administrator", CLI)
    api = create_api("test", [auth_api.router], {}, lambda: [])
    api.state.identity = identity
    return api


def _sign_in(app: FastAPI, password: str, peer: str = "10.0.0.2", forwarded: str | None = None) -> int:
    client = TestClient(app, raise_server_exceptions=False, client=(peer, 40000))
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    return client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": password}, headers=headers).status_code


@pytest.fixture
def behind_proxy(tmp_path: Path, clock: FixedClock) -> FastAPI:
    return _app(tmp_path, clock, SignInSettings(trusted_proxies=PROXIES))


def test_behind_a_trusted_proxy_one_guessing_client_does_not_lock_out_another(behind_proxy: FastAPI) -> None:
    for _ in range(5):
        assert _sign_in(behind_proxy, WRONG, forwarded="198.51.100.66") == 401
    assert _sign_in(behind_proxy, ADMIN_PASSWORD, forwarded="198.51.100.66") == 429
    assert _sign_in(behind_proxy, ADMIN_PASSWORD, forwarded="198.51.100.1") == 200


def test_a_client_cannot_dodge_the_limit_by_forging_x_forwarded_for(tmp_path: Path, clock: FixedClock) -> None:
    app = _app(tmp_path, clock, SignInSettings())  # no trusted proxies: the header is the client's word
    for attempt in range(5):
        assert _sign_in(app, WRONG, peer="198.51.100.66", forwarded=f"192.0.2.{attempt}") == 401
    assert _sign_in(app, ADMIN_PASSWORD, peer="198.51.100.66", forwarded="192.0.2.200") == 429


def test_forging_hops_left_of_a_trusted_proxy_does_not_dodge_the_limit(behind_proxy: FastAPI) -> None:
    for attempt in range(5):
        assert _sign_in(behind_proxy, WRONG, forwarded=f"192.0.2.{attempt}, 198.51.100.66") == 401
    assert _sign_in(behind_proxy, ADMIN_PASSWORD, forwarded="192.0.2.200, 198.51.100.66") == 429


def test_guessing_spread_over_many_addresses_locks_the_account_for_the_window(
        behind_proxy: FastAPI, clock: FixedClock) -> None:
    for attempt in range(20):  # four from each of five addresses: under the per-address limit everywhere
        clock.advance(timedelta(seconds=10))
        assert _sign_in(behind_proxy, WRONG, forwarded=f"198.51.100.{attempt % 5}") == 401
    client = TestClient(behind_proxy, raise_server_exceptions=False, client=("10.0.0.2", 40000))
    locked = client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                         headers={"X-Forwarded-For": "203.0.113.50"})
    assert locked.status_code == 429
    assert "from all addresses" in locked.json()["detail"]
    assert locked.headers["Retry-After"] == str(15 * 60 - 190)  # until the oldest failure leaves the window
    clock.advance(timedelta(seconds=15 * 60 - 190))
    assert _sign_in(behind_proxy, ADMIN_PASSWORD, forwarded="203.0.113.50") == 200


def test_the_limits_and_window_are_configurable(tmp_path: Path, clock: FixedClock) -> None:
    app = _app(tmp_path, clock, SignInSettings(attempts_per_address=2, attempts_per_email=3, window_seconds=60,
                                               trusted_proxies=PROXIES))
    assert [_sign_in(app, WRONG, forwarded="198.51.100.1") for _ in range(2)] == [401, 401]
    assert _sign_in(app, ADMIN_PASSWORD, forwarded="198.51.100.1") == 429
    assert _sign_in(app, WRONG, forwarded="198.51.100.2") == 401
    assert _sign_in(app, ADMIN_PASSWORD, forwarded="198.51.100.3") == 429  # three from all addresses
    clock.advance(timedelta(seconds=61))
    assert _sign_in(app, ADMIN_PASSWORD, forwarded="198.51.100.1") == 200


def test_failures_older_than_the_window_are_forgotten_whatever_their_e_mail(tmp_path: Path, clock: FixedClock) -> None:
    app = _app(tmp_path, clock, SignInSettings(trusted_proxies=PROXIES))
    identity: Identity = app.state.identity
    for made_up in ("nessuno@example.org", "qualcuno@example.org"):
        with pytest.raises(Unauthenticated):
            identity.sign_in(made_up, WRONG, "198.51.100.1")
    clock.advance(timedelta(minutes=16))
    _sign_in(app, WRONG, forwarded="198.51.100.2")
    rows = identity.store.query("SELECT email, ip FROM sign_in_failures")
    assert [(r["email"], r["ip"]) for r in rows] == [(ADMIN_EMAIL, "198.51.100.2")]


def test_a_client_forging_x_forwarded_for_to_a_real_server_is_still_limited(tmp_path: Path) -> None:
    # `angeli run` (uvicorn) with no trusted proxy: the header is ignored, however it changes
    output = tmp_path / "output.log"
    env = environment(tmp_path, ANGELI_MODE="embedded")
    create_administrator(env, tmp_path, output)
    with serving(["run"], env, output) as client:
        for attempt in range(5):
            refused = client.post("/auth/sign-in", json={"email": SERVER_ADMIN, "password": WRONG},
                                  headers={"X-Forwarded-For": f"192.0.2.{attempt}"})
            assert refused.status_code == 401
        locked = client.post("/auth/sign-in", json={"email": SERVER_ADMIN, "password": SERVER_PASSWORD},
                             headers={"X-Forwarded-For": "192.0.2.200"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_behind_a_trusted_local_proxy_each_forwarded_client_has_its_own_limit(tmp_path: Path) -> None:
    # Given a server told that the local address is its reverse proxy, with a per-address limit of 3
    output = tmp_path / "output.log"
    env = environment(tmp_path, ANGELI_MODE="embedded", ANGELI_TRUSTED_PROXIES="127.0.0.1/32,::1",
                      ANGELI_SIGN_IN_ATTEMPTS_PER_ADDRESS="3")
    create_administrator(env, tmp_path, output)
    with serving(["run"], env, output) as server:
        def sign_in(password: str, client: str) -> int:
            return server.post("/auth/sign-in", json={"email": SERVER_ADMIN, "password": password},
                               headers={"X-Forwarded-For": f"192.0.2.1, {client}"}).status_code
        # When one client behind it guesses three times
        guesses = [sign_in(WRONG, "198.51.100.66") for _ in range(3)]
        # Then that client is locked out, and another one behind the same proxy still signs in
        assert guesses == [401, 401, 401]
        assert sign_in(SERVER_PASSWORD, "198.51.100.66") == 429
        assert sign_in(SERVER_PASSWORD, "198.51.100.1") == 200
