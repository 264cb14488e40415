"""Faults under load: processes killed with SIGKILL, a broker restart, a consumer joining mid-stream.
Afterwards every accepted event is in the read models exactly once and the ledger verifies."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from services.kernel.settings import Settings
from tests.distributed.load import Accepted, PledgeLoad
from tests.distributed.stack import ROOT, Stack, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def stack(pg_settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(pg_settings, tmp_path / "logs")
    yield running
    running.stop()


def start_load(stack: Stack, apis: list[httpx.Client]) -> PledgeLoad:
    donor = apis[0].post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
    fund = apis[0].post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    load = PledgeLoad([str(api.base_url) for api in apis], donor, fund, stack.headers)
    load.start()
    return load


def read_models_hold_exactly(settings: Settings, accepted: Accepted) -> bool:
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        pledges = conn.execute("SELECT COUNT(*), COALESCE(SUM(paid_cents), 0) "
                               "FROM projection_transparency.tp_pledges").fetchone()
        entries = conn.execute("SELECT COUNT(*) FROM projection_ledger.ledger_entries "
                               "WHERE kind = 'payment'").fetchone()
    return pledges == (len(accepted.pledges), 2500 * len(accepted.payments)) and entries == (len(accepted.payments),)


def assert_exactly_once(stack: Stack, api: httpx.Client, accepted: Accepted) -> None:
    assert len(accepted.payments) > 20, "the load generator made progress"
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
        time.sleep(3)
    finally:
        accepted = load.finish()
    assert_exactly_once(stack, apis[1], accepted)


def test_a_consumer_joining_mid_stream_shares_partitions_without_loss_or_doubles(stack: Stack) -> None:
    apis = [stack.start_api("api")]
    stack.start("relay", "relay")
    stack.start("consume", "consume")
    load = start_load(stack, apis)
    try:
        time.sleep(4)
        stack.start("consume-2", "consume")  # the group rebalances; partitions move mid-stream
        time.sleep(6)
    finally:
        accepted = load.finish()
    assert_exactly_once(stack, apis[0], accepted)
