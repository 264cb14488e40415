"""The distributed stack as separate OS processes on the real PostgreSQL and Kafka, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.kernel.settings import Settings
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "operations@angeli.example"
OPERATOR_PASSWORD = "correct horse battery staple"


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a subprocess read exactly these settings."""
    pg = settings.postgres
    return {
        **os.environ, "ANGELI_MODE": settings.mode, "ANGELI_DATA_DIR": str(settings.data_dir),
        "ANGELI_PG_HOST": pg.host, "ANGELI_PG_PORT": str(pg.port), "ANGELI_PG_USER": pg.user,
        "ANGELI_PG_PASSWORD": pg.password, "ANGELI_PG_DB": pg.dbname,
        "ANGELI_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "ANGELI_TOPIC_PREFIX": settings.topic_prefix,
        "ANGELI_KAFKA_PARTITIONS": str(settings.kafka_partitions), **extra,
    }


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Stack:
    """Named `angeli` processes (api, relay, consume, scheduler) that can be started, killed and restarted."""

    def __init__(self, settings: Settings, logs: Path, clock_start: datetime | None = None) -> None:
        """`clock_start`: every process runs a training clock that was at this instant when the stack began."""
        self.settings = settings
        self.logs = logs
        self.clock_start = clock_start
        self.began = datetime.now(UTC)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.headers: dict[str, str] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def create_operator(self) -> None:
        """The first administrator, made with the CLI as an operator would (once per stack)."""
        subprocess.run(
            [sys.executable, "-m", "services.cli", "admin", "create", "--email", OPERATOR,
             "--password-env", "OPERATOR_PASSWORD"],
            cwd=ROOT, env=settings_env(self.settings, OPERATOR_PASSWORD=OPERATOR_PASSWORD), check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        if self.clock_start is not None:  # the same shifted time in every process, whenever it starts
            env["ANGELI_CLOCK_START"] = (self.clock_start + (datetime.now(UTC) - self.began)).isoformat()
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=settings_env(self.settings, **env),
            stdout=log, stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def start_api(self, name: str) -> httpx.Client:
        port = free_port()
        self.start(name, "api", "--port", str(port))
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15)
        wait_until(lambda: client.get("/health").status_code == 200, 60, f"{name} to answer /health")
        if not self.headers:
            self.create_operator()
            signed_in = client.post("/auth/sign-in", json={"email": OPERATOR, "password": OPERATOR_PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
            self.headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        client.headers.update(self.headers)
        return client

    def kill(self, name: str, signum: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(signum)
        process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
