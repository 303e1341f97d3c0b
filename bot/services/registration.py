"""党员报到: members register with the four clarities (四清楚), wait for an admin of their
community, edit their profile, pause and resume."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import Field

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import NAME, REASON, SKILL, WORK_UNIT, clean, visible
from bot.i18n import N_, I18n
from bot.menus import commands_for
from bot.models import (
    Availability,
    FlowEnd,
    Level,
    Member,
    MemberStatus,
    MemberType,
    OrgUnit,
    Role,
)
from bot.models.forms import Form
from bot.phone import mainland_mobile
from bot.services.scope import (
    Refused,
    audited_refusals,
    nearest_admins,
    require_admin,
)
from bot.views import registration as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.outbox import Notifier
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = ["JoinStep", "MemberForm", "MemberRecord", "MemberService"]

LOG = logging.getLogger(__name__)

MAX_NAME = NAME.limit
MAX_WORK_UNIT = WORK_UNIT.limit
MAX_SKILLS = 10
MAX_SKILL = SKILL.limit
_SPLIT = re.compile(r"[,，、;；\s]+")


class JoinStep(StrEnum):
    NAME = "name"
    WORK_UNIT = "work_unit"
    COMPOUND = "compound"
    PHONE = "phone"
    TYPE = "type"
    TEAMS = "teams"
    SKILLS = "skills"
    AVAILABILITY = "availability"
    SHARE_PHONE = "share_phone"
    SUMMARY = "summary"
    EDIT = "edit"  # which part to change, from the summary


class MemberForm(Form):
    """A registration (or a profile edit) in the making."""

    step: JoinStep = JoinStep.NAME
    real_name: str | None = None
    work_unit: str | None = None
    work_unit_given: bool = False
    compound_id: int | None = None
    phone: str | None = None
    member_type: MemberType | None = None
    team_ids: list[int] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    skills_given: bool = False
    availability: list[Availability] = Field(default_factory=list)
    share_phone: bool | None = None

    @classmethod
    def from_member(cls, member: Member) -> MemberForm:
        return cls(
            step=JoinStep.SUMMARY,
            real_name=member.real_name,
            work_unit=member.work_unit,
            work_unit_given=True,
            compound_id=member.compound_id,
            phone=member.phone,
            member_type=member.member_type,
            team_ids=list(member.team_ids),
            skills=list(member.skills),
            skills_given=True,
            availability=list(member.availability),
            share_phone=member.share_phone,
        )

    def set_name(self, text: str) -> None:
        self.real_name = NAME.accept(text)

    def set_phone(self, text: str) -> None:
        """A typed mainland mobile number (see :func:`bot.phone.mainland_mobile`)."""
        self.phone = mainland_mobile(text)

    def set_work_unit(self, text: str | None) -> None:
        self.work_unit = None if text is None else WORK_UNIT.accept(text)
        self.work_unit_given = True

    def set_skills(self, text: str | None) -> None:
        tags = [tag for tag in (clean(t) for t in _SPLIT.split(clean(text or ""))) if visible(tag)]
        if len(tags) > MAX_SKILLS or any(len(tag) > MAX_SKILL for tag in tags):
            raise InvalidInput(
                N_("Up to {count} short skills, each under {limit} characters, please."),
                count=MAX_SKILLS,
                limit=MAX_SKILL,
            )
        self.skills = list(dict.fromkeys(tags))
        self.skills_given = True

    def toggle_team(self, team_id: int) -> None:
        if team_id in self.team_ids:
            self.team_ids.remove(team_id)
        else:
            self.team_ids.append(team_id)

    def toggle_availability(self, slot: Availability) -> None:
        if slot in self.availability:
            self.availability.remove(slot)
        else:
            self.availability.append(slot)

    def check_ticked(self) -> None:
        """A step of boxes to tick is done with one ticked at least."""
        if self.step is JoinStep.TEAMS and not self.team_ids:
            raise InvalidInput(N_("Please choose at least one service team."))
        if self.step is JoinStep.AVAILABILITY and not self.availability:
            raise InvalidInput(N_("Please choose when you can serve."))

    def missing(self) -> JoinStep | None:
        """The first step without an answer."""
        checks = [
            (JoinStep.NAME, self.real_name is not None),
            (JoinStep.WORK_UNIT, self.work_unit_given),
            (JoinStep.COMPOUND, self.compound_id is not None),
            (JoinStep.PHONE, self.phone is not None),
            (JoinStep.TYPE, self.member_type is not None),
            (JoinStep.TEAMS, bool(self.team_ids)),
            (JoinStep.SKILLS, self.skills_given),
            (JoinStep.AVAILABILITY, bool(self.availability)),
            (JoinStep.SHARE_PHONE, self.share_phone is not None),
        ]
        return next((step for step, done in checks if not done), None)

    def next_step(self) -> JoinStep:
        """After an answer: the first step still without one, else the summary."""
        return self.missing() or JoinStep.SUMMARY


@dataclass(frozen=True)
class MemberRecord:
    member: Member
    compound: OrgUnit
    done: int
    average_rating: float | None
    ratings: int
    open_tasks: int
    visits: int
    people_visited: int


def _snapshot(member: Member) -> dict[str, Any]:
    return member.model_dump(
        mode="json", exclude={"created_at", "updated_at", "decided_at", "decided_by"}
    )


class MemberService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifier: Notifier,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.i18n = i18n
        self.config = config

    async def get(self, person_id: int) -> Member | None:
        async with self.db.read() as tx:
            return await tx.members.get(person_id)

    async def submit(self, actor: Actor, form: MemberForm, end: FlowEnd | None = None) -> Member:
        """Register (pending, admins asked) or save an edit (status kept, audited); ``end``
        ends the /join conversation in the same transaction.

        An edit that moves the member to a compound of another community is a new
        registration there: pending again, the member role ends, that community's admins are
        asked."""
        if form.missing() is not None:
            raise InvalidInput(N_("The registration is not complete yet."))
        assert form.real_name and form.compound_id and form.phone and form.member_type
        assert form.share_phone is not None
        now = self.clock.now()
        async with self.db.transaction() as tx:
            compound = await tx.org.get(form.compound_id)
            if compound is None or compound.level is not Level.COMPOUND:
                raise NotFound(N_("That compound does not exist (any more)."))
            teams = {t.id for t in await tx.org.teams()}
            if not set(form.team_ids) <= teams:
                raise InvalidInput(N_("Please choose at least one service team."))
            existing = await tx.members.get(actor.id)
            fresh = existing is None or existing.status is MemberStatus.REJECTED
            old = await tx.org.get(existing.compound_id) if existing is not None else None
            moved = not fresh and (old is None or old.parent_id != compound.parent_id)
            member = Member(
                person_id=actor.id,
                real_name=form.real_name,
                work_unit=form.work_unit,
                compound_id=compound.id,
                phone=form.phone,
                member_type=form.member_type,
                skills=form.skills,
                availability=form.availability,
                share_phone=form.share_phone,
                status=MemberStatus.PENDING if fresh or moved else existing.status,  # type: ignore[union-attr]
                reject_reason=None,
                decided_by=None if fresh or moved else existing.decided_by,  # type: ignore[union-attr]
                decided_at=None if fresh or moved else existing.decided_at,  # type: ignore[union-attr]
                paused_until=None if fresh else existing.paused_until,  # type: ignore[union-attr]
                created_at=now if existing is None else existing.created_at,
                updated_at=now,
                team_ids=sorted(form.team_ids),
            )
            await tx.members.save(member, now)
            if (
                existing is not None
                and existing.status is MemberStatus.APPROVED
                and existing.compound_id != compound.id
            ):
                # Within the community the member role moves along; to another community
                # it ends until that community approves.
                await tx.people.revoke(
                    actor.id, Role.MEMBER, existing.compound_id, by=actor.id, now=now
                )
                if moved:
                    await self._queue_menu(tx, actor.id)
                else:
                    await tx.people.grant(actor.id, Role.MEMBER, compound.id, by=actor.id, now=now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="member.register" if fresh else "member.edit",
                subject=f"member:{actor.id}",
                unit_id=compound.id,
                before=None if existing is None else _snapshot(existing),
                after=_snapshot(member),
                now=now,
            )
            if fresh or moved:
                await self._ask_admins(tx, member, compound)
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"member:{actor.id}", now=now
                )
            saved = await tx.members.get(actor.id)
        assert saved is not None
        return saved

    async def _ask_admins(self, tx: Tx, member: Member, compound: OrgUnit) -> None:
        _level, admins = await nearest_admins(tx, compound)
        teams = [t for t in await tx.org.teams() if t.id in member.team_ids]
        for admin in admins:
            language = admin.language or self.i18n.default
            await self.notifier.send(
                tx,
                admin.telegram_id,
                views.approval_card(self.i18n.get(language), language, member, compound, teams),
            )
        if not admins:
            LOG.warning("member %d: no administrator to approve them", member.person_id)

    async def approve(self, actor: Actor, person_id: int) -> Member:
        return await self._decide(actor, person_id, approve=True, reason=None)

    async def reject(self, actor: Actor, person_id: int, reason: str) -> Member:
        reason = REASON.accept(reason)
        return await self._decide(actor, person_id, approve=False, reason=reason)

    async def check_decider(self, actor: Actor, person_id: int) -> Member:
        """The pending member, if the actor may reject them (before asking for the reason;
        refusals audited)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            return await self._decidable(tx, actor, person_id, "member.reject")

    async def _decidable(self, tx: Tx, actor: Actor, person_id: int, action: str) -> Member:
        member = await tx.members.get(person_id)
        if member is None:
            raise NotFound(N_("That registration does not exist."))
        compound = await tx.org.get(member.compound_id)
        assert compound is not None
        await require_admin(tx, actor, compound, action=action, subject=f"member:{person_id}")
        if member.status is not MemberStatus.PENDING:
            raise Refused(
                InvalidTransition(N_("This was decided already.")),
                action=action,
                subject=f"member:{person_id}",
                unit_id=compound.id,
                reason=f"already {member.status.value}",
            )
        return member

    async def _decide(
        self, actor: Actor, person_id: int, *, approve: bool, reason: str | None
    ) -> Member:
        now = self.clock.now()
        action = "member.approve" if approve else "member.reject"
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            member = await self._decidable(tx, actor, person_id, action)
            status = MemberStatus.APPROVED if approve else MemberStatus.REJECTED
            await tx.members.update(
                person_id,
                now,
                status=status,
                reject_reason=reason,
                decided_by=actor.id,
                decided_at=now,
            )
            if approve:
                await tx.people.grant(
                    person_id, Role.MEMBER, member.compound_id, by=actor.id, now=now
                )
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action=action,
                subject=f"member:{person_id}",
                unit_id=member.compound_id,
                before={"status": member.status.value},
                after={"status": status.value, "reason": reason},
                now=now,
            )
            person = await tx.people.get(person_id)
            if person is not None:
                language = person.language or self.i18n.default
                t = self.i18n.get(language)
                message = views.approved(t) if approve else views.rejected(t, reason or "")
                await self.notifier.send(tx, person.telegram_id, message)
            if approve:  # the member's menu (/tasks, /visit ...), with the grant
                await self._queue_menu(tx, person_id)
            decided = await tx.members.get(person_id)
        assert decided is not None
        return decided

    async def _queue_menu(self, tx: Tx, person_id: int) -> None:
        """Queue the person's command menu for their roles now (in the same transaction)."""
        person = await tx.people.get(person_id)
        if person is None:
            return
        roles = {g.role for g in await tx.people.grants(person_id)}
        t = self.i18n.get(person.language or self.i18n.default)
        await self.notifier.set_commands(tx, person.telegram_id, commands_for(roles, t))

    async def pause(self, actor: Actor, until: date) -> Member:
        """On leave until ``until`` (local date, exclusive): no task cards meanwhile."""
        now = self.clock.now()
        start = datetime.combine(until, time(0, 0), tzinfo=self.config.tz).astimezone(UTC)
        if start <= now:
            raise InvalidInput(N_("Please choose a date in the future."))
        if (until - now.astimezone(self.config.tz).date()).days > 366:
            raise InvalidInput(N_("Please choose a date within a year."))
        return await self._set_pause(actor, start, "member.pause")

    async def resume(self, actor: Actor) -> Member:
        return await self._set_pause(actor, None, "member.resume")

    async def _set_pause(self, actor: Actor, until: datetime | None, action: str) -> Member:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            member = await tx.members.get(actor.id)
            if member is None or member.status is not MemberStatus.APPROVED:
                raise NotAllowed(N_("Only registered, approved members can do this."))
            if until is None and member.paused_until is None:
                raise InvalidTransition(N_("You are not on leave."))
            await tx.members.update(actor.id, now, paused_until=until)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action=action,
                subject=f"member:{actor.id}",
                unit_id=member.compound_id,
                before={"paused_until": member.paused_until},
                after={"paused_until": until},
                now=now,
            )
            updated = await tx.members.get(actor.id)
        assert updated is not None
        return updated

    async def record(self, actor: Actor) -> MemberRecord | None:
        """What a member has done, for /me."""
        async with self.db.read() as tx:
            member = await tx.members.get(actor.id)
            if member is None:
                return None
            compound = await tx.org.get(member.compound_id)
            assert compound is not None
            done, average, ratings, open_tasks = await tx.members.record(actor.id)
            visits, _households, people = await tx.visits.totals(actor.id)
        return MemberRecord(member, compound, done, average, ratings, open_tasks, visits, people)
