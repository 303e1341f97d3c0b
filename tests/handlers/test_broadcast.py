"""/broadcast: audience, compose, preview, sending with live progress, stop, restart,
/broadcasts."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from auxil.flows import onboard
from auxil.harness import Harness, Player

from bot.emulator.core import Fault
from bot.i18n import Translator
from bot.models import Role
from bot.models.broadcast import AudienceKind, Broadcast, BroadcastState
from bot.outbox import OutboxSender
from bot.services.broadcast import Audience, Content
from bot.services.people import TelegramIdentity
from handlers.broadcast import job_name, refresh_progress

MAX_IN_FLIGHT = 16  # [outbox] max_in_flight: messages the sender has on their way at once
ADMINS = [
    {"telegram_id": 9801, "unit": "BY"},  # 伴月社区 (城西街道)
    {"telegram_id": 9802, "unit": "CX"},  # 城西街道
    {"telegram_id": 9803, "unit": "DZ"},  # 端州区
]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """The demo org, three admins' config; the progress job never fires by itself here."""
    harness = Harness(tmp_path, admins=ADMINS, broadcast={"progress_seconds": 3600})
    await harness.start()
    await harness.import_org()
    await harness.restart()
    try:
        yield harness
    finally:
        await harness.stop()


def zh(h: Harness) -> Translator:
    return h.services.i18n.get("zh_CN")


async def start_admin(h: Harness, name: str = "banyue", index: int = 0) -> Player:
    admin = h.player(name, user_id=int(ADMINS[index]["telegram_id"]))
    await admin.command("/start")
    await admin.press("中文")
    await admin.press("跳过：我只做管理工作")
    return admin


async def add_residents(
    h: Harness, count: int, compounds: tuple[str, ...] = ("XHHY", "LMJ"), first: int = 500_000
) -> list[int]:
    """``count`` residents made directly in the database, spread over ``compounds``; each has
    a chat in the emulator. Returns their Telegram ids."""
    now = h.clock.now()
    ids = [first + n for n in range(count)]
    async with h.services.db.transaction() as tx:
        units = [await tx.org.get_by_code(code) for code in compounds]
        for n, telegram_id in enumerate(ids):
            unit = units[n % len(units)]
            assert unit is not None
            person = await tx.people.create(
                telegram_id=telegram_id,
                display_name=f"r{n}",
                username=None,
                language="zh_CN",
                now=now,
            )
            await tx.people.update(person.id, now, home_unit_id=unit.id)
            await tx.people.grant(person.id, Role.RESIDENT, unit.id, by=None, now=now)
    for telegram_id in ids:
        h.emulator.add_user(telegram_id, f"r{telegram_id}")
    return ids


