"""Invitation links, one mechanism for every role given by a link (bot/services/invitations.py):
used once even when opened twice at once, unused when the grant fails, kinds registered once,
and the administrators' links made before the mechanism still open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auxil.departments import department, person_actor
from auxil.harness import Harness
from auxil.whistles import whistle_world

from bot.errors import InvalidInput, NotFound
from bot.models import Role
from bot.models.whistle import Post
from bot.services.invitations import PREFIX

LATER = datetime(2099, 1, 1, tzinfo=UTC)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    async with whistle_world(tmp_path) as h:
        yield h


async def grants(h: Harness) -> list[str]:
    async with h.services.db.read() as tx:
        return [
            r[0]
            for r in await tx.fetchall(
                "SELECT after FROM audit_log WHERE action = 'role.grant' ORDER BY id"
            )
        ]


async def test_two_people_opening_one_link_at_once_one_of_them_holds_it(world: Harness) -> None:
    h = world
    cgj = await department(h, "CGJ")
    payload = await h.services.departments.invite(
        await person_actor(h, h.player("district")), cgj.id, Post.LIAISON
    )
    ann, bob = h.player("ann"), h.player("bob")
    for player in (ann, bob):
        await player.command("/start")
    before = len(await grants(h))
    outcomes = await asyncio.gather(
        h.services.invitations.accept(await person_actor(h, ann), payload),
        h.services.invitations.accept(await person_actor(h, bob), payload),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(refused) == 1 and len(accepted) == 1
    assert accepted[0].kind == "liaison" and accepted[0].shown.department == cgj
    holders = [p.name for p in (ann, bob) if Role.DEPARTMENT in (await person_actor(h, p)).roles]
    assert len(holders) == 1
    assert len(await grants(h)) == before + 1
    async with h.services.db.read() as tx:
        stored = await tx.invitations.get(payload.removeprefix(PREFIX))
    assert stored is not None and stored.used_at is not None
    assert stored.used_by == (await person_actor(h, h.player(holders[0]))).id


async def test_a_grant_that_fails_leaves_the_link_unused(world: Harness) -> None:
    h = world
    cgj = await department(h, "CGJ")
    payload = await h.services.departments.invite(
        await person_actor(h, h.player("district")), cgj.id, Post.HEAD
    )
    async with h.services.db.transaction() as tx:
        await tx.execute("UPDATE departments SET active = FALSE WHERE id = ?", (cgj.id,))
    ann = h.player("ann")
    await ann.command(f"/start {payload}")
    assert "该部门不存在。" in ann.texts()[0]
    actor = await person_actor(h, ann)
    assert Role.DEPARTMENT_HEAD not in actor.roles
    async with h.services.db.read() as tx:
        stored = await tx.invitations.get(payload.removeprefix(PREFIX))
    assert stored is not None and stored.used_at is None and stored.used_by is None

    # Open again once the department is back: the same link works.
    async with h.services.db.transaction() as tx:
        await tx.execute("UPDATE departments SET active = TRUE WHERE id = ?", (cgj.id,))
    accepted = await h.services.invitations.accept(actor, payload)
    assert accepted.kind == "head"
    assert Role.DEPARTMENT_HEAD in (await person_actor(h, ann)).roles


async def test_an_administrators_link_from_before_the_one_mechanism_still_opens(
    world: Harness,
) -> None:
    """Administrators' links were ``adm_<token>``; their rows were carried over (0032)."""
    h = world
    now = h.clock.now()
    async with h.services.db.transaction() as tx:
        unit = await tx.org.get_by_code("CT")
        assert unit is not None
        await tx.invitations.add(
            "oldtoken123", "admin", unit.id, created_by=None, now=now, expires_at=LATER
        )
    newbie = h.player("newbie")
    await newbie.command("/start adm_oldtoken123")
    assert "您已成为出头社区的管理员" in newbie.texts()[0]
    assert (Role.ADMIN, unit.id) in [
        (g.role, g.unit_id) for g in (await person_actor(h, newbie)).grants
    ]


async def test_kinds_are_registered_once_and_links_are_only_of_registered_kinds(
    world: Harness,
) -> None:
    h = world
    invitations = h.services.invitations

    async def never(*_: object) -> None:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="registered twice"):
        invitations.register("admin", never)  # type: ignore[arg-type]
    district = await person_actor(h, h.player("district"))
    async with h.services.db.transaction() as tx:
        with pytest.raises(ValueError, match="not registered"):
            await invitations.issue(
                tx, district, "janitor", 1, action="x.invite", subject="x", unit_id=None
            )
        # A link of a kind nobody serves any more (a feature taken out) opens to a refusal.
        now = h.clock.now()
        await tx.invitations.add("gone", "janitor", 1, created_by=None, now=now, expires_at=LATER)
    with pytest.raises(InvalidInput):
        await invitations.accept(district, f"{PREFIX}gone")
    async with h.services.db.read() as tx:
        stored = await tx.invitations.get("gone")
    assert stored is not None and stored.used_at is None


async def test_a_first_secretarys_link_for_a_pairing_gone_is_refused(world: Harness) -> None:
    h = world
    district = await person_actor(h, h.player("district"))
    now = h.clock.now()
    async with h.services.db.transaction() as tx:
        await tx.invitations.add(
            "nopair",
            "first_secretary",
            999_999,
            created_by=None,
            now=now,
            expires_at=LATER,
        )
    with pytest.raises(NotFound):
        await h.services.invitations.accept(district, f"{PREFIX}nopair")
