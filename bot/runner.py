"""``gridbot run``: the active process of a deployment, or its standby.

Several ``gridbot run`` processes may share one store. The one holding the store's leadership
lock (:meth:`storage.db.Database.leadership`: a session-level advisory lock on PostgreSQL, a
file lock beside an SQLite file) is *active*: it receives updates (long polling or a
webhook), runs the sweep and the outbox. The others are *standbys*: they wait for the lock
and, when the active process or its machine dies, one of them takes over within ``[ha]
takeover_seconds``. An active process that loses its hold on the lock (its session to the
store broke) stops at once, before another can have taken over; systemd restarts it as a
standby.

No update is lost or applied twice across a takeover:

* **applied at most once**: the update's id is committed with the first change the update
  makes (:mod:`storage.updates`), and an update whose id is recorded is skipped;
* **never lost**: long polling confirms an update to Telegram (the ``offset`` of the next
  ``getUpdates``) only once that update and every earlier one are finished and committed; a
  webhook answers 200 only then (and 503 on a standby, so that Telegram retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.clock import Clock, SystemClock
from storage.persistence import Owner, StorePersistence
from storage.updates import APPLYING, UpdateMark

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.apibot import GridBot
    from bot.config import Config
    from storage.db import Database

__all__ = ["Poller", "RunOptions", "UpdateApplier", "WebhookServer", "serve"]

LOG = logging.getLogger(__name__)

LONG_POLL_SECONDS = 10
BATCH = 100  # getUpdates' limit: at most this many updates in flight
IDLE_RECHECK = 0.25  # with updates in flight: ask Telegram again at least this often
PRUNE_EVERY = 3600.0
KEEP_APPLIED_HOURS = 48  # Telegram redelivers an unconfirmed update for up to 24 hours
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _owners(update: Update) -> list[Owner]:
    owners: list[Owner] = []
    if update.effective_chat is not None:
        owners.append(("chat", update.effective_chat.id))
    if update.effective_user is not None:
        owners.append(("user", update.effective_user.id))
    return owners


class UpdateApplier:
    """Runs updates through the Application, each in order with the other updates of its chat,
    and returns once everything the update changed (its conversation state included) is
    committed together with its id."""

    def __init__(self, app: Application, db: Database, clock: Clock) -> None:  # type: ignore[type-arg]
        self.app = app
        self.db = db
        self.clock = clock
        self._current: dict[Owner, UpdateMark] = {}
        persistence = app.persistence
        self.persistence = persistence if isinstance(persistence, StorePersistence) else None
        if self.persistence is not None:
            self.persistence.mark_source = self._marks_for
        self.applied = 0
        self.skipped = 0

    def _marks_for(self, owners: set[Owner]) -> list[UpdateMark]:
        return [self._current[owner] for owner in owners if owner in self._current]

    async def already_applied(self, update_ids: list[int]) -> set[int]:
        async with self.db.statement() as tx:
            return await tx.updates.applied(update_ids)

    async def apply(self, update: Update) -> None:
        """Apply ``update``; return when its effects are committed (raise if they could not
        be, so that it is offered again)."""
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        mark = UpdateMark(update.update_id, self.clock.now())
        await self.app.update_processor.process_update(update, self._run(update, mark, finished))
        await finished  # the processor may only have queued it behind its chat's others

    async def _run(self, update: Update, mark: UpdateMark, finished: asyncio.Future[None]) -> None:
        owners = _owners(update)
        token = APPLYING.set(mark)
        for owner in owners:
            self._current[owner] = mark
        try:
            await self.app.process_update(update)  # handler errors go to the error handler
            await self.app.update_persistence()
            if self.persistence is not None:
                await self.persistence.flush()
            if not mark.recorded:  # it changed nothing: record it on its own
                async with self.db.transaction():
                    pass
        except BaseException as exc:
            if not finished.done():
                if isinstance(exc, asyncio.CancelledError):
                    finished.cancel()
                else:
                    finished.set_exception(exc)
            raise
        else:
            self.applied += 1
            if not finished.done():
                finished.set_result(None)
        finally:
            APPLYING.reset(token)
            for owner in owners:
                if self._current.get(owner) is mark:
                    del self._current[owner]

    async def prune(self) -> int:
        """Forget update ids Telegram can no longer send again."""
        from datetime import timedelta

        async with self.db.transaction() as tx:
            return await tx.updates.prune(self.clock.now() - timedelta(hours=KEEP_APPLIED_HOURS))


class Poller:
    """Long polling that confirms an update only after it is applied.

    ``getUpdates`` is always called with the lowest update id not yet finished as its
    ``offset``: Telegram then considers everything below it delivered, and keeps offering the
    rest. Updates already running (or finished out of order) come back in later answers and
    are ignored; while some are running the call returns at once, so the loop asks again when
    one finishes (or every ``IDLE_RECHECK`` seconds) instead of long-polling.
    """

    def __init__(
        self, bot: GridBot, applier: UpdateApplier, *, long_poll: int = LONG_POLL_SECONDS
    ) -> None:
        self.bot = bot
        self.applier = applier
        self.long_poll = long_poll
        self._running: dict[int, asyncio.Task[None]] = {}
        self._failed: set[int] = set()
        self._finished: set[int] = set()
        self._highest: int | None = None
        self._progress = asyncio.Event()

    @property
    def offset(self) -> int | None:
        """What the next ``getUpdates`` confirms everything below."""
        unfinished = [*self._running, *self._failed]
        if unfinished:
            return min(unfinished)
        return None if self._highest is None else self._highest + 1

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def run(self) -> None:
        """Poll until cancelled."""
        delay = 0.0
        while True:
            if delay:
                await asyncio.sleep(delay)
            busy = bool(self._running or self._failed)
            self._progress.clear()
            try:
                updates = await self.bot.get_update_dicts(
                    offset=self.offset,
                    limit=BATCH,
                    long_poll=0 if busy else self.long_poll,
                    allowed_updates=Update.ALL_TYPES,
                )
            except RetryAfter as exc:
                delay = _seconds(exc.retry_after)
                continue
            except TimedOut:
                delay = 0.0
                continue
            except (Conflict, InvalidToken):
                raise  # another poller on this token, or a wrong token: not ours to hide
            except NetworkError as exc:
                LOG.warning("getUpdates failed (%s); trying again", exc)
                delay = min(30.0, max(1.0, delay * 2))
                continue
            delay = 0.0
            new = await self._start(updates)
            if not new and busy:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_RECHECK):
                        await self._progress.wait()
            self._forget_confirmed()

    async def _start(self, updates: list[dict[str, Any]]) -> int:
        fresh = [
            u
            for u in updates
            if u["update_id"] not in self._running and u["update_id"] not in self._finished
        ]
        if not fresh:
            return 0
        done = await self.applier.already_applied([u["update_id"] for u in fresh])
        for data in fresh:
            uid = int(data["update_id"])
            self._highest = uid if self._highest is None else max(self._highest, uid)
            self._failed.discard(uid)
            if uid in done:  # applied before a takeover or a crash, not yet confirmed
                self.applier.skipped += 1
                self._finished.add(uid)
                continue
            update = Update.de_json(data, self.bot)  # only new ones become objects
            task = asyncio.create_task(self.applier.apply(update), name=f"update {uid}")
            self._running[uid] = task
            task.add_done_callback(self._done)
        return len(fresh)

    def _done(self, task: asyncio.Task[None]) -> None:
        uid = next((k for k, v in self._running.items() if v is task), None)
        if uid is None:
            return
        del self._running[uid]
        if task.cancelled():
            self._failed.add(uid)
        elif task.exception() is not None:
            LOG.error(
                "update %d could not be applied; it will be offered again",
                uid,
                exc_info=task.exception(),
            )
            self._failed.add(uid)
        else:
            self._finished.add(uid)
        self._progress.set()

    def _forget_confirmed(self) -> None:
        offset = self.offset
        if offset is not None:
            self._finished = {uid for uid in self._finished if uid >= offset}

    async def drain(self, within: float) -> None:
        """Wait (up to ``within`` seconds) for the running updates to finish."""
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=within)

    async def confirm(self) -> None:
        """Tell Telegram what is finished (a last ``getUpdates`` without waiting)."""
        offset = self.offset
        if offset is None:
            return
        with contextlib.suppress(NetworkError):
            await self.bot.get_updates(offset=offset, limit=1, timeout=0)


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class WebhookServer:
    """The webhook endpoint and ``GET /healthz`` (200 on the active process, 503 on a standby,
    for a load balancer's health check). A standby answers updates with 503, so that Telegram
    retries them; the active one answers 200 once an update's effects are committed."""

    def __init__(self, host: str, port: int, path: str, secret_token: str | None) -> None:
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/")
        self.secret_token = secret_token
        self.applier: UpdateApplier | None = None
        self._runner: web.AppRunner | None = None

    @property
    def active(self) -> bool:
        return self.applier is not None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._health)
        app.router.add_post(self.path, self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        LOG.info("webhook server listening on %s:%d%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        role = "active" if self.active else "standby"
        return web.json_response({"role": role}, status=200 if self.active else 503)

    async def _update(self, request: web.Request) -> web.Response:
        if self.secret_token and request.headers.get(SECRET_HEADER) != self.secret_token:
            return web.Response(status=403)
        applier = self.applier
        if applier is None:
            return web.Response(status=503, text="standby")
        try:
            data = await request.json()
            update = Update.de_json(data, applier.app.bot)
        except ValueError:
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        if update.update_id in await applier.already_applied([update.update_id]):
            applier.skipped += 1
            return web.Response(status=200)
        try:
            await applier.apply(update)
        except Exception:
            LOG.exception("update %d could not be applied; Telegram will retry", update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)


@dataclass
class RunOptions:
    webhook_url: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    url_path: str = ""
    secret_token: str | None = None


AppFactory = Callable[[], "Application[Any, Any, Any, Any, Any, Any]"]


async def _first(*aws: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def serve(
    config: Config,
    options: RunOptions,
    make_app: AppFactory,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Wait to become the active process, then run the bot until ``stop`` (SIGTERM, SIGINT)
    or until the leadership is lost. Returns the exit code."""
    from storage.db import open_database

    clock = clock or SystemClock()
    stopping = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stopping.set)
    takeover = config.ha.takeover_seconds
    leadership = open_database(config.storage.store_url).leadership(takeover)
    server = None
    if options.webhook_url:
        server = WebhookServer(
            options.listen_host, options.listen_port, options.url_path, options.secret_token
        )
        await server.start()
    try:
        LOG.info("standby: waiting to become the active process")
        await _first(leadership.acquire(min(1.0, takeover / 10)), stopping.wait())
        if stopping.is_set():
            return 0
        LOG.info("active: this process now serves the bot")
        return await _serve_active(config, options, make_app, clock, stopping, leadership, server)
    finally:
        await leadership.release()
        if server is not None:
            await server.stop()


async def _serve_active(
    config: Config,
    options: RunOptions,
    make_app: AppFactory,
    clock: Clock,
    stopping: asyncio.Event,
    leadership: Any,
    server: WebhookServer | None,
) -> int:
    from bot.app import services_of

    app = make_app()
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    applier = UpdateApplier(app, services_of(app).db, clock)
    await app.start()
    lost = asyncio.Event()
    failed = False
    poller: Poller | None = None
    work: asyncio.Task[None] | None = None
    watchdog = asyncio.create_task(_watch(leadership, config.ha.takeover_seconds, lost))
    try:
        if server is not None:
            await app.bot.set_webhook(
                url=options.webhook_url or "",
                secret_token=options.secret_token,
                allowed_updates=Update.ALL_TYPES,
            )
            server.applier = applier
            work = asyncio.create_task(_prune_forever(applier))
        else:
            await app.bot.delete_webhook(drop_pending_updates=False)
            poller = Poller(app.bot, applier)  # type: ignore[arg-type]
            work = asyncio.create_task(_poll_and_prune(poller, applier))
        await _first(stopping.wait(), lost.wait(), asyncio.shield(work))
        if work.done() and not work.cancelled() and work.exception() is not None:
            LOG.error("the update loop stopped", exc_info=work.exception())
            failed = True
    finally:
        watchdog.cancel()
        if server is not None:
            server.applier = None  # from now on: 503, Telegram retries with the next active
        if work is not None and not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
        if lost.is_set():
            LOG.critical("active: lost the leadership lock; stopping before a standby acts")
        elif poller is not None:
            await poller.drain(10.0)
            await poller.confirm()
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    return 1 if lost.is_set() or failed else 0


async def _watch(leadership: Any, takeover: float, lost: asyncio.Event) -> None:
    """Check the leadership every second; a check must answer within a third of the takeover
    time, so the active process stops well before the store hands the lock to a standby."""
    while True:
        await asyncio.sleep(1.0)
        if not await leadership.check(within=max(1.0, takeover / 3)):
            lost.set()
            return


async def _poll_and_prune(poller: Poller, applier: UpdateApplier) -> None:
    pruning = asyncio.create_task(_prune_forever(applier))
    try:
        await poller.run()
    finally:
        pruning.cancel()


async def _prune_forever(applier: UpdateApplier) -> None:
    while True:
        try:
            pruned = await applier.prune()
            if pruned:
                LOG.info("pruned %d applied update ids", pruned)
        except Exception:
            LOG.exception("pruning applied update ids failed")
        await asyncio.sleep(PRUNE_EVERY)
