"""How every Angeli process logs: one format, the product's own lines from INFO, libraries' only from WARNING."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that narrate routine work at INFO: APScheduler on every start and every run of a job ("Adding job
# tentatively", "Added job …", "Running job …"), psycopg's pool on every connection it lends (distributed).
# Their warnings and errors still show. The HTTP server's own lines (the address it listens on, the access
# log) are configured by uvicorn and stay.
QUIET_LIBRARIES = ("apscheduler", "psycopg.pool")


def configure() -> None:
    """Set up logging for a process of the product (the API, `angeli run`, each distributed role)."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for library in QUIET_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)
