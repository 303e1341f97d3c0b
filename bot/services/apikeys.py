"""Keys of the city's systems for the Open311 API, and the rate limit per key.

A key is 32 random bytes shown once, when it is created (``gridbot api key create``); only
its SHA-256 is stored (a key that random needs no slow hash). Each key is scoped to units: it
may submit requests only for compounds inside them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.models import ApiKey, OrgUnit

if TYPE_CHECKING:
    from bot.clock import Clock
    from storage.db import Database

__all__ = ["KEY_PREFIX", "ApiKeyService", "RateLimiter", "hash_key"]

LOG = logging.getLogger(__name__)

KEY_PREFIX = "gb_"
_PREFIX_CHARS = 10  # "gb_" and 7 characters: enough to tell keys apart in a list


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once
    units: list[OrgUnit]


class ApiKeyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create(self, name: str, unit_codes: list[str]) -> NewKey:
        """A new key for the client system ``name``, scoped to the units ``unit_codes``."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput(N_("Please give a name of at most {limit} characters."), limit=100)
        if not unit_codes:
            raise InvalidInput(N_("Please give at least one unit."))
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            units: list[OrgUnit] = []
            for code in unit_codes:
                unit = await tx.org.get_by_code(code)
                if unit is None:
                    raise NotFound(N_("There is no unit with the code {code}."), code=code)
                units.append(unit)
            key_id = await tx.api.create_key(
                name=name,
                key_hash=hash_key(secret),
                prefix=secret[:_PREFIX_CHARS],
                unit_ids=sorted({u.id for u in units}),
                now=now,
            )
            await tx.audit.record(
                actor_id=None,
                actor_label="cli",
                action="api.key.create",
                subject=f"api_key:{key_id}",
                after={"name": name, "units": [u.code for u in units]},
                now=now,
            )
            key = (await tx.api.key_by_prefix(secret[:_PREFIX_CHARS]))[-1]
        LOG.info("API key %s created for %s", key.prefix, name)
        return NewKey(key, secret, units)

    async def keys(self) -> list[tuple[ApiKey, list[OrgUnit]]]:
        async with self.db.read() as tx:
            out = []
            for key in await tx.api.keys():
                units = [await tx.org.get(unit_id) for unit_id in key.unit_ids]
                out.append((key, [u for u in units if u is not None]))
        return out

    async def revoke(self, prefix: str) -> ApiKey:
        """Revoke the key whose list prefix (or whole key) is ``prefix``."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            found = await tx.api.key_by_prefix(prefix[:_PREFIX_CHARS])
            if len(found) != 1:
                raise NotFound(N_("There is no key {prefix}."), prefix=prefix)
            key = found[0]
            if await tx.api.revoke_key(key.id, now):
                await tx.audit.record(
                    actor_id=None,
                    actor_label="cli",
                    action="api.key.revoke",
                    subject=f"api_key:{key.id}",
                    before={"name": key.name},
                    now=now,
                )
        return key

    async def authenticate(self, secret: str | None) -> ApiKey | None:
        """The live key behind ``secret``; None when it is missing, unknown or revoked."""
        if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 100:
            return None
        async with self.db.statement() as tx:
            key = await tx.api.key_by_hash(hash_key(secret))
        if key is None or key.revoked_at is not None:
            return None
        return key


class RateLimiter:
    """A token bucket per caller (a key, or an address for reads without one): up to
    ``per_minute`` calls at once, refilled evenly over the minute. Time from the injected
    clock, so tests move it by hand."""

    MAX_CALLERS = 10_000

    def __init__(self, clock: Clock, per_minute: int) -> None:
        self.clock = clock
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._buckets: dict[str, tuple[float, datetime]] = {}

    def take(self, caller: str) -> float | None:
        """Take one call for ``caller``: None when allowed, else the seconds to wait."""
        now = self.clock.now()
        tokens, last = self._buckets.get(caller, (self.capacity, now))
        tokens = min(self.capacity, tokens + max(0.0, (now - last).total_seconds()) * self.rate)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            return (1.0 - tokens) / self.rate
        if len(self._buckets) >= self.MAX_CALLERS and caller not in self._buckets:
            self._forget_full(now)
        self._buckets[caller] = (tokens - 1.0, now)
        return None

    def _forget_full(self, now: datetime) -> None:
        """Drop callers whose bucket has refilled: they are as good as new."""
        for caller, (tokens, last) in list(self._buckets.items()):
            refilled = tokens + (now - last).total_seconds() * self.rate
            if refilled >= self.capacity:
                del self._buckets[caller]
