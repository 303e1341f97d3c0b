"""The outbox: everything the bot says on its own initiative, durable and paced.

Services queue messages with :class:`Notifier` inside the same transaction as the state change
that causes them; :class:`OutboxSender`, one task started with the Application, delivers them:

* at most ``rate_per_second`` calls overall and one call per chat per
  ``per_chat_interval_seconds``, messages of one chat strictly in order;
* a ``RetryAfter`` pauses all sending for ``retry_after``;
* a call that certainly did not leave (no connection) is retried with exponential backoff, up
  to ``max_attempts``; a call whose outcome is unknown (it timed out: Telegram may have
  delivered it) is sent again at most ``unknown_retries`` times, then the row is marked
  ``unknown``;
* ``Forbidden`` (the person blocked the bot) marks the row, and every other queued row for that
  chat, undeliverable and the person unreachable;
* ``BadRequest`` is recorded with its reason ("message is not modified" counts as sent).

A row is marked sent only after Telegram accepted it. A row that was in flight when the process
died counts as an unknown outcome too: sent again after the restart while it has retries left,
marked ``unknown`` otherwise. So a message is never lost silently (it ends sent, or counted as
failed, undeliverable or unknown) and arrives at most ``1 + unknown_retries`` times.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.clock import Clock, Pacer
from bot.messages import OutMessage
from bot.redact import redact
from bot.request import NotSent

if TYPE_CHECKING:
    from bot.config import OutboxSection
    from bot.models import OutboxRow
    from storage.db import Database, Tx

__all__ = ["Notifier", "OutboxSender", "ptb_markup"]

LOG = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
HTML = "HTML"


class Notifier:
    """Queues outgoing messages in the caller's transaction; wakes the sender on commit."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._wake: Callable[[], None] = lambda: None

    def bind(self, wake: Callable[[], None]) -> None:
        """Tell the notifier how to wake the sender (called when the sender starts)."""
        self._wake = wake

    async def _queue(
        self,
        tx: Tx,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        *,
        dedup_key: str | None = None,
        ref_id: int | None = None,
        batch: str | None = None,
    ) -> int | None:
        row_id = await tx.outbox.enqueue(
            chat_id=chat_id,
            method=method,
            payload=payload,
            now=self.clock.now(),
            dedup_key=dedup_key,
            ref_id=ref_id,
            batch=batch,
        )
        tx.after_commit(self._wake)
        return row_id

    async def send(
        self,
        tx: Tx,
        chat_id: int,
        message: OutMessage,
        *,
        dedup_key: str | None = None,
        batch: str | None = None,
        silent: bool = False,
    ) -> int | None:
        """Queue ``message`` for ``chat_id``; return the id of the row that carries its text.

        ``silent`` delivers without a notification sound (quiet hours). A message with a
        ``location`` is followed by the pin, and its ``venues`` by theirs.

        Returns None when ``dedup_key`` was queued before.
        """
        row_id = await self._send_main(tx, chat_id, message, dedup_key, batch, silent)
        if message.location is not None and row_id is not None:
            latitude, longitude = message.location
            await self._queue(
                tx,
                chat_id,
                "sendLocation",
                {"latitude": latitude, "longitude": longitude},
                batch=batch,
            )
        if row_id is not None:
            for venue in message.venues:
                await self._queue(tx, chat_id, "sendVenue", venue.to_api(), batch=batch)
        return row_id

    async def _send_main(
        self,
        tx: Tx,
        chat_id: int,
        message: OutMessage,
        dedup_key: str | None,
        batch: str | None,
        silent: bool,
    ) -> int | None:
        """The text (or the photo carrying it), after the photos of an album."""
        markup = message.reply_markup()
        photos = list(message.photos)
        extra: dict[str, Any] = {"disable_notification": True} if silent else {}
        if len(photos) == 1 and len(message.text) <= CAPTION_LIMIT:
            payload: dict[str, Any] = {
                "photo": photos[0],
                "caption": message.text,
                "parse_mode": HTML,
                **extra,
            }
            if markup:
                payload["reply_markup"] = markup
            return await self._queue(
                tx, chat_id, "sendPhoto", payload, dedup_key=dedup_key, batch=batch
            )
        if photos:
            # Photos first (an album needs 2 to 10), then the text with its buttons.
            if len(photos) == 1:
                first: tuple[str, dict[str, Any]] = ("sendPhoto", {"photo": photos[0]})
            else:
                first = (
                    "sendMediaGroup",
                    {"media": [{"type": "photo", "media": p} for p in photos[:10]]},
                )
            await self._queue(
                tx,
                chat_id,
                first[0],
                first[1],
                dedup_key=None if dedup_key is None else f"{dedup_key}#photos",
                batch=batch,
            )
        payload = {"text": message.text, "parse_mode": HTML, **extra}
        if markup:
            payload["reply_markup"] = markup
        return await self._queue(
            tx, chat_id, "sendMessage", payload, dedup_key=dedup_key, batch=batch
        )

    async def send_document(
        self,
        tx: Tx,
        chat_id: int,
        file_id: str,
        *,
        caption: str | None = None,
        batch: str | None = None,
    ) -> int | None:
        """Queue a document (a file someone sent the bot, by its Telegram file id)."""
        payload: dict[str, Any] = {"document": file_id}
        if caption:
            payload |= {"caption": caption[:CAPTION_LIMIT], "parse_mode": HTML}
        return await self._queue(tx, chat_id, "sendDocument", payload, batch=batch)

    async def edit(
        self, tx: Tx, ref_id: int, message: OutMessage, *, dedup_key: str | None = None
    ) -> int | None:
        """Queue an edit of the message queued as row ``ref_id`` (text and buttons)."""
        ref = await tx.outbox.get(ref_id)
        if ref is None:
            raise LookupError(f"outbox row {ref_id} does not exist")
        method = "editMessageCaption" if ref.method == "sendPhoto" else "editMessageText"
        key = "caption" if method == "editMessageCaption" else "text"
        payload: dict[str, Any] = {
            key: message.text,
            "parse_mode": HTML,
            "reply_markup": message.inline_markup(),
        }
        return await self._queue(
            tx, ref.chat_id, method, payload, dedup_key=dedup_key, ref_id=ref_id
        )

    async def set_commands(
        self,
        tx: Tx,
        chat_id: int,
        commands: list[tuple[str, str]],
        *,
        dedup_key: str | None = None,
    ) -> int | None:
        """Queue the command menu for one chat."""
        payload = {
            "commands": [{"command": c, "description": d} for c, d in commands],
            "scope": {"type": "chat", "chat_id": chat_id},
        }
        return await self._queue(tx, chat_id, "setMyCommands", payload, dedup_key=dedup_key)