class Gate:
    """Holds the bot's messages to some chats at the emulated Telegram's door, so a test lets
    them through a few at a time while the outbox sender keeps running (never stopped half-way
    through a delivery)."""

    SENDS = frozenset({"sendMessage", "sendPhoto"})

    def __init__(self, h: Harness, chats: list[int]) -> None:
        self.chats = set(chats)
        self.allowed = 0
        self.passed = 0
        self.waiting = 0
        self.changed = asyncio.Condition()
        self._call = h.emulator.call
        h.emulator.call = self.call  # type: ignore[method-assign]

    async def call(
        self, method: str, params: dict[str, Any], files: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        chat = params.get("chat_id")
        if method in self.SENDS and chat is not None and int(chat) in self.chats:
            async with self.changed:
                self.waiting += 1
                self.changed.notify_all()
                await self.changed.wait_for(lambda: self.passed < self.allowed)
                self.waiting -= 1
                self.passed += 1
                self.changed.notify_all()
        return await self._call(method, params, files)

    async def let_through(self, count: int, *, then_held: int = MAX_IN_FLIGHT) -> None:
        """Let ``count`` more messages through; return once they are all done (sent, blocked or
        failed, and recorded) and the sender waits at the door with the next ``then_held``."""
        async with self.changed:
            self.allowed += count
            self.changed.notify_all()
            async with asyncio.timeout(60):
                await self.changed.wait_for(
                    lambda: self.passed == self.allowed and self.waiting == then_held
                )

    async def open(self) -> None:
        """Let everything through from now on."""
        async with self.changed:
            self.allowed = 10**9
            self.changed.notify_all()


def detach_sender(h: Harness) -> OutboxSender:
    """Keep the sender running but stop the harness from waiting for it after each action."""
    sender = h.services.sender
    assert sender is not None
    h.services.sender = None
    return sender


async def finish_sending(h: Harness, gate: Gate, sender: OutboxSender) -> None:
    """Open the gate, wait until the outbox is idle and give the sender back to the harness."""
    await gate.open()
    async with asyncio.timeout(60):
        await sender.wait_idle()
    h.services.sender = sender


async def compose(
    h: Harness,
    admin: Player,
    text: str,
    *,
    kind: str = "Residents",
    area: tuple[str, ...] = ("伴月社区",),
) -> None:
    """/broadcast up to the preview: the kind, down the area's drill-down, the text."""
    t = zh(h)
    await admin.command("/broadcast")
    await admin.press(t(kind))
    *path, target = area
    for name in path:
        await admin.press(f"{name} ›")
    all_of = t("✅ All of {name}").format(name=target)
    if f"{target} ›" in admin.buttons():
        await admin.press(f"{target} ›")
    if all_of in admin.buttons():
        await admin.press(all_of)
    else:
        await admin.press(target)
    if kind == "Party members and volunteers":
        await admin.press(t("All of them"))
    await admin.send(text)


async def latest_broadcast(h: Harness) -> Broadcast:
    async with h.services.db.read() as tx:
        broadcast_id = await tx.fetchval("SELECT max(id) FROM broadcasts")
        found = await tx.broadcasts.get(int(broadcast_id))
    assert found is not None
    return found


def number_after(template: str, text: str) -> int:
    """The number a '... {n}' line shows in ``text``."""
    prefix = template.split("{", 1)[0]
    match = re.search(re.escape(prefix) + r"(\d+)", text)
    assert match, (template, text)
    return int(match[1])


def progress_edits(h: Harness, admin: Player, message_id: int) -> list[str]:
    return [
        str(c.params["text"])
        for c in h.emulator.calls_to("editMessageText", admin.id)
        if c.ok and int(c.params["message_id"]) == message_id
    ]


def sends_per_chat(h: Harness, chats: list[int]) -> Counter[int]:
    wanted = set(chats)
    return Counter(
        c.chat_id
        for c in h.emulator.calls
        if c.ok and c.method in ("sendMessage", "sendPhoto") and c.chat_id in wanted
    )


async def test_a_thousand_residents_with_live_progress_and_a_final_report(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    residents = await add_residents(h, 1000)
    blocked = [residents[7], residents[500], residents[998]]
    for telegram_id in blocked:
        h.emulator.block_bot(telegram_id)
    failing = residents[321]
    h.emulator.faults.append(
        Fault(
            method="sendMessage",
            chat_id=failing,
            code=400,
            description="Bad Request: chat not found",
            retry_after=None,
        )
    )
    gate = Gate(h, residents)
    sender = detach_sender(h)

    await compose(h, admin, "停水通知\n明天 9:00-12:00 停水，请提前储水。")
    copy, control = admin.bot_messages()[-2:]
    assert copy.text == "停水通知\n明天 9:00-12:00 停水，请提前储水。"
    assert "<b>1000</b>" in (control.html or "")
    await admin.press(t("📤 Send to {count} people").format(count=1000))

    broadcast = await latest_broadcast(h)
    assert broadcast.state is BroadcastState.SENDING and broadcast.recipients == 1000
    progress = admin.last()
    assert broadcast.progress_message_id == progress.message_id
    assert progress.text is not None
    assert t("Sending… {handled} of {total}").format(handled=0, total=1000) in progress.text
    # Nothing measured yet: the estimate is at the configured 25 per second.
    assert t("About {eta} left").format(eta=t("{n} s").format(n=40)) in progress.text
    assert admin.buttons(progress) == [t("⏹ Stop sending")]
    assert h.app is not None and h.app.job_queue is not None
    assert len(h.app.job_queue.get_jobs_by_name(job_name(broadcast.id))) == 1

    # Let the messages out a few hundred at a time; each progress update shows more.
    for _ in range(3):
        await gate.let_through(150)
        assert not await refresh_progress(h.app, broadcast.id)
    edits = progress_edits(h, admin, progress.message_id)
    assert len(edits) == 3
    for n, text in enumerate(edits, 1):
        assert t("Sending… {handled} of {total}").format(handled=150 * n, total=1000) in text
        assert t("⏳ Remaining: {n}").format(n=1000 - 150 * n) in text
    delivered = [number_after(t("✅ Delivered: {n}"), text) for text in edits]
    assert 148 <= delivered[0] < delivered[1] < delivered[2] <= 450
    speed = t("Speed: {rate}/s · about {eta} left").split("{", 1)[0]
    assert all(speed in text for text in edits)

    await finish_sending(h, gate, sender)
    assert await refresh_progress(h.app, broadcast.id)
    assert h.app.job_queue.get_jobs_by_name(job_name(broadcast.id)) == ()

    # Everyone reachable got it exactly once; the blocked ones were tried once.
    per_chat = sends_per_chat(h, residents)
    assert set(per_chat.values()) == {1}
    assert set(per_chat) == set(residents) - {*blocked, failing}
    for telegram_id in blocked:
        assert len(h.emulator.calls_to("sendMessage", telegram_id)) == 1
    assert h.emulator.bot_messages(residents[0])[-1].text == copy.text

    report = admin.bot_messages()[-1]
    assert report.message_id == progress.message_id  # the same message, edited
    assert report.html == "\n".join(
        [
            t("📢 <b>Notice #{id}</b> · {audience}").format(
                id=broadcast.id, audience=f"{t('Residents')} · 伴月社区"
            ),
            t("<b>Finished.</b> {total} recipients.").format(total=1000),
            t("✅ Delivered: {n}").format(n=996),
            t("⛔ Blocked the bot: {n}").format(n=3),
            t("⚠️ Failed: {n}").format(n=1),
            "    • BadRequest: Chat not found — 1",
        ]
    )
    assert admin.buttons(report) == []

    broadcast = await latest_broadcast(h)
    assert broadcast.state is BroadcastState.DONE and broadcast.finished_at is not None
    async with h.services.db.read() as tx:
        counts = await tx.outbox.counts(batch=broadcast.batch)
        people = [await tx.people.by_telegram(b) for b in blocked]
        audit = await tx.audit.latest(action="broadcast")
    assert (counts.sent, counts.undeliverable, counts.failed) == (996, 3, 1)
    assert all(p is not None and p.unreachable for p in people)
    assert audit[0].subject == f"broadcast:{broadcast.id}"
    assert audit[0].after is not None and audit[0].after["recipients"] == 1000


async def test_a_restart_midway_carries_on_without_sending_twice(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    residents = await add_residents(h, 400)
    gate = Gate(h, residents)
    sender = detach_sender(h)
    await compose(h, admin, "小区消防演练通知")
    await admin.press(t("📤 Send to {count} people").format(count=400))
    broadcast = await latest_broadcast(h)
    progress_id = admin.last().message_id
    await gate.let_through(120)

    # The Application stops while the sender is at work: it takes no new rows, and the
    # messages already on their way arrive.
    stop = sender.stop

    async def stop_midway() -> None:
        stopping = asyncio.create_task(stop())
        await asyncio.sleep(0)  # the sender's loop is cancelled now
        await gate.open()
        await stopping

    sender.stop = stop_midway  # type: ignore[method-assign]
    h.services.sender = sender
    await h.restart()
    async with h.services.db.read() as tx:
        counts = await tx.outbox.counts(batch=broadcast.batch)
    assert counts.sent == 120 + MAX_IN_FLIGHT  # none of it again: the rest is still queued
    assert h.app is not None and h.app.job_queue is not None
    assert len(h.app.job_queue.get_jobs_by_name(job_name(broadcast.id))) == 1
    await h.settle()
    assert await refresh_progress(h.app, broadcast.id)
    assert h.app.job_queue.get_jobs_by_name(job_name(broadcast.id)) == ()

    per_chat = sends_per_chat(h, residents)
    assert set(per_chat) == set(residents)
    assert set(per_chat.values()) == {1}
    report = next(m for m in admin.bot_messages() if m.message_id == progress_id)
    assert report.text is not None
    assert t("✅ Delivered: {n}").format(n=400) in report.text
    assert (await latest_broadcast(h)).state is BroadcastState.DONE
    # A second start-up finds nothing left to follow.
    await h.restart()
    assert h.app.job_queue.get_jobs_by_name(job_name(broadcast.id)) == ()


async def test_stop_midway_cancels_the_rest(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    residents = await add_residents(h, 200)
    gate = Gate(h, residents)
    sender = detach_sender(h)
    await compose(h, admin, "临时通知")
    await admin.press(t("📤 Send to {count} people").format(count=200))
    broadcast = await latest_broadcast(h)
    progress_id = admin.last().message_id
    await gate.let_through(50)

    await admin.press(t("⏹ Stop sending"))
    not_sent = 200 - 50 - MAX_IN_FLIGHT
    answer = admin.last_answer()
    assert answer is not None
    assert answer["text"] == t("Stopped: {n} messages will not be sent.").format(n=not_sent)
    # The messages already on their way still arrive; the report waits for them.
    stopping = next(m for m in admin.bot_messages() if m.message_id == progress_id)
    assert stopping.text is not None
    assert (
        t("Stopping… {n} messages were already on their way.").format(n=MAX_IN_FLIGHT)
        in stopping.text
    )
    assert admin.buttons(stopping) == []
    assert h.app is not None
    assert not await refresh_progress(h.app, broadcast.id)

    await finish_sending(h, gate, sender)
    assert await refresh_progress(h.app, broadcast.id)
    sent = 50 + MAX_IN_FLIGHT
    assert sum(sends_per_chat(h, residents).values()) == sent
    async with h.services.db.read() as tx:
        counts = await tx.outbox.counts(batch=broadcast.batch)
        audit = await tx.audit.latest(action="broadcast.cancel")
    assert (counts.sent, counts.cancelled, counts.pending, counts.inflight) == (
        sent,
        not_sent,
        0,
        0,
    )
    assert audit and audit[0].after == {"state": "cancelled", "cancelled": not_sent}
    report = next(m for m in admin.bot_messages() if m.message_id == progress_id)
    assert report.html == "\n".join(
        [
            t("📢 <b>Notice #{id}</b> · {audience}").format(
                id=broadcast.id, audience=f"{t('Residents')} · 伴月社区"
            ),
            t(
                "<b>Stopped.</b> {sent} were sent before it was stopped; {cancelled} were not."
            ).format(sent=sent, cancelled=not_sent),
            t("✅ Delivered: {n}").format(n=sent),
            t("⛔ Blocked the bot: {n}").format(n=0),
            t("⚠️ Failed: {n}").format(n=0),
        ]
    )
    assert (await latest_broadcast(h)).state is BroadcastState.CANCELLED
    # A second press is told it is over.
    await admin.press_data(f"bc1:stop:{broadcast.id}", progress_id)
    answer = admin.last_answer()
    assert answer is not None and answer["text"] == t("This notice has already finished.")


async def test_text_is_escaped_and_bold_title_is_the_first_line_only(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    residents = await add_residents(h, 2, ("XHHY",))
    text = "<script>alert(1)</script> & 通知\n第二行 <b>不加粗</b> & 完"
    await compose(h, admin, text, area=("星荷豪苑",))
    assert admin.bot_messages()[-2].text == text  # the copy shows the text as written
    old, old_send = admin.find_button(t("📤 Send to {count} people").format(count=2))
    await admin.press(t("🅱 Bold title: off"))
    copy = admin.bot_messages()[-2]
    escaped_first = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 通知"
    escaped_rest = "第二行 &lt;b&gt;不加粗&lt;/b&gt; &amp; 完"
    assert copy.html == f"<b>{escaped_first}</b>\n{escaped_rest}"
    assert t("🅱 Bold title: on") in admin.buttons()
    # The preview before the switch is out of date: its Send button does nothing.
    await admin.press_data(old_send["callback_data"], old.message_id)
    answer = admin.last_answer()
    assert answer is not None
    assert answer["text"] == t("This menu has expired. Please use the latest message.")
    async with h.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM broadcasts") == 0
    await admin.press(t("📤 Send to {count} people").format(count=2))
    for telegram_id in residents:
        [got] = h.emulator.bot_messages(telegram_id)
        assert got.html == f"<b>{escaped_first}</b>\n{escaped_rest}"
        assert got.text == text
    assert (await latest_broadcast(h)).text == f"<b>{escaped_first}</b>\n{escaped_rest}"


async def test_plain_text_is_sent_escaped_with_one_photo(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    residents = await add_residents(h, 3, ("LMJ",))
    await admin.command("/broadcast")
    await admin.press(t("Residents"))
    await admin.press("龙马街小区")
    await admin.send_photo(b"poster", caption="A & B <i>活动</i>")
    copy = admin.bot_messages()[-2]
    assert copy.photo and copy.html == "A &amp; B &lt;i&gt;活动&lt;/i&gt;"
    await admin.press(t("📤 Send to {count} people").format(count=3))
    for telegram_id in residents:
        [got] = h.emulator.bot_messages(telegram_id)
        assert got.photo and got.photo[-1]["file_id"] == copy.photo[-1]["file_id"]
        assert got.text == "A & B <i>活动</i>"
    broadcast = await latest_broadcast(h)
    assert broadcast.photo_file_id is not None and broadcast.recipients == 3


async def test_audience_choices_show_exact_counts(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h, "district", 2)
    await add_residents(h, 4, ("XHHY",), first=600_000)
    await add_residents(h, 2, ("HJXQ",), first=610_000)
    await compose(h, admin, "全区通知", area=("端州区",))
    assert "<b>6</b>" in (admin.last().html or "")
    await compose(h, admin, "城东通知", area=("城东街道", "星湖社区", "鸿基小区"))
    assert "<b>2</b>" in (admin.last().html or "")
    assert "鸿基小区" in admin.last_text()
    await compose(h, admin, "没有党员", kind="Party members and volunteers", area=("端州区",))
    assert "<b>0</b>" in (admin.last().html or "")
    await admin.press(t("📤 Send to {count} people").format(count=0))
    answer = admin.last_answer()
    assert answer is not None and answer["text"] == t("Nobody is in this audience yet.")


async def test_another_communitys_area_is_refused_and_audited(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    await admin.command("/broadcast")
    await admin.press(t("Residents"))
    assert "星湖社区 ›" not in admin.buttons() and "鸿基小区" not in admin.buttons()
    async with h.services.db.read() as tx:
        xinghu = await tx.org.get_by_code("XH")
    assert xinghu is not None
    await admin.press_data(f"bc1:pick:{xinghu.id}")
    answer = admin.last_answer()
    assert answer is not None and answer["text"] == t(
        "You can only send notices to your own area."
    )
    await admin.press_data(f"bc1:u:{xinghu.id}")
    async with h.services.db.read() as tx:
        refused = await tx.audit.latest(action="broadcast.refused")
    assert len(refused) == 2
    assert refused[0].subject == "unit:XH" and refused[0].unit_id == xinghu.id


async def test_a_resident_cannot_broadcast(h: Harness) -> None:
    t = zh(h)
    resident = h.player("res")
    await onboard(resident)
    await resident.command("/broadcast")
    assert resident.last_text() == t("Only administrators can send notices.")
    await resident.command("/broadcasts")
    assert resident.last_text() == t("Only administrators can send notices.")
    async with h.services.db.read() as tx:
        refused = await tx.audit.latest(action="broadcast.refused")
        listed = await tx.audit.latest(action="broadcast.list.refused")
    assert len(refused) == 1 and refused[0].after == {"reason": "not an admin"}
    assert len(listed) == 1
    assert "broadcast" not in resident.commands()


async def test_draft_survives_a_restart_and_cancel_sends_nothing(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    assert {"broadcast", "broadcasts"} <= set(admin.commands())
    await add_residents(h, 2, ("XHHY",))
    await admin.command("/broadcast")
    await admin.press(t("Residents"))
    await admin.press("星荷豪苑")
    await h.restart()
    await admin.send_sticker()
    assert admin.last_text() == t("Please send the text of the notice (or one photo).")
    await admin.send("重启之后继续")
    assert admin.bot_messages()[-2].text == "重启之后继续"
    await admin.press(t("✏️ Edit"))
    await admin.press(t("📝 The text or the photo"))
    await admin.send("改过的通知")
    assert admin.bot_messages()[-2].text == "改过的通知"
    await admin.press(t("✖ Cancel"))
    assert admin.last_text() == t("Cancelled. Nothing was sent.")
    async with h.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM broadcasts") == 0
    await admin.send("随便说点什么")  # the conversation is over: the fallback answers
    assert admin.last_text() != t("Please send the text of the notice (or one photo).")


async def test_broadcasts_lists_what_was_sent_inside_the_viewers_area(h: Harness) -> None:
    t = zh(h)
    banyue = await start_admin(h, "banyue", 0)
    chengxi = await start_admin(h, "chengxi", 1)
    district = await start_admin(h, "district", 2)
    await add_residents(h, 2, ("XHHY",), first=700_000)
    await add_residents(h, 2, ("CTXC",), first=710_000)
    await add_residents(h, 2, ("HJXQ",), first=720_000)
    await compose(h, banyue, "伴月的通知")
    await banyue.press(t("📤 Send to {count} people").format(count=2))
    await compose(h, chengxi, "城西的通知", area=("城西街道",))
    await chengxi.press(t("📤 Send to {count} people").format(count=4))
    await compose(h, district, "星湖的通知", area=("城东街道", "星湖社区"))
    await district.press(t("📤 Send to {count} people").format(count=2))

    def listed(admin: Player) -> list[int]:
        return [int(n) for n in re.findall(r"^#(\d+) ·", admin.last_text(), re.M)]

    for admin in (banyue, chengxi, district):
        await admin.command("/broadcasts")
    assert listed(banyue) == [1]
    assert listed(chengxi) == [2, 1]
    assert listed(district) == [3, 2, 1]
    text = district.last_text()
    assert "«星湖的通知»" in text and f"{t('Residents')} · 星湖社区" in text
    assert (
        t(
            "✅ {sent} · ⛔ {blocked} · ⚠️ {failed} · ⏳ {remaining} · ✖ {cancelled} of {total}"
        ).format(sent=4, blocked=0, failed=0, remaining=0, cancelled=0, total=4)
        in text
    )


async def test_a_lost_progress_reply_is_sent_again_after_a_restart(h: Harness) -> None:
    t = zh(h)
    admin = await start_admin(h)
    await add_residents(h, 5, ("XHHY",))
    actor = await h.services.people.identify(
        TelegramIdentity(telegram_id=admin.id, first_name="Banyue")
    )
    async with h.services.db.read() as tx:
        compound = await tx.org.get_by_code("XHHY")
    assert compound is not None
    # The process stopped after the broadcast was queued, before its reply went out.
    broadcast = await h.services.broadcast.send(
        actor,
        Audience(kind=AudienceKind.RESIDENTS, unit_id=compound.id),
        Content("停电前发出的通知"),
    )
    await h.settle()
    before = len(admin.bot_messages())
    await h.restart()
    assert h.app is not None and h.app.job_queue is not None
    assert len(h.app.job_queue.get_jobs_by_name(job_name(broadcast.id))) == 1
    await h.settle()
    assert await refresh_progress(h.app, broadcast.id)
    assert len(admin.bot_messages()) == before + 1
    assert t("✅ Delivered: {n}").format(n=5) in admin.last_text()
    assert (await latest_broadcast(h)).progress_message_id == admin.last().message_id
