"""The failover scenario: two ``gridbot run`` processes on one store, the active one killed
with SIGKILL in the middle of an intake, the standby finishing it.

Residents file requests at a person's pace through the HTTP emulator. Once a share of the
intake's answers has gone out, the active process is killed; the standby takes the store's
leadership lock, starts and serves the rest. A resident who gets no answer for
``patience`` seconds sends the same again, as a person would. Afterwards every resident must
hold exactly one request (none lost, none filed twice) and the numbers must be gapless.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.bench.runner import (
    FIRST_RESIDENT,
    NUMBER,
    Load,
    Waiters,
    Worker,
    _resident_intake,
    percentile,
    seeded_residents,
)
from bot.emulator.core import Emulator
from bot.emulator.http import EmulatorServer
from storage.db import open_database

if TYPE_CHECKING:
    from bot.bench.runner import Stores

__all__ = ["FailoverResult", "run_failover"]

STEPS = 8  # answers a resident waits for in one intake


@dataclass
class FailoverResult:
    residents: int
    finished: int
    killed_after_answers: int
    gap_seconds: float  # from the SIGKILL to the standby's first answer (after its first poll)
    waits: list[float]  # residents' waits for the answers due across the gap
    requests: int  # requests in the store
    lost: int  # residents who confirmed and hold no request
    duplicated: int  # requests beyond one per resident
    numbers_gapless: bool
    resent: int  # messages residents sent again after waiting ``patience`` seconds
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "residents": self.residents,
            "finished": self.finished,
            "killed_after_answers": self.killed_after_answers,
            "gap_seconds": round(self.gap_seconds, 2),
            "waits_across_gap": len(self.waits),
            "wait_p50_s": round(percentile(self.waits, 0.5), 2),
            "wait_p95_s": round(percentile(self.waits, 0.95), 2),
            "wait_max_s": round(max(self.waits, default=0.0), 2),
            "requests": self.requests,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "numbers_gapless": self.numbers_gapless,
            "resent": self.resent,
            "failures": self.failures,
        }


class _Answers:
    """When the bot answered residents: to find the gap and the waits across it."""

    def __init__(self, emulator: Emulator, chats: set[int], threshold: int) -> None:
        self.times: list[float] = []
        self.chats = chats
        self.threshold = threshold
        self.reached = asyncio.Event()  # ``threshold`` answers have gone out
        emulator.listeners.append(self._on_event)

    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        if event == "message" and data.get("from_bot") and int(data["chat_id"]) in self.chats:
            self.times.append(time.perf_counter())
            if len(self.times) >= self.threshold:
                self.reached.set()


async def run_failover(
    stores: Stores,
    residents: int,
    latency: float,
    *,
    think: tuple[float, float] = (1.0, 5.0),
    kill_share: float = 0.4,
    patience: float = 15.0,
    takeover_seconds: float = 10.0,
    seed: int = 17,
) -> FailoverResult:
    """Run the scenario; ``kill_share`` of the intake's answers go out before the kill."""
    url, other = await seeded_residents(stores, "failover", residents)

    emulator = Emulator()
    server = EmulatorServer(emulator, port=0, latency=latency)
    await server.start()
    uids = [FIRST_RESIDENT + i for i in range(residents)]
    for uid in uids:
        emulator.add_user(uid, f"R{uid}")
    answers = _Answers(emulator, set(uids), int(kill_share * residents * STEPS))
    extra = ["--takeover-seconds", str(takeover_seconds)]
    active = Worker("gridbot", server.url, url, extra)
    standby = Worker("gridbot", server.url, url, extra)
    failures: list[str] = []
    waiters = Waiters(emulator)
    load = Load(think=think, seed=seed, patience=patience)
    steps: list[tuple[float, float]] = []  # (asked at, waited) of every step
    try:
        await active.start(server)
        await standby.start(server, wait=False)
        await asyncio.sleep(1.0)  # the standby is up and waiting for the lock
        rng = random.Random(seed)
        rng.shuffle(uids)

        async def resident(uid: int) -> int:
            mine: list[float] = []
            marks: list[float] = []  # when each step was answered

            def answered() -> None:
                marks.append(time.perf_counter())

            n = await _resident_intake(emulator, waiters, mine, uid, other, load, on_step=answered)
            steps.extend((end - waited, waited) for end, waited in zip(marks, mine, strict=True))
            return n

        runs = asyncio.gather(*(resident(uid) for uid in uids), return_exceptions=True)
        reached = asyncio.ensure_future(answers.reached.wait())
        first: set[asyncio.Future[Any]] = {runs, reached}
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        reached.cancel()
        killed_after = len(answers.times)
        assert active.process is not None
        active.process.kill()  # SIGKILL: no goodbye, no flush
        await active.process.wait()
        killed_at = time.perf_counter()
        polls = server.polls
        # The standby's first getUpdates: answers before it may still be the dead process's
        # last calls, already on their way to the emulator when it was killed.
        while server.polls == polls and not runs.done():  # noqa: ASYNC110 - a counter
            await asyncio.sleep(0.005)
        first_poll = time.perf_counter()
        outcomes = await runs
    finally:
        await active.stop()
        await standby.stop()
        await server.stop()
    finished = sum(1 for o in outcomes if isinstance(o, int))
    failures += [repr(o) for o in outcomes if not isinstance(o, int)]
    after = [t for t in answers.times if t > first_poll]
    gap = (min(after) - killed_at) if after else float("inf")
    # The waits across the gap: steps asked before the standby's first answer and answered
    # after the kill.
    resumed = min(after) if after else killed_at
    waits = [w for asked, w in steps if asked <= resumed and asked + w >= killed_at]

    db = open_database(url)
    async with db, db.read() as tx:
        rows = await tx.fetchall(
            "SELECT number, description FROM requests WHERE description LIKE ?",
            ("bench request %",),
        )
    per_resident: dict[str, int] = {}
    for row in rows:
        per_resident[str(row[1])] = per_resident.get(str(row[1]), 0) + 1
    lost = sum(1 for uid in uids if f"bench request {uid}" not in per_resident)
    duplicated = sum(n - 1 for n in per_resident.values())
    sequence = sorted(int(re.split("-", str(row[0]))[-1]) for row in rows)
    gapless = sequence == list(range(1, len(sequence) + 1))
    assert all(NUMBER.fullmatch(str(row[0])) for row in rows)
    return FailoverResult(
        residents=residents,
        finished=finished,
        killed_after_answers=killed_after,
        gap_seconds=gap,
        waits=waits,
        requests=len(rows),
        lost=lost,
        duplicated=duplicated,
        numbers_gapless=gapless,
        resent=load.retries,
        failures=failures,
    )