def ptb_markup(data: dict[str, Any] | None, bot: Bot | None = None) -> Any:
    """Turn Bot API reply-markup JSON into python-telegram-bot objects."""
    if not data:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return None


def _message_id(result: Any) -> int | None:
    if isinstance(result, Message):
        return result.message_id
    if isinstance(result, tuple | list) and result and isinstance(result[0], Message):
        return result[0].message_id
    return None


def _describe(exc: Exception) -> str:
    """What a row records about a failed call (no secret: an error may quote a URL)."""
    return redact(f"{type(exc).__name__}: {exc}")


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Outcome(Exception):
    """Internal: the row ends without an API call (its original message is gone)."""


class OutboxSender:
    """Delivers queued rows; one instance per process."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock,
        pacer: Pacer,
        settings: OutboxSection,
    ) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.pacer = pacer
        self.settings = settings
        self._queues: dict[int, deque[int]] = {}
        self._heap: list[tuple[float, int, int]] = []  # (ready at, seq, chat)
        self._scheduled: set[int] = set()
        self._ready_at: dict[int, float] = {}
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq = itertools.count()
        self._last_loaded = 0
        self._paused_until = 0.0
        self._next_slot = 0.0
        self._gate = asyncio.Lock()
        self._wake_event = asyncio.Event()
        self._idle = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self.sent = 0
        scale = settings.time_scale
        self._rate = settings.rate_per_second * scale
        self._per_chat = settings.per_chat_interval_seconds / scale

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Re-queue rows interrupted by a crash, load the queue and start delivering."""
        if self._runner is not None:
            return
        async with self.db.transaction() as tx:
            requeued, unknown = await tx.outbox.recover_inflight(
                self.clock.now(), self.settings.unknown_retries
            )
        if requeued or unknown:
            LOG.warning(
                "outbox recovery: of the rows in flight at the crash, %d re-queued, %d unknown",
                requeued,
                unknown,
            )
        self._wake_event.set()
        self._runner = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop taking new rows; let the calls in flight finish."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        """New rows were committed: look for them."""
        self._idle.clear()
        self._wake_event.set()

    async def wait_idle(self) -> None:
        """Wait until every committed row has been delivered or has failed for good."""
        self.wake()
        await self._idle.wait()

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    # -- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        semaphore = asyncio.Semaphore(self.settings.max_in_flight)
        while True:
            if self._wake_event.is_set():
                self._wake_event.clear()
                await self._load_new()
            now = self.pacer.monotonic()
            if now < self._paused_until:
                await self.pacer.sleep(self._paused_until - now)
                continue
            chat = self._pop_ready(now)
            if chat is None:
                if not self._scheduled and not self._in_flight and not self._wake_event.is_set():
                    self._idle.set()
                timeout = self._heap[0][0] - now if self._heap else None
                await self.pacer.wait(self._wake_event, timeout)
                continue
            await semaphore.acquire()
            row_id = self._queues[chat].popleft()
            self._in_flight.add(chat)
            task = asyncio.create_task(self._deliver(row_id, chat, now, semaphore))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _load_new(self) -> None:
        while True:
            async with self.db.read() as tx:
                refs = await tx.outbox.queued_after(self._last_loaded)
            for ref in refs:
                self._queues.setdefault(ref.chat_id, deque()).append(ref.id)
                self._last_loaded = max(self._last_loaded, ref.id)
                if ref.chat_id not in self._in_flight:
                    self._schedule(ref.chat_id, self._ready_at.get(ref.chat_id, 0.0))
            if len(refs) < 5000:
                return

    def _schedule(self, chat: int, ready_at: float) -> None:
        if chat in self._scheduled or not self._queues.get(chat):
            return
        self._scheduled.add(chat)
        heapq.heappush(self._heap, (ready_at, next(self._seq), chat))

    def _pop_ready(self, now: float) -> int | None:
        if self._heap and self._heap[0][0] <= now:
            _, _, chat = heapq.heappop(self._heap)
            self._scheduled.discard(chat)
            return chat
        return None

    async def _deliver(
        self, row_id: int, chat: int, started: float, semaphore: asyncio.Semaphore
    ) -> None:
        requeue = False
        ready_at = started + self._per_chat
        try:
            async with self.db.transaction() as tx:
                row = await tx.outbox.claim(row_id, self.clock.now())
                if row is not None and row.ref_id is not None:
                    row = await self._attach_ref(tx, row)
            if row is None:
                ready_at = started  # nothing was sent to this chat
                return
            called_at = await self._take_slot()
            ready_at = called_at + self._per_chat
            try:
                result = await self._call(row)
            except RetryAfter as exc:
                pause = _seconds(exc.retry_after) / self.settings.time_scale
                self._paused_until = max(self._paused_until, self.pacer.monotonic() + pause)
                LOG.warning("outbox: RetryAfter %.1fs, pausing all sending", pause)
                ready_at = self._paused_until
                requeue = await self._back_to_queue(row, "RetryAfter")
            except Forbidden as exc:
                await self._undeliverable(row, str(exc))
            except BadRequest as exc:
                if "message is not modified" in str(exc).lower():
                    await self._finish(row, None)
                else:
                    LOG.warning("outbox row %d rejected: %s", row.id, exc)
                    await self._final(row, "failed", f"BadRequest: {exc}")
            except NotSent as exc:  # it never left: safe to try again
                if row.attempts >= self.settings.max_attempts:
                    await self._final(row, "failed", _describe(exc))
                else:
                    ready_at = self._backoff(row)
                    requeue = await self._back_to_queue(row, _describe(exc))
            except NetworkError as exc:  # TimedOut and the rest: it may have arrived
                error = _describe(exc)
                if row.uncertain >= self.settings.unknown_retries:
                    LOG.warning(
                        "outbox row %d: outcome unknown, not sent again (%s)", row.id, error
                    )
                    await self._final(row, "unknown", error)
                else:
                    ready_at = self._backoff(row)
                    requeue = await self._uncertain(row, error)
            except TelegramError as exc:
                await self._final(row, "failed", _describe(exc))
            else:
                await self._finish(row, _message_id(result))
        except _Outcome:
            ready_at = started
        except Exception:
            LOG.exception("outbox: delivering row %d failed unexpectedly", row_id)
            with contextlib.suppress(Exception):
                async with self.db.transaction() as tx:
                    await tx.outbox.mark_final(
                        row_id, "failed", "internal error", self.clock.now()
                    )
        finally:
            if requeue:
                self._queues.setdefault(chat, deque()).appendleft(row_id)
            elif chat in self._queues and not self._queues[chat]:
                del self._queues[chat]
            self._ready_at[chat] = ready_at
            self._in_flight.discard(chat)
            self._schedule(chat, ready_at)
            semaphore.release()
            self._wake_event.set()

    async def _take_slot(self) -> float:
        """Wait for this call's turn under the overall rate and any RetryAfter pause.

        Calls pass one at a time, and the next turn counts from when this one really went:
        after a stall (a busy moment of the process) the waiting calls go out spaced again
        instead of all at once, which is what would earn a 429.
        """
        interval = 1.0 / self._rate
        async with self._gate:
            while True:
                now = self.pacer.monotonic()
                slot = max(now, self._next_slot, self._paused_until)
                if slot > now:
                    await self.pacer.sleep(slot - now)
                now = self.pacer.monotonic()
                if now >= self._paused_until:  # no RetryAfter arrived while we waited
                    # A little oversleeping is made up; a stall is not caught up in a burst.
                    self._next_slot = max(slot + interval, now + interval / 2)
                    return now

    async def _attach_ref(self, tx: Tx, row: OutboxRow) -> OutboxRow:
        assert row.ref_id is not None
        ref = await tx.outbox.get(row.ref_id)
        if ref is None or ref.status != "sent" or ref.message_id is None:
            await tx.outbox.mark_final(
                row.id, "cancelled", "original message was not delivered", self.clock.now()
            )
            raise _Outcome
        payload = dict(row.payload, message_id=ref.message_id)
        return row.model_copy(update={"payload": payload})

    def _backoff(self, row: OutboxRow) -> float:
        """When the row's chat may try again: exponential in the attempts, at most a minute."""
        return self.pacer.monotonic() + min(60.0, 0.5 * 2 ** (row.attempts - 1))

    async def _uncertain(self, row: OutboxRow, error: str) -> bool:
        async with self.db.transaction() as tx:
            await tx.outbox.mark_uncertain(row.id, error, self.clock.now())
        return True

    async def _back_to_queue(self, row: OutboxRow, error: str) -> bool:
        async with self.db.transaction() as tx:
            await tx.outbox.mark_pending(row.id, error, self.clock.now())
        return True

    async def _finish(self, row: OutboxRow, message_id: int | None) -> None:
        async with self.db.transaction() as tx:
            await tx.outbox.mark_sent(row.id, message_id, self.clock.now())
        self.sent += 1

    async def _final(self, row: OutboxRow, status: str, error: str) -> None:
        async with self.db.transaction() as tx:
            await tx.outbox.mark_final(row.id, status, error, self.clock.now())

    async def _undeliverable(self, row: OutboxRow, error: str) -> None:
        """The person blocked the bot: this row and the rest of their queue cannot go."""
        dropped = list(self._queues.pop(row.chat_id, ()))
        now = self.clock.now()
        async with self.db.transaction() as tx:
            for row_id in (row.id, *dropped):
                await tx.outbox.mark_final(row_id, "undeliverable", error, now)
            if row.chat_id > 0:
                await tx.people.mark_unreachable(row.chat_id, now)
        LOG.info("outbox: chat %d is unreachable (%s)", row.chat_id, error)

    async def _call(self, row: OutboxRow) -> Any:
        """Make the Bot API call a row describes."""
        p = row.payload
        bot = self.bot
        markup = ptb_markup(p.get("reply_markup"), bot)
        chat_id = row.chat_id
        match row.method:
            case "sendMessage":
                return await bot.send_message(
                    chat_id,
                    p["text"],
                    parse_mode=p.get("parse_mode"),
                    reply_markup=markup,
                    disable_notification=p.get("disable_notification"),
                )
            case "sendPhoto":
                return await bot.send_photo(
                    chat_id,
                    p["photo"],
                    caption=p.get("caption"),
                    parse_mode=p.get("parse_mode"),
                    reply_markup=markup,
                    disable_notification=p.get("disable_notification"),
                )
            case "sendMediaGroup":
                media = [InputMediaPhoto(m["media"]) for m in p["media"]]
                return await bot.send_media_group(chat_id, media)
            case "sendDocument":
                return await bot.send_document(
                    chat_id,
                    p["document"],
                    caption=p.get("caption"),
                    parse_mode=p.get("parse_mode"),
                )
            case "sendLocation":
                return await bot.send_location(chat_id, p["latitude"], p["longitude"])
            case "sendVenue":
                return await bot.send_venue(
                    chat_id, p["latitude"], p["longitude"], p["title"], p["address"]
                )
            case "editMessageText":
                return await bot.edit_message_text(
                    p["text"],
                    chat_id=chat_id,
                    message_id=p["message_id"],
                    parse_mode=p.get("parse_mode"),
                    reply_markup=markup,
                )
            case "editMessageCaption":
                return await bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=p["message_id"],
                    caption=p.get("caption"),
                    parse_mode=p.get("parse_mode"),
                    reply_markup=markup,
                )
            case "editMessageReplyMarkup":
                return await bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=p["message_id"], reply_markup=markup
                )
            case "deleteMessage":
                return await bot.delete_message(chat_id, p["message_id"])
            case "setMyCommands":
                commands = [BotCommand(c["command"], c["description"]) for c in p["commands"]]
                return await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
        raise BadRequest(f"unsupported outbox method {row.method}")
