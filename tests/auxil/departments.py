"""Departments' people and first secretaries brought in the way the bot does it: an
administrator's invitation link, opened with /start."""

from __future__ import annotations

from auxil.harness import Harness, Player

from bot.models import Department
from bot.models.whistle import Post
from bot.services.people import Actor

__all__ = ["department", "join_department", "join_pairing", "person_actor"]


async def person_actor(h: Harness, player: Player) -> Actor:
    """The services' view of a player (who must have started)."""
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None, f"{player.name} has not started"
    return await h.services.people.actor(person.id)


async def department(h: Harness, code: str) -> Department:
    async with h.services.db.read() as tx:
        found = await tx.departments.by_code(code)
    assert found is not None, code
    return found


async def _open_link(player: Player, payload: str) -> None:
    """Open an invitation link as a new person: the link, the language, no home compound."""
    await player.command(f"/start {payload}")
    if "中文" in player.buttons():
        await player.press("中文")
        await player.press("跳过：我只做管理工作")


async def join_department(
    h: Harness, player: Player, code: str, inviter: Player, post: Post = Post.LIAISON
) -> Department:
    """``player`` becomes a liaison (or the head) of the department ``code`` by a link from
    ``inviter`` (an administrator of its area)."""
    found = await department(h, code)
    payload = await h.services.departments.invite(await person_actor(h, inviter), found.id, post)
    await _open_link(player, payload)
    return found


async def join_pairing(h: Harness, player: Player, community: str, inviter: Player) -> None:
    """``player`` becomes the first secretary of ``community`` by an administrator's link."""
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code(community)
        assert unit is not None
        pairing = (await tx.departments.pairings([unit.id]))[0]
    admin = await person_actor(h, inviter)
    payload = await h.services.departments.invite_secretary(admin, pairing.id)
    await _open_link(player, payload)
