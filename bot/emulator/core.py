"""An in-memory Telegram: the Bot API methods Gridbot uses, with chats, users and faults.

This is the one emulator core. Transports put it on the wire: :mod:`bot.emulator.inprocess`
plugs it into python-telegram-bot as a ``BaseRequest`` for tests; the sandbox serves it over
HTTP. The core never sleeps and never touches the network; time comes from injected sources.

People act through :meth:`Emulator.user_message`, :meth:`Emulator.user_press` and friends,
which build Telegram ``Update`` dicts and hand them to the update sink (the test harness, or the
``getUpdates`` queue of the HTTP transport).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.emulator.htmltext import HtmlEntityError, to_plain

__all__ = [
    "ApiError",
    "CallRecord",
    "EmulatedTimeout",
    "Emulator",
    "Fault",
    "FloodLimits",
    "StoredMessage",
    "UpdateQueue",
]

LOG = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


class ApiError(Exception):
    """A Bot API error answer (``ok: false``)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class EmulatedTimeout(Exception):
    """The request 'timed out': the transport turns this into a network timeout."""


class EmulatedRefusal(Exception):
    """No connection could be made: the transport says the call was not sent."""


@dataclass
class Fault:
    """An injected failure: the next ``times`` matching calls fail with it."""

    method: str | None = None  # None matches every method
    chat_id: int | None = None
    times: int = 1
    code: int = 429
    description: str = "Too Many Requests: retry after 1"
    retry_after: int | None = 1
    timeout: bool = False
    deliver: bool = False  # for timeouts: perform the call, then lose the answer
    refused: bool = False  # the connection is refused: the call never arrives

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or _int_or_none(params.get("chat_id")) == self.chat_id


@dataclass
class CallRecord:
    """One Bot API call the bot made, with when it arrived and how it ended."""

    method: str
    params: dict[str, Any]
    at: float  # pacer (monotonic) time
    ok: bool
    error_code: int | None = None
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        return _int_or_none(self.params.get("chat_id"))


@dataclass
class StoredMessage:
    """A message in a chat, as the emulator keeps it."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    text: str | None = None  # plain text as shown to the reader
    html: str | None = None  # the bot's HTML source, when it used parse_mode HTML
    reply_markup: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    location: dict[str, float] | None = None
    venue: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    sticker: dict[str, Any] | None = None
    voice: dict[str, Any] | None = None
    media_group_id: str | None = None
    callback_data: str | None = None  # for a user's button press, what was pressed
    edited: int = 0
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def keyboard_buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    def to_web(self) -> dict[str, Any]:
        """The message as the sandbox's web chat shows it."""
        markup = self.reply_markup or {}
        reply_keyboard = None
        if "keyboard" in markup or markup.get("remove_keyboard"):
            reply_keyboard = {
                "keyboard": [
                    [b if isinstance(b, dict) else {"text": b} for b in row]
                    for row in markup.get("keyboard", [])
                ],
                "remove": bool(markup.get("remove_keyboard")),
            }
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "date": self.date,
            "text": self.text,
            "html": self.html,
            "photo": self.photo[-1]["file_id"] if self.photo else None,
            "document": (
                {"file_id": self.document["file_id"], "file_name": self.document.get("file_name")}
                if self.document
                else None
            ),
            "location": self.location,
            "venue": (
                {"title": self.venue.get("title"), "address": self.venue.get("address")}
                if self.venue
                else None
            ),
            "contact": self.contact,
            "sticker": self.sticker is not None,
            "voice": self.voice is not None,
            "inline_keyboard": markup.get("inline_keyboard"),
            "reply_keyboard": reply_keyboard,
            "edited": self.edited,
            "deleted": self.deleted,
        }

    def to_api(self, emulator: Emulator) -> dict[str, Any]:
        sender = emulator.bot_user if self.from_bot else emulator.user_dict(self.chat_id)
        msg: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": emulator.chat_dict(self.chat_id),
            "from": sender,
        }
        if self.edited:
            msg["edit_date"] = self.date
        if self.text is not None and not (self.photo or self.document):
            msg["text"] = self.text
        elif self.text is not None:
            msg["caption"] = self.text
        for name in ("photo", "document", "location", "venue", "contact", "sticker", "voice"):
            value = getattr(self, name)
            if value is not None:
                msg[name] = value
        if self.media_group_id:
            msg["media_group_id"] = self.media_group_id
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            msg["reply_markup"] = self.reply_markup
        return msg


@dataclass
class _User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False  # blocked the bot: sends answer 403


