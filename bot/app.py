"""Builds the Application: the one place that wires services, handlers, jobs and the error
handler together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from telegram import BotCommand, BotCommandScopeDefault
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.apibot import GridBot
from bot.clock import Clock, Pacer, RealPacer, SystemClock
from bot.config import Config
from bot.context import BotData, GridContext
from bot.i18n import LANGUAGES, I18n
from bot.menus import commands_for
from bot.models import HandledBy
from bot.outbox import Notifier, OutboxSender
from bot.processor import PerChatUpdateProcessor
from bot.redact import protect
from bot.request import AiohttpRequest
from bot.scheduler import SWEEP_JOB, Sweeper
from bot.services import Services
from bot.services.activities import ActivityService
from bot.services.admin import AdminService
from bot.services.apikeys import ApiKeyService, RateLimiter
from bot.services.broadcast import BroadcastService
from bot.services.cards import Cards
from bot.services.clocks import Clocks
from bot.services.consult import ConsultationService
from bot.services.decisions import DecisionService
from bot.services.departments import DepartmentService
from bot.services.dispatch import DispatchService
from bot.services.escalation import EscalationService
from bot.services.extensions import ExtensionService
from bot.services.flow import RequestFlow
from bot.services.forms import FormService
from bot.services.households import HouseholdService
from bot.services.invitations import InvitationService
from bot.services.leaders import LeaderService
from bot.services.menu import MenuService, TeamRoute
from bot.services.open311 import Open311Service
from bot.services.org import OrgService
from bot.services.owners_vote import OwnersVoteService
from bot.services.parties import PartyService
from bot.services.people import PeopleService
from bot.services.points import PointsService
from bot.services.property import PropertyRoute, PropertyService
from bot.services.registration import MemberService
from bot.services.requests import RequestService
from bot.services.retention import RetentionService
from bot.services.routes import OPINION, TEAM, AdminsRoute, MembersRoute, OpinionRoute
from bot.services.seat_votes import SeatVoteService
from bot.services.stations import StationService
from bot.services.stats import StatsService
from bot.services.suborders import SubOrderService
from bot.services.sweep import DeadlineSweep
from bot.services.tasks import TaskService
from bot.services.topics import TopicService
from bot.services.visits import VisitService
from bot.services.waiting import WaitingService
from bot.services.whistle import WhistleService, topic_conversion
from bot.services.whistle_cards import WhistleCards
from bot.services.whistle_clocks import KINDS as WHISTLE_KINDS
from bot.services.whistle_clocks import WhistleClocks
from bot.services.whistle_stats import WhistleStatsService
from handlers import (
    activities,
    admin,
    assign,
    broadcast,
    consult,
    consult_forms,
    departments,
    escalation,
    fallback,
    leaders,
    menu,
    my_requests,
    onboarding,
    order,
    org,
    parties,
    points,
    profile,
    publish,
    registration,
    requests,
    stations,
    stats,
    suborders,
    tasks,
    topics,
    visit,
    votes,
    whistle,
    whistle_flow,
)
from handlers.errors import on_error
from handlers.wizard import Wizard
from storage.db import Database, open_database
from storage.migrate import migrate
from storage.persistence import StorePersistence

if TYPE_CHECKING:
    from bot.open311.server import Open311Server

__all__ = [
    "GridApplication",
    "api_server",
    "build_application",
    "build_services",
    "listen_address",
    "services_of",
    "webhook_options",
]

LOG = logging.getLogger(__name__)

GridApplication = Application[Any, GridContext, dict, dict, BotData, Any]  # type: ignore[type-arg]

# The guided flows (handlers/wizard.py): each keeps its form in user_data under its name.
FLOWS: tuple[Wizard[Any], ...] = (
    requests.INTAKE,
    visit.VISIT,
    registration.JOIN,
    broadcast.COMPOSE,
    consult_forms.CONVENE,
    consult_forms.PROPOSE,
    consult_forms.VOTE,
    consult_forms.ITEM,
    votes.PAPER,
    order.ORDER,
    publish.PUBLISH,
    whistle_flow.WHISTLE,
    suborders.MEETING,
)

HOTSPOTS_JOB = "HOTSPOTS"
RATINGS_JOB = "PROPERTY RATINGS"
HOTSPOTS_INTERVAL = 3600.0  # seconds between checks whether this month's proposals are due
HOTSPOTS_FIRST = 120.0  # the first check, well after start-up

# Placeholder token for the emulator (tests, sandbox); the real one comes from the config.
OFFLINE_TOKEN = "123456:OFFLINE-EMULATOR-TOKEN"


def services_of(app: Application) -> Services:  # type: ignore[type-arg]
    services = app.bot_data.services
    if services is None:
        raise RuntimeError("application has no services")
    return services  # type: ignore[no-any-return]


def build_application(
    config: Config,
    *,
    clock: Clock | None = None,
    pacer: Pacer | None = None,
    request: BaseRequest | None = None,
    token: str | None = None,
    flows: Sequence[Wizard[Any]] = FLOWS,
) -> GridApplication:
    """Build the Application for ``config``.

    ``request`` replaces the network (the emulator in tests and the sandbox); ``token``
    defaults to the configured one; ``flows`` are the guided flows the bot runs.
    """
    token = token or config.require_token()
    protect(token)  # never in a log, whatever the level (bot/redact.py)
    clock = clock or SystemClock()
    pacer = pacer or RealPacer()
    db = open_database(config.storage.store_url)
    reports = (
        open_database(config.storage.read_url, read_only=True) if config.storage.read_url else db
    )
    if request is None:  # aiohttp: far less CPU per Bot API call than the default httpx
        request = AiohttpRequest()
        updates_request: BaseRequest = AiohttpRequest(connection_pool_size=2)
    else:
        updates_request = request
    bot = GridBot(
        token,
        base_url=config.bot.base_url,
        base_file_url=config.bot.base_file_url,
        request=request,
        get_updates_request=updates_request,
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=config.tz),
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=GridContext, bot_data=BotData))
        .post_init(_post_init)
        .post_stop(stop_sender)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor(config.performance.concurrent_updates))
        # Conversations and user data live in the store: committed before an update counts
        # as applied (bot/runner.py), and at once by the transaction that ends a flow.
        .persistence(
            StorePersistence(
                db,
                update_interval=1.0,
                store_chat_data=False,
                clock=clock,
                flows=frozenset(flow.name for flow in flows),
            )
        )
    )
    app: GridApplication = builder.build()

    services = build_services(config, db=db, clock=clock, pacer=pacer, reports=reports)
    i18n = services.i18n
    app.bot_data.services = services
    sweeper = Sweeper(app, services, {flow.name: flow.set_aside for flow in flows})
    services.sweeper = sweeper
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        sweeper.run,
        interval=config.scheduler.sweep_seconds,
        name=SWEEP_JOB,
        # A busy loop delays the sweep rather than skipping it; runs never pile up.
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )

    # 每月一题: every hour, do this month's proposals if their day has come and they are not
    # done yet (restart-safe: each community's month is recorded once done).
    app.job_queue.run_repeating(
        _hotspots_job,
        interval=HOTSPOTS_INTERVAL,
        first=HOTSPOTS_FIRST,
        name=HOTSPOTS_JOB,
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )

    # 物业服务评议: every hour, open this month's property-service ratings once their day has
    # come (each compound's month once, restart-safe).
    app.job_queue.run_repeating(
        _ratings_job,
        interval=HOTSPOTS_INTERVAL,
        first=HOTSPOTS_FIRST + 30,
        name=RATINGS_JOB,
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )

    # Before everything: nobody the bot does not know is stored before /start.
    for handler in onboarding.gate_handlers():
        app.add_handler(handler, group=-1)
    for module_handlers in (
        fallback.edit_handlers(),  # edits of sent messages are no answers to any step
        # The guided flows first: they own their steps.
        *(flow.handlers(i18n, app.user_data) for flow in flows),
        registration.handlers(i18n, app.user_data),
        onboarding.handlers(),
        my_requests.handlers(i18n, app.user_data),
        tasks.handlers(i18n, app.user_data),
        assign.handlers(i18n, app.user_data),
        escalation.handlers(i18n, app.user_data),
        admin.handlers(),
        profile.handlers(),
        org.handlers(),
        broadcast.handlers(),
        stats.handlers(i18n, app.user_data),
        topics.handlers(i18n, app.user_data),
        parties.handlers(i18n, app.user_data),
        consult.handlers(i18n, app.user_data),
        votes.handlers(i18n, app.user_data),
        menu.handlers(i18n),
        activities.handlers(i18n, app.user_data),
        points.handlers(),
        whistle.handlers(i18n, app.user_data),
        suborders.handlers(i18n, app.user_data),
        departments.handlers(),
        leaders.handlers(),
        # A location nobody waits for (a sub-order's on-site report, a flow's step): a
        # check-in or the nearest stations.
        stations.handlers(),
        fallback.handlers(i18n),  # last: only what nobody else took
    ):
        for handler in module_handlers:
            app.add_handler(handler)
    app.add_error_handler(on_error)  # type: ignore[arg-type]
    return app


def build_services(
    config: Config,
    *,
    db: Database,
    clock: Clock,
    pacer: Pacer | None = None,
    reports: Database | None = None,
) -> Services:
    """Every service, wired together (for the bot, and for ``gridbot api`` on its own).
    ``reports`` is the read replica for statistics, exports and charts (default: ``db``)."""
    i18n = I18n(config.locale.default_language)
    notifier = Notifier(clock)
    flow = RequestFlow(clock, notifier, i18n)
    people = PeopleService(db, clock, notifier, i18n)
    # Invitation links: each service that hands out a role by a link registers its kind.
    invitations = InvitationService(db, clock, people)
    cards = Cards(clock, flow, i18n, config)
    dispatch = DispatchService(db, clock, flow, cards, i18n, config)
    dispatch.routes.register(HandledBy.MEMBERS.value, MembersRoute(dispatch))
    # 物业: the compound's property company, else its self-management group, else (三无) the
    # community, else the members (四位一体, bot/services/property.py).
    dispatch.routes.register(HandledBy.PROPERTY_COMPANY.value, PropertyRoute(dispatch))
    dispatch.routes.register(HandledBy.ADMINS.value, AdminsRoute(dispatch))
    dispatch.routes.register(OPINION, OpinionRoute(dispatch))
    dispatch.routes.register(TEAM, TeamRoute(dispatch))  # service orders (点单)
    clocks = Clocks(clock, dispatch, config)
    points = PointsService(db, clock, flow, config)
    # Every status change moves the clocks, then edits the cards (which show the deadlines);
    # a request closed earns its member points.
    flow.observers += [clocks.on_transition, cards.on_transition, points.on_transition]
    escalations = EscalationService(db, clock, flow, clocks, cards, i18n, config)
    waiting = WaitingService(db, clock)
    requests_service = RequestService(db, clock, flow, dispatch, waiting, i18n, config)
    sweep = DeadlineSweep(db, clock, flow, clocks, escalations, i18n, config)
    # The four parties: their routes (property matters) and clocks (action items, owners'
    # votes, ratings) join the dispatch and the sweep here.
    consult = ConsultationService(
        db, clock, flow, cards, notifier, sweep, invitations, i18n, config
    )
    seat_votes = SeatVoteService(db, clock, consult, sweep, i18n)
    activities = ActivityService(db, clock, notifier, clocks, points, i18n, config)
    activities.register(sweep)  # its reminders and its close are timer rows of the sweep
    # 吹哨报到: departments' sub-orders, their clocks in working time on the same sweep.
    calendar = config.working_calendar()
    whistle_cards = WhistleCards(clock, flow, i18n, config)
    whistle_clocks = WhistleClocks(clock, calendar, whistle_cards, config)
    sweep.register(WHISTLE_KINDS, whistle_clocks.due)
    whistles = WhistleService(db, clock, flow, cards, whistle_cards, whistle_clocks, i18n)
    flow.observers.append(whistles.on_transition)
    stats = StatsService(db, clock, config, reports)
    topics = TopicService(db, clock, flow, requests_service, i18n, config)
    topics.register(topic_conversion(topics))  # 每月一题 → 吹哨
    topics.register(consult.topic_conversion(topics.place))  # 每月一题 → 议事协商
    return Services(
        config=config,
        db=db,
        reports=reports or db,
        clock=clock,
        pacer=pacer or RealPacer(),
        i18n=i18n,
        notifier=notifier,
        people=people,
        invitations=invitations,
        org=OrgService(db),
        flow=flow,
        dispatch=dispatch,
        clocks=clocks,
        escalation=escalations,
        extensions=ExtensionService(db, clock, flow),
        waiting=waiting,
        sweep=sweep,
        requests=requests_service,
        tasks=TaskService(db, clock, flow, waiting, cards, i18n, config),
        admin=AdminService(db, clock, flow, people, invitations),
        visits=VisitService(db, clock, requests_service),
        members=MemberService(db, clock, notifier, i18n, config),
        broadcast=BroadcastService(db, clock, pacer or RealPacer(), notifier, config),
        stats=stats,
        apikeys=ApiKeyService(db, clock),
        open311=Open311Service(db, clock, requests_service, i18n, config),
        topics=topics,
        retention=RetentionService(db, clock, config),
        parties=PartyService(db, clock, notifier, people, invitations, i18n, config),
        property=PropertyService(db, clock, dispatch, flow, notifier, sweep, i18n, config),
        households=HouseholdService(db, clock, people),
        consult=consult,
        seat_votes=seat_votes,
        decisions=DecisionService(db, clock, consult, seat_votes, flow, sweep, i18n, config),
        owners_vote=OwnersVoteService(db, clock, consult, notifier, sweep, i18n, config),
        calendar=calendar,
        departments=DepartmentService(db, clock, people, invitations),
        whistles=whistles,
        suborders=SubOrderService(db, clock, flow, whistle_cards, whistle_clocks, i18n),
        whistle_stats=WhistleStatsService(db, clock, calendar, stats, config),
        forms=FormService(db, notifier, i18n),
        menu=MenuService(db, clock, flow, dispatch, requests_service),
        leaders=LeaderService(db, clock, people, invitations),
        points=points,
        activities=activities,
        stations=StationService(db, clock, activities, calendar, config),
    )


def api_server(services: Services) -> Open311Server:
    """The Open311 server on the services (its rate limit on their clock)."""
    from bot.open311.server import Open311Server

    limiter = RateLimiter(services.clock, services.config.api.requests_per_minute)
    return Open311Server(services.open311, services.apikeys, limiter)


def listen_address(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` as a pair (ValueError with a clear message otherwise)."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen must be HOST:PORT, got {listen!r}")
    return host.strip("[]"), int(port)


def webhook_options(url: str, listen: str, secret_token: str | None) -> dict[str, Any]:
    """Arguments for ``run_webhook``/``start_webhook`` from the command-line options; the
    secret token is kept out of every log from now on (bot/redact.py)."""
    protect(secret_token)
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--listen must be HOST:PORT, got {listen!r}")
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ValueError(f"--webhook-url must be an http(s) URL, got {url!r}")
    return {
        "listen": host,
        "port": int(port),
        "url_path": parsed.path.lstrip("/"),
        "webhook_url": url,
        "secret_token": secret_token,
    }


async def start_services(app: Application) -> None:  # type: ignore[type-arg]
    """Open the database, migrate, apply config admins, start the outbox sender."""
    services = services_of(app)
    await services.db.connect()
    await services.reports.connect()
    applied = await migrate(services.db)
    if applied:
        LOG.info("applied %d migrations", len(applied))
    await services.people.bootstrap_admins(services.config.admins)
    sender = OutboxSender(
        services.db, app.bot, services.clock, services.pacer, services.config.outbox
    )
    services.notifier.bind(sender.wake)
    services.sender = sender
    await sender.start()
    await broadcast.resume_progress(app)  # progress jobs of broadcasts still sending
    if services.config.api.enabled and services.api_server is None:
        server = api_server(services)
        await server.start(*listen_address(services.config.api.listen))
        services.api_server = server


async def stop_sender(app: Application) -> None:  # type: ignore[type-arg]
    """Stop the outbox sender while the bot can still talk (before its transport closes);
    what it had not sent stays queued in the database for the next start."""
    services = services_of(app)
    if services.sender is not None:
        await services.sender.stop()
        services.sender = None


async def stop_services(app: Application) -> None:  # type: ignore[type-arg]
    """Stop the API server and the outbox sender (if still running); close the database."""
    services = services_of(app)
    if services.api_server is not None:
        await services.api_server.stop()
        services.api_server = None
    await stop_sender(app)
    if services.reports is not services.db:
        await services.reports.close()
    await services.db.close()


async def _hotspots_job(context: GridContext) -> None:
    await services_of(context.application).topics.run_due()


async def _ratings_job(context: GridContext) -> None:
    await services_of(context.application).property.run_due()


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    await start_services(app)
    await _set_default_commands(app)


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    await stop_services(app)


async def _set_default_commands(app: Application) -> None:  # type: ignore[type-arg]
    """The menu for people the bot does not know yet (per language)."""
    services = services_of(app)
    for language in LANGUAGES:
        commands = [BotCommand(c, d) for c, d in commands_for(set(), services.i18n.get(language))]
        code = None if language == services.i18n.default else language.split("_")[0]
        try:
            await app.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=code
            )
        except TelegramError as exc:
            LOG.warning("could not set the default command menu: %s", exc)
