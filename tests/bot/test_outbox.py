"""The outbox sender against an emulated Telegram that misbehaves."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.__main__ import run
from bot.clock import FakeClock, VirtualPacer
from bot.config import OutboxSection
from bot.emulator.core import Emulator, Fault
from bot.emulator.inprocess import EmulatorRequest
from bot.messages import Button, OutMessage
from bot.outbox import Notifier, OutboxSender
from storage.db import Database


class Rig:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
        self.pacer = VirtualPacer()
        self.emulator = Emulator(clock=self.clock.now, monotonic=self.pacer.monotonic)
        self.bot = Bot("123:TEST", request=EmulatorRequest(self.emulator))
        self.notifier = Notifier(self.clock)
        self.settings = OutboxSection(rate_per_second=25, max_attempts=5)
        self.sender: OutboxSender | None = None

    async def start(self) -> OutboxSender:
        self.sender = OutboxSender(self.db, self.bot, self.clock, self.pacer, self.settings)
        self.notifier.bind(self.sender.wake)
        await self.sender.start()
        return self.sender

    async def queue(self, chat_id: int, text: str, **kwargs: object) -> int | None:
        async with self.db.transaction() as tx:
            return await self.notifier.send(tx, chat_id, OutMessage(text), **kwargs)  # type: ignore[arg-type]

    def sent_calls(self, method: str = "sendMessage") -> list:
        return [c for c in self.emulator.calls if c.method == method and c.ok]


@pytest.fixture
async def rig(db: Database) -> AsyncIterator[Rig]:
    r = Rig(db)
    await r.bot.initialize()
    yield r
    if r.sender is not None:
        await r.sender.stop()
    await r.bot.shutdown()


async def statuses(db: Database) -> Counter[str]:
    async with db.read() as tx:
        rows = await tx.fetchall("SELECT status FROM outbox")
    return Counter(r[0] for r in rows)


async def test_faults_lose_nothing_and_send_nothing_twice(rig: Rig) -> None:
    chats = [2001, 2002, 2003, 2004, 2005]
    for chat in chats:
        rig.emulator.add_user(chat, f"user{chat}")
    blocked = 2005
    rig.emulator.block_bot(blocked)
    async with rig.db.transaction() as tx:  # the blocked person is known to the bot
        await tx.people.create(
            telegram_id=blocked,
            display_name="b",
            username=None,
            language="zh_CN",
            now=rig.clock.now(),
        )
    # A 429 early on, two refused connections for one chat (the calls never left).
    rig.emulator.faults += [
        Fault(method="sendMessage", chat_id=2002, times=1, code=429, retry_after=3),
        Fault(method="sendMessage", chat_id=2003, times=2, refused=True),
    ]
    for n in range(8):
        for chat in chats:
            await rig.queue(chat, f"message {n} for {chat}")
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()

    counts = await statuses(rig.db)
    assert counts == Counter({"sent": 32, "undeliverable": 8})

    # Every message of a reachable chat arrived exactly once, in order.
    for chat in chats[:-1]:
        texts = [m.text for m in rig.emulator.bot_messages(chat)]
        assert texts == [f"message {n} for {chat}" for n in range(8)]
    assert rig.emulator.bot_messages(blocked) == []
    # The blocked chat was tried once; its other rows were dropped without a call.
    assert len([c for c in rig.emulator.calls if c.chat_id == blocked]) == 1
    async with rig.db.read() as tx:
        person = await tx.people.by_telegram(blocked)
    assert person is not None and person.unreachable

    # Nothing was sent during the RetryAfter pause.
    throttled = [c for c in rig.emulator.calls if c.error_code == 429]
    assert len(throttled) == 1
    pause_from, pause_to = throttled[0].at, throttled[0].at + 3
    assert not [c for c in rig.emulator.calls if pause_from < c.at < pause_to]

    # No chat got two messages within a second; overall at most 25 per second.
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in rig.sent_calls():
        by_chat[call.chat_id].append(call.at)
    for times in by_chat.values():
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    all_times = sorted(c.at for c in rig.emulator.calls)
    for i, start in enumerate(all_times):
        assert len([t for t in all_times[i:] if t < start + 1.0 - 1e-6]) <= 25


async def test_global_rate_is_respected(rig: Rig) -> None:
    chats = list(range(3001, 3101))
    for chat in chats:
        rig.emulator.add_user(chat, f"user{chat}")
        await rig.queue(chat, f"hello {chat}")
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    times = sorted(c.at for c in rig.sent_calls())
    assert len(times) == 100
    # 100 messages at 25 per second take about 4 seconds, never faster.
    assert times[-1] - times[0] >= 99 / 25 - 1e-6
    for i, start in enumerate(times):
        assert len([t for t in times[i:] if t < start + 1.0 - 1e-6]) <= 25


async def test_bad_request_is_recorded_with_its_reason(rig: Rig) -> None:
    rig.emulator.add_user(4001, "u")
    await rig.queue(4001, "<b>unclosed")  # invalid HTML: Telegram refuses it
    await rig.queue(4001, "fine")
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    async with rig.db.read() as tx:
        rows = await tx.fetchall("SELECT status, error FROM outbox ORDER BY id")
    assert rows[0]["status"] == "failed"
    assert "BadRequest" in rows[0]["error"] and "entities" in rows[0]["error"]
    assert rows[1]["status"] == "sent"


async def test_calls_that_never_left_give_up_after_max_attempts(rig: Rig) -> None:
    rig.emulator.add_user(4101, "u")
    rig.emulator.faults.append(Fault(method="sendMessage", chat_id=4101, times=99, refused=True))
    await rig.queue(4101, "never arrives")
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    async with rig.db.read() as tx:
        row = await tx.fetchone("SELECT status, attempts, uncertain, error FROM outbox")
    assert row is not None
    assert (row["status"], row["attempts"], row["uncertain"]) == ("failed", 5, 0)
    assert "NotSent" in row["error"]
    # Backoff: the five tries were spread out, not hammered.
    tries = [c.at for c in rig.emulator.calls if c.chat_id == 4101]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps == sorted(gaps) and gaps[0] >= 0.5


async def test_edit_goes_to_the_delivered_message(rig: Rig) -> None:
    rig.emulator.add_user(5001, "u")
    async with rig.db.transaction() as tx:
        card = await rig.notifier.send(
            tx, 5001, OutMessage("task card", buttons=((Button("Accept", "x1:a:1"),),))
        )
        assert card is not None
        await rig.notifier.edit(tx, card, OutMessage("taken by someone"))
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    [message] = rig.emulator.bot_messages(5001)
    assert message.text == "taken by someone"
    assert message.inline_buttons == []


async def test_dedup_key_queues_once(rig: Rig) -> None:
    rig.emulator.add_user(5101, "u")
    first = await rig.queue(5101, "once", dedup_key="k1")
    second = await rig.queue(5101, "once", dedup_key="k1")
    assert first is not None and second is None
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    assert [m.text for m in rig.emulator.bot_messages(5101)] == ["once"]


async def test_in_flight_rows_are_resent_once_after_a_crash(rig: Rig) -> None:
    rig.emulator.add_user(6001, "u")
    a = await rig.queue(6001, "was in flight")
    b = await rig.queue(6001, "was in flight twice")
    async with rig.db.transaction() as tx:
        # The process died while these were in flight; b had been re-sent once already.
        await tx.execute("UPDATE outbox SET status = 'inflight' WHERE id IN (?, ?)", (a, b))
        await tx.execute("UPDATE outbox SET uncertain = 1 WHERE id = ?", (b,))
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    async with rig.db.read() as tx:
        rows = {r["id"]: r["status"] for r in await tx.fetchall("SELECT id, status FROM outbox")}
    assert rows == {a: "sent", b: "unknown"}
    assert [m.text for m in rig.emulator.bot_messages(6001)] == ["was in flight"]


async def test_a_timed_out_call_is_sent_again_once_then_counted_unknown(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram may deliver a call whose answer timed out: ten chats whose every call times
    out after delivery get each message at most twice, and the rows end "unknown"."""
    chats = list(range(6101, 6111))
    for chat in chats:
        rig.emulator.add_user(chat, "u")
        rig.emulator.faults.append(
            Fault(method="sendMessage", chat_id=chat, times=10, timeout=True, deliver=True)
        )
        await rig.queue(chat, f"notice for {chat}")
    rig.emulator.add_user(6200, "u")  # one timeout, then the retry's answer arrives
    rig.emulator.faults.append(
        Fault(method="sendMessage", chat_id=6200, times=1, timeout=True, deliver=True)
    )
    await rig.queue(6200, "timed out once")
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()

    for chat in chats:
        assert [m.text for m in rig.emulator.bot_messages(chat)] == [f"notice for {chat}"] * 2
    assert [m.text for m in rig.emulator.bot_messages(6200)] == ["timed out once"] * 2
    assert await statuses(rig.db) == Counter({"unknown": 10, "sent": 1})
    async with rig.db.read() as tx:
        row = await tx.fetchone("SELECT attempts, uncertain, error FROM outbox WHERE id = 1")
    assert row is not None and (row["attempts"], row["uncertain"]) == (2, 1)
    assert "TimedOut" in row["error"]
    # The operator sees them counted.
    config = tmp_path / "c.toml"
    config.write_text(f'[storage]\nurl = "{rig.db.url}"\n')
    assert await asyncio.to_thread(run, ["--config", str(config), "outbox"]) == 0
    out = capsys.readouterr().out
    assert "unknown:       10" in out and "sent:          1" in out


