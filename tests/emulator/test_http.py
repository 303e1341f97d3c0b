"""The emulator over HTTP, as python-telegram-bot sees it: Bot API calls, files, long polling,
webhooks and flood limits; plus the web chat's event stream."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter

from bot.emulator.core import Emulator, FloodLimits
from bot.emulator.http import EmulatorServer, Person

TOKEN = "123456:HTTP-TEST-TOKEN"
ALICE = 1001


class Monotonic:
    """A monotonic clock the test moves by hand (the flood limits read it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Monotonic:
    return Monotonic()


@pytest.fixture
async def server(clock: Monotonic) -> AsyncIterator[EmulatorServer]:
    """An emulator with one person, Alice, served on a free port."""
    emulator = Emulator(monotonic=clock)
    emulator.add_user(ALICE, "Alice")
    srv = EmulatorServer(emulator, port=0, people=[Person(ALICE, "Alice", "resident")])
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    """python-telegram-bot pointed at the emulator (initialising it calls getMe)."""
    async with Bot(
        TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot"
    ) as tg:
        yield tg


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def png(width: int = 8, height: int = 6) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (
        700000001,
        "GridbotDemoBot",
        "Gridbot",
        True,
    )


async def test_send_message_with_html_and_an_inline_keyboard(
    server: EmulatorServer, bot: Bot, http: aiohttp.ClientSession
) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("✋ 接单", callback_data="tk1:acc:7")],
            [InlineKeyboardButton("Docs", url="https://example.org/docs")],
        ]
    )
    sent = await bot.send_message(
        ALICE, "<b>DZ-1</b> 水管 &lt;爆了&gt;", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.text == "DZ-1 水管 <爆了>"
    assert sent.chat.id == ALICE and sent.from_user is not None and sent.from_user.is_bot
    assert sent.reply_markup == keyboard
    stored = server.emulator.messages[ALICE][sent.message_id]
    assert stored.html == "<b>DZ-1</b> 水管 &lt;爆了&gt;"

    # The web chat shows the HTML source and the keyboard.
    async with http.get(f"{server.url}/api/state") as response:
        state = await response.json()
    [shown] = state["chats"][str(ALICE)]
    assert shown["html"] == "<b>DZ-1</b> 水管 &lt;爆了&gt;"
    assert shown["inline_keyboard"][0] == [{"text": "✋ 接单", "callback_data": "tk1:acc:7"}]

    # Pressing the button reaches the bot as a callback query.
    body = {"user_id": ALICE, "message_id": sent.message_id, "data": "tk1:acc:7"}
    async with http.post(f"{server.url}/api/press", json=body) as response:
        assert response.status == 200
    [update] = await bot.get_updates(timeout=1)
    assert update.callback_query is not None and update.callback_query.data == "tk1:acc:7"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id

    # Bad HTML is refused the way Telegram refuses it.
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(ALICE, "<b>unclosed", parse_mode="HTML")


async def test_photo_upload_and_get_file_download_round_trip(
    server: EmulatorServer, bot: Bot, http: aiohttp.ClientSession
) -> None:
    # The bot uploads a photo (multipart) and downloads it again through getFile.
    content = png()
    sent = await bot.send_photo(ALICE, content, caption="<i>现场</i>", parse_mode="HTML")
    assert sent.caption == "现场" and sent.photo
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_size == len(content)
    assert bytes(await file.download_as_bytearray()) == content
    # The web chat serves it as an image.
    async with http.get(f"{server.url}/api/file/{sent.photo[-1].file_id}") as response:
        assert response.content_type == "image/png" and await response.read() == content

    # A person uploads a photo in the web chat; the bot gets it and downloads it.
    theirs = png(5, 5)
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("caption", "楼道")
    form.add_field("file", theirs, filename="pipe.png", content_type="image/png")
    async with http.post(f"{server.url}/api/photo", data=form) as response:
        assert response.status == 200
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.caption == "楼道"
    downloaded = await (await update.message.photo[-1].get_file()).download_as_bytearray()
    assert bytes(downloaded) == theirs


async def test_get_updates_confirms_with_offset(server: EmulatorServer, bot: Bot) -> None:
    for n in range(3):
        server.emulator.user_message(ALICE, f"m{n}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["m0", "m1"]
    # Unconfirmed updates are delivered again...
    again = await bot.get_updates()
    assert [u.update_id for u in again][:2] == [u.update_id for u in first]
    # ...confirmed ones never.
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["m2"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    # A long poll returns as soon as an update arrives.
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, server.emulator.user_message, ALICE, "late")
    [late] = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=5)
    assert late.message is not None and late.message.text == "late"
    assert time.monotonic() - started < 2


async def test_long_polling_under_concurrency_loses_and_repeats_nothing(
    server: EmulatorServer, bot: Bot, http: aiohttp.ClientSession
) -> None:
    """10,000 updates from 20 people acting at once (half through the web chat's HTTP API),
    consumed by one long poller confirming with ``offset``: each exactly once, in order."""
    emulator = server.emulator
    people = list(range(2001, 2021))
    for uid in people:
        emulator.add_user(uid, f"P{uid}")
    server.people.extend(Person(uid, f"P{uid}", "resident") for uid in people)
    per_person = 500
    total = len(people) * per_person

    # The in-process people also press a button on a menu the bot sent them.
    button = InlineKeyboardMarkup([[InlineKeyboardButton("按", callback_data="menu")]])
    menus = {uid: await bot.send_message(uid, "菜单", reply_markup=button) for uid in people}

    async def act_in_process(uid: int) -> None:
        for n in range(per_person):
            if n % 3 == 2:
                emulator.user_press(uid, menus[uid].message_id, f"press:{uid}:{n}")
            else:
                emulator.user_message(uid, f"{uid}:{n}")
            await asyncio.sleep(0)

    async def act_over_http(uid: int) -> None:
        for n in range(per_person):
            body = {"user_id": uid, "text": f"{uid}:{n}"}
            async with http.post(f"{server.url}/api/send", json=body) as response:
                assert response.status == 200

    received: list[int] = []
    by_person: dict[int, list[str]] = {uid: [] for uid in people}
    producing = True
    while_producing = 0  # updates the poller consumed while people were still acting

    async def poll() -> None:
        offset = 0
        while len(received) < total:
            updates = await bot.get_updates(offset=offset, timeout=2, limit=100)
            nonlocal while_producing
            while_producing += len(updates) if producing else 0
            for update in updates:
                received.append(update.update_id)
                if update.callback_query is not None:
                    uid, text = update.callback_query.from_user.id, update.callback_query.data
                else:
                    assert update.message is not None and update.message.from_user is not None
                    uid, text = update.message.from_user.id, update.message.text
                by_person[uid].append(str(text))
            if updates:
                offset = updates[-1].update_id + 1

    async def act() -> None:
        nonlocal producing
        await asyncio.gather(
            *(act_in_process(uid) for uid in people[::2]),
            *(act_over_http(uid) for uid in people[1::2]),
        )
        producing = False

    started = time.monotonic()
    async with asyncio.timeout(15):
        await asyncio.gather(poll(), act())
    elapsed = time.monotonic() - started

    assert len(received) == total
    assert while_producing > total // 2  # consumed concurrently, not after the fact
    assert received == sorted(received) and len(set(received)) == total  # none twice
    assert received == list(range(received[0], received[0] + total))  # none lost
    for uid in people[::2]:
        expected = [f"press:{uid}:{n}" if n % 3 == 2 else f"{uid}:{n}" for n in range(per_person)]
        assert by_person[uid] == expected
    for uid in people[1::2]:
        assert by_person[uid] == [f"{uid}:{n}" for n in range(per_person)]
    assert await bot.get_updates(offset=received[-1] + 1) == ()
    assert elapsed < 15


async def test_webhook_posts_updates_with_the_secret_token(
    server: EmulatorServer, bot: Bot
) -> None:
    received: list[dict[str, Any]] = []
    secrets: Counter[str | None] = Counter()
    failures = {"left": 0}
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        secrets[request.headers.get("X-Telegram-Bot-Api-Secret-Token")] += 1
        if failures["left"] > 0:  # a hiccup of the bot's server: Telegram retries
            failures["left"] -= 1
            return web.Response(status=500)
        received.append(await request.json())
        arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        url = f"http://{host}:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()

        for n in range(5):
            server.emulator.user_message(ALICE, f"hook {n}")
        async with asyncio.timeout(5):
            while len(received) < 5:
                arrived.clear()
                await arrived.wait()
        texts = sorted(update["message"]["text"] for update in received)
        assert texts == [f"hook {n}" for n in range(5)]
        assert secrets == {"s3cret-Token_1": 5}

        # A failed delivery is retried: the update arrives once.
        failures["left"] = 1
        server.emulator.user_message(ALICE, "after a hiccup")
        async with asyncio.timeout(5):
            while len(received) < 6:
                arrived.clear()
                await arrived.wait()
        assert received[-1]["message"]["text"] == "after a hiccup"
        assert secrets == {"s3cret-Token_1": 7}

        # Without the webhook, long polling works again.
        assert await bot.delete_webhook()
        server.emulator.user_message(ALICE, "polled")
        [update] = await bot.get_updates(timeout=1)
        assert update.message is not None and update.message.text == "polled"
    finally:
        await runner.cleanup()


async def test_flood_limits_answer_429_with_retry_after(
    server: EmulatorServer, bot: Bot, clock: Monotonic, http: aiohttp.ClientSession
) -> None:
    emulator = server.emulator
    emulator.flood = FloodLimits()  # Telegram's: 30 a second overall, 1 a second per chat
    chats = list(range(3001, 3032))
    for uid in chats:
        emulator.add_user(uid, f"C{uid}")

    # One chat: a second message within the second is refused, then accepted after it.
    await bot.send_message(chats[0], "one")
    clock.now += 0.5
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(chats[0], "two")
    assert refused.value.retry_after == timedelta(seconds=1)
    clock.now += 0.5
    await bot.send_message(chats[0], "two")

    # Overall: 30 messages to 30 chats in the same second pass, the 31st is refused.
    clock.now += 10
    for uid in chats[:30]:
        await bot.send_message(uid, "burst")
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[30], "burst")
    # On the wire: HTTP 429 and parameters.retry_after, as Telegram answers.
    body = {"chat_id": chats[30], "text": "burst"}
    async with http.post(f"{server.url}/bot{TOKEN}/sendMessage", json=body) as response:
        assert response.status == 429
        assert await response.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
    clock.now += 1.0
    await bot.send_message(chats[30], "burst")
    assert emulator.throttled == 3
    assert [m.text for m in emulator.bot_messages(chats[0])] == ["one", "two", "burst"]
    # Calls that send nothing are never limited.
    await bot.get_me()


async def test_event_stream_and_a_prompt_stop(
    server: EmulatorServer, bot: Bot, http: aiohttp.ClientSession
) -> None:
    """The web chat's live events; stopping does not wait for open streams or long polls."""
    async with http.get(f"{server.url}/api/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert await stream.content.readline() == b": connected\n"
        await stream.content.readline()
        sent = await bot.send_message(ALICE, "<b>hi</b>", parse_mode="HTML")
        assert await stream.content.readline() == b"event: message\n"
        data = json.loads((await stream.content.readline()).removeprefix(b"data: "))
        assert (data["kind"], data["message_id"], data["html"]) == (
            "message",
            sent.message_id,
            "<b>hi</b>",
        )

        # A long poll is pending and the page is still open: stopping takes about a second.
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        while server.polls == 0:  # noqa: ASYNC110 (the server has no event for "a poll arrived")
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < 3
        assert await stream.content.read() == b"\n"  # the stream ended
    with pytest.raises(NetworkError):
        await poll  # the server closed the pending long poll
