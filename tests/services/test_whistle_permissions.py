"""Who may do what with a whistle: a department acts on its own sub-orders only and gets the
resident's contact only when the whistler shared it (audited); a first secretary sees the
joint actions of their community only; only the area's administrators blow the whistle and
only the district's rule on a dispute. Every refusal is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from auxil.departments import join_pairing, person_actor
from auxil.harness import Harness
from auxil.whistles import blow, difficult_request, orders_of, staff, whistle_world

from bot.errors import NotAllowed
from bot.models.whistle import WhistleDraft, WhistlePart
from bot.services import Services
from bot.services.people import Actor
from bot.suborders import SubOrderState

PHONE = "+8613912345678"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    async with whistle_world(tmp_path) as h:
        yield h


async def refusals(h: Harness, action: str) -> int:
    async with h.services.db.read() as tx:
        return int(
            await tx.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = ?", (f"{action}.refused",)
            )
        )


Call = Callable[[Services, Actor, int], Awaitable[Any]]
DEPARTMENT_CALLS: dict[str, tuple[str, Call]] = {
    "view": ("suborder.view", lambda s, a, o: s.suborders.view(a, o)),
    "photos": ("suborder.view", lambda s, a, o: s.suborders.photos(a, o)),
    "sign": ("suborder.sign", lambda s, a, o: s.suborders.sign(a, o)),
    "return": ("suborder.return", lambda s, a, o: s.suborders.give_back(a, o, "不归我们管")),
    "on site": ("suborder.on_site", lambda s, a, o: s.suborders.on_site(a, o)),
    "note": ("suborder.note", lambda s, a, o: s.suborders.note(a, o, "进展")),
    "photo": ("suborder.photo", lambda s, a, o: s.suborders.add_photo(a, o, "file-1")),
    "complete": ("suborder.complete", lambda s, a, o: s.suborders.complete(a, o, "完成")),
    "resolve": ("request.resolve", lambda s, a, o: s.suborders.resolve(a, o, "已解决")),
}


@pytest.mark.parametrize("call", DEPARTMENT_CALLS)
async def test_a_department_cannot_act_on_another_departments_sub_order(
    world: Harness, call: str
) -> None:
    h = world
    request = await difficult_request(h, h.player("alice"))
    await blow(
        h, h.player("community"), request, [("CGJ", True, "依法拆除"), ("ZJJ", False, "安全鉴定")]
    )
    orders = await orders_of(h, request)
    action, run = DEPARTMENT_CALLS[call]
    before = await refusals(h, action)
    cg = await person_actor(h, staff(h)["cg"])
    with pytest.raises(NotAllowed):
        await run(h.services, cg, orders["ZJJ"].id)
    assert await refusals(h, action) == before + 1
    assert (await orders_of(h, request))["ZJJ"].state is SubOrderState.SENT


async def test_a_department_lists_and_presses_only_its_own(world: Harness) -> None:
    h = world
    people = staff(h)
    request = await difficult_request(h, h.player("alice"))
    await blow(
        h, h.player("community"), request, [("CGJ", True, "依法拆除"), ("ZJJ", False, "安全鉴定")]
    )
    orders = await orders_of(h, request)
    mine = await h.services.suborders.mine(await person_actor(h, people["cg"]))
    assert [v.sub_order.id for v in mine] == [orders["CGJ"].id]
    # A liaison of a department not on the whistle has nothing; a resident may not ask.
    assert await h.services.suborders.mine(await person_actor(h, people["ga"])) == []
    with pytest.raises(NotAllowed):
        await h.services.suborders.mine(await person_actor(h, h.player("alice")))
    # A forged press on the other department's card is refused, and nothing moves.
    cg = people["cg"]
    await cg.press_data(f"so1:sg:{orders['ZJJ'].id}")
    answer = cg.last_answer()
    assert answer is not None and answer["show_alert"]
    assert (await orders_of(h, request))["ZJJ"].state is SubOrderState.SENT
    assert await refusals(h, "suborder.sign") == 1


async def test_the_residents_contact_reaches_departments_only_when_shared(
    world: Harness,
) -> None:
    h = world
    people = staff(h)
    alice = h.player("alice")
    request = await difficult_request(h, alice, phone=PHONE)
    assert request.contact_phone == PHONE
    await blow(h, h.player("community"), request, [("CGJ", True, "依法拆除")])
    cg = people["cg"]
    view = await h.services.suborders.view(
        await person_actor(h, cg), (await orders_of(h, request))["CGJ"].id
    )
    assert view.contact_name is None and view.contact_phone is None
    assert view.request.request.contact_phone is None
    assert view.request.request.contact_name is None
    assert not any(PHONE[3:] in text for text in cg.texts())
    assert not any("Alice" in text for text in cg.texts())
    async with h.services.db.read() as tx:
        shared = await tx.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'whistle.share_contact'"
        )
    assert shared == 0

    # The whistler adds a department, ticking "share contact": the departments get it now,
    # and it is recorded who shared it with whom.
    await blow(h, h.player("community"), request, [("ZJJ", False, "安全鉴定")], share_contact=True)
    async with h.services.db.read() as tx:
        rows = await tx.fetchall(
            "SELECT actor_id, after FROM audit_log WHERE action = 'whistle.share_contact'"
        )
    whistler = await person_actor(h, h.player("community"))
    assert [(r[0], r[1]) for r in rows] == [(whistler.id, '{"departments": ["ZJJ"]}')]
    zj = people["zj"]
    assert PHONE in zj.texts()[-1]
    assert "Alice" in zj.texts()[-1]
    # The card the lead already had is redrawn with it.
    card = next(m for m in cg.bot_messages() if "依法拆除" in (m.text or ""))
    assert card.edited and PHONE in (card.text or "")


async def test_an_anonymous_residents_contact_is_never_shared(world: Harness) -> None:
    h = world
    request = await difficult_request(h, h.player("alice"), phone=PHONE, anonymous=True)
    await blow(h, h.player("community"), request, [("CGJ", True, "依法拆除")], share_contact=True)
    cg = staff(h)["cg"]
    view = await h.services.suborders.view(
        await person_actor(h, cg), (await orders_of(h, request))["CGJ"].id
    )
    assert view.contact_phone is None and view.contact_name is None
    assert not any(PHONE[3:] in text for text in cg.texts())


async def test_first_secretaries_see_their_own_community_only(world: Harness) -> None:
    h = world
    banyue, xinghu = h.player("chen"), h.player("zhou")
    await join_pairing(h, banyue, "BY", h.player("community"))
    await join_pairing(h, xinghu, "XH", h.player("xinghu"))
    ours = await difficult_request(h, h.player("alice"))
    theirs = await difficult_request(
        h, h.player("bob"), compound="HJXQ", description="鸿基小区消防通道被占"
    )
    ours_whistle, _ = await blow(h, h.player("community"), ours, [("CGJ", True, "依法拆除")])
    theirs_whistle, _ = await blow(h, h.player("xinghu"), theirs, [("XFDD", True, "清理通道")])
    # Each hears of its own community's whistle, with a button to join.
    assert "🙋" in " ".join(banyue.buttons())
    assert ours.number in banyue.texts()[-1] and theirs.number not in " ".join(banyue.texts())
    assert theirs.number in xinghu.texts()[-1]

    chen = await person_actor(h, banyue)
    board = await h.services.whistles.board(chen, ours_whistle.id)
    assert board.request.request.number == ours.number
    with pytest.raises(NotAllowed):
        await h.services.whistles.board(chen, theirs_whistle.id)
    with pytest.raises(NotAllowed):
        await h.services.whistles.join(chen, theirs_whistle.id)
    assert await refusals(h, "whistle.view") == 1
    assert await refusals(h, "whistle.join") == 1
    listed = await h.services.whistles.listing(chen)
    assert [v.request.request.number for v in listed] == [ours.number]
    joined = await h.services.whistles.join(chen, ours_whistle.id)
    assert [p.id for p in joined.joiners] == [chen.id]
    # A first secretary is no department: the sub-orders are not theirs to act on.
    order = (await orders_of(h, ours))["CGJ"]
    with pytest.raises(NotAllowed):
        await h.services.suborders.sign(chen, order.id)


async def test_only_the_areas_admins_whistle_and_only_the_district_rules(world: Harness) -> None:
    h = world
    people = staff(h)
    request = await difficult_request(h, h.player("alice"))
    draft = WhistleDraft(
        request_id=request.id, parts=[WhistlePart(department_id=1, lead=True, ask="x")]
    )
    for player in (people["cg"], h.player("xinghu"), h.player("alice")):
        with pytest.raises(NotAllowed):
            await h.services.whistles.blow(await person_actor(h, player), draft)
    assert await refusals(h, "whistle.blow") == 3

    await blow(
        h,
        h.player("community"),
        request,
        [("CGJ", True, "依法拆除"), ("PCS-CX", False, "维持秩序")],
    )
    pcs_order = (await orders_of(h, request))["PCS-CX"]
    await h.services.suborders.give_back(
        await person_actor(h, people["pcs"]), pcs_order.id, "应由城管中队处理", dispute=True
    )
    with pytest.raises(NotAllowed):
        await h.services.whistles.reroute(
            await person_actor(h, h.player("xinghu")), pcs_order.id, 1
        )
    await h.services.whistles.dispute(await person_actor(h, h.player("community")), pcs_order.id)
    for player in (h.player("community"), h.player("street"), people["cg"]):
        with pytest.raises(NotAllowed):
            await h.services.whistles.rule(await person_actor(h, player), pcs_order.id, 1)
    assert await refusals(h, "whistle.rule") == 3
    squad = (await orders_of(h, request))["PCS-CX"]
    assert squad.state is SubOrderState.DISPUTED