async def test_no_unknown_retries_means_never_twice(rig: Rig) -> None:
    rig.settings = OutboxSection(unknown_retries=0)
    rig.emulator.add_user(6301, "u")
    rig.emulator.faults.append(
        Fault(method="sendMessage", chat_id=6301, times=1, timeout=True, deliver=True)
    )
    await rig.queue(6301, "once at most")
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    assert [m.text for m in rig.emulator.bot_messages(6301)] == ["once at most"]
    assert await statuses(rig.db) == Counter({"unknown": 1})


async def test_stop_and_restart_delivers_the_rest(rig: Rig) -> None:
    for chat in range(7001, 7011):
        rig.emulator.add_user(chat, "u")
        for n in range(3):
            await rig.queue(chat, f"{chat}-{n}")
    sender = await rig.start()
    # Stop as soon as a few have gone out.
    while sender.sent < 5:
        await rig.pacer.sleep(0)
    await sender.stop()
    rig.sender = None
    sent_before = len(rig.sent_calls())
    assert 5 <= sent_before < 30
    await rig.start()
    assert rig.sender is not None
    await rig.sender.wait_idle()
    assert Counter(await statuses(rig.db)) == Counter({"sent": 30})
    texts = [m.text for chat in range(7001, 7011) for m in rig.emulator.bot_messages(chat)]
    assert sorted(texts) == sorted(f"{c}-{n}" for c in range(7001, 7011) for n in range(3))
