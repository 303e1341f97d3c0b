"""Time sources: the domain clock (wall time) and the pacer (monotonic time for rate limits).

Logic never reads the system time directly; it asks an injected :class:`Clock`. Tests pass a
:class:`FakeClock` and move it forward by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "Clock",
    "FakeClock",
    "OffsetClock",
    "Pacer",
    "RealPacer",
    "SystemClock",
    "VirtualPacer",
]


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """The wall clock moved by a fixed offset: a bot process that starts "half an hour later"
    (the crash test of ``tests/bench``); never used against real Telegram."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


class Pacer(Protocol):
    """Monotonic time and waiting, used by the outbox sender for rate limits."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    async def wait(self, event: asyncio.Event, limit: float | None) -> None:
        """Wait for ``event`` or until ``limit`` seconds have passed."""


class RealPacer:
    """Real monotonic time and real sleeping."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def wait(self, event: asyncio.Event, limit: float | None) -> None:
        if limit is None:
            await event.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, limit))


class VirtualPacer:
    """Monotonic time that jumps instead of sleeping, so rate limits cost no real time.

    A sleep advances the virtual time at once; a timed wait that nobody interrupts does the
    same. Tests read :meth:`monotonic` to check spacing in virtual seconds.
    """

    def __init__(self) -> None:
        self._t = 1000.0

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._t += seconds
        await asyncio.sleep(0)

    async def wait(self, event: asyncio.Event, limit: float | None) -> None:
        if event.is_set():
            return
        if limit is None:
            await event.wait()
            return
        # Give other tasks a moment to set the event before time jumps.
        for _ in range(3):
            await asyncio.sleep(0)
            if event.is_set():
                return
        self._t += max(0.0, limit)
