"""The GeoReport v2 HTTP server (aiohttp): parse the call, ask the service, render JSON or XML.

Routes, under ``/open311/v2``, each as ``.json`` or ``.xml``::

    GET  services             the service list (categories)
    GET  services/{code}      a service definition (its attributes)
    POST requests             submit a request (api_key required)
    GET  requests             requests, by service_request_id, service_code, start_date,
                              end_date, status
    GET  requests/{id}        one request
    GET  tokens/{token}       the request id of a token (batch mode)

Every error is the spec's ``errors`` body with its HTTP status: 404 for what does not exist,
403 for a missing or bad api_key, 400 for any other bad input, 429 past the rate limit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.i18n import N_
from bot.open311.formats import CONTENT_TYPES, render
from bot.services.open311 import Open311Error

if TYPE_CHECKING:
    from bot.i18n import Translator
    from bot.models import ApiKey
    from bot.services.apikeys import ApiKeyService, RateLimiter
    from bot.services.open311 import Open311Service

__all__ = ["PREFIX", "Open311Server"]

LOG = logging.getLogger(__name__)

PREFIX = "/open311/v2"
_FMT = "{fmt:(json|xml)}"
_ID = "{id:[A-Za-z0-9_-]{1,100}}"
MAX_BODY = 64 * 1024


def _fmt(request: web.Request) -> str:
    fmt = request.match_info.get("fmt")
    if fmt in CONTENT_TYPES:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _respond(fmt: str, root: str, body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=render(fmt, root, body),
        status=status,
        headers={"Content-Type": CONTENT_TYPES[fmt]},
    )


class Open311Server:
    """The aiohttp application and its lifecycle (standalone or inside ``gridbot run``)."""

    def __init__(
        self,
        service: Open311Service,
        keys: ApiKeyService,
        limiter: RateLimiter,
    ) -> None:
        self.service = service
        self.keys = keys
        self.limiter = limiter
        self._runner: web.AppRunner | None = None

    @property
    def t(self) -> Translator:
        return self.service.t

    # -- the application -------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors], client_max_size=MAX_BODY)
        app.router.add_get(f"{PREFIX}/services.{_FMT}", self.services)
        app.router.add_get(f"{PREFIX}/services/{_ID}.{_FMT}", self.definition)
        app.router.add_get(f"{PREFIX}/requests.{_FMT}", self.requests)
        app.router.add_post(f"{PREFIX}/requests.{_FMT}", self.submit)
        app.router.add_get(f"{PREFIX}/requests/{_ID}.{_FMT}", self.request)
        app.router.add_get(f"{PREFIX}/tokens/{_ID}.{_FMT}", self.token)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        LOG.info("Open311 API listening on http://%s:%d%s/", host, port, PREFIX)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- errors ----------------------------------------------------------------------------
    def _error_body(self, status: int, description: str) -> list[dict[str, Any]]:
        return [{"code": status, "description": description}]

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        fmt = _fmt(request)
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except Open311Error as err:
            description = self.t(err.message).format(**err.params)
            body = self._error_body(err.status, description)
            response = _respond(fmt, "errors", body, err.status)
            if err.status == 429 and "seconds" in err.params:
                response.headers["Retry-After"] = str(err.params["seconds"])
            return response
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            message = {
                404: self.t(N_("There is no such resource.")),
                405: self.t(N_("That method is not allowed here.")),
                413: self.t(N_("The request body is too large.")),
            }.get(exc.status, exc.reason)
            return _respond(fmt, "errors", self._error_body(exc.status, message), exc.status)

    def _limit(self, request: web.Request, key: ApiKey | None) -> None:
        caller = f"key:{key.id}" if key is not None else f"addr:{request.remote}"
        wait = self.limiter.take(caller)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            raise Open311Error(
                429, N_("Too many requests; try again in {seconds} seconds."), seconds=seconds
            )

    async def _reader(self, request: web.Request) -> None:
        """Reads need no key; one given is checked, and its calls count against it."""
        self.service.check_jurisdiction(request.query.get("jurisdiction_id"))
        secret = request.query.get("api_key")
        key = await self.keys.authenticate(secret) if secret else None
        if secret and key is None:
            raise Open311Error(403, N_("Invalid api_key."))
        self._limit(request, key)

    # -- endpoints -------------------------------------------------------------------------
    async def services(self, request: web.Request) -> web.Response:
        """GET services: the categories."""
        await self._reader(request)
        return _respond(_fmt(request), "services", await self.service.services())

    async def definition(self, request: web.Request) -> web.Response:
        """GET services/{code}: the attributes every service asks."""
        await self._reader(request)
        category = await self.service.category(request.match_info["id"])
        attributes = [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": attribute.order,
                "description": self.t(attribute.description),
                "values": [{"key": key, "name": name} for key, name in values],
            }
            for attribute, values in self.service.attributes()
        ]
        body = {"service_code": category.code, "attributes": attributes}
        return _respond(_fmt(request), "service_definition", body)

    async def submit(self, request: web.Request) -> web.Response:
        """POST requests: file it, answer with its id (or a token)."""
        form: dict[str, list[str]] = {}
        for source in (request.query, await request.post()):
            for name, value in source.items():
                if isinstance(value, str):
                    form.setdefault(name, []).append(value)
        jurisdiction = (form.get("jurisdiction_id") or [""])[-1].strip()
        self.service.check_jurisdiction(jurisdiction or None)
        secret = (form.get("api_key") or [""])[-1].strip()
        if not secret:
            raise Open311Error(403, N_("api_key was not provided."))
        key = await self.keys.authenticate(secret)
        if key is None:
            raise Open311Error(403, N_("Invalid api_key."))
        self._limit(request, key)
        submitted = await self.service.submit(
            key, form, idempotency_key=request.headers.get("Idempotency-Key")
        )
        if submitted.token is not None:
            item: dict[str, Any] = {"token": submitted.token}
        else:
            item = {"service_request_id": submitted.service_request_id}
        item["service_notice"] = submitted.service_notice
        item["account_id"] = submitted.account_id
        return _respond(_fmt(request), "service_requests", [item])

    async def requests(self, request: web.Request) -> web.Response:
        """GET requests: the standard filters."""
        await self._reader(request)
        found = await self.service.query(request.query)
        return _respond(_fmt(request), "service_requests", found)

    async def request(self, request: web.Request) -> web.Response:
        """GET requests/{id}."""
        await self._reader(request)
        found = await self.service.one(request.match_info["id"])
        return _respond(_fmt(request), "service_requests", found)

    async def token(self, request: web.Request) -> web.Response:
        """GET tokens/{token}."""
        await self._reader(request)
        token = request.match_info["id"]
        number = await self.service.token(token)
        body = [{"service_request_id": number, "token": token}]
        return _respond(_fmt(request), "service_requests", body)