# Bot API fields that arrive JSON-encoded in form posts, and those that are integers.
_JSON_FIELDS = {
    "reply_markup",
    "scope",
    "commands",
    "media",
    "link_preview_options",
    "reply_parameters",
    "entities",
    "caption_entities",
    "allowed_updates",
    "menu_button",
}
_INT_FIELDS = {"message_id", "offset", "limit", "timeout", "cache_time", "max_connections"}
_BOOL_FIELDS = {
    "show_alert",
    "disable_notification",
    "protect_content",
    "drop_pending_updates",
    "disable_web_page_preview",
    "allow_sending_without_reply",
}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def normalize_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode form-encoded Bot API parameters into the JSON types the methods expect."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str | bytes) and key in _JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
        elif isinstance(value, str) and key in _INT_FIELDS | {"chat_id"}:
            parsed = _int_or_none(value)
            value = parsed if parsed is not None else value
        elif isinstance(value, str) and key in _BOOL_FIELDS:
            value = value.lower() in ("true", "1")
        out[key] = value
    return out


UpdateSink = Callable[[dict[str, Any]], None]
Listener = Callable[[str, dict[str, Any]], None]  # (event, JSON-ready data)


@dataclass
class FloodLimits:
    """Telegram's flood limits, optionally sped up by ``scale`` (time runs ``scale`` times
    faster: 10 allows 300 messages a second and reports retry_after in scaled seconds)."""

    per_second: int = 30
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    scale: float = 1.0


_LIMITED = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "sendLocation",
    "sendVenue",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
}


class UpdateQueue:
    """``getUpdates`` semantics: updates wait until a later call confirms them with
    ``offset``; a confirmed update is never delivered again, an unconfirmed one is never lost.
    """

    def __init__(self) -> None:
        self._pending: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Event()

    def push(self, update: dict[str, Any]) -> None:
        self._pending.append(update)
        self._arrived.set()

    def __len__(self) -> int:
        return len(self._pending)

    async def get(self, offset: int, limit: int, wait: float) -> list[dict[str, Any]]:
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()
        if not self._pending and wait > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), wait)
            except TimeoutError:
                return []
        return list(itertools.islice(self._pending, 0, max(1, min(limit, 100))))

    def clear(self) -> None:
        self._pending.clear()


