"""The in-process transport: python-telegram-bot talks to the emulator without any network."""

from __future__ import annotations

import json
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.emulator.core import ApiError, EmulatedRefusal, EmulatedTimeout, Emulator
from bot.request import NotSent

__all__ = ["EmulatorRequest"]


def _read(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if hasattr(content, "read"):
        data = content.read()
        return data if isinstance(data, bytes) else str(data).encode()
    return str(content).encode()


class EmulatorRequest(BaseRequest):
    """A ``BaseRequest`` that answers from an :class:`Emulator` in the same process."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if method == "GET":
            # A file download: .../file/bot<token>/<file_path>
            path = url.split("/file/", 1)[-1].split("/", 1)[-1]
            content = self.emulator.download(path)
            if content is None:
                return 404, json.dumps(
                    {"ok": False, "error_code": 404, "description": "Not Found"}
                ).encode()
            return 200, content
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for name, field in request_data.multipart_data.items():
                filename, data, _mime = field
                files[name] = (filename or name, _read(data))
        try:
            body = await self.emulator.call(endpoint, params, files)
        except EmulatedTimeout:
            raise TimedOut("Timed out (emulated)") from None
        except EmulatedRefusal:
            raise NotSent("not sent: connection refused (emulated)") from None
        except ApiError as err:
            body = err.to_json()
        status = 200 if body.get("ok") else int(body.get("error_code", 400))
        return status, json.dumps(body, ensure_ascii=False).encode()
