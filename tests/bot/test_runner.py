"""The update runner of ``gridbot run``: long polling that confirms an update to Telegram only
once it is applied, each update applied at most once (also by the process taking over), and
the webhook server that answers 503 while standing by."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from auxil import stores
from auxil.harness import EXAMPLE_ORG
from telegram import Update

from bot.app import OFFLINE_TOKEN, GridApplication, build_application, services_of
from bot.clock import SystemClock
from bot.config import load_config
from bot.emulator.core import Emulator
from bot.emulator.http import EmulatorServer
from bot.runner import Poller, UpdateApplier, WebhookServer
from bot.services.orgimport import OrgImporter

ALICE, BOB, CAROL = 501, 502, 503


class Served:
    def __init__(self, server: EmulatorServer, app: GridApplication) -> None:
        self.server = server
        self.app = app
        self.emulator = server.emulator
        self.db = services_of(app).db

    def applier(self) -> UpdateApplier:
        """An applier as a (new) active process has one."""
        return UpdateApplier(self.app, self.db, SystemClock())

    def replies(self, user: int) -> int:
        return len(self.emulator.bot_messages(user))

    async def applied(self) -> set[int]:
        async with self.db.read() as tx:
            return {int(r[0]) for r in await tx.fetchall("SELECT update_id FROM applied_updates")}


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    emulator = Emulator()
    for user in (ALICE, BOB, CAROL):
        emulator.add_user(user, str(user))
    server = EmulatorServer(emulator, port=0)
    await server.start()
    config = load_config(
        None,
        bot={"base_url": f"{server.url}/bot", "base_file_url": f"{server.url}/file/bot"},
        storage={"url": await stores.fresh_store(tmp_path)},
    )
    app = build_application(config, token=OFFLINE_TOKEN)
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    await OrgImporter(services_of(app).db, SystemClock()).import_file(EXAMPLE_ORG)
    await app.start()
    try:
        yield Served(server, app)
    finally:
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
        await server.stop()


async def until(check: Any, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - the emulator's state has no event to wait on
            await asyncio.sleep(0.01)


async def test_an_update_is_confirmed_only_once_it_is_applied(served: Served) -> None:
    applier = served.applier()
    gate = asyncio.Event()
    apply = applier.apply

    async def slow_for_bob(update: Update) -> None:
        if update.effective_user is not None and update.effective_user.id == BOB:
            await gate.wait()
        await apply(update)

    applier.apply = slow_for_bob  # type: ignore[method-assign]
    poller = Poller(served.app.bot, applier, long_poll=1)
    polling = asyncio.create_task(poller.run())
    try:
        first = served.emulator.user_message(ALICE, "/start")
        second = served.emulator.user_message(BOB, "/start")
        third = served.emulator.user_message(CAROL, "/start")
        await until(lambda: served.replies(ALICE) and served.replies(CAROL))
        await asyncio.sleep(0.3)  # several more getUpdates calls meanwhile
        # Alice's is confirmed; Bob's is not applied yet, so neither it nor Carol's (after
        # it) may be confirmed: a process taking over now would be offered both again.
        assert len(served.server.updates) == 2
        assert poller.offset == second["update_id"]
        assert await served.applied() == {first["update_id"], third["update_id"]}
        assert served.replies(BOB) == 0

        gate.set()
        await until(lambda: served.replies(BOB) and len(served.server.updates) == 0)
        assert await served.applied() == {u["update_id"] for u in (first, second, third)}
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling

    # The process that takes over is offered Bob's update again: it is not applied twice.
    served.server.updates.push(second)
    standby = served.applier()
    poller = Poller(served.app.bot, standby, long_poll=1)
    polling = asyncio.create_task(poller.run())
    try:
        await until(lambda: len(served.server.updates) == 0 and poller.offset is not None)
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
    assert standby.skipped == 1 and standby.applied == 0
    assert served.replies(BOB) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_standby_answers_503_and_the_active_applies_once(served: Served) -> None:
    port = free_port()
    hook = WebhookServer("127.0.0.1", port, "tg/hook", "s3cret")
    await hook.start()
    base = f"http://127.0.0.1:{port}"
    body = json.dumps(served.emulator.user_message(ALICE, "/start"))
    secret = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    try:
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{base}/healthz")
            assert (health.status_code, health.json()) == (503, {"role": "standby"})
            standing_by = await client.post(f"{base}/tg/hook", content=body, headers=secret)
            assert standing_by.status_code == 503  # Telegram retries later
            assert served.replies(ALICE) == 0

            hook.applier = served.applier()  # this process became the active one
            health = await client.get(f"{base}/healthz")
            assert (health.status_code, health.json()) == (200, {"role": "active"})
            wrong = {**secret, "X-Telegram-Bot-Api-Secret-Token": "no"}
            refused = await client.post(f"{base}/tg/hook", content=body, headers=wrong)
            assert refused.status_code == 403
            # 200 only once applied: the reply went out before the answer.
            accepted = await client.post(f"{base}/tg/hook", content=body, headers=secret)
            assert accepted.status_code == 200 and served.replies(ALICE) == 1
            again = await client.post(f"{base}/tg/hook", content=body, headers=secret)
            assert again.status_code == 200
        assert served.replies(ALICE) == 1  # the retried delivery changed nothing
        assert hook.applier.applied == 1 and hook.applier.skipped == 1
    finally:
        await hook.stop()
