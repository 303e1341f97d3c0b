"""Team leaders (队长) appointed in the bot: an administrator's single-use invitation link for a
team in their area (the one invitation mechanism), what the new leader is told and can do, and
dismissing one; nobody else may, and refusals are audited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil.activities import actor_of
from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.harness import Harness, Player

from bot.errors import NotAllowed
from bot.models import Role

LINK = re.compile(r"start=(inv_[\w-]+)")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """张书记 administers 伴月社区; 孙立 and 周阿姨 live in 星荷豪苑 (伴月社区)."""
    async with admin_world(tmp_path, {"zhang": (9701, "BY")}) as h:
        for name in ("sun", "zhou"):
            await onboard(h.player(name))
        yield h


def link_in(player: Player) -> str:
    found = LINK.search(player.last_text())
    assert found, player.last_text()
    return found[1]


async def leads(h: Harness, player: Player) -> list[tuple[int | None, int]]:
    actor = await actor_of(h, player)
    return [(g.team_id, g.unit_id) for g in actor.grants if g.role is Role.TEAM_LEADER]


async def test_an_admin_invites_a_team_leader_and_dismisses_them(world: Harness) -> None:
    h = world
    zhang, sun, zhou = h.players["zhang"], h.players["sun"], h.players["zhou"]
    await zhang.command("/admin")
    await zhang.press("🎖 服务队队长")
    assert "<b>服务队队长</b>" in zhang.last_html()
    assert "• 法律服务：（暂无）" in zhang.last_text()
    await zhang.press("法律服务")
    assert "法律服务 · 法进社区" in zhang.last_text()
    assert "本辖区暂未设该队队长。" in zhang.last_text()
    assert zhang.buttons() == ["➕ 邀请伴月社区队长", "⬅ 全部服务队"]
    await zhang.press("➕ 邀请伴月社区队长")
    assert "请把下面的链接发给伴月社区“法律服务”服务队的新任队长" in zhang.last_text()
    payload = link_in(zhang)

    await sun.command(f"/start {payload}")
    assert sun.last_text().startswith("✅ 您已成为伴月社区“法律服务”服务队（法进社区）的队长。")
    async with h.services.db.read() as tx:
        legal = next(t for t in await tx.org.teams() if t.code == "LEGAL")
        community = await tx.org.get_by_code("BY")
        granted = await tx.audit.latest(action="role.grant")
        issued = await tx.audit.latest(action="team.invite")
    assert community is not None
    assert await leads(h, sun) == [(legal.id, community.id)]
    assert granted[0].after is not None and granted[0].after["role"] == "team_leader"
    assert granted[0].after["team"] == "LEGAL" and granted[0].after["unit"] == "BY"
    assert len(issued) == 1
    assert {"team", "publish"} <= set(sun.commands())  # the leader's menu, at once
    await sun.command("/team")
    assert "法进社区 · 法律服务" in sun.last_text()
    await sun.command("/me")
    assert "• 服务队队长 — 法律服务 · 伴月社区" in sun.last_text()

    # The link works once.
    await zhou.command(f"/start {payload}")
    assert zhou.last_text() == "此邀请已失效，请重新索取。"
    assert await leads(h, zhou) == []

    # The card lists the leader; ✖ dismisses them.
    await zhang.press("⬅ 全部服务队")
    assert "• 法律服务：Sun（伴月社区）" in zhang.last_text()
    await zhang.press("法律服务")
    await zhang.press("✖ Sun（伴月社区）")
    assert "本辖区暂未设该队队长。" in zhang.last_text()
    assert await leads(h, sun) == []
    await h.settle()
    assert "team" not in sun.commands()
    async with h.services.db.read() as tx:
        [dismissed] = await tx.audit.latest(action="team.unlead")
    assert dismissed.actor_id == (await actor_of(h, zhang)).id
    assert dismissed.before == {"team": "LEGAL", "unit": "BY"}


async def test_only_an_admin_of_the_area_manages_team_leaders(world: Harness) -> None:
    h = world
    zhang, zhou = h.players["zhang"], h.players["zhou"]
    async with h.services.db.read() as tx:
        legal = next(t for t in await tx.org.teams() if t.code == "LEGAL")
        other = await tx.org.get_by_code("ZB")  # 站北社区: not 张书记's
    assert other is not None
    with pytest.raises(NotAllowed):
        await h.services.leaders.teams(await actor_of(h, zhou))
    with pytest.raises(NotAllowed):
        await h.services.leaders.invite(await actor_of(h, zhang), legal.id, other.id)
    async with h.services.db.read() as tx:
        assert len(await tx.audit.latest(action="team.leaders.refused")) == 1
        assert len(await tx.audit.latest(action="team.invite.refused")) == 1
        assert await tx.fetchval("SELECT count(*) FROM invitations") == 0
    # The CLI's leader of the district is not in 张书记's care: not listed, not dismissable.
    assert await h.services.leaders.appoint(zhou.id, "LEGAL", "DZ")
    teams = await h.services.leaders.teams(await actor_of(h, zhang))
    assert next(e for e in teams if e.team.id == legal.id).leaders == []
    async with h.services.db.read() as tx:
        district = await tx.org.get_by_code("DZ")
    assert district is not None
    with pytest.raises(NotAllowed):
        await h.services.leaders.dismiss_in_bot(
            await actor_of(h, zhang), legal.id, district.id, (await actor_of(h, zhou)).id
        )
