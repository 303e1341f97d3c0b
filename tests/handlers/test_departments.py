"""Departments' people and first secretaries join by an administrator's invitation link, as
administrators do: the menus, the link, what the new person is told and can do, revoking."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from auxil.departments import department, person_actor
from auxil.harness import Harness, Player
from auxil.traces import forms_of, traces_left
from auxil.whistles import blow, difficult_request, orders_of, whistle_world

from bot.errors import NotAllowed
from bot.models import Role
from bot.models.whistle import Post

LINK = re.compile(r"start=(inv_[\w-]+)")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    async with whistle_world(tmp_path) as h:
        yield h


def link_in(player: Player) -> str:
    found = LINK.search(player.last_text())
    assert found, player.last_text()
    return found[1]


async def test_the_district_invites_a_liaison_who_then_works_in_the_bot(world: Harness) -> None:
    h = world
    district, lin = h.player("district"), h.player("lin")
    await district.command("/admin")
    assert "🏛 职能部门" in district.buttons() and "🤝 第一书记" in district.buttons()
    await district.press("🏛 职能部门")
    assert "城管执法局" in district.buttons() and "城西城管中队" in district.buttons()
    await district.press("城西城管中队")
    assert "该部门还没有人员加入。" in district.last_text()
    await district.press("➕ 邀请联络员")
    assert "请把这个链接发给端州区城市管理和综合执法局城西中队的新联络员" in district.last_text()
    payload = link_in(district)

    await lin.command(f"/start {payload}")
    assert "✅ 您已成为城西城管中队的联络员" in lin.texts()[0]
    await lin.press("中文")
    await lin.press("跳过：我只做管理工作")
    assert {"suborders", "help", "me"} <= set(lin.commands())
    assert "whistles" not in lin.commands()
    await lin.command("/me")
    assert "• 部门联络员 — 城西城管中队" in lin.last_text()
    await lin.command("/suborders")
    assert lin.last_text() == "贵部门暂无待办派单。"

    # The link works once.
    await h.player("ma").command(f"/start {payload}")
    assert "此邀请已失效，请重新索取。" in h.player("ma").texts()[0]

    # The district takes the post back; the menu follows.
    await district.command("/departments")
    await district.press("城西城管中队")
    assert "• Lin — 联络员" in district.last_text()
    await district.press("✖ Lin")
    assert "该部门还没有人员加入。" in district.last_text()
    assert "suborders" not in lin.commands()
    async with h.services.db.read() as tx:
        actions = [
            r[0]
            for r in await tx.fetchall(
                "SELECT action FROM audit_log WHERE subject LIKE 'department:%'"
                " OR action LIKE 'role.%' ORDER BY id"
            )
        ]
    assert actions[-3:] == ["department.invite", "role.grant", "role.revoke"]


async def test_a_link_expires_after_seven_days(world: Harness) -> None:
    h = world
    district = h.player("district")
    await district.command("/departments")
    await district.press("消防救援大队")
    await district.press("➕ 邀请负责人")
    payload = link_in(district)
    h.clock.advance(timedelta(days=7, minutes=1))
    late = h.player("late")
    await late.command(f"/start {payload}")
    assert "此邀请已失效，请重新索取。" in late.texts()[0]
    assert Role.DEPARTMENT_HEAD not in (await person_actor(h, late)).roles


async def test_who_manages_which_departments(world: Harness) -> None:
    h = world
    community, street = h.player("community"), h.player("street")
    # A community's administrator: no departments (they serve streets and the district).
    await community.command("/admin")
    assert "🏛 职能部门" not in community.buttons()
    await community.command("/departments")
    assert community.last_text() == "您没有可管理的职能部门。"
    # A street's administrator: the local branches of the street only.
    departments = await h.services.departments.manageable(await person_actor(h, street))
    assert [d.code for d in departments] == ["PCS-CX", "CGZD-CX"]
    cgj = next(
        d
        for d in await h.services.departments.manageable(
            await person_actor(h, h.player("district"))
        )
        if d.code == "CGJ"
    )
    with pytest.raises(NotAllowed):
        await h.services.departments.invite(await person_actor(h, street), cgj.id, Post.LIAISON)
    # A head invites their own department's liaisons, not heads, not elsewhere.
    head = await person_actor(h, h.player("zjhead"))
    mine = await h.services.departments.manageable(head)
    assert [d.code for d in mine] == ["ZJJ"]
    assert (await h.services.departments.invite(head, mine[0].id, Post.LIAISON)).startswith("inv_")
    with pytest.raises(NotAllowed):
        await h.services.departments.invite(head, mine[0].id, Post.HEAD)
    with pytest.raises(NotAllowed):
        await h.services.departments.invite(head, cgj.id, Post.LIAISON)


async def test_a_first_secretary_joins_by_the_communitys_link(world: Harness) -> None:
    h = world
    community, chen = h.player("community"), h.player("chen")
    await community.command("/admin")
    await community.press("🤝 第一书记")
    assert "• 伴月社区 — 肇庆市财政局: （暂无）" in community.last_text()
    await community.press("➕ 邀请伴月社区第一书记")
    payload = link_in(community)
    await chen.command(f"/start {payload}")
    assert "✅ 您已成为伴月社区的第一书记（结对共建单位：肇庆市财政局）" in chen.texts()[0]
    await chen.press("中文")
    await chen.press("跳过：我只做管理工作")
    assert "whistles" in chen.commands() and "suborders" not in chen.commands()
    await chen.command("/whistles")
    assert chen.last_text() == "本社区还没有吹哨事项。"
    await chen.command("/me")
    assert "• 第一书记 — 伴月社区" in chen.last_text()


async def test_a_liaison_who_forgets_leaves_no_trace(world: Harness) -> None:
    """A liaison's name, phone and username go from every table; what they did stays on the
    sub-order, by a deleted user."""
    h = world
    lin = h.player("lin", user_id=73456789, username="lin_cg")
    h.emulator.add_user(73456789, "峰", last_name="林", username="lin_cg")
    await h.player("cg").command("/start")  # the demo liaison stays
    district = h.player("district")
    payload = await h.services.departments.invite(
        await person_actor(h, district), (await department(h, "CGJ")).id, Post.LIAISON
    )
    await lin.command(f"/start {payload}")
    await lin.press("中文")
    await lin.press("跳过：我只做管理工作")
    request = await difficult_request(h, h.player("alice"))
    await blow(h, h.player("community"), request, [("CGJ", True, "依法拆除")])
    await lin.press("✅ 签收")
    await lin.press("📝 进展说明")
    await lin.send("我是林峰，电话 13800001111，明早到场")
    needles = ["峰 林", "林峰", *forms_of("+8613800001111"), "lin_cg", str(lin.id)]
    db_path = h.store_url
    assert await traces_left(db_path, needles)

    await lin.command("/forget")
    await lin.press("是的，删除我的信息")

    assert await traces_left(db_path, needles) == []
    order = (await orders_of(h, request))["CGJ"]
    async with h.services.db.read() as tx:
        events = await tx.whistles.events(order.id)
    assert [(e.kind, e.actor_label) for e in events if e.kind in ("signed", "note")] == [
        ("signed", "forgotten"),
        ("note", "forgotten"),
    ]
    assert order.state.value == "signed" and order.signed_by is None
