"""The product served by uvicorn on a free local port in a thread, as the benchmarks that time pages need it."""

from __future__ import annotations

import threading
import time

import uvicorn

from services.main import Product, create_api_for
from tests.conftest import free_port


def serve(product: Product) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The server, its thread (set `server.should_exit` and join it to stop) and its base URL, once it listens."""
    server = uvicorn.Server(uvicorn.Config(create_api_for(product), host="127.0.0.1", port=free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{server.config.port}"
