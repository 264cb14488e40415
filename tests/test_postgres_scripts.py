"""`deploy/postgres/start.sh` and `stop.sh` on a cluster of their own (own data directory and port), so the
suite's server is not touched."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = ROOT / "deploy" / "postgres"

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def cluster_env() -> Iterator[dict[str, str]]:
    """A cluster under /var/tmp (the postgres OS user cannot reach pytest's tmp_path); deleted at the end."""
    env = {**os.environ, "ANGELI_PG_PORT": str(free_port()),
           "ANGELI_PG_DATA": f"/var/tmp/angeli-pg-test-{secrets.token_hex(4)}"}
    yield env
    subprocess.run(["bash", str(POSTGRES / "stop.sh"), "--reset"], env=env, capture_output=True, timeout=120,
                   check=False)


def run_script(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["bash", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def connect(env: dict[str, str]) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host="127.0.0.1", port=int(env["ANGELI_PG_PORT"]), user="angeli", password="angeli",
                           dbname="angeli", connect_timeout=5)


def test_a_start_during_a_shutdown_waits_for_it_then_starts_the_cluster_again(cluster_env: dict[str, str]) -> None:
    first = run_script(cluster_env, str(POSTGRES / "start.sh"))
    assert first.wait(timeout=120) == 0, first.communicate()[1]
    last_client = connect(cluster_env)
    # A smart shutdown refuses new connections and waits for the last client to leave.
    version = Path(cluster_env["ANGELI_PG_DATA"], "PG_VERSION").read_text().strip()
    subprocess.run(["runuser", "-u", "postgres", "--", f"/usr/lib/postgresql/{version}/bin/pg_ctl", "stop",
                    "-D", cluster_env["ANGELI_PG_DATA"], "-m", "smart", "--no-wait"],
                   cwd="/", check=True, capture_output=True)
    with pytest.raises(psycopg.OperationalError, match="shutting down"):
        connect(cluster_env)

    again = run_script(cluster_env, str(POSTGRES / "start.sh"))
    time.sleep(3)
    assert again.poll() is None  # waiting, not failing
    last_client.close()
    out, err = again.communicate(timeout=120)

    assert again.returncode == 0, err
    assert "refuses connections (starting or shutting down): waiting" in err
    assert "starting cluster" in err and "postgres: ready on" in out
    with connect(cluster_env) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
