"""Starting `angeli run` logs the product's own lines, not the libraries' chatter at INFO."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def start_and_stop_angeli_run(data_dir: Path, role: str = "run") -> str:
    """Run `angeli run` (or another serving role) until it answers /health, stop it as an operator would, and
    return what it logged."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in ("ANGELI_RUN_FEEDS", "ANGELI_RUN_JOBS")}
    env |= {"ANGELI_MODE": "embedded", "ANGELI_DATA_DIR": str(data_dir), "ANGELI_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "services.cli", role], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    return output


def test_starting_the_product_logs_its_own_start_line_and_no_library_chatter(tmp_path: Path) -> None:
    logged = start_and_stop_angeli_run(tmp_path / "var")

    assert f"angeli started: embedded mode, data in {(tmp_path / 'var').resolve()};" in logged, logged
    assert "scheduler started; jobs: " in logged and "campaigns.sweep every" in logged, logged
    assert "Adding job tentatively" not in logged, logged
    assert not [line for line in logged.splitlines() if " INFO apscheduler" in line], logged
    assert "Uvicorn running on" in logged, "the address to open is still said"


def test_the_api_role_serves_without_feeds_or_jobs_whatever_the_environment_says(tmp_path: Path) -> None:
    logged = start_and_stop_angeli_run(tmp_path / "var", role="api")

    assert "feeds off, jobs off" in logged, logged
    assert "scheduler started" not in logged, logged
