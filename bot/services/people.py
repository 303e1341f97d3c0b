"""People: who is talking to the bot, their language, home compound, roles and menus."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotFound
from bot.freetext import clean
from bot.i18n import LANGUAGES, N_, I18n
from bot.menus import commands_for
from bot.models import Level, OrgUnit, Person, Role, RoleGrant
from bot.models.people import Profile
from bot.privacy import Traces, mask_phone_numbers

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import AdminGrant
    from bot.outbox import Notifier
    from storage.db import Database, Tx

__all__ = ["FORGOTTEN_LABEL", "Actor", "PeopleService", "TelegramIdentity"]

LOG = logging.getLogger(__name__)

# The actor label of what a person did before /forget: it names nobody (not their Telegram id).
FORGOTTEN_LABEL = "forgotten"


@dataclass(frozen=True)
class TelegramIdentity:
    """What Telegram tells us about a user (no Telegram types past the handlers)."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        """The name as Telegram gives it, cleaned like any text people type (it may end up
        empty: such a person is shown as "(none)")."""
        return clean(" ".join(p for p in (self.first_name, self.last_name) if p))


@dataclass(frozen=True)
class Actor:
    """A person with their live role grants, as seen by the services."""

    person: Person
    grants: tuple[RoleGrant, ...]

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def roles(self) -> set[Role]:
        return {g.role for g in self.grants}

    @property
    def label(self) -> str:
        return f"tg:{self.person.telegram_id}"

    def units_with(self, role: Role) -> list[int]:
        """Where the actor holds ``role``, each unit once (two seats of one compound: once)."""
        return list(dict.fromkeys(g.unit_id for g in self.grants if g.role == role))


def guess_language(language_code: str | None) -> str | None:
    """Map a Telegram language code to one of ours (only a suggestion: the person chooses)."""
    if not language_code:
        return None
    code = language_code.lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return None


def _changes(person: Person, who: TelegramIdentity) -> dict[str, object]:
    """What Telegram says differently from what we keep (and 'reachable again')."""
    changes: dict[str, object] = {}
    if who.display_name and person.display_name != who.display_name:
        changes["display_name"] = who.display_name
    if person.username != who.username:
        changes["username"] = who.username
    if person.unreachable:
        changes["unreachable"] = False  # they are talking to us again
    return changes


class PeopleService:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, i18n: I18n) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.i18n = i18n
        # Telegram ids with a person, as seen by this process (a forgotten one is dropped).
        self._known: set[int] = set()

    async def known(self, telegram_id: int) -> bool:
        """Does the bot keep a person for this Telegram user (started, not forgotten)?"""
        if telegram_id in self._known:
            return True
        async with self.db.statement() as tx:
            found = await tx.people.by_telegram(telegram_id) is not None
        if found:
            self._known.add(telegram_id)
        return found

    async def identify(self, who: TelegramIdentity) -> Actor:
        """Find or create the person behind a Telegram user; refresh their name.

        This runs for every update, so the common case is one read statement."""
        async with self.db.statement() as tx:
            found = await tx.people.with_grants(who.telegram_id)
        if found is not None and not _changes(found[0], who):
            self._known.add(who.telegram_id)
            return Actor(found[0], tuple(found[1]))
        now = self.clock.now()
        async with self.db.transaction() as tx:
            current = await tx.people.by_telegram(who.telegram_id)
            if current is None:
                person = await tx.people.create(
                    telegram_id=who.telegram_id,
                    display_name=who.display_name,
                    username=who.username,
                    language=None,
                    now=now,
                )
                LOG.info("new person %d", person.id)
            else:
                person = await tx.people.update(current.id, now, **_changes(current, who))
            grants = await tx.people.grants(person.id)
        self._known.add(who.telegram_id)
        return Actor(person, tuple(grants))

    async def actor(self, person_id: int) -> Actor:
        async with self.db.read() as tx:
            person = await tx.people.get(person_id)
            if person is None:
                raise NotFound(N_("You are not registered yet. Send /start."))
            grants = await tx.people.grants(person_id)
        return Actor(person, tuple(grants))

    async def set_language(self, actor: Actor, language: str) -> Actor:
        if language not in LANGUAGES:
            raise InvalidInput(N_("This language is not available."))
        now = self.clock.now()
        async with self.db.transaction() as tx:
            before = actor.person.language
            person = await tx.people.update(actor.id, now, language=language)
            if before != language:
                await tx.audit.record(
                    actor_id=actor.id,
                    actor_label=actor.label,
                    action="person.language",
                    subject=f"person:{actor.id}",
                    before={"language": before},
                    after={"language": language},
                    now=now,
                )
            await self._queue_menu(tx, person)
        return Actor(person, actor.grants)

    async def set_home(self, actor: Actor, compound_id: int) -> tuple[Actor, OrgUnit]:
        """Make ``compound_id`` the person's home and register them as a resident there."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            unit = await tx.org.get(compound_id)
            if unit is None or unit.level is not Level.COMPOUND:
                raise NotFound(N_("That compound does not exist (any more)."))
            before = actor.person.home_unit_id
            person = await tx.people.update(actor.id, now, home_unit_id=unit.id)
            if before != unit.id:
                await tx.people.revoke(actor.id, Role.RESIDENT, None, by=actor.id, now=now)
            await tx.people.grant(actor.id, Role.RESIDENT, unit.id, by=actor.id, now=now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="person.home",
                subject=f"person:{actor.id}",
                unit_id=unit.id,
                before={"home_unit_id": before},
                after={"home_unit_id": unit.id},
                now=now,
            )
            grants = await tx.people.grants(actor.id)
            await self._queue_menu(tx, person, grants)
        return Actor(person, tuple(grants)), unit

    async def profile(self, actor: Actor) -> Profile:
        async with self.db.read() as tx:
            person = await tx.people.get(actor.id)
            if person is None:
                raise NotFound(N_("You are not registered yet. Send /start."))
            home: list[OrgUnit] = []
            if person.home_unit_id is not None:
                unit = await tx.org.get(person.home_unit_id)
                if unit is not None:
                    home = [*await tx.org.ancestors(unit), unit]
            grants = []
            seen = set()
            for grant in await tx.people.grants(person.id):
                key = (grant.role, grant.unit_id, grant.department_id, grant.team_id)
                unit = await tx.org.get(grant.unit_id)
                if unit is not None and key not in seen:  # two seats of a compound: one line
                    seen.add(key)
                    grants.append((grant, unit))
            departments = await tx.departments.many(
                [g.department_id for g, _unit in grants if g.department_id is not None]
            )
            led = {g.team_id for g, _unit in grants if g.team_id is not None}
            teams = {team.id: team for team in await tx.org.teams() if team.id in led}
        return Profile(person, home, grants, departments, teams)

    async def forget(self, actor: Actor) -> None:
        """Delete the person, their grants, their registration, their conversations and what
        the bot said to them. What they filed stays, without their name and with every phone
        number in it masked; what they did stays in the timelines and the audit log without
        their Telegram id; and every text the bot keeps — messages to other people (task
        cards, their edits, relayed words), notes, the audit's snapshots — loses their names,
        phone numbers, username and id (``bot/privacy.py``). One transaction."""
        now = self.clock.now()
        telegram_id = actor.person.telegram_id
        async with self.db.transaction() as tx:
            traces = await self._traces(tx, actor)
            await tx.privacy.mask_own_requests(actor.id, mask_phone_numbers)
            await tx.privacy.mask_own_words(actor.id, mask_phone_numbers)
            await tx.requests.anonymise_resident(actor.id)
            await tx.requests.forget_actor(actor.id, actor.label, FORGOTTEN_LABEL)
            await tx.whistles.mask_notes(actor.id, mask_phone_numbers)
            await tx.whistles.forget_actor(actor.id, actor.label, FORGOTTEN_LABEL)
            await tx.audit.forget_actor(actor.id, actor.label, FORGOTTEN_LABEL)
            await tx.outbox.forget_chat(telegram_id, now)
            await tx.broadcasts.forget_chat(telegram_id)
            await tx.flows.forget(telegram_id)
            await tx.parties.forget_holder(actor.id, now)  # their seats are vacant now
            await tx.people.delete(actor.id)
            scrubbed = await tx.privacy.scrub(traces.needles, traces.scrub)
            await tx.audit.record(
                actor_id=None,
                actor_label="system",
                action="person.forget",
                subject=f"person:{actor.id}",
                before=None,
                after={"texts_cleaned": scrubbed},
                now=now,
            )
        self._known.discard(telegram_id)

    @staticmethod
    async def _traces(tx: Tx, actor: Actor) -> Traces:
        """Everything that identifies the person: names, phones, username, Telegram id."""
        person = actor.person
        member = await tx.members.get(actor.id)
        phones = {p for p in (person.phone, member.phone if member else None) if p}
        phones |= set(await tx.requests.contact_phones(actor.id))
        names = {n for n in (person.display_name, member.real_name if member else None) if n}
        names |= {
            s.holder_name for s in await tx.parties.seats_of_person(actor.id) if s.holder_name
        }
        return Traces(
            names=sorted(names),
            phones=sorted(phones),
            username=person.username,
            telegram_id=person.telegram_id,
        )

    async def refresh_menu(self, actor: Actor) -> None:
        async with self.db.transaction() as tx:
            await self._queue_menu(tx, actor.person, list(actor.grants))

    async def queue_menu(self, tx: Tx, person_id: int) -> None:
        """Queue the person's command menu as their roles are in ``tx`` (one changed in it)."""
        person = await tx.people.get(person_id)
        if person is not None:
            await self._queue_menu(tx, person)

    async def _queue_menu(
        self, tx: Tx, person: Person, grants: list[RoleGrant] | None = None
    ) -> None:
        if grants is None:
            grants = await tx.people.grants(person.id)
        roles = {g.role for g in grants}
        await self.notifier.set_commands(
            tx, person.telegram_id, commands_for(roles, self.i18n.get(person.language))
        )

    # -- administration from the command line and config --------------------------------
    async def grant_admin(
        self, telegram_id: int, unit_code: str, *, actor_label: str = "cli"
    ) -> bool:
        """Make the Telegram user an admin of ``unit_code``; return False if already one."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            unit = await tx.org.get_by_code(unit_code)
            if unit is None:
                raise NotFound(N_("Unknown unit code {code}."), code=unit_code)
            person = await tx.people.by_telegram(telegram_id)
            if person is None:
                person = await tx.people.create(
                    telegram_id=telegram_id,
                    display_name="",
                    username=None,
                    language=None,
                    now=now,
                )
            granted = await tx.people.grant(person.id, Role.ADMIN, unit.id, by=None, now=now)
            if granted:
                await tx.audit.record(
                    actor_id=None,
                    actor_label=actor_label,
                    action="role.grant",
                    subject=f"person:{person.id}",
                    unit_id=unit.id,
                    before=None,
                    after={"role": "admin", "unit": unit.code},
                    now=now,
                )
                if person.language is not None:
                    await self._queue_menu(tx, person)
        return granted

    async def revoke_admin(
        self, telegram_id: int, unit_code: str, *, actor_label: str = "cli"
    ) -> bool:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            unit = await tx.org.get_by_code(unit_code)
            if unit is None:
                raise NotFound(N_("Unknown unit code {code}."), code=unit_code)
            person = await tx.people.by_telegram(telegram_id)
            if person is None:
                return False
            ended = await tx.people.revoke(person.id, Role.ADMIN, unit.id, by=None, now=now)
            if ended:
                await tx.audit.record(
                    actor_id=None,
                    actor_label=actor_label,
                    action="role.revoke",
                    subject=f"person:{person.id}",
                    unit_id=unit.id,
                    before={"role": "admin", "unit": unit.code},
                    after=None,
                    now=now,
                )
                await self._queue_menu(tx, person)
        return bool(ended)

    async def bootstrap_admins(self, grants: list[AdminGrant]) -> None:
        """Apply the ``[[admins]]`` of the config (idempotent)."""
        for grant in grants:
            try:
                await self.grant_admin(grant.telegram_id, grant.unit, actor_label="config")
            except NotFound:
                LOG.warning(
                    "config admins: unit %s does not exist (import the org first)", grant.unit
                )
