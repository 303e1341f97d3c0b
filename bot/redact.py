"""Secrets never reach a log: the bot token and the webhook secret are cut out of every log
record, whatever logger wrote it and at whatever level.

python-telegram-bot logs the Bot API URL (which carries the token) and, at DEBUG, the
parameters of every call (``setWebhook`` carries the webhook secret); exceptions and their
tracebacks may quote URLs. A log record factory replaces, in the message, the exception text
and the stack, every secret given to :func:`protect` and anything shaped like a bot token with
``[REDACTED]``, before any handler or formatter sees the record: every handler, every level,
every library. Logging is process-wide, so this is too.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

__all__ = ["MARK", "protect", "redact"]

MARK = "[REDACTED]"
# A Bot API token: the bot's id, a colon, 35 characters (some slack either way).
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_MIN_SECRET = 6  # shorter "secrets" would redact ordinary words

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_installed = False


def redact(text: str) -> str:
    """``text`` without the protected secrets and without anything shaped like a token."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MARK)
    return _TOKEN_SHAPE.sub(MARK, text)


def protect(*secrets: str | None) -> None:
    """Keep these values out of every log record from now on (installs the factory once)."""
    global _secrets, _installed
    with _lock:
        found = {s for s in secrets if s and len(s) >= _MIN_SECRET}
        # Longest first, so that a secret containing another is cut whole.
        _secrets = tuple(sorted(set(_secrets) | found, key=len, reverse=True))
        if not _installed:
            _install()
            _installed = True


def _install() -> None:
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format: logging itself reports it later
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
