"""Who may do what in 要事商议办: seat votes by seat holders only, one ballot per household,
nobody of another compound, the owners' committee on its own compound only — every refusal
audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from auxil.admins import admin_world
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.parties import bind, fill_seat, households, issue_codes

from bot.art278 import Choice
from bot.errors import NotAllowed
from bot.models.consult import VoteMatter
from bot.services.consult import Convening

ADMIN = 9001  # 伴月社区 (星荷豪苑 and 龙马街小区)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """星荷豪苑 with its secretary (红) and a property manager (陈); 龙马街小区's director (邓)."""
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY")}) as h:
        guo = h.players["guo"]
        hong, chen, deng = h.player("hong"), h.player("chen"), h.player("deng")
        for person in (hong, chen):
            await onboard(person)
        await onboard(deng, "LMJ")
        await fill_seat(h, guo, hong, "XHHY-BR-SEC")
        await fill_seat(h, guo, chen, "XHHY-PC-MGR")
        await fill_seat(h, guo, deng, "LMJ-OC-DIR")
        yield h


async def actor_of(h: Harness, player: Player):  # type: ignore[no-untyped-def]
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None
    return await h.services.people.actor(person.id)


async def refusals(h: Harness, action: str) -> int:
    async with h.services.db.read() as tx:
        return len(await tx.audit.latest(action=f"{action}.refused", limit=100))


async def convene(h: Harness, chair: Player) -> int:
    async with h.services.db.read() as tx:
        compound = await tx.org.get_by_code("XHHY")
        seats = [
            s.id
            for p in await tx.parties.of_compound(compound.id)  # type: ignore[union-attr]
            for s in await tx.parties.seats(p.id)
        ]
    assert compound is not None
    consultation, _new = await h.services.consult.convene(
        await actor_of(h, chair),
        Convening(
            compound_id=compound.id,
            title="楼道堆物整治",
            background="楼道堆放杂物，影响消防通道",
            seat_ids=tuple(seats),
            closes_at=h.clock.now() + timedelta(days=7),
        ),
    )
    await h.settle()
    return consultation.id


async def test_only_a_seat_holder_votes_in_a_seat_vote(world: Harness) -> None:
    h = world
    hong, chen, guo = h.players["hong"], h.players["chen"], h.players["guo"]
    cid = await convene(h, guo)
    proposal = await h.services.seat_votes.propose(await actor_of(h, guo), cid, "清理楼道", [])
    await h.settle()
    # A resident of the compound, a member of the consultation neither by seat nor invitation.
    res = h.player("res")
    await onboard(res)
    await res.press_data(f"cs1:pv:{proposal.id}:0:a")
    assert "只有各方席位人员才能对方案表决" in (res.last_answer() or {}).get("text", "")
    assert await refusals(h, "proposal.vote") == 1
    # The secretary and the manager vote; the count is theirs only.
    await hong.press("✅ 同意")
    await chen.press("❌ 反对")
    await chen.press("✅ 同意")  # changed, still one vote
    async with h.services.db.read() as tx:
        votes = await tx.consult.seat_votes(proposal.id)
    assert sorted(c.value for _o, _p, c in votes) == ["agree", "agree"]
    # Closed: nobody votes any more.
    await h.services.seat_votes.close_proposal(await actor_of(h, guo), proposal.id)
    await guo.press_data(f"cs1:pv:{proposal.id}:0:a")
    assert "这个方案的表决已截止" in (guo.last_answer() or {}).get("text", "")


async def test_a_household_votes_once_and_may_change_until_the_close(world: Harness) -> None:
    h = world
    guo = h.players["guo"]
    cid = await convene(h, guo)
    codes = await issue_codes(h)
    registry = await households(h)
    owner = h.player("owner")
    await onboard(owner)
    await bind(owner, codes[registry[0].label])
    vote = await h.services.owners_vote.open(
        await actor_of(h, guo),
        cid,
        "是否清理楼道？",
        VoteMatter.ORDINARY,
        h.clock.now() + timedelta(days=7),
    )
    await h.settle()
    assert "🏠 星荷豪苑业主表决" in owner.last_text()
    await owner.press("同意")
    await owner.press("反对")
    await owner.press("✔ 反对")
    async with h.services.db.read() as tx:
        ballots = await tx.households.ballots(vote.id)
    assert [(b.household_id, b.choice, b.changes) for b in ballots] == [
        (registry[0].id, Choice.DISAGREE, 2)
    ]
    view = await h.services.owners_vote.tally(await actor_of(h, guo), vote.id)
    assert (view.tally.voted, view.tally.disagree, view.tally.agree) == (1, 1, 0)
    # A second code does not work: it was used up.
    other = h.player("other")
    await onboard(other)
    await other.command(f"/bind {codes[registry[0].label]}")
    assert "绑定码无效" in other.last_text()
    # After the close no ballot changes.
    h.clock.advance(timedelta(days=8))
    await owner.press("同意")
    assert "本次业主表决已截止" in (owner.last_answer() or {}).get("text", "")


async def test_a_resident_of_another_compound_cannot_see_or_vote(world: Harness) -> None:
    h = world
    guo = h.players["guo"]
    cid = await convene(h, guo)
    await issue_codes(h)
    vote = await h.services.owners_vote.open(
        await actor_of(h, guo),
        cid,
        "是否清理楼道？",
        VoteMatter.ORDINARY,
        h.clock.now() + timedelta(days=7),
    )
    outsider = h.player("outsider")
    await onboard(outsider, "LMJ")
    await outsider.press_data(f"ov1:b:{vote.id}")
    assert "这是其他小区业主的表决" in (outsider.last_answer() or {}).get("text", "")
    registry = await households(h)
    await outsider.press_data(f"ov1:c:{vote.id}:{registry[0].id}:a")
    assert "只有本次表决范围内房屋的业主才能投票" in (outsider.last_answer() or {}).get("text", "")
    await outsider.press_data(f"cs1:o:{cid}")
    assert "只有本次议事的参会方可以查看" in (outsider.last_answer() or {}).get("text", "")
    assert await refusals(h, "vote.view") == 1
    assert await refusals(h, "vote.cast") == 1
    assert await refusals(h, "consultation.view") == 1
    async with h.services.db.read() as tx:
        assert await tx.households.ballots(vote.id) == []


async def test_the_owners_committee_sees_property_requests_of_its_compound_only(
    world: Harness,
) -> None:
    h = world
    deng = h.players["deng"]  # 龙马街小区's committee director
    res = h.player("res")
    await onboard(res)
    await file_request(h, res, category="物业维修", description="3栋楼道灯坏了")
    async with h.services.db.read() as tx:
        xhhy = await tx.org.get_by_code("XHHY")
        lmj = await tx.org.get_by_code("LMJ")
    assert xhhy is not None and lmj is not None
    with pytest.raises(NotAllowed):
        await h.services.property.supervised(await actor_of(h, deng), xhhy.id)
    assert await refusals(h, "property.view") == 1
    _compound, requests, total, _results = await h.services.property.supervised(
        await actor_of(h, deng), lmj.id
    )
    assert total == 0 and requests == []
    await deng.command("/property")
    assert "龙马街小区物业事项" in deng.last_text() and "暂无物业类诉求" in deng.last_text()
    # A committee member of 星荷豪苑 sees it, with where it stands.
    director = h.player("director")
    await onboard(director)
    await fill_seat(h, h.players["guo"], director, "XHHY-OC-DIR")
    await director.command("/property")
    assert "星荷豪苑物业事项" in director.last_text()
    assert "3栋楼道灯坏了" in director.last_text()
