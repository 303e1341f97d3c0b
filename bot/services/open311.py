"""Open311 GeoReport v2: the city's systems hand matters to the community and read their status.

Mapping (http://wiki.open311.org/GeoReport_v2):

- a *service* is a category; its ``service_code`` is the category code. Every service has a
  definition with two attributes, the questions the bot's own intake asks: ``danger`` (yes
  makes the request urgent) and ``anonymous`` (members then see neither name nor phone).
- a *service request* is a request; its ``service_request_id`` is the request number
  (``DZ-2026-000123``). A request posted here enters the normal flow (triage, dispatch to the
  members, deadlines, escalation) with no resident in the bot: its submitter follows it here.
- ``status`` is ``open`` until the request is resolved (``closed``: resolved, closed or
  cancelled); ``status_notes`` come only from what the request's resident may see of its
  timeline; ``agency_responsible`` is the community handling it (the street or district while
  it chases it); ``expected_datetime`` is the current resolve deadline.
- public reads never show names, phones, photos, or the exact address of an anonymous request;
  coordinates are rounded; phone-like numbers inside texts are masked.

Where a submission is placed: ``address_id`` is a compound code; else the nearest compound
(with a centre point in the org file) within ``[api] match_radius_m`` of ``lat``/``long``;
else a compound whose name is in ``address_string``; else the key's only compound.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.freetext import clean, visible
from bot.i18n import N_, I18n, Translator
from bot.lifecycle import OPEN, STATUS_NAMES, Status
from bot.models import ApiKey, Category, Level, OrgUnit, Request, RequestEvent, Tier
from bot.models.intake import MAX_ADDRESS, MAX_DESCRIPTION, Draft
from bot.services.flow import RESIDENT_EVENTS
from bot.views.deadlines import fmt_span
from bot.views.requests import LEVEL_NAMES, TIER_NAMES

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.requests import RequestService
    from storage.db import Database, Tx

__all__ = [
    "ATTRIBUTES",
    "MAX_RESULTS",
    "MAX_SPAN",
    "Attribute",
    "Open311Error",
    "Open311Service",
    "PublicRequest",
    "ServiceRecord",
    "Submitted",
    "mask_numbers",
]

LOG = logging.getLogger(__name__)

MAX_SPAN = timedelta(days=90)  # the spec's default and largest date range
MAX_RESULTS = 1000  # the spec's default query limit
MAX_NAME = 100
MAX_PHONE = 30
MAX_ACCOUNT = 100
MAX_IDS = 100
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,28}$")
# Digit runs that may be a phone or an ID number (7 or more digits, spaces or dashes inside).
_NUMBER_LIKE = re.compile(r"\+?\d(?:[\s-]?\d){6,}")
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_]+)\](\[\])?$")
CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})
# Status names for the city's systems (the resident's "waiting for your rating" is not theirs).
API_STATUS_NAMES = {**STATUS_NAMES, Status.RESOLVED: N_("resolved")}


class Open311Error(Exception):
    """An error in the spec's format: the HTTP status, and a description (an English msgid
    translated into the API's language, with ``params``)."""

    def __init__(self, status: int, message: str, **params: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Attribute:
    """One attribute of every service definition (a question of the bot's intake)."""

    code: str
    description: str  # msgid
    order: int


ATTRIBUTES = (
    Attribute("danger", N_("Is anyone in danger? Yes makes the request urgent (act now)."), 1),
    Attribute(
        "anonymous",
        N_("Hide the caller's name and phone from the members who do the work?"),
        2,
    ),
)
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))


@dataclass(frozen=True)
class ServiceRecord:
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


@dataclass(frozen=True)
class Submitted:
    """The answer to POST requests: the id (realtime) or a token (batch)."""

    service_request_id: str | None
    token: str | None
    service_notice: str
    account_id: str | None


