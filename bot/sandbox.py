"""``gridbot sandbox``: try Gridbot without Telegram.

Starts the emulator over HTTP (Bot API and a web chat on one port), a fresh database with the
demo org (examples/duanzhou.toml), demo people (examples/sandbox_people.toml) and an elevator
retrofit under way (examples/sandbox_elevator.toml), and the real bot long-polling the
emulator. The web page shows one chat pane per person.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import OFFLINE_TOKEN, GridApplication, build_application, services_of
from bot.clock import SystemClock
from bot.config import Config, load_config
from bot.emulator.core import Emulator, FloodLimits
from bot.emulator.http import EmulatorServer, Person
from bot.models import Availability, Member, MemberStatus, MemberType, Role
from bot.models.activities import ActivityForm, Audience
from bot.models.whistle import Post
from bot.sandbox_parties import seed_elevator, seed_parties
from bot.services import Services
from bot.services.orgimport import OrgImporter
from bot.services.people import TelegramIdentity

__all__ = ["EXAMPLES", "Sandbox"]

LOG = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class Sandbox:
    """The emulator, its web chat and the bot, in one process."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        data_dir: Path | None = None,
        latency: float = 0.0,
        flood: FloodLimits | None = None,
        config_overrides: dict[str, Any] | None = None,
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="gridbot-sandbox-"))
        self.clock = SystemClock()
        self.emulator = Emulator(clock=self.clock.now, monotonic=time.monotonic)
        self.emulator.flood = flood
        self.people_spec, self.activities_spec = _load_people()
        self.server = EmulatorServer(
            self.emulator,
            host=host,
            port=port,
            latency=latency,
            people=[Person(p["id"], p["name"], p["role"]) for p in self.people_spec],
            on_reset=self.reset,
        )
        self.overrides = config_overrides or {}
        self.app: GridApplication | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def config(self) -> Config:
        base_url = f"{self.server.url}/bot"
        return load_config(
            None,
            bot={"base_url": base_url, "base_file_url": f"{self.server.url}/file/bot"},
            storage={"database": self.data_dir / "sandbox.db"},
            **self.overrides,
        )

    async def start(self) -> None:
        """Serve the emulator, seed the demo data, start the bot."""
        await self.server.start()
        for spec in self.people_spec:
            self.emulator.add_user(spec["id"], spec["name"], language_code="zh-hans")
        await self._start_bot()

    async def _start_bot(self) -> None:
        app = build_application(self.config(), token=OFFLINE_TOKEN)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        await self._seed(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        self.app = app

    async def _stop_bot(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def stop(self) -> None:
        await self._stop_bot()
        await self.server.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    async def reset(self) -> None:
        """Start over: a new database, empty chats."""
        await self._stop_bot()
        for path in self.data_dir.glob("sandbox.db*"):
            path.unlink()
        self.emulator.reset_chats()
        self.server.updates.clear()
        await self._start_bot()

    async def _seed(self, app: GridApplication) -> None:
        """The demo org and people, as if they had onboarded (and registered)."""
        services = services_of(app)
        await OrgImporter(services.db, services.clock).import_file(EXAMPLES / "duanzhou.toml")
        now = services.clock.now()
        for spec in self.people_spec:
            actor = await services.people.identify(
                TelegramIdentity(telegram_id=spec["id"], first_name=spec["name"])
            )
            actor = await services.people.set_language(actor, "zh_CN")
            if spec.get("compound"):
                compound = await services.org.compound_by_code(spec["compound"])
                assert compound is not None, spec
                actor, _ = await services.people.set_home(actor, compound.id)
            if spec["role"] == "admin":
                await services.people.grant_admin(spec["id"], spec["unit"], actor_label="sandbox")
            if spec["role"] == "member":
                await _make_member(services.db, actor.id, spec, now)
            for lead in spec.get("leads", []):
                team, _, unit = lead.partition("@")
                await services.leaders.appoint(spec["id"], team, unit, actor_label="sandbox")
            if spec["role"] in ("department", "first_secretary"):
                await _give_post(services.db, actor.id, spec, now)
            await services.people.refresh_menu(await services.people.actor(actor.id))
        await seed_parties(services, self.people_spec)
        with (EXAMPLES / "sandbox_elevator.toml").open("rb") as fh:
            await seed_elevator(services, tomllib.load(fh))
        for activity in self.activities_spec:
            await _publish(services, activity, now)
        LOG.info(
            "sandbox seeded with %d people and %d activities",
            len(self.people_spec),
            len(self.activities_spec),
        )

    async def serve_forever(self) -> None:
        await self.start()
        print(f"Gridbot sandbox: open {self.url} in your browser (Ctrl-C to stop)", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()


async def _make_member(db: Any, person_id: int, spec: dict[str, Any], now: datetime) -> None:
    async with db.transaction() as tx:
        unit = await tx.org.get_by_code(spec["compound"])
        teams = [t.id for t in await tx.org.teams() if t.code in spec.get("teams", [])]
        member = Member(
            person_id=person_id,
            real_name=spec["real_name"],
            compound_id=unit.id,
            phone=spec["phone"],
            member_type=MemberType(spec["member_type"]),
            skills=spec.get("skills", []),
            availability=list(Availability),
            share_phone=True,
            status=MemberStatus.APPROVED,
            created_at=now,
            updated_at=now,
            team_ids=teams,
        )
        await tx.members.save(member, now)
        await tx.people.grant(person_id, Role.MEMBER, unit.id, by=None, now=now)


async def _publish(services: Services, spec: dict[str, Any], now: datetime) -> None:
    """An activity of the sandbox, as its organiser publishes it (times from now)."""
    async with services.db.read() as tx:
        person = await tx.people.by_telegram(spec["organiser"])
        unit = await tx.org.get_by_code(spec["unit"])
        station = await tx.org.station_by_code(spec["station"])
        team = next(t for t in await tx.org.teams() if t.code == spec["team"])
    assert person is not None and unit is not None and station is not None, spec
    start = (now + timedelta(minutes=spec["starts_in"])).astimezone(services.config.tz)
    form = ActivityForm(
        unit_id=unit.id,
        title=spec["title"],
        day=start.date(),
        start=f"{start:%H:%M}",
        minutes=spec["minutes"],
        station_id=station.id,
        capacity=spec["capacity"],
        audience=[Audience(a) for a in spec["audience"]],
        team_id=team.id,
    )
    await services.activities.publish(await services.people.actor(person.id), form)


async def _give_post(db: Any, person_id: int, spec: dict[str, Any], now: datetime) -> None:
    """A department's liaison or head, or a community's first secretary (as if they had
    opened an invitation link)."""
    async with db.transaction() as tx:
        if spec["role"] == "department":
            department = await tx.departments.by_code(spec["department"])
            assert department is not None, spec
            post = Post(spec.get("post", "liaison"))
            await tx.departments.add_staff(department.id, person_id, post, by=None, now=now)
        else:
            community = await tx.org.get_by_code(spec["community"])
            assert community is not None, spec
            pairing = (await tx.departments.pairings([community.id]))[0]
            await tx.departments.add_secretary(pairing.id, person_id, by=None, now=now)


def _load_people() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with (EXAMPLES / "sandbox_people.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return list(data["people"]), list(data.get("activities", []))
