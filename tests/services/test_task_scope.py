"""Who may act on a task: an admin assigns only to members its community could be offered, a
member works only the tasks they hold. Every refusal raises ``NotAllowed``, changes nothing and
leaves exactly one ``<action>.refused`` audit row."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.errors import NotAllowed
from bot.lifecycle import Status
from bot.models import AuditEntry, MemberStatus, Request
from bot.services.people import Actor

EVENING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday 20:00 in Zhaoqing
ADMIN = 9601  # admin of 伴月社区 (BY): 星荷豪苑 (XHHY) and 龙马街小区 (LMJ)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, admins=[{"telegram_id": ADMIN, "unit": "BY"}])
    await harness.start()
    try:
        await harness.import_org()
        await harness.restart()  # the configured admin is granted once BY exists
        harness.clock.set(EVENING)
        admin = harness.player("admin", user_id=ADMIN)
        await admin.command("/start")
        await admin.press("中文")
        await admin.press("跳过：我只做管理工作")
        yield harness
    finally:
        await harness.stop()


async def actor_of(h: Harness, player: Player) -> Actor:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None
    return await h.services.people.actor(person.id)


async def by_number(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


async def audit_after(h: Harness, mark: int) -> list[AuditEntry]:
    async with h.services.db.read() as tx:
        entries = await tx.audit.latest(limit=100)
    return [e for e in reversed(entries) if e.id > mark]


async def last_audit_id(h: Harness) -> int:
    return max((e.id for e in await audit_after(h, 0)), default=0)


async def open_card_kind(h: Harness, request_id: int, person_id: int) -> str | None:
    async with h.services.db.read() as tx:
        card = await tx.members.open_card(request_id, person_id)
    return card.kind if card else None


# -- an admin assigns by hand ------------------------------------------------------------------
async def test_assign_only_to_a_member_the_community_could_be_offered(h: Harness) -> None:
    admin = await actor_of(h, h.players["admin"])
    far, pending, near = h.player("far"), h.player("wang"), h.player("lin")
    far_member = await make_member(h, far, compound="HJXQ")  # 星湖社区, another street
    pending_member = await make_member(h, pending, status=MemberStatus.PENDING)
    near_member = await make_member(h, near, compound="LMJ")  # BY's other compound
    # A member of 星荷豪苑 who raises a request of their own.
    res = h.player("res")
    resident = await make_member(h, res)
    number = await file_request(h, res, description="秘密描述", phone=True)
    filed = await by_number(h, number)
    _request, offered = await h.services.dispatch.candidates(admin, filed.id)
    assert near_member.person_id in {m.person_id for m in offered}

    refused = {
        far_member.person_id: "not a member of the request's community",
        pending_member.person_id: "not an active member",
        resident.person_id: "the request's own resident",
        999_999: "not a member of the request's community",  # nobody at all
    }
    for person_id, reason in refused.items():
        assert person_id not in {m.person_id for m in offered}
        mark = await last_audit_id(h)
        sent = len(far.bot_messages()) + len(res.bot_messages())
        with pytest.raises(NotAllowed):
            await h.services.dispatch.assign(admin, filed.id, person_id)
        [entry] = await audit_after(h, mark)
        assert (entry.action, entry.subject) == ("request.assign.refused", f"request:{filed.id}")
        assert entry.actor_id == admin.id and entry.after == {"reason": reason}
        assert await open_card_kind(h, filed.id, person_id) is None
        await h.settle()
        assert len(far.bot_messages()) + len(res.bot_messages()) == sent
    assert (await by_number(h, number)).status is filed.status

    # Through the bot, a forged button gets the polite refusal and no card goes out.
    await h.players["admin"].press_data(f"as1:m:{filed.id}:{far_member.person_id}")
    assert (h.players["admin"].last_answer() or {})["text"] == "该党员目前不能接单。"
    assert await open_card_kind(h, filed.id, far_member.person_id) is None
    assert not any("秘密描述" in (m.text or "") for m in far.bot_messages())

    # A member of the community's other compound is offered it.
    await h.services.dispatch.assign(admin, filed.id, near_member.person_id)
    assert await open_card_kind(h, filed.id, near_member.person_id) == "assign"


# -- a member works only their own task --------------------------------------------------------
Attempt = Callable[[Harness, Actor, int], Awaitable[Any]]

ATTEMPTS: dict[str, tuple[str, Attempt]] = {
    "view": ("task.view", lambda h, a, r: h.services.tasks.task(a, r)),
    "start": ("task.start", lambda h, a, r: h.services.tasks.start(a, r)),
    "note": ("task.note", lambda h, a, r: h.services.tasks.note(a, r, "已到现场")),
    "return": ("task.return", lambda h, a, r: h.services.tasks.give_back(a, r, "不归我管")),
    "done": ("task.done", lambda h, a, r: h.services.tasks.done(a, r, "修好了", [])),
    "wait": ("task.waiting", lambda h, a, r: h.services.waiting.set_waiting(a, r, True)),
    "work": ("task.waiting", lambda h, a, r: h.services.waiting.set_waiting(a, r, False)),
    "more_time": (
        "task.extension",
        lambda h, a, r: h.services.extensions.ask(a, r, 3, "等配件"),
    ),
    "more_time_prompt": (
        "task.extension",
        lambda h, a, r: h.services.extensions.target(a, r),
    ),
    "offered": ("task.decline", lambda h, a, r: h.services.dispatch.offered(a, r)),
    "decline": ("task.decline", lambda h, a, r: h.services.dispatch.decline(a, r, "没空")),
}


@pytest.mark.parametrize("name", list(ATTEMPTS))
async def test_someone_elses_task_is_refused_and_audited(h: Harness, name: str) -> None:
    action, attempt = ATTEMPTS[name]
    ann, bob = h.player("ann"), h.player("bob")
    ann_member = await make_member(h, ann)
    await make_member(h, bob)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    filed = await by_number(h, number)
    # The admin offers it to Ann, who accepts: it is hers; Bob holds no card for it.
    admin = await actor_of(h, h.players["admin"])
    await h.services.dispatch.assign(admin, filed.id, ann_member.person_id)
    await ann.press("✋ 接单")
    held = await by_number(h, number)
    assert held.status is Status.ACCEPTED
    bob_actor = await actor_of(h, bob)
    mark = await last_audit_id(h)

    with pytest.raises(NotAllowed):
        await attempt(h, bob_actor, filed.id)

    [entry] = await audit_after(h, mark)
    assert entry.action == f"{action}.refused"
    assert (entry.actor_id, entry.actor_label) == (bob_actor.id, bob_actor.label)
    assert entry.subject == f"request:{filed.id}" and entry.unit_id == filed.compound_id
    assert entry.after is not None and entry.after["reason"]
    after = await by_number(h, number)
    assert (after.status, after.assignee_id, after.waiting_since, after.resolve_due_at) == (
        held.status,
        held.assignee_id,
        held.waiting_since,
        held.resolve_due_at,
    )
    async with h.services.db.read() as tx:
        assert await tx.deadlines.pending_extension(filed.id) is None
