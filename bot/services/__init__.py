"""Services: the application's logic, as plain async classes with injected dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.clock import Clock, Pacer
    from bot.config import Config
    from bot.i18n import I18n
    from bot.open311.server import Open311Server
    from bot.outbox import Notifier, OutboxSender
    from bot.scheduler import Sweeper
    from bot.services.activities import ActivityService
    from bot.services.admin import AdminService
    from bot.services.apikeys import ApiKeyService
    from bot.services.broadcast import BroadcastService
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
    from bot.services.menu import MenuService
    from bot.services.open311 import Open311Service
    from bot.services.org import OrgService
    from bot.services.owners_vote import OwnersVoteService
    from bot.services.parties import PartyService
    from bot.services.people import PeopleService
    from bot.services.points import PointsService
    from bot.services.property import PropertyService
    from bot.services.registration import MemberService
    from bot.services.requests import RequestService
    from bot.services.retention import RetentionService
    from bot.services.seat_votes import SeatVoteService
    from bot.services.stations import StationService
    from bot.services.stats import StatsService
    from bot.services.suborders import SubOrderService
    from bot.services.sweep import DeadlineSweep
    from bot.services.tasks import TaskService
    from bot.services.topics import TopicService
    from bot.services.visits import VisitService
    from bot.services.waiting import WaitingService
    from bot.services.whistle import WhistleService
    from bot.services.whistle_stats import WhistleStatsService
    from bot.workcal import WorkingCalendar
    from storage.db import Database

__all__ = ["Services"]


@dataclass
class Services:
    """Everything a handler may call, built once per Application."""

    config: Config
    db: Database
    reports: Database  # statistics, exports, charts: the read replica, or ``db``
    clock: Clock
    pacer: Pacer
    i18n: I18n
    notifier: Notifier
    people: PeopleService
    invitations: InvitationService  # every role given by a link: one mechanism, kinds registered
    org: OrgService
    flow: RequestFlow
    dispatch: DispatchService
    clocks: Clocks
    escalation: EscalationService
    extensions: ExtensionService
    waiting: WaitingService
    sweep: DeadlineSweep
    requests: RequestService
    tasks: TaskService
    admin: AdminService
    visits: VisitService
    members: MemberService
    broadcast: BroadcastService
    stats: StatsService
    apikeys: ApiKeyService
    open311: Open311Service
    topics: TopicService
    retention: RetentionService
    parties: PartyService
    property: PropertyService
    households: HouseholdService
    consult: ConsultationService
    seat_votes: SeatVoteService
    decisions: DecisionService
    owners_vote: OwnersVoteService
    calendar: WorkingCalendar
    departments: DepartmentService
    whistles: WhistleService
    suborders: SubOrderService
    whistle_stats: WhistleStatsService
    forms: FormService
    menu: MenuService
    leaders: LeaderService
    points: PointsService
    activities: ActivityService
    stations: StationService
    sender: OutboxSender | None = field(default=None)
    api_server: Open311Server | None = field(default=None)
    sweeper: Sweeper | None = field(default=None)
