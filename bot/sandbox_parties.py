"""The sandbox's 要事商议办: the demo people's seats and households, and an elevator retrofit at
the compound under way — requested by a top-floor owner, convened by the community, discussed, a
seat proposal open, and an owners' vote of building 3 with some paper ballots already in — so
a visitor can vote as an owner and watch the tally as the chair."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.models.consult import VoteMatter
from bot.models.intake import Draft
from bot.services.consult import Convening
from bot.services.households import IssuedCode

if TYPE_CHECKING:
    from bot.services import Services
    from bot.services.people import Actor

__all__ = ["seed_elevator", "seed_parties"]

LOG = logging.getLogger(__name__)


async def seed_parties(services: Services, people: list[dict[str, Any]]) -> None:
    """The seats and households the people file gives (``seats``, ``households``)."""
    now = services.clock.now()
    for spec in people:
        actor = await _actor(services, spec["id"])
        for code in spec.get("seats", []):
            async with services.db.transaction() as tx:
                seat = await tx.parties.by_code(code)
                assert seat is not None, code
                await tx.parties.link(seat.id, actor.id, spec["name"], now)
        labels = list(spec.get("households", []))
        if labels:
            codes = await _codes(services, spec["compound"], labels)
            for label in labels:
                await services.households.bind(await _actor(services, spec["id"]), codes[label])
        await services.people.refresh_menu(await _actor(services, spec["id"]))


async def seed_elevator(services: Services, scene: dict[str, Any]) -> None:
    """The elevator retrofit of examples/sandbox_elevator.toml, under way."""
    now = services.clock.now()
    requester = await _actor(services, scene["owner"])
    chair = await _actor(services, scene["chair"])
    categories = await services.requests.categories()
    elevator = next(c for c in categories if c.code == "elevator")
    request, _new = await services.requests.submit(
        requester,
        Draft(
            nonce="sandbox-elevator",
            category_id=elevator.id,
            description=scene["request"],
            urgent=False,
        ),
    )
    async with services.db.read() as tx:
        seats = [
            s.id
            for p in await tx.parties.of_compound(request.compound_id)
            for s in await tx.parties.seats(p.id)
        ]
    consultation, _new = await services.consult.convene(
        chair,
        Convening(
            compound_id=request.compound_id,
            title=scene["title"],
            background=scene["background"],
            seat_ids=tuple(seats),
            closes_at=now + timedelta(days=10),
            request_id=request.id,
            source_key="sandbox:elevator",
        ),
    )
    for code, text in scene["said"]:
        async with services.db.read() as tx:
            seat = await tx.parties.by_code(code)
        if seat is not None and seat.person_id is not None:
            speaker = await services.people.actor(seat.person_id)
            await services.consult.say(speaker, consultation.id, text=text)
    await services.seat_votes.propose(chair, consultation.id, scene["proposal"], [])
    vote = await services.owners_vote.open(
        chair,
        consultation.id,
        scene["question"],
        VoteMatter.RENOVATION,
        now + timedelta(days=scene["days"]),
        building=scene["building"],
    )
    recorder = await _actor(services, scene["recorder"])
    for label, choice in scene["paper"]:
        await services.owners_vote.record_paper(recorder, vote.id, label, choice)
    LOG.info("sandbox: the elevator retrofit is under way")


async def _codes(services: Services, compound: str, labels: list[str]) -> dict[str, str]:
    """Fresh one-time codes of the households (as the committee would print them)."""
    codes: dict[str, str] = {}

    def keep(_compound: object, issued: list[IssuedCode]) -> None:
        codes.update({i.household.label: i.code for i in issued})

    await services.households.issue_codes(compound, keep, only=labels)
    return codes


async def _actor(services: Services, telegram_id: int) -> Actor:
    async with services.db.read() as tx:
        person = await tx.people.by_telegram(telegram_id)
    assert person is not None, telegram_id
    return await services.people.actor(person.id)
