"""Per-chat ordered concurrency: one chat in order, different chats at the same time."""

from __future__ import annotations

import asyncio
import random

from auxil.flows import onboard
from auxil.harness import Harness
from telegram import Update

from bot.emulator.core import Emulator
from bot.processor import PerChatUpdateProcessor


def updates_for(emulator: Emulator, user_id: int, count: int) -> list[Update]:
    return [
        Update.de_json(emulator.user_message(user_id, f"m{n}"), None)  # type: ignore[arg-type]
        for n in range(count)
    ]


async def test_one_chat_fifty_rapid_updates_in_order() -> None:
    emulator = Emulator()
    emulator.add_user(1, "A")
    processor = PerChatUpdateProcessor(64)
    seen: list[int] = []
    rng = random.Random(7)

    async def handle(n: int) -> None:
        for _ in range(rng.randint(0, 5)):  # yield a few times, like real I/O would
            await asyncio.sleep(0)
        seen.append(n)

    tasks = [
        asyncio.create_task(processor.process_update(update, handle(n)))
        for n, update in enumerate(updates_for(emulator, 1, 50))
    ]
    await asyncio.gather(*tasks)
    assert seen == list(range(50))
    assert processor.overlap_peak == 1


async def test_two_people_interleaved_run_concurrently() -> None:
    emulator = Emulator()
    emulator.add_user(1, "A")
    emulator.add_user(2, "B")
    processor = PerChatUpdateProcessor(64)
    log: list[tuple[str, int, str]] = []
    gate = asyncio.Event()

    async def handle(who: str, n: int) -> None:
        log.append((who, n, "start"))
        if who == "A" and n == 0:
            await gate.wait()  # A's first update is slow...
        log.append((who, n, "end"))
        if who == "B" and n == 2:
            gate.set()  # ...and B finishes all of its updates meanwhile

    a_updates = updates_for(emulator, 1, 3)
    b_updates = updates_for(emulator, 2, 3)
    tasks = []
    for n in range(3):  # interleaved arrival: A0 B0 A1 B1 A2 B2
        tasks.append(asyncio.create_task(processor.process_update(a_updates[n], handle("A", n))))
        tasks.append(asyncio.create_task(processor.process_update(b_updates[n], handle("B", n))))
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    # Overlap: B ran all three while A0 was still running; each person kept their order.
    assert log.index(("B", 2, "end")) < log.index(("A", 0, "end"))
    assert [n for who, n, what in log if who == "A" and what == "start"] == [0, 1, 2]
    assert [n for who, n, what in log if who == "B" and what == "start"] == [0, 1, 2]
    assert processor.overlap_peak == 2


async def test_one_flooding_chat_does_not_take_every_slot() -> None:
    emulator = Emulator()
    emulator.add_user(1, "A")
    emulator.add_user(2, "B")
    processor = PerChatUpdateProcessor(2)
    release = asyncio.Event()
    done: list[str] = []

    async def slow(n: int) -> None:
        await release.wait()
        done.append(f"A{n}")

    async def quick() -> None:
        done.append("B")
        release.set()

    tasks = [
        asyncio.create_task(processor.process_update(u, slow(n)))
        for n, u in enumerate(updates_for(emulator, 1, 10))
    ]
    tasks.append(
        asyncio.create_task(processor.process_update(updates_for(emulator, 2, 1)[0], quick()))
    )
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert done[0] == "B"  # B got a slot although A had ten updates waiting
    assert done[1:] == [f"A{n}" for n in range(10)]


async def test_the_application_runs_conversations_through_the_processor(org: Harness) -> None:
    """Two residents' intake updates fed through the Application's update queue, interleaved:
    both conversations end up in the right place."""
    assert org.app is not None
    assert isinstance(org.app.update_processor, PerChatUpdateProcessor)
    amy, ben = org.player("amy"), org.player("ben")
    await onboard(amy)
    await onboard(ben)
    for text in ("/request",):
        for player in (amy, ben):
            await org.app.update_queue.put(
                Update.de_json(org.emulator.user_message(player.id, text), org.app.bot)
            )
    for _ in range(500):
        if all("是什么方面的事" in (p.last_text()) for p in (amy, ben)):
            break
        await asyncio.sleep(0.01)
    await amy.press("物业维修")
    await ben.press("环境卫生")
    for player, text in ((amy, "电梯坏了"), (ben, "垃圾没清"), (amy, "/cancel"), (ben, "/cancel")):
        await org.app.update_queue.put(
            Update.de_json(org.emulator.user_message(player.id, text), org.app.bot)
        )
    for _ in range(500):
        if all("已取消" in p.last_text() for p in (amy, ben)):
            break
        await asyncio.sleep(0.01)
    await org.settle()
    for player in (amy, ben):
        texts = player.texts()
        assert any("最多 5 张照片" in t for t in texts), texts  # the description was taken
        assert "已取消，没有提交任何诉求" in player.last_text()
