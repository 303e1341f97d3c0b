"""Crash test: the real bot in its own process against the HTTP emulator, killed with SIGKILL
at random moments while residents file their requests, restarted each time.

Residents act like people: they answer whatever the bot last asked, and when no answer comes
(the bot is dead, or its reply died with it) they press or send the same again, and start
over with /request only when the bot tells them a button has expired. In the end, half an hour
later by the bot's clock, the sweep runs once more.

It asserts that every number a resident was told is in the database exactly once, numbering
has no gaps, nobody holding a number is told their request "was not submitted", the outbox
drains, and no queued message reached anyone more than twice. It prints the seed and the
counts; ``GRIDBOT_CRASH_SEED`` replays a run.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from auxil import stores

from bot.bench.runner import Worker, buttons, category_id, fresh_db, reply_button, unit_id
from bot.emulator.core import Emulator
from bot.emulator.http import EmulatorServer
from bot.i18n import I18n
from storage.bench_seed import seed_members, seed_people
from storage.db import open_database

pytestmark = pytest.mark.slow

RESIDENTS = 60
KILLS = 6
FIRST_RESIDENT = 30_000_000
FIRST_MEMBER = 31_000_000
FILED = re.compile(r"您的诉求 ([A-Z]+-\d{4}-\d{6}) 已登记")
SET_ASIDE = "已暂时搁置，没有提交"
NO_ANSWER = 2.5  # seconds a resident waits before pressing or sending again


@functools.cache
def _zh(msgid: str) -> str:
    return I18n().get("zh_CN")(msgid)


@dataclass
class Resident:
    """One person filing one request, reacting to what the bot says."""

    uid: int
    emulator: Emulator
    rng: random.Random
    category: int
    inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    numbers: list[str] = field(default_factory=list)
    last: Callable[[], dict[str, Any]] | None = None
    pressed: str | None = None  # the callback query of the latest press

    def send(self, text: str) -> Callable[[], dict[str, Any]]:
        return lambda: self.emulator.user_message(self.uid, text)

    def press(self, data: dict[str, Any], value: str) -> Callable[[], dict[str, Any]]:
        return lambda: self.emulator.user_press(self.uid, int(data["message_id"]), value)

    def decide(self, data: dict[str, Any]) -> Callable[[], dict[str, Any]] | None:
        """What a person does on reading this message (None: nothing to do)."""
        values = buttons(data)

        def first(prefix: str) -> str | None:
            return next((v for v in values if v.startswith(prefix)), None)

        if first("rq1:cat"):
            return self.press(data, f"rq1:cat:{self.category}")
        for prefix in ("rq1:mtno", "rq1:photos", "rq1:urg:n", "rq1:ok"):
            if (value := first(prefix)) is not None:
                return self.press(data, value)
        if values == ["rq1:cancel"]:  # the description prompt
            return self.send(f"crash test: the stairwell light of {self.uid} is broken")
        if reply_button("request_location")(data) or reply_button("request_contact")(data):
            return self.send(_zh("Skip"))
        return None

    def act(self, action: Callable[[], dict[str, Any]]) -> None:
        update = action()
        query = update.get("callback_query")
        self.pressed = str(query["id"]) if query else None
        self.last = action

    def expired(self) -> bool:
        """The bot answered the latest press with "this menu has expired"."""
        answer = self.emulator.answered_callbacks.get(self.pressed or "")
        return answer is not None and answer["text"] == _zh(
            "This menu has expired. Please use the latest message."
        )

    async def file(self, think: tuple[float, float]) -> str:
        self.act(self.send("/request"))
        heard = False  # something came since the last action, but nothing to act on
        while not self.numbers:
            try:
                data = await asyncio.wait_for(self.inbox.get(), NO_ANSWER)
            except TimeoutError:
                # Silence: press or send the same again. The bot answered but asked nothing
                # (the step was lost with a crash), or said the button expired: start over.
                lost = heard or self.expired() or self.last is None
                self.act(self.send("/request") if lost else self.last)  # type: ignore[arg-type]
                heard = False
                continue
            if found := FILED.search(data.get("text") or ""):
                self.numbers.append(found[1])
                break
            action = self.decide(data)
            heard = action is None
            if action is not None:
                await asyncio.sleep(self.rng.uniform(*think))
                self.act(action)
        return self.numbers[0]


@dataclass
class Counts:
    seed: int
    intakes: int = 0
    kills: int = 0
    lost: int = 0
    duplicated: int = 0
    not_submitted: int = 0
    max_deliveries: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"crash test: seed {self.seed}, {self.intakes} intakes, {self.kills} kills,"
            f" {self.lost} lost, {self.duplicated} duplicated,"
            f" {self.not_submitted} 'not submitted' messages,"
            f" max {self.max_deliveries} deliveries of one outbox row, {self.seconds:.1f} s"
        )


async def _outbox_open(db_path: str) -> int:
    db = open_database(db_path)
    async with db, db.read() as tx:
        return int(
            await tx.fetchval(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'inflight')"
            )
        )


async def _drained(db_path: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while await _outbox_open(db_path):
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox still has {await _outbox_open(db_path)} rows open")
        await asyncio.sleep(0.2)


async def test_sigkill_during_intake_loses_and_duplicates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = int(os.environ.get("GRIDBOT_CRASH_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    counts = Counts(seed)
    started = time.monotonic()
    db_path = await stores.fresh_store(tmp_path, "crash", migrated=False)
    db = await fresh_db(db_path)
    now = datetime.now(UTC)
    compound = await unit_id(db, "XHHY")
    await seed_people(
        db, first_telegram_id=FIRST_RESIDENT, count=RESIDENTS, compound_id=compound, now=now
    )
    await seed_members(db, first_telegram_id=FIRST_MEMBER, count=3, compound_id=compound, now=now)
    category = await category_id(db, "other")
    await db.close()

    emulator = Emulator()
    server = EmulatorServer(emulator, port=0)
    await server.start()
    residents = {
        uid: Resident(uid, emulator, random.Random(rng.random()), category)
        for uid in range(FIRST_RESIDENT, FIRST_RESIDENT + RESIDENTS)
    }
    for uid in [*residents, *range(FIRST_MEMBER, FIRST_MEMBER + 3)]:
        emulator.add_user(uid, f"P{uid}")

    def on_event(event: str, data: dict[str, Any]) -> None:
        resident = residents.get(int(data.get("chat_id") or 0))
        if resident and event == "message" and data.get("from_bot") and data["kind"] == "message":
            resident.inbox.put_nowait(data)

    emulator.listeners.append(on_event)
    # Time runs 20 times faster for the outbox only: three members get a card per request.
    worker = Worker("gridbot", server.url, db_path, ["--time-scale", "20"])

    async def resident(r: Resident) -> str:
        await asyncio.sleep(rng.uniform(0.0, 8.0))
        return await r.file(think=(0.05, 0.6))

    async def killer(filing: asyncio.Future[list[str]]) -> None:
        while counts.kills < KILLS:
            await asyncio.sleep(rng.uniform(0.3, 1.8))
            await worker.kill()
            counts.kills += 1
            await worker.start(server)
        await filing

    try:
        await worker.start(server)
        filing = asyncio.gather(*(resident(r) for r in residents.values()))
        try:
            await asyncio.wait_for(asyncio.gather(filing, killer(filing)), 90)
        except TimeoutError:
            stuck = {
                r.uid: [(m.text or "")[:40] for m in emulator.history(r.uid)[-4:]]
                for r in residents.values()
                if not r.numbers
            }
            raise AssertionError(f"seed {seed}: residents without a number: {stuck}") from None
        await _drained(db_path)
    finally:
        await worker.stop()
    # Half an hour later by the bot's clock: the sweep sets idle drafts aside.
    worker = Worker(
        "gridbot",
        server.url,
        db_path,
        ["--time-scale", "20", "--clock-offset-minutes", "31", "--sweep-seconds", "0.3"],
    )
    try:
        await worker.start(server)
        await asyncio.sleep(1.5)  # a few sweeps
        await _drained(db_path)
    finally:
        await worker.stop()
        await server.stop()

    db = open_database(db_path)
    async with db, db.read() as tx:
        stored = {
            str(r[0]): int(r[1])
            for r in await tx.fetchall(
                "SELECT r.number, p.telegram_id FROM requests r JOIN people p"
                " ON p.id = r.resident_id"
            )
        }
        rows = await tx.fetchall(
            "SELECT chat_id, payload FROM outbox WHERE method = 'sendMessage'"
            " AND status IN ('sent', 'unknown')"
        )
        open_rows = await tx.fetchval(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'inflight')"
        )
    seen = {r.uid: r.numbers[0] for r in residents.values() if r.numbers}
    counts.intakes = len(seen)
    counts.lost = sum(1 for uid, number in seen.items() if stored.get(number) != uid)
    counts.duplicated = len(stored) - len(set(stored.values()))
    counts.not_submitted = sum(
        1 for uid in residents for m in emulator.bot_messages(uid) if SET_ASIDE in (m.text or "")
    )
    delivered = Counter(
        (m.chat_id, m.html or m.text)
        for chat in emulator.messages
        for m in emulator.bot_messages(chat)
    )
    counts.max_deliveries = max(
        (delivered[(int(r[0]), json.loads(r[1])["text"])] for r in rows), default=0
    )
    counts.seconds = time.monotonic() - started
    with capsys.disabled():
        print("\n" + counts.line())

    assert counts.kills >= 5
    assert counts.intakes == RESIDENTS >= 50
    assert counts.lost == 0 and counts.duplicated == 0
    assert sorted(stored) == [f"DZ-{now.year}-{n:06d}" for n in range(1, len(stored) + 1)]
    assert len(stored) == RESIDENTS
    assert counts.not_submitted == 0
    assert open_rows == 0
    assert 1 <= counts.max_deliveries <= 2
