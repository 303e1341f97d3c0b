"""Members made directly in the database (registration itself is tested on its own)."""

from __future__ import annotations

from auxil.flows import onboard
from auxil.harness import Harness, Player

from bot.models import Availability, Member, MemberStatus, MemberType, Role

__all__ = ["ALL_SLOTS", "make_member"]

ALL_SLOTS = [Availability.WEEKDAY_DAY, Availability.WEEKDAY_EVENING, Availability.WEEKEND]


async def make_member(
    h: Harness,
    player: Player,
    *,
    compound: str = "XHHY",
    teams: tuple[str, ...] = (),
    member_type: MemberType = MemberType.UNEMPLOYED_OR_RETIRED,
    availability: list[Availability] | None = None,
    status: MemberStatus = MemberStatus.APPROVED,
    share_phone: bool = False,
    phone: str = "+8613700000000",
) -> Member:
    """An onboarded person registered as a member of ``compound``."""
    await onboard(player, compound)
    now = h.clock.now()
    async with h.services.db.transaction() as tx:
        person = await tx.people.by_telegram(player.id)
        unit = await tx.org.get_by_code(compound)
        assert person is not None and unit is not None
        team_ids = [t.id for t in await tx.org.teams() if t.code in teams]
        member = Member(
            person_id=person.id,
            real_name=f"{player.name.capitalize()} Real",
            work_unit=None,
            compound_id=unit.id,
            phone=phone,
            member_type=member_type,
            availability=ALL_SLOTS if availability is None else availability,
            share_phone=share_phone,
            status=status,
            created_at=now,
            updated_at=now,
            team_ids=team_ids,
        )
        await tx.members.save(member, now)
        if status is MemberStatus.APPROVED:
            await tx.people.grant(person.id, Role.MEMBER, unit.id, by=None, now=now)
    return member
