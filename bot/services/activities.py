"""志愿服务活动: publishing an activity, inviting its audience, sign-up with a waiting list,
reminders, check-in three ways, and afterwards attendance, volunteer hours and points.

* **Publishing** is for administrators (in their area) and team leaders (in theirs): a preview
  counts the exact audience, and publishing queues the invitations through the outbox in the
  same transaction as the activity.
* **Sign-up** holds the activity's row for the transaction, so the capacity holds however many
  press at once; a full activity keeps a waiting list (in the order people joined), and a
  cancellation moves the first one up and tells them.
* **Reminders** the day and the hour before (``[activities] remind_before_hours``), and the
  activity's close after its end, are timer rows of the deadline sweep (``activity_id`` set;
  kinds ``activity_remind`` and ``activity_close``); a reminder that falls in quiet hours waits for
  their end, or goes silently when that would be after the start.
* **Check-in** runs from half an hour before the start to the end: the organiser's roll call,
  the rotating code on the organiser's phone (:mod:`bot.checkin`: the current or the previous
  minute's), or a location shared within ``[activities] checkin_radius_m`` of the venue.
* **Afterwards** the hours (the activity's length) go to those checked in, with points by
  ``[points] per_hour``; they are asked a short feedback question.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.checkin import code_at, new_secret, valid_code
from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import DETAILS, TITLE
from bot.geo import haversine_m
from bot.i18n import N_
from bot.models import FlowEnd, OrgUnit, Person, Role, ServiceTeam, Station, Tier
from bot.models.activities import (
    Activity,
    ActivityForm,
    ActivityState,
    ActivityView,
    Attendance,
    CheckinMethod,
    Feedback,
    SignupState,
)
from bot.models.points import PointsKind
from bot.services.scope import Refused, admin_units, administers, audited_refusals
from bot.views import activities as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.i18n import I18n
    from bot.outbox import Notifier
    from bot.services.clocks import Clocks
    from bot.services.escalation import RungCache
    from bot.services.people import Actor
    from bot.services.points import PointsService
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["CLOSE", "REMIND", "ActivityService", "Published"]

LOG = logging.getLogger(__name__)

REMIND = "activity_remind"
CLOSE = "activity_close"


class Published:
    """An activity just published (or found again by its form), and how many were invited."""

    def __init__(self, activity: Activity, invited: int, new: bool) -> None:
        self.activity = activity
        self.invited = invited
        self.new = new


class ActivityService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifier: Notifier,
        clocks: Clocks,
        points: PointsService,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.clocks = clocks
        self.points = points
        self.i18n = i18n
        self.config = config

    def register(self, sweep: DeadlineSweep) -> None:
        """The sweep acts on the activities' timer rows through these."""
        sweep.register([REMIND], self._remind_due)
        sweep.register([CLOSE], self._close_due)

    # -- who may publish and run activities ------------------------------------------------
    async def _publishing(self, tx: Tx, actor: Actor) -> list[tuple[OrgUnit, ServiceTeam | None]]:
        """Where the actor may publish: their admin units (any team), and the units where
        they lead a team (that team)."""
        out: list[tuple[OrgUnit, ServiceTeam | None]] = [
            (unit, None) for unit in sorted(await admin_units(tx, actor), key=lambda u: u.path)
        ]
        for grant in actor.grants:
            if grant.role is Role.TEAM_LEADER and grant.team_id is not None:
                unit, team = await tx.org.get(grant.unit_id), await tx.org.team(grant.team_id)
                if unit is not None and team is not None:
                    out.append((unit, team))
        return out

    async def areas(self, actor: Actor) -> list[tuple[OrgUnit, ServiceTeam | None]]:
        """Where the actor may publish (refused and audited for anyone else)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            areas = await self._publishing(tx, actor)
            if not areas:
                raise Refused(
                    NotAllowed(N_("Only administrators and team leaders can publish activities.")),
                    action="activity.publish",
                    subject="activity",
                    unit_id=None,
                    reason="neither an admin nor a team leader",
                )
        return areas

    async def choices(self, actor: Actor, unit_id: int) -> tuple[list[Station], list[ServiceTeam]]:
        """The stations an activity of ``unit_id`` may be held at (in it, or serving the
        units above it), and the teams that may run it."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            unit, team = await self._area(tx, actor, unit_id)
            path = [*await tx.org.ancestors(unit), unit]
            stations = [
                s
                for s in await tx.org.stations()
                if (home := await tx.org.get(s.unit_id)) is not None
                and (unit.contains(home) or home.id in {u.id for u in path})
            ]
            teams = [team] if team is not None else await tx.org.teams()
        return stations, teams

    async def _area(
        self, tx: Tx, actor: Actor, unit_id: int
    ) -> tuple[OrgUnit, ServiceTeam | None]:
        for unit, team in await self._publishing(tx, actor):
            if unit.id == unit_id:
                return unit, team
        raise Refused(
            NotAllowed(N_("You can only publish activities for your own area.")),
            action="activity.publish",
            subject=f"unit:{unit_id}",
            unit_id=unit_id,
            reason="outside the publisher's area",
        )

    async def _may_run(self, tx: Tx, actor: Actor, activity: Activity) -> bool:
        """The organiser, an administrator of its area, or a leader of its team there."""
        if activity.organiser_id == actor.id:
            return True
        unit = await tx.org.get(activity.unit_id)
        assert unit is not None
        if await administers(tx, actor, unit):
            return True
        for grant in actor.grants:
            if grant.role is not Role.TEAM_LEADER or grant.team_id is None:
                continue
            if grant.team_id == activity.team_id:
                scope = await tx.org.get(grant.unit_id)
                if scope is not None and scope.contains(unit):
                    return True
        return False

    async def _run(self, tx: Tx, actor: Actor, activity_id: int, action: str) -> Activity:
        activity = await tx.activities.get(activity_id)
        if activity is None:
            raise NotFound(N_("That activity does not exist."))
        if not await self._may_run(tx, actor, activity):
            raise Refused(
                NotAllowed(N_("Only the organiser of this activity can do this.")),
                action=action,
                subject=f"activity:{activity.id}",
                unit_id=activity.unit_id,
                reason="not the organiser, an admin of its area or its team's leader",
            )
        return activity

    # -- publishing --------------------------------------------------------------------------
    def check(self, form: ActivityForm) -> tuple[datetime, datetime]:
        """The form's start and end as aware times; refuse what cannot be published."""
        if form.unit_id is None or form.title is None or form.day is None:
            raise InvalidInput(N_("The activity is not complete yet."))
        if form.start is None or form.minutes is None or form.capacity is None:
            raise InvalidInput(N_("The activity is not complete yet."))
        if not form.audience:
            raise InvalidInput(N_("Please choose who is invited."))
        if form.station_id is None and not (form.address or form.latitude is not None):
            raise InvalidInput(N_("Please choose where it takes place."))
        hours, minutes = (int(p) for p in form.start.split(":"))
        start = datetime.combine(form.day, time(hours, minutes), self.config.tz).astimezone(UTC)
        if start <= self.clock.now():
            raise InvalidInput(N_("The start must be in the future."))
        return start, start + timedelta(minutes=form.minutes)

    async def preview(self, actor: Actor, form: ActivityForm) -> tuple[ActivityView, int]:
        """The activity as it will be published, and exactly how many will be invited."""
        start, end = self.check(form)
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            assert form.unit_id is not None
            unit, _team = await self._area(tx, actor, form.unit_id)
            audience = await tx.activities.audience(unit, form.audience)
            count = len([p for p in audience if p != actor.id])
            station = await tx.org.station(form.station_id) if form.station_id else None
            team = await tx.org.team(form.team_id) if form.team_id else None
        draft = Activity(
            id=0,
            title=form.title or "",
            description=form.description,
            unit_id=unit.id,
            team_id=form.team_id,
            station_id=form.station_id,
            address=form.address,
            latitude=form.latitude,
            longitude=form.longitude,
            starts_at=start,
            ends_at=end,
            capacity=form.capacity or 0,
            audience=tuple(form.audience),
            organiser_id=actor.id,
            secret="",
            created_at=self.clock.now(),
        )
        return ActivityView(draft, unit, station, team, signed=0, waiting=0), count

    async def publish(
        self, actor: Actor, form: ActivityForm, end: FlowEnd | None = None
    ) -> Published:
        """Publish the activity and queue the invitations, in one transaction with the end of
        the publishing conversation; a repeated press finds the same activity."""
        start, finish = self.check(form)
        now = self.clock.now()
        source_key = _source_key(actor, form.nonce)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            existing = await tx.activities.by_source(source_key)
            if existing is not None:
                await self._finish_flow(tx, actor, end, existing)
                return Published(existing, existing.invited, False)
            assert form.unit_id is not None and form.title is not None
            unit, only_team = await self._area(tx, actor, form.unit_id)
            team_id = only_team.id if only_team is not None else form.team_id
            station = await tx.org.station(form.station_id) if form.station_id else None
            latitude = station.latitude if station else form.latitude
            longitude = station.longitude if station else form.longitude
            activity = await tx.activities.create(
                title=TITLE.accept(form.title),
                description=DETAILS.accept(form.description) if form.description else "",
                unit_id=unit.id,
                team_id=team_id,
                station_id=station.id if station else None,
                address=station.address if station else form.address,
                latitude=latitude,
                longitude=longitude,
                starts_at=start,
                ends_at=finish,
                capacity=form.capacity or 1,
                audience=form.audience,
                organiser_id=actor.id,
                secret=new_secret(),
                source_key=source_key,
                now=now,
            )
            for step, hours in enumerate(self.config.activities.remind_before_hours, 1):
                due = start - timedelta(hours=hours)
                if due > now:
                    await tx.deadlines.add(
                        None, REMIND, due, now, step=step, activity_id=activity.id
                    )
            close = finish + timedelta(minutes=self.config.activities.close_after_minutes)
            await tx.deadlines.add(None, CLOSE, close, now, activity_id=activity.id)
            invited = await self._invite(tx, activity, unit, actor.id)
            await tx.activities.set_invited(activity.id, invited)
            await self._journal(
                tx,
                actor,
                activity,
                "activity.publish",
                after={
                    "title": activity.title,
                    "starts_at": start.isoformat(),
                    "capacity": activity.capacity,
                    "audience": [a.value for a in activity.audience],
                    "invited": invited,
                },
            )
            await self._finish_flow(tx, actor, end, activity)
            published = await tx.activities.get(activity.id)
        assert published is not None
        LOG.info("activity %d published by person %d, %d invited", activity.id, actor.id, invited)
        return Published(published, invited, True)

    async def published(self, actor: Actor, nonce: str) -> Activity | None:
        """The activity the actor's publishing flow ``nonce`` published, if it did."""
        async with self.db.statement() as tx:
            return await tx.activities.by_source(_source_key(actor, nonce))

    async def _finish_flow(
        self, tx: Tx, actor: Actor, end: FlowEnd | None, activity: Activity
    ) -> None:
        if end is not None:
            await tx.flows.finish(
                end, person_id=actor.id, subject=f"activity:{activity.id}", now=self.clock.now()
            )

    async def _invite(self, tx: Tx, activity: Activity, unit: OrgUnit, organiser: int) -> int:
        """An invitation with Sign up to everyone in the audience (not the organiser); in
        quiet hours it arrives without a sound."""
        view = await self._view(tx, activity, None)
        silent = self.clocks.quiet_now(Tier.IMPORTANT)
        count = 0
        for person_id in await tx.activities.audience(unit, activity.audience):
            if person_id == organiser:
                continue
            person = await tx.people.get(person_id)
            if person is None:
                continue
            await self._send(
                tx,
                person,
                lambda t, lang: views.invitation(t, lang, view, self.config.tz),
                batch=f"activity:{activity.id}",
                silent=silent,
            )
            count += 1
        return count

    # -- reading -----------------------------------------------------------------------------
    async def _view(self, tx: Tx, activity: Activity, person_id: int | None) -> ActivityView:
        unit = await tx.org.get(activity.unit_id)
        assert unit is not None
        counts = await tx.activities.counts(activity.id)
        mine = await tx.activities.signup(activity.id, person_id) if person_id else None
        position = None
        if mine is not None and mine.state is SignupState.WAITING:
            position = await tx.activities.position(activity.id, mine)
        return ActivityView(
            activity=activity,
            unit=unit,
            station=await tx.org.station(activity.station_id) if activity.station_id else None,
            team=await tx.org.team(activity.team_id) if activity.team_id else None,
            signed=counts[SignupState.SIGNED],
            waiting=counts[SignupState.WAITING],
            mine=mine,
            position=position,
            attended=await tx.activities.attended_count(activity.id),
        )

    async def view(self, actor: Actor, activity_id: int) -> ActivityView:
        async with self.db.read() as tx:
            activity = await tx.activities.get(activity_id)
            if activity is None:
                raise NotFound(N_("That activity does not exist."))
            return await self._view(tx, activity, actor.id)

    async def upcoming(self, actor: Actor) -> tuple[list[ActivityView], list[ActivityView]]:
        """Activities the actor may join near them, and those they organise or run."""
        now = self.clock.now()
        async with self.db.read() as tx:
            units: list[OrgUnit] = []
            member = await tx.members.get(actor.id)
            for unit_id in {actor.person.home_unit_id, member.compound_id if member else None}:
                home = await tx.org.get(unit_id) if unit_id is not None else None
                if home is not None:
                    units.append(home)
            found = {a.id: a for a in await tx.activities.upcoming(now=now, units=units)}
            for activity in await tx.activities.of_person(actor.id, since=now):
                found.setdefault(activity.id, activity)
            open_ = [
                await self._view(tx, a, actor.id)
                for a in sorted(found.values(), key=lambda a: (a.starts_at, a.id))
            ]
            areas = [unit for unit, _team in await self._publishing(tx, actor)]
            mine = [
                await self._view(tx, a, actor.id)
                for a in await tx.activities.organised(
                    areas, actor.id, since=now - timedelta(days=1)
                )
            ]
        return open_, mine

    async def at_station(self, station_id: int, person_id: int | None) -> list[ActivityView]:
        now = self.clock.now()
        async with self.db.read() as tx:
            return [
                await self._view(tx, a, person_id)
                for a in await tx.activities.upcoming(now=now, station_id=station_id, limit=5)
            ]

    # -- signing up ----------------------------------------------------------------------------
    async def sign_up(self, actor: Actor, activity_id: int) -> ActivityView:
        """Sign up, or join the waiting list when it is full. Pressing again changes nothing."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            activity = await tx.activities.hold(activity_id, now)
            if activity is None:
                raise NotFound(N_("That activity does not exist."))
            if activity.state is not ActivityState.PUBLISHED or activity.ends_at <= now:
                raise InvalidTransition(N_("This activity is over or was cancelled."))
            mine = await tx.activities.signup(activity.id, actor.id)
            if mine is None or mine.state is SignupState.CANCELLED:
                unit = await tx.org.get(activity.unit_id)
                assert unit is not None
                if not await tx.activities.in_audience(unit, activity.audience, actor.id):
                    raise Refused(
                        NotAllowed(N_("This activity is for other people, sorry.")),
                        action="activity.signup",
                        subject=f"activity:{activity.id}",
                        unit_id=unit.id,
                        reason="not in the activity's audience",
                    )
                counts = await tx.activities.counts(activity.id)
                state = (
                    SignupState.SIGNED
                    if counts[SignupState.SIGNED] < activity.capacity
                    else SignupState.WAITING
                )
                await tx.activities.put_signup(activity.id, actor.id, state, now)
                await self._journal(tx, actor, activity, f"activity.{state.value}")
            return await self._view(tx, activity, actor.id)

    async def withdraw(self, actor: Actor, activity_id: int) -> ActivityView:
        """Cancel one's sign-up (or place on the waiting list); the first one waiting moves
        up and is told."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            activity = await tx.activities.hold(activity_id, now)
            if activity is None:
                raise NotFound(N_("That activity does not exist."))
            mine = await tx.activities.signup(activity.id, actor.id)
            if mine is None or mine.state is SignupState.CANCELLED:
                return await self._view(tx, activity, actor.id)
            if activity.state is not ActivityState.PUBLISHED or activity.ends_at <= now:
                raise InvalidTransition(N_("This activity is over or was cancelled."))
            await tx.activities.set_signup_state(
                activity.id, actor.id, mine.state, SignupState.CANCELLED, now
            )
            await self._journal(tx, actor, activity, "activity.cancel_signup")
            if mine.state is SignupState.SIGNED:
                await self._move_up(tx, activity)
            return await self._view(tx, activity, actor.id)

    async def _move_up(self, tx: Tx, activity: Activity) -> None:
        """A place is free: the first on the waiting list is signed up and told."""
        now = self.clock.now()
        counts = await tx.activities.counts(activity.id)
        if counts[SignupState.SIGNED] >= activity.capacity:
            return
        first = await tx.activities.first_waiting(activity.id)
        if first is None:
            return
        await tx.activities.set_signup_state(
            activity.id, first.person_id, SignupState.WAITING, SignupState.SIGNED, now
        )
        await self._journal(
            tx,
            None,
            activity,
            "activity.moved_up",
            before={"person": first.person_id, "state": "waiting"},
            after={"person": first.person_id, "state": "signed"},
        )
        person = await tx.people.get(first.person_id)
        if person is not None:
            view = await self._view(tx, activity, person.id)
            await self._send(
                tx, person, lambda t, lang: views.moved_up(t, lang, view, self.config.tz)
            )

    async def _journal(
        self,
        tx: Tx,
        actor: Actor | None,
        activity: Activity,
        action: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """The audit row of what happened to an activity (by ``actor``, or the system)."""
        await tx.audit.record(
            actor_id=actor.id if actor else None,
            actor_label=actor.label if actor else "system",
            action=action,
            subject=f"activity:{activity.id}",
            unit_id=activity.unit_id,
            before=before,
            after=after,
            now=self.clock.now(),
        )

    # -- reminders and the close (the sweep) -------------------------------------------------
    async def _remind_due(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        activity = await self._activity_of(tx, item)
        now = self.clock.now()
        if activity is None or activity.state is not ActivityState.PUBLISHED:
            return
        if activity.starts_at <= now:
            return
        # Quiet hours hold it like a non-urgent request's reminder.
        allowed = self.clocks.next_allowed(Tier.IMPORTANT, None, now)
        if allowed > now and allowed < activity.starts_at:
            # Quiet hours: the reminder waits for their end.
            await tx.deadlines.add(
                None, REMIND, allowed, now, step=item.step, activity_id=activity.id
            )
            return
        silent = allowed > now  # quiet hours last past the start: remind without a sound
        for signup in await tx.activities.signups(activity.id):
            person = await tx.people.get(signup.person_id)
            if person is None:
                continue
            view = await self._view(tx, activity, person.id)
            await self._send(
                tx,
                person,
                partial(views.reminder, view=view, tz=self.config.tz, now=now),
                silent=silent,
            )

    async def _activity_of(self, tx: Tx, item: DeadlineItem) -> Activity | None:
        return None if item.activity_id is None else await tx.activities.get(item.activity_id)

    async def _close_due(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        activity = await self._activity_of(tx, item)
        if activity is not None and activity.state is ActivityState.PUBLISHED:
            await self._close(tx, activity, None)

    # -- check-in ----------------------------------------------------------------------------
    async def roll(self, actor: Actor, activity_id: int) -> tuple[Activity, list[Attendance]]:
        """点名: who signed up, and who is checked in (for the organiser)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            activity = await self._run(tx, actor, activity_id, "activity.roll")
            return activity, await tx.activities.roll(activity.id)

    async def mark(
        self, actor: Actor, activity_id: int, person_id: int
    ) -> tuple[Activity, list[Attendance]]:
        """The organiser ticks someone present on the roll (or takes the tick back)."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            activity = await self._run(tx, actor, activity_id, "activity.roll")
            self._checkin_open(activity, now)
            signup = await tx.activities.signup(activity.id, person_id)
            if signup is None or (signup.state is not SignupState.SIGNED and not signup.attended):
                raise NotFound(N_("That person has not signed up."))
            after: dict[str, Any] = {"person": person_id}
            if signup.attended:
                await tx.activities.undo_check_in(activity.id, person_id, now)
                action = "activity.uncheck"
            else:
                await tx.activities.check_in(
                    activity.id, person_id, CheckinMethod.ROLL, actor.id, now
                )
                action, after["method"] = "activity.checkin", "roll"
            await self._journal(tx, actor, activity, action, after=after)
            return activity, await tx.activities.roll(activity.id)

    async def code(self, actor: Actor, activity_id: int) -> tuple[Activity, str, datetime]:
        """The check-in code to show now, and until when it is shown (it is accepted a
        minute longer)."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            activity = await self._run(tx, actor, activity_id, "activity.code")
        self._checkin_open(activity, now)
        minute = now.replace(second=0, microsecond=0)
        return activity, code_at(activity.secret, activity.id, now), minute + timedelta(minutes=1)

    def _checkin_open(self, activity: Activity, now: datetime) -> None:
        if not activity.checkin_open(now):
            raise InvalidTransition(
                N_("Check-in runs from half an hour before the start to the end.")
            )

    async def checkin_target(self, actor: Actor, activity_id: int) -> Activity:
        """The activity the actor pressed Check in on, if they may check in to it now."""
        async with self.db.read() as tx:
            activity = await tx.activities.get(activity_id)
            signup = await tx.activities.signup(activity_id, actor.id)
        if activity is None or signup is None or signup.state is not SignupState.SIGNED:
            raise NotFound(N_("You have not signed up for this activity."))
        if signup.attended:
            raise InvalidTransition(N_("You are checked in already."))
        self._checkin_open(activity, self.clock.now())
        return activity

    async def open_for(self, actor: Actor) -> list[Activity]:
        """The actor's activities where check-in runs now (signed up, not yet checked in)."""
        now = self.clock.now()
        async with self.db.read() as tx:
            return await self._open_for(tx, actor, now)

    async def _open_for(self, tx: Tx, actor: Actor, now: datetime) -> list[Activity]:
        out = []
        for activity in await tx.activities.of_person(actor.id, since=now):
            signup = await tx.activities.signup(activity.id, actor.id)
            if (
                signup is not None
                and signup.state is SignupState.SIGNED
                and not signup.attended
                and activity.checkin_open(now)
            ):
                out.append(activity)
        return out

    async def awaits_check_in(self, actor: Actor) -> bool:
        """Whether a check-in runs now for the actor (signed up, not checked in yet)."""
        async with self.db.read() as tx:
            return bool(await self._open_for(tx, actor, self.clock.now()))

    async def check_in_code(self, actor: Actor, code: str) -> Activity:
        """签到 with the code shown on the organiser's phone (this or the last minute's)."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            candidates = await self._open_for(tx, actor, now)
            if not candidates:
                raise InvalidTransition(N_("You have no activity to check in to right now."))
            for activity in candidates:
                if valid_code(activity.secret, activity.id, code, now):
                    await self._checked_in(tx, actor, activity, CheckinMethod.CODE, now)
                    return activity
            raise Refused(
                InvalidInput(
                    N_(
                        "That code is wrong or has expired. Please read the code on the"
                        " organiser's phone again."
                    )
                ),
                action="activity.checkin",
                subject=f"activity:{candidates[0].id}",
                unit_id=candidates[0].unit_id,
                reason="wrong or expired code",
            )

    async def check_in_location(
        self, actor: Actor, latitude: float, longitude: float
    ) -> tuple[Activity | None, float | None]:
        """签到 with a shared location within the radius of the venue, during check-in. Returns
        the activity checked in to, or (None, the distance to the nearest venue) when the
        person is too far; (None, None) when no check-in runs for them."""
        now = self.clock.now()
        radius = self.config.activities.checkin_radius_m
        async with self.db.transaction() as tx:
            nearest: float | None = None
            for activity in await self._open_for(tx, actor, now):
                if activity.latitude is None or activity.longitude is None:
                    continue
                distance = haversine_m(latitude, longitude, activity.latitude, activity.longitude)
                if distance <= radius:
                    await self._checked_in(tx, actor, activity, CheckinMethod.LOCATION, now)
                    return activity, distance
                nearest = distance if nearest is None else min(nearest, distance)
        return None, nearest

    async def _checked_in(
        self, tx: Tx, actor: Actor, activity: Activity, method: CheckinMethod, now: datetime
    ) -> None:
        await tx.activities.check_in(activity.id, actor.id, method, actor.id, now)
        await self._journal(
            tx,
            actor,
            activity,
            "activity.checkin",
            after={"person": actor.id, "method": method.value},
        )

    # -- afterwards ----------------------------------------------------------------------------
    async def finish(self, actor: Actor, activity_id: int) -> tuple[Activity, int, int]:
        """The organiser ends the activity (once it has started): hours and points to those
        checked in, a feedback question to them. Returns (activity, attended, signed)."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            activity = await self._run(tx, actor, activity_id, "activity.finish")
            if activity.state is not ActivityState.PUBLISHED:
                raise InvalidTransition(N_("This activity is over or was cancelled."))
            if activity.starts_at > now:
                raise InvalidTransition(N_("An activity can be ended once it has started."))
            return await self._close(tx, activity, actor)

    async def _close(
        self, tx: Tx, activity: Activity, actor: Actor | None
    ) -> tuple[Activity, int, int]:
        now = self.clock.now()
        if not await tx.activities.set_state(
            activity.id, ActivityState.PUBLISHED, ActivityState.FINISHED, now
        ):
            raise InvalidTransition(N_("This activity is over or was cancelled."))
        await tx.deadlines.cancel_for_activity(activity.id, (REMIND, CLOSE))
        hours = activity.hours
        attendees = await tx.activities.credit_hours(activity.id, hours, now)
        points = self.points.points_for_hours(hours)
        for person_id in attendees:
            await self.points.earn(
                tx, person_id, points, PointsKind.HOURS, f"activity:{activity.id}"
            )
            person = await tx.people.get(person_id)
            if person is not None:
                await self._send(
                    tx, person, lambda t, lang: views.thanks(t, activity, hours, points)
                )
        signed = (await tx.activities.counts(activity.id))[SignupState.SIGNED]
        await self._journal(
            tx,
            actor,
            activity,
            "activity.finish",
            before={"state": "published"},
            after={"attended": len(attendees), "signed": signed, "hours": hours},
        )
        finished = await tx.activities.get(activity.id)
        assert finished is not None
        if actor is None and activity.organiser_id is not None:
            organiser = await tx.people.get(activity.organiser_id)
            if organiser is not None:
                count = len(attendees)
                await self._send(
                    tx,
                    organiser,
                    lambda t, lang: views.finished(t, finished, count, signed, hours),
                )
        return finished, len(attendees), signed

    async def cancel(self, actor: Actor, activity_id: int) -> Activity:
        """The organiser calls it off: everyone signed up or waiting is told."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            activity = await self._run(tx, actor, activity_id, "activity.cancel")
            if not await tx.activities.set_state(
                activity.id, ActivityState.PUBLISHED, ActivityState.CANCELLED, now
            ):
                raise InvalidTransition(N_("This activity is over or was cancelled."))
            await tx.deadlines.cancel_for_activity(activity.id, (REMIND, CLOSE))
            for signup in await tx.activities.signups(
                activity.id, (SignupState.SIGNED, SignupState.WAITING)
            ):
                person = await tx.people.get(signup.person_id)
                if person is not None:
                    await self._send(
                        tx,
                        person,
                        lambda t, lang: views.called_off(t, lang, activity, self.config.tz),
                    )
            await self._journal(tx, actor, activity, "activity.cancel")
            cancelled = await tx.activities.get(activity.id)
        assert cancelled is not None
        return cancelled

    async def feedback(self, actor: Actor, activity_id: int, answer: Feedback) -> None:
        """The short question after the activity: how was it?"""
        async with self.db.transaction() as tx:
            if not await tx.activities.set_feedback(
                activity_id, actor.id, answer, self.clock.now()
            ):
                raise NotFound(N_("Only those who took part can answer."))

    # -- sending -------------------------------------------------------------------------------
    async def _send(
        self,
        tx: Tx,
        person: Person,
        render: views.Render,
        *,
        batch: str | None = None,
        silent: bool = False,
    ) -> None:
        if person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(
            tx,
            person.telegram_id,
            render(self.i18n.get(language), language),
            batch=batch,
            silent=silent,
        )


def _source_key(actor: Actor, nonce: str) -> str:
    """What marks an activity as published by one flow (Publish pressed again finds it)."""
    return f"activity:{actor.id}:{nonce}"
