"""The service menu's sections of the org file: the teams' projects and the stations' shops.

``[[projects]]`` says what each team's project offers, when and where, and which
category its orders are filed in; ``[[shop_items]]`` lists what each station's points shop
offers and for how many points. Both are :class:`~bot.services.orgfields.Section`
objects the org import runs after its core tables, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.services.orgfields import Fields, OrgImportError, Section

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["PROJECTS", "SECTIONS", "SHOP_ITEMS", "ProjectSpec", "ShopItemSpec"]

_PROJECT_KEYS = frozenset(
    {
        "team",
        "offers",
        "offers_en",
        "schedule",
        "schedule_en",
        "venue",
        "venue_en",
        "category",
    }
)
_ITEM_KEYS = frozenset({"code", "station", "name", "name_en", "price", "stock", "sort", "active"})


@dataclass(frozen=True)
class ProjectSpec:
    """What one team's project offers, as the file gives it (``code`` is the team's)."""

    where: str
    code: str
    offers: str
    offers_en: str | None
    schedule: str
    schedule_en: str | None
    venue: str
    venue_en: str | None
    category: str | None


@dataclass(frozen=True)
class ShopItemSpec:
    where: str
    code: str
    station: str
    name: str
    name_en: str | None
    price: int
    stock: int | None
    sort: int
    active: bool


class _Projects(Section):
    table = "projects"
    noun = "project"

    def parse(self, data: Mapping[str, Any], where: str) -> ProjectSpec:
        f = Fields(data, where, _PROJECT_KEYS)
        team = f.code("team")
        assert team is not None
        return ProjectSpec(
            where=where,
            code=team,
            offers=f.required_text("offers"),
            offers_en=f.text("offers_en"),
            schedule=f.text("schedule") or "",
            schedule_en=f.text("schedule_en"),
            venue=f.text("venue") or "",
            venue_en=f.text("venue_en"),
            category=f.code("category", required=False, lower=True),
        )

    async def write(self, tx: Tx, specs: Sequence[ProjectSpec], now: datetime) -> tuple[int, int]:
        teams = {t.code: t for t in await tx.org.teams()}
        categories = {c.code: c for c in await tx.requests.categories(active_only=False)}
        created = 0
        for spec in specs:
            team = teams.get(spec.code)
            if team is None:
                raise OrgImportError(f'{spec.where}: unknown team code "{spec.code}"')
            category = spec.category
            if category is None:  # the team's own category comes first on the menu
                own = sorted(
                    (c for c in categories.values() if c.team_code == team.code and c.active),
                    key=lambda c: (c.sort, c.id),
                )
                if not own:
                    raise OrgImportError(
                        f'{spec.where}: team "{team.code}" has no category of its own;'
                        " name the category its orders are filed in (category = ...)"
                    )
                category = own[0].code
            elif category not in categories or not categories[category].active:
                raise OrgImportError(f'{spec.where}: unknown category code "{category}"')
            created += not team.offers
            await tx.org.set_team_menu(
                team.code,
                offers=spec.offers,
                offers_en=spec.offers_en,
                schedule=spec.schedule,
                schedule_en=spec.schedule_en,
                venue=spec.venue,
                venue_en=spec.venue_en,
                order_category=category,
                now=now,
            )
        return created, len(specs) - created


class _ShopItems(Section):
    table = "shop_items"
    noun = "shop item"

    def parse(self, data: Mapping[str, Any], where: str) -> ShopItemSpec:
        f = Fields(data, where, _ITEM_KEYS)
        code = f.code()
        station = f.code("station")
        assert code is not None and station is not None
        price = f.integer("price", 0)
        if price < 1:
            raise f.error(f"price {price} must be at least 1 point")
        stock = None if data.get("stock") is None else f.integer("stock", 0)
        if stock is not None and stock < 0:
            raise f.error(f"stock {stock} must not be negative")
        return ShopItemSpec(
            where=where,
            code=code,
            station=station,
            name=f.required_text("name"),
            name_en=f.text("name_en"),
            price=price,
            stock=stock,
            sort=f.integer("sort", 0),
            active=f.boolean("active", True),
        )

    async def write(self, tx: Tx, specs: Sequence[ShopItemSpec], now: datetime) -> tuple[int, int]:
        created = 0
        for spec in specs:
            station = await tx.org.station_by_code(spec.station)
            if station is None:
                raise OrgImportError(f'{spec.where}: unknown station code "{spec.station}"')
            created += await tx.points.upsert_item(
                code=spec.code,
                station_id=station.id,
                name=spec.name,
                name_en=spec.name_en,
                price=spec.price,
                stock=spec.stock,
                sort=spec.sort,
                active=spec.active,
                now=now,
            )
        return created, len(specs) - created


PROJECTS = _Projects()
SHOP_ITEMS = _ShopItems()
SECTIONS: tuple[Section, ...] = (PROJECTS, SHOP_ITEMS)