class Emulator:
    """The state of a small Telegram: one bot, its private chats and their messages."""

    def __init__(
        self,
        *,
        bot_id: int = 700000001,
        bot_username: str = "GridbotDemoBot",
        bot_name: str = "Gridbot",
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._clock = clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic or time.monotonic
        self.users: dict[int, _User] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self.calls: list[CallRecord] = []
        self.faults: list[Fault] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}  # file_id -> (content, file_name)
        self._file_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_groups = itertools.count(1)
        self.open_callbacks: dict[str, tuple[int, int]] = {}  # query id -> (chat, message)
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.update_sink: UpdateSink | None = None
        self.listeners: list[Listener] = []
        self._methods = {
            name[3:].lower(): getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }
        self.flood: FloodLimits | None = None
        self.throttled = 0
        self._sent_times: deque[float] = deque()
        self._last_to_chat: dict[int, float] = {}
        self.webhook: dict[str, Any] | None = None
        self.lock = asyncio.Lock()

    # -- people ---------------------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> None:
        self.users[user_id] = _User(user_id, first_name, last_name, username, language_code)
        self.messages.setdefault(user_id, {})
        self._next_message_id.setdefault(user_id, 1)

    def reset_chats(self) -> None:
        """Forget every message, menu and file; keep the people (the sandbox's reset)."""
        for user_id in self.users:
            self.messages[user_id] = {}
            self._next_message_id[user_id] = 1
        self.commands.clear()
        self.files.clear()
        self.open_callbacks.clear()
        self.answered_callbacks.clear()
        self.calls.clear()

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: the bot's sends to them answer 403."""
        self.users[user_id].blocked = blocked

    def user_dict(self, user_id: int) -> dict[str, Any]:
        user = self.users[user_id]
        data: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
        if user.last_name:
            data["last_name"] = user.last_name
        if user.username:
            data["username"] = user.username
        if user.language_code:
            data["language_code"] = user.language_code
        return data

    def chat_dict(self, chat_id: int) -> dict[str, Any]:
        user = self.users.get(chat_id)
        data: dict[str, Any] = {"id": chat_id, "type": "private"}
        if user is not None:
            data["first_name"] = user.first_name
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
        return data

    # -- the bot's side: the Bot API ------------------------------------------------------
    async def call(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        """Answer one Bot API call with the JSON body Telegram would send.

        Raises :class:`EmulatedTimeout` for an injected timeout.
        """
        at = self._monotonic()
        flood = self._flood_check(method, params, at)
        if flood is not None:
            self.calls.append(CallRecord(method, params, at, ok=False, error_code=429))
            return flood.to_json()
        fault = next((f for f in self.faults if f.matches(method, params)), None)
        if fault is not None:
            fault.times -= 1
            if fault.refused:  # recorded as tried, though Telegram never saw it
                self.calls.append(CallRecord(method, params, at, ok=False, error_code=None))
                raise EmulatedRefusal(method)
            if fault.timeout:
                if fault.deliver:
                    await self._perform(method, params, files or {}, at)
                self.calls.append(CallRecord(method, params, at, ok=False, error_code=None))
                raise EmulatedTimeout(method)
            err = ApiError(fault.code, fault.description, fault.retry_after)
            self.calls.append(CallRecord(method, params, at, ok=False, error_code=err.code))
            return err.to_json()
        return await self._perform(method, params, files or {}, at)

    async def _perform(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]], at: float
    ) -> dict[str, Any]:
        # Bot API method names are case-insensitive.
        handler = self._methods.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            async with self.lock:
                result = handler(params, files)
        except ApiError as err:
            self.calls.append(CallRecord(method, params, at, ok=False, error_code=err.code))
            return err.to_json()
        self.calls.append(CallRecord(method, params, at, ok=True, result=result))
        return {"ok": True, "result": result}

    def download(self, file_path: str) -> bytes | None:
        """The content behind a ``getFile`` path, or None."""
        for file_id, (content, _name) in self.files.items():
            if self._file_path(file_id) == file_path:
                return content
        return None

    # Helpers shared by the methods.
    def _now(self) -> int:
        return int(self._clock().timestamp())

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id not in self.users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if self.users[chat_id].blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _text(
        self, params: dict[str, Any], key: str = "text", limit: int = MAX_TEXT
    ) -> tuple[str | None, str | None]:
        raw = params.get(key)
        if raw is None:
            return None, None
        raw = str(raw)
        if params.get("parse_mode") == "HTML":
            try:
                plain = to_plain(raw)
            except HtmlEntityError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
            html_src: str | None = raw
        else:
            plain, html_src = raw, None
        if key == "text" and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > limit:
            raise ApiError(400, f"Bad Request: {'message' if key == 'text' else key} is too long")
        return plain, html_src

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if data is None and "url" not in button:
                    raise ApiError(400, 'Bad Request: can\'t find field "callback_data"')
        return markup

    def _new_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> StoredMessage:
        message_id = self._next_message_id.setdefault(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        msg = StoredMessage(
            chat_id=chat_id, message_id=message_id, from_bot=from_bot, date=self._now(), **fields
        )
        self.messages.setdefault(chat_id, {})[message_id] = msg
        return msg

    def _bot_message(self, params: dict[str, Any]) -> StoredMessage:
        chat_id = self._chat(params)
        message_id = _int_or_none(params.get("message_id"))
        msg = self.messages.get(chat_id, {}).get(message_id or -1)
        if msg is None or msg.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _notify(self, event: str, msg: StoredMessage) -> None:
        data = msg.to_web()
        data["kind"] = event
        self.publish("message", data)

    def publish(self, event: str, data: dict[str, Any]) -> None:
        """Tell the listeners (the sandbox's live web page) about a change."""
        for listener in list(self.listeners):
            listener(event, data)

    def _flood_check(self, method: str, params: dict[str, Any], at: float) -> ApiError | None:
        """With flood limits on: a 429 when this call would exceed them."""
        limits = self.flood
        if limits is None or method not in _LIMITED:
            return None
        chat_id = _int_or_none(params.get("chat_id"))
        window = 1.0 / limits.scale
        recent = self._sent_times
        while recent and recent[0] <= at - window:
            recent.popleft()
        wait = 0.0
        if len(recent) >= limits.per_second:
            wait = recent[0] + window - at
        if chat_id is not None:
            last = self._last_to_chat.get(chat_id)
            interval = limits.per_chat_interval / limits.scale
            if chat_id < 0:  # a group: 20 a minute
                interval = 60.0 / limits.group_per_minute / limits.scale
            if last is not None and at - last < interval:
                wait = max(wait, last + interval - at)
        if wait > 0:
            self.throttled += 1
            retry = max(1, math.ceil(wait * limits.scale))
            return ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        recent.append(at)
        if chat_id is not None:
            self._last_to_chat[chat_id] = at
        return None

    def _store_file(self, content: bytes, name: str) -> str:
        n = next(self._file_ids)
        digest = hashlib.sha1(content).hexdigest()[:10]
        file_id = f"F{n:06d}{digest}"
        self.files[file_id] = (content, name)
        return file_id

    def _file_path(self, file_id: str) -> str:
        return f"files/{file_id}"

    def _photo_sizes(self, file_id: str) -> list[dict[str, Any]]:
        size = len(self.files.get(file_id, (b"", ""))[0])
        return [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": size,
            },
        ]

    def _input_file(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]], key: str
    ) -> str:
        """Resolve a photo/document parameter (file id, attach:// upload, or direct upload)."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return self._store_file(upload[1], upload[0])
        if value is None and key in files:
            return self._store_file(files[key][1], files[key][0])
        if isinstance(value, str) and value in self.files:
            return value
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # -- methods (named _m_<Bot API method>) ----------------------------------------------
    def _m_getMe(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    def _m_logOut(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        return True

    def _m_close(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        return True

    def _m_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        plain, html_src = self._text(params)
        markup = self._markup(params)
        msg = self._new_message(
            chat_id, from_bot=True, text=plain, html=html_src, reply_markup=markup
        )
        self._notify("message", msg)
        return msg.to_api(self)

    def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        file_id = self._input_file(params, files, "photo")
        plain, html_src = self._text(params, "caption", MAX_CAPTION)
        msg = self._new_message(
            chat_id,
            from_bot=True,
            text=plain,
            html=html_src,
            photo=self._photo_sizes(file_id),
            reply_markup=self._markup(params),
        )
        self._notify("message", msg)
        return msg.to_api(self)

    def _m_sendDocument(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        file_id = self._input_file(params, files, "document")
        content, name = self.files[file_id]
        plain, html_src = self._text(params, "caption", MAX_CAPTION)
        msg = self._new_message(
            chat_id,
            from_bot=True,
            text=plain,
            html=html_src,
            document={
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": name,
                "file_size": len(content),
            },
            reply_markup=self._markup(params),
        )
        self._notify("message", msg)
        return msg.to_api(self)

    def _m_sendMediaGroup(
        self, params: dict[str, Any], files: dict[str, Any]
    ) -> list[dict[str, Any]]:
        chat_id = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the group")
        group = f"G{next(self._media_groups)}"
        out = []
        for item in media:
            if item.get("type") != "photo":
                raise ApiError(400, "Bad Request: unsupported media type in the group")
            file_id = self._input_file(item, files, "media")
            plain, html_src = self._text(item, "caption", MAX_CAPTION)
            msg = self._new_message(
                chat_id,
                from_bot=True,
                text=plain,
                html=html_src,
                photo=self._photo_sizes(file_id),
                media_group_id=group,
            )
            self._notify("message", msg)
            out.append(msg.to_api(self))
        return out

    def _m_sendLocation(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        try:
            loc = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from exc
        msg = self._new_message(
            chat_id, from_bot=True, location=loc, reply_markup=self._markup(params)
        )
        self._notify("message", msg)
        return msg.to_api(self)

    def _m_sendVenue(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        try:
            loc = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
            venue = {
                "location": loc,
                "title": str(params["title"]),
                "address": str(params["address"]),
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(
                400, "Bad Request: venue needs latitude, longitude, title, address"
            ) from exc
        msg = self._new_message(chat_id, from_bot=True, venue=venue, location=loc)
        self._notify("message", msg)
        return msg.to_api(self)

    def _m_sendChatAction(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    def _m_editMessageText(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        msg = self._bot_message(params)
        plain, html_src = self._text(params)
        markup = self._markup(params)
        if msg.text == plain and msg.html == html_src and msg.reply_markup == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        msg.text, msg.html, msg.reply_markup = plain, html_src, markup
        msg.edited += 1
        self._notify("edit", msg)
        return msg.to_api(self)

    def _m_editMessageCaption(
        self, params: dict[str, Any], files: dict[str, Any]
    ) -> dict[str, Any]:
        msg = self._bot_message(params)
        plain, html_src = self._text(params, "caption", MAX_CAPTION)
        markup = self._markup(params)
        if msg.text == plain and msg.reply_markup == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        msg.text, msg.html, msg.reply_markup = plain, html_src, markup
        msg.edited += 1
        self._notify("edit", msg)
        return msg.to_api(self)

    def _m_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, Any]
    ) -> dict[str, Any]:
        msg = self._bot_message(params)
        markup = self._markup(params)
        if msg.reply_markup == markup or (not msg.reply_markup and not markup):
            raise ApiError(400, "Bad Request: message is not modified")
        msg.reply_markup = markup
        msg.edited += 1
        self._notify("edit", msg)
        return msg.to_api(self)

    def _m_deleteMessage(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        msg = self.messages.get(chat_id, {}).get(_int_or_none(params.get("message_id")) or -1)
        if msg is None or msg.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        self._notify("delete", msg)
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired"
                " or query ID is invalid",
            )
        chat_id, message_id = self.open_callbacks.pop(query_id)
        self.answered_callbacks[query_id] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert", False)),
        }
        if params.get("text"):
            self.publish(
                "answer",
                {
                    "chat_id": chat_id,
                    "text": params.get("text"),
                    "show_alert": bool(params.get("show_alert", False)),
                },
            )
        return True

    def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            name = str(command.get("command", ""))
            if (
                not name
                or len(name) > 32
                or not name.replace("_", "").isalnum()
                or (name.lower() != name)
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        key = self._scope_key(params)
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        self.publish("commands", {"scope": key, "commands": self.commands[key]})
        return True

    def _m_getMyCommands(
        self, params: dict[str, Any], files: dict[str, Any]
    ) -> list[dict[str, str]]:
        return self.commands.get(self._scope_key(params), [])

    def _m_deleteMyCommands(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _m_setChatMenuButton(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        return True

    def _m_getFile(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        content, _name = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": self._file_path(file_id),
        }

    def _m_setWebhook(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        self.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else None
        return True

    def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        key = str(scope.get("type", "default"))
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        language = params.get("language_code")
        if language:
            key += f"@{language}"
        return key

    def inject_bot_message(
        self, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None
    ) -> StoredMessage:
        """Put a bot message into a chat without a Bot API call (seeding for benchmarks)."""
        return self._new_message(chat_id, from_bot=True, text=text, reply_markup=reply_markup)

    # -- the people's side: updates ------------------------------------------------------
    def _emit(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        if self.update_sink is not None:
            self.update_sink(update)
        return update

    def user_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        photo: bytes | None = None,
        caption: str | None = None,
        contact: dict[str, Any] | None = None,
        location: tuple[float, float] | None = None,
        sticker: bool = False,
        voice: bool = False,
        document: tuple[str, bytes] | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """The user sends something to the bot; return the update."""
        fields: dict[str, Any] = {}
        if photo is not None:
            file_id = self._store_file(photo, "photo.jpg")
            fields["photo"] = self._photo_sizes(file_id)
            fields["text"] = caption
        elif text is not None:
            fields["text"] = text
        if document is not None:
            file_id = self._store_file(document[1], document[0])
            fields["document"] = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": document[0],
                "file_size": len(document[1]),
            }
        if contact is not None:
            fields["contact"] = contact
        if location is not None:
            fields["location"] = {"latitude": location[0], "longitude": location[1]}
        if sticker:
            fields["sticker"] = {
                "file_id": "STK1",
                "file_unique_id": "uSTK1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        if voice:
            fields["voice"] = {"file_id": "VOI1", "file_unique_id": "uVOI1", "duration": 3}
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        msg = self._new_message(user_id, from_bot=False, **fields)
        self._notify("message", msg)
        api = msg.to_api(self)
        if text is not None and text.startswith("/"):
            command = text.split()[0]
            api["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._emit({"message": api})

    def user_press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """The user presses an inline button with ``data`` on the bot's message."""
        msg = self.messages[user_id][message_id]
        query_id = str(next(self._callback_ids))
        self.open_callbacks[query_id] = (user_id, message_id)
        return self._emit(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user_dict(user_id),
                    "chat_instance": f"ci{user_id}",
                    "message": msg.to_api(self),
                    "data": data,
                }
            }
        )

    def user_contact(self, user_id: int, phone: str, *, own: bool = True) -> dict[str, Any]:
        user = self.users[user_id]
        contact: dict[str, Any] = {"phone_number": phone, "first_name": user.first_name}
        if own:
            contact["user_id"] = user_id
        return self.user_message(user_id, contact=contact)

    # -- reading the state ---------------------------------------------------------------
    def history(self, chat_id: int) -> list[StoredMessage]:
        """Messages of a chat in order, deleted ones left out."""
        return [m for m in self.messages.get(chat_id, {}).values() if not m.deleted]

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.history(chat_id) if m.from_bot]

    def calls_to(self, method: str, chat_id: int | None = None) -> list[CallRecord]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]