@dataclass(frozen=True)
class PublicRequest:
    """A request as anyone may read it, in the spec's field order."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


def mask_numbers(text: str) -> str:
    """Phone-like and ID-like digit runs replaced, for public reads."""
    return _NUMBER_LIKE.sub("***", text)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _one(form: Mapping[str, list[str]], name: str, *, multiline: bool = False) -> str | None:
    """An optional argument, cleaned like any free text (bot/freetext.py): nothing readable
    means not given (the spec's rule for empty)."""
    values = form.get(name) or []
    value = clean(values[-1], multiline=multiline) if values else ""
    return value if visible(value) else None


class Open311Service:
    def __init__(
        self, db: Database, clock: Clock, requests: RequestService, i18n: I18n, config: Config
    ) -> None:
        self.db = db
        self.clock = clock
        self.requests = requests
        self.i18n = i18n
        self.config = config

    @property
    def t(self) -> Translator:
        return self.i18n.get(self.config.api.language)

    @property
    def language(self) -> str:
        return self.config.api.language

    def check_jurisdiction(self, jurisdiction_id: str | None) -> None:
        """One jurisdiction per deployment: a jurisdiction_id given must be the configured
        one (the spec lets a single-jurisdiction endpoint treat it as optional)."""
        wanted = self.config.api.jurisdiction_id
        if jurisdiction_id and wanted and jurisdiction_id != wanted:
            raise Open311Error(404, N_("jurisdiction_id {id} was not found."), id=jurisdiction_id)

    # -- services --------------------------------------------------------------------------
    async def services(self) -> list[ServiceRecord]:
        t, language = self.t, self.language
        records = []
        for category in await self.requests.categories():
            tier = t(TIER_NAMES[category.default_tier])
            records.append(
                ServiceRecord(
                    service_code=category.code,
                    service_name=category.label(language),
                    description=t("{name} (usually: {tier})").format(
                        name=category.label(language), tier=tier
                    ),
                    metadata=True,
                    type=self.config.api.service_type,
                    keywords=", ".join(dict.fromkeys((category.name, category.name_en))),
                    group=tier,
                )
            )
        return records

    async def category(self, code: str | None) -> Category:
        if not code:
            raise Open311Error(400, N_("service_code was not provided."))
        found = next((c for c in await self.requests.categories() if c.code == code), None)
        if found is None:
            raise Open311Error(404, N_("service_code {code} was not found."), code=code)
        return found

    def attributes(self) -> list[tuple[Attribute, list[tuple[str, str]]]]:
        """The attributes of every service definition, with their (key, name) values."""
        t = self.t
        return [(a, [(key, t(name)) for key, name in YES_NO]) for a in ATTRIBUTES]

    # -- submitting ------------------------------------------------------------------------
    async def submit(
        self, key: ApiKey, form: Mapping[str, list[str]], idempotency_key: str | None = None
    ) -> Submitted:
        """POST requests: check everything, then file the request in one transaction."""
        category = await self.category(_one(form, "service_code"))
        answers = self._attributes(form)
        description = _one(form, "description", multiline=True)
        if description is None:
            raise Open311Error(400, N_("description was not provided."))
        if len(description) > MAX_DESCRIPTION:
            raise Open311Error(
                400,
                N_("description is {length} characters long; at most {limit} are accepted."),
                length=len(description),
                limit=MAX_DESCRIPTION,
            )
        latitude, longitude = self._coordinates(form)
        address = _one(form, "address_string")
        if address is not None and len(address) > MAX_ADDRESS:
            raise Open311Error(
                400, N_("address_string is longer than {limit} characters."), limit=MAX_ADDRESS
            )
        address_id = _one(form, "address_id")
        if latitude is None and address is None and address_id is None:
            raise Open311Error(
                400, N_("A location is required: lat and long, address_string or address_id.")
            )
        name = " ".join(p for p in (_one(form, "first_name"), _one(form, "last_name")) if p)
        if len(name) > MAX_NAME:
            raise Open311Error(400, N_("The name is too long."))
        phone = _one(form, "phone")
        if phone is not None and (len(phone) > MAX_PHONE or not _PHONE.match(phone)):
            raise Open311Error(400, N_("phone is not a phone number."))
        account_id = _one(form, "account_id")
        if account_id is not None and len(account_id) > MAX_ACCOUNT:
            raise Open311Error(400, N_("account_id is too long."))
        if idempotency_key is not None and len(idempotency_key) > 100:
            raise Open311Error(400, N_("The Idempotency-Key header is too long."))

        draft = Draft(
            category_id=category.id,
            description=description,
            latitude=latitude,
            longitude=longitude,
            address=address,
            urgent=answers.get("danger") == "yes",
            phone=phone,
            anonymous=answers.get("anonymous") == "yes",
        )
        source_key = None if idempotency_key is None else f"api:{key.id}:{idempotency_key}"
        now = self.clock.now()
        async with self.db.transaction() as tx:
            existing = await tx.requests.by_source(source_key) if source_key else None
            if existing is not None:
                submission = await tx.api.submission(existing.id)
                token = submission.token if submission else ""
                return self._submitted(existing, token, account_id)
            compound = await self._place(tx, key, address_id, latitude, longitude, address)
            label = f"api:{key.id}"
            token = secrets.token_urlsafe(12)

            async def record(tx: Tx, request: Request) -> None:
                await tx.api.add_submission(request.id, key.id, token, account_id, now)

            request = await self.requests.file(
                tx,
                None,
                compound_id=compound.id,
                category=category,
                draft=draft,
                source_key=source_key,
                contact_name=name or None,
                channel="api",
                label=label,
                on_created=record,
            )
            await tx.api.touch_key(key.id, now)
            await tx.audit.record(
                actor_id=None,
                actor_label=label,
                action="request.api_submit",
                subject=f"request:{request.id}",
                unit_id=compound.id,
                after={"number": request.number, "key": key.name},
                now=now,
            )
        LOG.info("request %s submitted through the API by key %s", request.number, key.prefix)
        return self._submitted(request, token, account_id)

    def _submitted(self, request: Request, token: str, account_id: str | None) -> Submitted:
        batch = self.config.api.service_type == "batch"
        return Submitted(
            service_request_id=None if batch else request.number,
            token=token if batch else None,
            service_notice=self._notice(request.tier),
            account_id=account_id,
        )

    def _attributes(self, form: Mapping[str, list[str]]) -> dict[str, str]:
        known = {a.code for a in ATTRIBUTES}
        answers: dict[str, str] = {}
        for name, values in form.items():
            match = _ATTRIBUTE.match(name)
            if match is None:
                if name.startswith("attribute"):
                    raise Open311Error(400, N_("{name} is not a valid attribute."), name=name)
                continue
            code = match[1]
            if code not in known:
                raise Open311Error(400, N_("attribute {code} is not defined."), code=code)
            value = (values[-1] if values else "").strip().lower()
            if value and value not in {key for key, _name in YES_NO}:
                raise Open311Error(400, N_("attribute {code} must be yes or no."), code=code)
            if value:
                answers[code] = value
        return answers

    def _coordinates(self, form: Mapping[str, list[str]]) -> tuple[float | None, float | None]:
        lat_text, long_text = _one(form, "lat"), _one(form, "long")
        if lat_text is None and long_text is None:
            return None, None
        if lat_text is None or long_text is None:
            raise Open311Error(400, N_("lat and long must be given together."))
        try:
            latitude, longitude = float(lat_text), float(long_text)
        except ValueError:
            raise Open311Error(400, N_("lat and long must be numbers.")) from None
        if not (
            math.isfinite(latitude)
            and math.isfinite(longitude)
            and -90 <= latitude <= 90
            and -180 <= longitude <= 180
        ):
            raise Open311Error(400, N_("lat and long are out of range."))
        return latitude, longitude

    async def _place(
        self,
        tx: Tx,
        key: ApiKey,
        address_id: str | None,
        latitude: float | None,
        longitude: float | None,
        address: str | None,
    ) -> OrgUnit:
        """The compound a submission is for, inside the key's units (else 403)."""
        scopes = [u for u in [await tx.org.get(i) for i in key.unit_ids] if u is not None]
        if address_id is not None:
            unit = await tx.org.get_by_code(address_id)
            if unit is None or unit.level is not Level.COMPOUND:
                raise Open311Error(
                    400, N_("address_id {code} is not a compound code."), code=address_id
                )
            if not any(scope.contains(unit) for scope in scopes):
                raise Open311Error(
                    403, N_("This api_key may not submit requests for {code}."), code=unit.code
                )
            return unit
        compounds: dict[int, OrgUnit] = {}
        for scope in scopes:
            for unit in await tx.org.subtree(scope, Level.COMPOUND):
                compounds[unit.id] = unit
        if latitude is not None and longitude is not None:
            placed = [
                (_distance_m(latitude, longitude, u.latitude, u.longitude), u.code, u)
                for u in compounds.values()
                if u.latitude is not None and u.longitude is not None
            ]
            near = [p for p in placed if p[0] <= self.config.api.match_radius_m]
            if near:
                return min(near, key=lambda p: (p[0], p[1]))[2]
        if address is not None:
            named = [u for u in compounds.values() if u.name in address]
            if named:
                return max(named, key=lambda u: (len(u.name), u.code))
        if len(compounds) == 1:
            return next(iter(compounds.values()))
        raise Open311Error(
            400,
            N_(
                "The location is not in a compound this api_key serves;"
                " give address_id (the compound code)."
            ),
        )

    # -- reading ---------------------------------------------------------------------------
    async def query(self, args: Mapping[str, str]) -> list[PublicRequest]:
        """GET requests with the standard filters."""
        ids = args.get("service_request_id", "").strip()
        if ids:
            numbers = [n.strip() for n in ids.split(",") if n.strip()]
            if len(numbers) > MAX_IDS:
                raise Open311Error(
                    400, N_("At most {limit} service_request_id values."), limit=MAX_IDS
                )
            async with self.db.read() as tx:
                found = await tx.api.requests(
                    numbers=numbers,
                    category_ids=None,
                    start=None,
                    end=None,
                    statuses=None,
                    limit=MAX_RESULTS,
                )
                return await self._public(tx, found)
        category_ids = None
        codes = [c.strip() for c in args.get("service_code", "").split(",") if c.strip()]
        if codes:
            categories = {c.code: c for c in await self.requests.categories()}
            unknown = [c for c in codes if c not in categories]
            if unknown:
                raise Open311Error(404, N_("service_code {code} was not found."), code=unknown[0])
            category_ids = [categories[c].id for c in codes]
        start, end = self._range(args.get("start_date", ""), args.get("end_date", ""))
        statuses = None
        wanted = [s.strip() for s in args.get("status", "").split(",") if s.strip()]
        if wanted:
            if any(s not in ("open", "closed") for s in wanted):
                raise Open311Error(400, N_("status must be open or closed."))
            statuses = sorted(
                s.value for s in Status if ("closed" if s in CLOSED_STATUSES else "open") in wanted
            )
        async with self.db.read() as tx:
            found = await tx.api.requests(
                numbers=None,
                category_ids=category_ids,
                start=start,
                end=end,
                statuses=statuses,
                limit=MAX_RESULTS,
            )
            return await self._public(tx, found)

    def _range(self, start_text: str, end_text: str) -> tuple[datetime, datetime]:
        start = self._datetime("start_date", start_text)
        end = self._datetime("end_date", end_text)
        if start is None and end is None:
            end = self.clock.now()
        if start is None:
            assert end is not None
            start = end - MAX_SPAN
        if end is None:
            end = start + MAX_SPAN
        if end < start:
            raise Open311Error(400, N_("end_date is before start_date."))
        if end - start > MAX_SPAN:
            raise Open311Error(400, N_("The date range may not span more than 90 days."))
        return start, end

    def _datetime(self, name: str, text: str) -> datetime | None:
        text = text.strip()
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise Open311Error(
                400,
                N_("{name} must be a w3 date and time with a time zone, e.g. {example}."),
                name=name,
                example="2026-11-01T00:00:00+08:00",
            )
        return value

    async def one(self, number: str) -> list[PublicRequest]:
        """GET requests/{id}."""
        async with self.db.read() as tx:
            request = await tx.requests.by_number(number)
            if request is None:
                raise Open311Error(404, N_("service_request_id {id} was not found."), id=number)
            return await self._public(tx, [request])

    async def token(self, token: str) -> str:
        """GET tokens/{token}: the request id it stands for."""
        async with self.db.statement() as tx:
            number = await tx.api.by_token(token) if len(token) <= 100 else None
        if number is None:
            raise Open311Error(404, N_("token {token} was not found."), token=token)
        return number

    # -- the public record -----------------------------------------------------------------
    async def _public(self, tx: Tx, requests: list[Request]) -> list[PublicRequest]:
        if not requests:
            return []
        units = {u.id: u for u in await tx.org.all_units()}
        categories = {c.id: c for c in await tx.requests.categories(active_only=False)}
        events: dict[int, list[RequestEvent]] = {}
        for event in await tx.api.events_of([r.id for r in requests], RESIDENT_EVENTS):
            events.setdefault(event.request_id, []).append(event)
        return [
            self._record(r, categories[r.category_id], units, events.get(r.id, []))
            for r in requests
        ]

    def _record(
        self,
        request: Request,
        category: Category,
        units: dict[int, OrgUnit],
        events: list[RequestEvent],
    ) -> PublicRequest:
        language = self.language
        compound = units[request.compound_id]
        path = [compound]
        while path[-1].parent_id is not None and path[-1].parent_id in units:
            path.append(units[path[-1].parent_id])
        places = [u.label(language) for u in path]  # specific to general, as the spec asks
        if request.address and not request.anonymous:
            places.insert(0, mask_numbers(request.address))
        latitude, longitude = request.latitude, request.longitude
        if latitude is None or longitude is None:
            latitude, longitude = compound.latitude, compound.longitude
        decimals = self.config.api.coordinate_decimals
        closed = request.status in CLOSED_STATUSES
        finished = request.closed_at or request.resolved_at or request.updated_at
        return PublicRequest(
            service_request_id=request.number,
            status="closed" if closed else "open",
            status_notes=self._notes(request, events),
            service_name=category.label(language),
            service_code=category.code,
            description=mask_numbers(request.description),
            agency_responsible=self._agency(request, path),
            service_notice=self._notice(request.tier),
            requested_datetime=self._w3(request.created_at),
            updated_datetime=self._w3(finished if closed else request.updated_at),
            expected_datetime=(
                self._w3(request.resolve_due_at)
                if request.resolve_due_at is not None and request.status in OPEN
                else None
            ),
            address=", ".join(places),
            address_id=compound.code,
            zipcode=None,
            lat=None if latitude is None else round(latitude, decimals),
            long=None if longitude is None else round(longitude, decimals),
            media_url=None,  # photos may show people: never public
        )

    def _w3(self, when: datetime) -> str:
        """ISO 8601 with the local offset, e.g. 2026-11-26T17:00:00+08:00."""
        return when.astimezone(self.config.tz).isoformat(timespec="seconds")

    def _agency(self, request: Request, path: list[OrgUnit]) -> str:
        """The community handling the request; the street or district while it chases it."""
        level = request.escalation_level if request.status in OPEN else None
        wanted = Level(level) if level in ("street", "district") else Level.COMMUNITY
        unit = next((u for u in path if u.level is wanted), None)
        unit = unit or next((u for u in path if u.level is not Level.COMPOUND), path[0])
        return unit.label(self.language)

    def _notice(self, tier: Tier) -> str:
        t = self.t
        accept, resolve = (
            timedelta(minutes=getattr(self.config.deadlines, tier.value).accept_minutes),
            timedelta(minutes=getattr(self.config.deadlines, tier.value).resolve_minutes),
        )
        return t("{tier}: taken within {accept}, done within {resolve}.").format(
            tier=t(TIER_NAMES[tier]), accept=fmt_span(t, accept), resolve=fmt_span(t, resolve)
        )

    def _notes(self, request: Request, events: list[RequestEvent]) -> str | None:
        """The current status in words, with the latest note the resident could read:
        the status change's own note, or a progress note after it."""
        t = self.t
        head = t(API_STATUS_NAMES[request.status])
        note: str | None = None
        for event in events:
            if event.kind == "status":
                note = event.note if event.to_status != Status.RETURNED.value else None
            elif event.kind == "note" and event.note:
                note = event.note
        level = request.escalation_level
        if request.status in OPEN and level in LEVEL_NAMES:
            head += t(" (chased by {level})").format(level=t(LEVEL_NAMES[str(level)]))
        if not note:
            return head
        return t("{status}: {note}").format(status=head, note=mask_numbers(t(note)))
