"""Every service that stores free text refuses text with nothing readable (the check comes
before anything is looked up or written), and the intake tells the resident so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from auxil.flows import onboard
from auxil.harness import Harness

from bot.errors import InvalidInput
from bot.services import Services
from bot.services.people import Actor

INVISIBLE = ["\u200b\u200b\u200b", "\u202e\u2066\u200f ", "\u3164\u2800", "\ufeff\n\t\u00ad"]

Call = Callable[[Services, Actor, str], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "information": lambda s, a, t: s.requests.add_info(a, 1, text=t),
    "rating comment": lambda s, a, t: s.requests.comment(a, 1, t),
    "relay": lambda s, a, t: s.tasks.relay(a, 1, t),
    "progress note": lambda s, a, t: s.tasks.note(a, 1, t),
    "hand-back reason": lambda s, a, t: s.tasks.give_back(a, 1, t),
    "done note": lambda s, a, t: s.tasks.done(a, 1, t, []),
    "decline reason": lambda s, a, t: s.dispatch.decline(a, 1, t),
    "extension reason": lambda s, a, t: s.extensions.ask(a, 1, 3, t),
    "extend reason": lambda s, a, t: s.extensions.extend(a, 1, 3, t),
    "message to the member": lambda s, a, t: s.escalation.message_assignee(a, 1, t),
    "rejection reason": lambda s, a, t: s.members.reject(a, 1, t),
    "topic dismissal": lambda s, a, t: s.topics.dismiss(a, 1, t),
    "sub-order return reason": lambda s, a, t: s.suborders.give_back(a, 1, t),
    "sub-order note": lambda s, a, t: s.suborders.note(a, 1, t),
    "sub-order report": lambda s, a, t: s.suborders.complete(a, 1, t),
    "answer to the resident": lambda s, a, t: s.suborders.resolve(a, 1, t),
    "meeting place": lambda s, a, t: s.suborders.propose_meeting(
        a, 1, s.clock.now() + timedelta(days=1), t
    ),
}


@pytest.mark.parametrize("field", CALLS)
async def test_text_with_nothing_readable_is_refused(org: Harness, field: str) -> None:
    alice = org.player("alice")
    await onboard(alice)
    actor = await org.services.people.actor(1)
    async with org.services.db.read() as tx:
        before = await tx.fetchval("SELECT count(*) FROM audit_log")
    for text in INVISIBLE:
        with pytest.raises(InvalidInput):
            await CALLS[field](org.services, actor, text)
    async with org.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM audit_log") == before


async def test_a_description_of_zero_width_spaces_is_refused_in_the_chat(org: Harness) -> None:
    alice = org.player("alice")
    await onboard(alice)
    await alice.tap("反映诉求")
    await alice.press("物业维修")
    await alice.send("\u200b\u200b\u200b")
    assert alice.last_text() == "请用文字描述问题。"
    await alice.send("\u202e\u2066 \u3164")
    assert alice.last_text() == "请用文字描述问题。"
    assert org.app is not None
    assert org.app.user_data[alice.id]["intake"]["description"] is None
    await alice.send(" 电梯\u200b坏了\u202e ")
    assert "第 3 步" in alice.last_text()
    assert org.app.user_data[alice.id]["intake"]["description"] == "电梯坏了"


async def test_a_telegram_name_is_cleaned_too(org: Harness) -> None:
    player = org.player("wang", user_id=777)
    org.emulator.add_user(777, "\u202e王\u200b", last_name="\u3164")
    await player.command("/start")
    async with org.services.db.read() as tx:
        person = await tx.people.by_telegram(777)
    assert person is not None and person.display_name == "王"
