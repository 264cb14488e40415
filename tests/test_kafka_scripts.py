"""`deploy/kafka/start.sh` and `stop.sh` on a broker of their own: a second real broker, with its own data
directory and ports, so the suite's broker is not touched.

`make test` in CI always starts its broker from nothing, which the rest of the suite never does: its broker
is already running by then."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
KAFKA = ROOT / "deploy" / "kafka"

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def broker_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a broker that lives under `tmp_path`; stopped (SIGKILL after 5 s) when the test ends."""
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "ANGELI_KAFKA_DATA": str(tmp_path / "kafka"),
        "ANGELI_KAFKA_PORT": str(free_port()),
        "ANGELI_KAFKA_CONTROLLER_PORT": str(free_port()),
        "ANGELI_KAFKA_STOP_TIMEOUT": "5",
    }
    yield env
    subprocess.run(["bash", str(KAFKA / "stop.sh")], env=env, capture_output=True, timeout=60, check=False)


def run_script(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(KAFKA / name)], env=env, capture_output=True, text=True, timeout=240,
                          check=False)


def hold_back_stdout(data: Path, seconds: float) -> None:
    """Make the broker's stdout.log a pipe that nobody reads for `seconds`: opening it blocks the child that
    start.sh forks, so for that long the child is still start.sh and not yet java."""
    data.mkdir(parents=True)
    fifo = data / "stdout.log"
    os.mkfifo(fifo)

    def drain() -> None:
        time.sleep(seconds)
        with fifo.open("rb") as pipe:
            while pipe.read(4096):
                pass

    threading.Thread(target=drain, daemon=True).start()


def test_a_broker_slow_to_exec_is_waited_for_then_serves_and_stops(broker_env: dict[str, str]) -> None:
    data = Path(broker_env["ANGELI_KAFKA_DATA"])
    hold_back_stdout(data, seconds=3)

    started = run_script("start.sh", broker_env)

    assert started.returncode == 0, started.stderr
    assert f"kafka: ready on 127.0.0.1:{broker_env['ANGELI_KAFKA_PORT']}" in started.stdout
    assert "formatting" in started.stderr  # a data directory of its own, formatted on first start
    pid = int((data / "kafka.pid").read_text())
    assert b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()

    again = run_script("start.sh", broker_env)  # idempotent: finds its broker and starts nothing
    assert again.returncode == 0 and "starting broker" not in again.stderr
    assert int((data / "kafka.pid").read_text()) == pid

    stopped = run_script("stop.sh", broker_env)
    assert stopped.returncode == 0 and f"kafka: stopped (pid {pid}" in stopped.stdout
    assert not Path(f"/proc/{pid}").exists()


def fake_java(tmp_path: Path, refuse_while: str, on_refusal: str = ":") -> Path:
    """A `java` that runs the real one, except that the broker exits at once while `refuse_while` succeeds (after
    running `on_refusal`)."""
    java = tmp_path / "java"
    java.write_text('#!/bin/sh\n'
                    'case " $* " in *" kafka.Kafka "*)\n'
                    f'  if {refuse_while}; then echo "controller port in use" >&2; {on_refusal}; exit 3; fi;;\n'
                    'esac\n'
                    'exec java "$@"\n')
    java.chmod(0o755)
    return java


def test_a_broker_that_keeps_dying_while_starting_is_reported_with_its_output(
        broker_env: dict[str, str], tmp_path: Path) -> None:
    started = run_script("start.sh", {**broker_env, "JAVA": str(fake_java(tmp_path, refuse_while="true"))})

    assert started.returncode != 0
    assert "kafka: ERROR: broker process exited during startup (3 attempts)" in started.stderr
    assert "controller port in use" in started.stderr  # the tail of the broker's stdout.log


def test_a_new_broker_waits_for_an_earlier_one_of_its_data_directory_to_end(
        broker_env: dict[str, str], tmp_path: Path) -> None:
    """The earlier broker closed its port and is shutting down: while it lives, a new one cannot start."""
    props = Path(broker_env["ANGELI_KAFKA_DATA"]) / "server.properties"
    # A command line a broker's would match; it ends 3 s after the new broker was refused (however long the
    # script took to get there: a fixed lifetime raced the formatting step on a loaded machine).
    refused = tmp_path / "refused"
    ends_after_refusal = ("import pathlib, sys, time; m = pathlib.Path(sys.argv[3]); "
                          "[time.sleep(0.1) for _ in range(1200) if not m.exists()]; time.sleep(3)")
    earlier = subprocess.Popen([sys.executable, "-c", ends_after_refusal, "kafka.Kafka", str(props), str(refused)])
    threading.Thread(target=earlier.wait, daemon=True).start()  # reaped as it ends, as a real broker's would be
    try:
        java = fake_java(tmp_path, refuse_while=f"kill -0 {earlier.pid} 2>/dev/null", on_refusal=f"touch {refused}")

        started = run_script("start.sh", {**broker_env, "JAVA": str(java)})

        assert started.returncode == 0, started.stderr
        assert "broker exited while starting; its output: controller port in use" in started.stderr
        assert f"waiting for an earlier broker of {broker_env['ANGELI_KAFKA_DATA']} (pid {earlier.pid}) to end" \
            in started.stderr
        assert earlier.poll() is not None
    finally:
        earlier.kill()
        earlier.wait()
