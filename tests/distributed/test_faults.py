"""Faults under load: processes killed with SIGKILL, a broker restart, a consumer joining mid-stream.
Afterwards every accepted event is in the read models exactly once and the ledger verifies."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from services.kernel.settings import Settings
from tests.campaigns.conftest import campaign_body, csv_file, register_file
from tests.conftest import ROME, calling_morning
from tests.distributed.load import Accepted, DialerLoad, PledgeLoad, double_leases
from tests.distributed.stack import ROOT, Stack, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def stack(pg_settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    """Every process runs a training clock started at the next calling morning in Rome after the real today:
    they talk to a real Kafka and PostgreSQL, which live by the real date."""
    running = Stack(pg_settings, tmp_path / "logs", clock_start=calling_morning())
    yield running
    running.stop()


def start_load(stack: Stack, apis: list[httpx.Client]) -> PledgeLoad:
    donor = apis[0].post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
    fund = apis[0].post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    load = PledgeLoad([str(api.base_url) for api in apis], donor, fund, stack.headers)
    load.start()
    return load


def start_dialling(stack: Stack, apis: list[httpx.Client]) -> DialerLoad:
    """A launched campaign of 60 donors and five volunteers clocked in through the calls service; the
    campaigns service learns who is clocked in from the calls events, through Kafka."""
    api = apis[0]
    assert stack.clock_start is not None
    today = stack.clock_start.astimezone(ROME).date()  # the register was checked 3 days before; the campaign runs on
    register = api.post("/suppression/register", **register_file([], str(today - timedelta(days=3))))
    assert register.status_code == 201, register.text
    campaign = campaign_body("Natale 2026", starts_on=str(today - timedelta(days=22)),
                             ends_on=str(today + timedelta(days=38)))
    campaign_id = api.post("/campaigns", json=campaign).json()["id"]
    rows = "telefono\n" + "".join(f"02 1234 {5600 + n:04d}\n" for n in range(60))
    assert api.post(f"/campaigns/{campaign_id}/contacts/import", files=csv_file(rows)).status_code == 201
    assert api.post(f"/campaigns/{campaign_id}/launch").status_code == 200
    volunteers = []
    for n in range(5):
        volunteer = api.post("/volunteers", json={"full_name": f"Volontaria {n}", "phone": "+39 02 1234 5678",
                                                  "email": f"v{n}@angeli.example", "roles": ["outreach"]})
        volunteers.append(volunteer.json()["id"])
        assert api.post(f"/volunteers/{volunteers[-1]}/clock-in").status_code == 200
    dialler = DialerLoad([str(a.base_url) for a in apis], campaign_id, volunteers, stack.headers)
    dialler.start()
    dialler.wait_for_offers(5, timeout=90)  # clock-ins reached campaigns through Kafka
    return dialler


def read_models_hold_exactly(settings: Settings, accepted: Accepted) -> bool:
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        pledges = conn.execute("SELECT COUNT(*), COALESCE(SUM(paid_cents), 0) "
                               "FROM projection_transparency.tp_pledges").fetchone()
        entries = conn.execute("SELECT COUNT(*) FROM projection_ledger.ledger_entries "
                               "WHERE kind = 'payment'").fetchone()
    return pledges == (len(accepted.pledges), 2500 * len(accepted.payments)) and entries == (len(accepted.payments),)


def assert_exactly_once(stack: Stack, api: httpx.Client, accepted: Accepted) -> None:
    wait_until(lambda: read_models_hold_exactly(stack.settings, accepted), 180,
               f"read models to hold every accepted event once; consumer log: {stack.log('consume')}")
    time.sleep(2)  # nothing more may arrive: a late duplicate would show now
    assert read_models_hold_exactly(stack.settings, accepted)
    verification = api.get("/ledger/verify").json()
    assert verification["ok"], verification["differences"][:5]


def kafka(action: str) -> None:
    subprocess.run(["bash", f"deploy/kafka/{action}.sh"], cwd=ROOT, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def test_killing_each_process_and_restarting_the_broker_loses_and_doubles_nothing(stack: Stack) -> None:
    apis = [stack.start_api("api-1"), stack.start_api("api-2")]
    for name, args in (("relay", ["relay"]), ("consume", ["consume"]), ("scheduler", ["scheduler"])):
        stack.start(name, *args)
    load = start_load(stack, apis)
    dialler = start_dialling(stack, apis)
    try:
        for victim, args in (("relay", ["relay"]), ("consume", ["consume"]), ("scheduler", ["scheduler"])):
            time.sleep(3)
            stack.kill(victim, signal.SIGKILL)
            stack.start(victim, *args)
        time.sleep(2)
        stack.kill("api-1", signal.SIGKILL)  # the load generator retries its in-flight request elsewhere
        time.sleep(2)
        kafka("stop")
        time.sleep(3)
        kafka("start")
        offered, paid = len(dialler.holds), len(load.accepted.payments)
        dialler.wait_for_offers(offered + 10, timeout=120)  # the dialer works again after the faults
        load.wait_for_payments(paid + 10, timeout=120)  # and so do payments
    finally:
        accepted = load.finish()
        holds = dialler.finish()
    assert_exactly_once(stack, apis[1], accepted)
    assert double_leases(holds) == []


def test_a_consumer_joining_mid_stream_shares_partitions_without_loss_or_doubles(stack: Stack) -> None:
    apis = [stack.start_api("api")]
    stack.start("relay", "relay")
    stack.start("consume", "consume")
    load = start_load(stack, apis)
    try:
        load.wait_for_payments(15, timeout=120)
        stack.start("consume-2", "consume")  # the group rebalances; partitions move mid-stream
        load.wait_for_payments(len(load.accepted.payments) + 30, timeout=180)
    finally:
        accepted = load.finish()
    assert_exactly_once(stack, apis[0], accepted)
