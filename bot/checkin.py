"""The rotating check-in code of an activity: six digits that change every minute.

The code of minute ``m`` (minutes since the Unix epoch) is derived from the activity's own
secret: the HMAC-SHA256 of ``"<activity id>:<m>"``, cut to six digits the way HOTP does (RFC
4226, dynamic truncation). Nothing is stored per minute; the organiser's phone shows the code of
the current minute, and a participant's code is accepted when it is that of the current or the
previous minute (so a code read at 10:00:59 still works a few seconds later, and one seen
earlier does not).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

__all__ = ["DIGITS", "code_at", "new_secret", "valid_code"]

DIGITS = 6


def new_secret() -> str:
    """A fresh secret for one activity (32 random bytes, hex)."""
    return secrets.token_hex(32)


def _minute(when: datetime) -> int:
    return int(when.timestamp() // 60)


def _code(secret: str, activity_id: int, minute: int) -> str:
    digest = hmac.new(
        bytes.fromhex(secret), f"{activity_id}:{minute}".encode(), hashlib.sha256
    ).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10**DIGITS:0{DIGITS}d}"


def code_at(secret: str, activity_id: int, when: datetime) -> str:
    """The code shown at ``when``."""
    return _code(secret, activity_id, _minute(when))


def valid_code(secret: str, activity_id: int, code: str, when: datetime) -> bool:
    """Is ``code`` the code of the minute of ``when`` or of the minute before?"""
    code = "".join(code.split())  # "358 238" as shown, or typed without the space
    if len(code) != DIGITS or not code.isdigit():
        return False
    minute = _minute(when)
    return any(
        hmac.compare_digest(code, _code(secret, activity_id, m)) for m in (minute, minute - 1)
    )
