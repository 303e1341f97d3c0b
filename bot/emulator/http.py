"""The HTTP transport: the emulator served with the Bot API's URL shapes, plus the sandbox's
web-chat API. The same :class:`~bot.emulator.core.Emulator` core as the in-process transport.

Bot API: ``POST|GET /bot<token>/<method>`` (JSON, form or multipart bodies),
``GET /file/bot<token>/<path>`` for downloads, ``getUpdates`` long polling with ``offset`` and
``timeout``, ``setWebhook`` (updates are then POSTed to the URL with the secret token header).

Web chat API (JSON): ``GET /api/state``, ``GET /api/events`` (server-sent events),
``POST /api/send|press|contact|location|photo|reset``, ``GET /api/file/<file_id>``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, ClientSession, ClientTimeout, web

from bot.emulator.core import (
    ApiError,
    EmulatedRefusal,
    EmulatedTimeout,
    Emulator,
    UpdateQueue,
    normalize_params,
)

__all__ = ["EmulatorServer", "Person"]

LOG = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")


class Person:
    """Someone shown in the web chat."""

    def __init__(self, user_id: int, name: str, role: str) -> None:
        self.user_id = user_id
        self.name = name
        self.role = role

    def to_web(self) -> dict[str, Any]:
        return {"id": self.user_id, "name": self.name, "role": self.role}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False)
    )


class EmulatorServer:
    """An aiohttp server around one emulator. ``latency`` delays every Bot API answer."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        latency: float = 0.0,
        people: list[Person] | None = None,
        on_reset: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.latency = latency
        self.people = people or []
        self.on_reset = on_reset
        self.updates = UpdateQueue()
        self.polls = 0  # getUpdates calls answered (a bot is long-polling once this moves)
        self.emulator.update_sink = self._on_update
        # One queue per open event stream; None ends the stream (the server is stopping).
        self._subscribers: set[asyncio.Queue[tuple[str, dict[str, Any]] | None]] = set()
        self.emulator.listeners.append(self._broadcast)
        self._runner: web.AppRunner | None = None
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self._client: ClientSession | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.file_download)
        app.router.add_get("/", self.index)
        app.router.add_get("/api/state", self.state)
        app.router.add_get("/api/events", self.events)
        app.router.add_post("/api/send", self.api_send)
        app.router.add_post("/api/press", self.api_press)
        app.router.add_post("/api/contact", self.api_contact)
        app.router.add_post("/api/location", self.api_location)
        app.router.add_post("/api/photo", self.api_photo)
        app.router.add_post("/api/reset", self.api_reset)
        app.router.add_get("/api/file/{file_id}", self.api_file)
        app.on_shutdown.append(self._end_streams)
        if STATIC.exists():
            app.router.add_static("/static/", STATIC)
        return app

    async def start(self) -> None:
        # A pending getUpdates long poll outlives its client's disconnect: on stop, give the
        # handlers a second to finish, then cancel them (the default waits 60 seconds).
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        # Bind the socket here so that port 0 (any free port) tells us which port it got.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            await self._runner.cleanup()
            raise
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()
        LOG.info("emulator listening on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        for task in list(self._webhook_tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- the Bot API -------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
            elif ctype.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    if part.filename:
                        files[part.name] = (part.filename, await part.read())
                    else:
                        params[part.name] = await part.text()
            else:
                params.update(dict(await request.post()))
        return normalize_params(params), files

    async def bot_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params, files = await self._params(request)
        except ApiError as err:
            return _json(err.to_json(), err.code)
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            self.updates.clear()
        try:
            body = await self.emulator.call(method, params, files)
        except (EmulatedTimeout, EmulatedRefusal):
            # The client sees a network failure (python-telegram-bot: NetworkError).
            return _json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)
        status = 200 if body.get("ok") else int(body.get("error_code", 400))
        return _json(body, status)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.emulator.webhook:
            err = ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
            return _json(err.to_json(), 409)
        self.polls += 1
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        updates = await self.updates.get(offset, limit, timeout)
        return _json({"ok": True, "result": updates})

    async def file_download(self, request: web.Request) -> web.Response:
        content = self.emulator.download(request.match_info["path"])
        if content is None:
            return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return web.Response(body=content)

    def _on_update(self, update: dict[str, Any]) -> None:
        webhook = self.emulator.webhook
        if webhook:
            task = asyncio.get_running_loop().create_task(self._post_webhook(webhook, update))
            self._webhook_tasks.add(task)
            task.add_done_callback(self._webhook_tasks.discard)
        else:
            self.updates.push(update)

    async def _post_webhook(self, webhook: dict[str, Any], update: dict[str, Any]) -> None:
        """Deliver an update to the webhook, retrying like Telegram does."""
        if self._client is None:
            self._client = ClientSession(timeout=ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(webhook["secret_token"])
        for attempt in range(5):
            try:
                async with self._client.post(
                    webhook["url"], data=json.dumps(update), headers=headers
                ) as response:
                    if response.status < 300:
                        return
            except OSError as exc:
                LOG.debug("webhook delivery failed: %s", exc)
            await asyncio.sleep(0.05 * 2**attempt)
        LOG.warning("webhook: update %s was not accepted", update.get("update_id"))

    # -- the web chat ------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.StreamResponse:
        page = STATIC / "index.html"
        if not page.exists():
            return web.Response(text="web chat not installed", status=404)
        return web.FileResponse(page)

    async def state(self, request: web.Request) -> web.Response:
        emu = self.emulator
        chats = {str(p.user_id): [m.to_web() for m in emu.history(p.user_id)] for p in self.people}
        commands = {
            str(p.user_id): emu.commands.get(f"chat:{p.user_id}")
            or emu.commands.get("default", [])
            for p in self.people
        }
        return _json(
            {
                "bot": {"username": emu.bot_user["username"], "name": emu.bot_user["first_name"]},
                "people": [p.to_web() for p in self.people],
                "chats": chats,
                "commands": commands,
            }
        )

    def _broadcast(self, event: str, data: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            queue.put_nowait((event, data))

    async def _end_streams(self, app: web.Application) -> None:
        """End every event stream, so that stopping does not wait for open web pages."""
        for queue in list(self._subscribers):
            queue.put_nowait(None)

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            await response.write(b": connected\n\n")
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if item is None:
                    break
                event, data = item
                payload = json.dumps(data, ensure_ascii=False)
                await response.write(f"event: {event}\ndata: {payload}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._subscribers.discard(queue)
        return response

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, ValueError):
            raise web.HTTPBadRequest(text="JSON body expected") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="JSON object expected")
        return body

    def _user(self, value: Any) -> int:
        try:
            user_id = int(value)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="user_id expected") from None
        if user_id not in self.emulator.users:
            raise web.HTTPNotFound(text="no such user")
        return user_id

    async def api_send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        text = str(body.get("text", "")).strip()
        if not text:
            raise web.HTTPBadRequest(text="text expected")
        self.emulator.user_message(self._user(body.get("user_id")), text)
        return _json({"ok": True})

    async def api_press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._user(body.get("user_id"))
        message_id = int(body.get("message_id", 0))
        if message_id not in self.emulator.messages.get(user_id, {}):
            raise web.HTTPNotFound(text="no such message")
        self.emulator.user_press(user_id, message_id, str(body.get("data", "")))
        return _json({"ok": True})

    async def api_contact(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._user(body.get("user_id"))
        phone = str(body.get("phone") or f"+86138{user_id % 100000000:08d}")
        self.emulator.user_contact(user_id, phone)
        return _json({"ok": True})

    async def api_location(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = self._user(body.get("user_id"))
        try:
            location = (float(body["latitude"]), float(body["longitude"]))
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="latitude and longitude expected") from None
        self.emulator.user_message(user_id, location=location)
        return _json({"ok": True})

    async def api_photo(self, request: web.Request) -> web.Response:
        reader = await request.multipart()
        fields: dict[str, Any] = {}
        content: bytes | None = None
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                content = await part.read()
            elif part.name:
                fields[part.name] = await part.text()
        if not content:
            raise web.HTTPBadRequest(text="file expected")
        self.emulator.user_message(
            self._user(fields.get("user_id")), photo=content, caption=fields.get("caption")
        )
        return _json({"ok": True})

    async def api_reset(self, request: web.Request) -> web.Response:
        if self.on_reset is not None:
            await self.on_reset()
        self._broadcast("reset", {})
        return _json({"ok": True})

    async def api_file(self, request: web.Request) -> web.Response:
        stored = self.emulator.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        content, name = stored
        ctype = "application/octet-stream"
        if content[:3] == b"\xff\xd8\xff":
            ctype = "image/jpeg"
        elif content[:8] == b"\x89PNG\r\n\x1a\n":
            ctype = "image/png"
        elif name.endswith(".xlsx"):
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        headers = {}
        if ctype == "application/octet-stream" or name.endswith(".xlsx"):
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return web.Response(body=content, content_type=ctype, headers=headers)
