"""Logs never carry credentials: the values of credential-like query parameters are masked in log lines.

Angeli takes credentials only in headers, but a misconfigured client may still put a token or key in a URL
(`?api_key=...`), and the access log would keep it for as long as logs are kept.
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"
_CREDENTIAL_PARAMETER = re.compile(
    r"(?i)([?&][^=&\s\"]*(?:token|key|secret|pass|auth|session|signature|credential)[^=&\s\"]*=)[^&\s\"]*")


def redact(text: str) -> str:
    """`text` with the value of every credential-like query parameter (…token=, …key=, password=) masked."""
    return _CREDENTIAL_PARAMETER.sub(lambda found: found.group(1) + MASK, text)


class RedactCredentials(logging.Filter):
    """Masks credential-like query parameters in a record's message and its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_log(logger: str = "uvicorn.access") -> None:
    """Install the filter on the HTTP server's access logger (it survives uvicorn's logging configuration)."""
    target = logging.getLogger(logger)
    if not any(isinstance(f, RedactCredentials) for f in target.filters):
        target.addFilter(RedactCredentials())
