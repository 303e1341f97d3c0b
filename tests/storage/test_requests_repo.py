"""The "me too" query: only open requests of the compound and category, recent, newest first,
not the person's own nor ones they support; read through the partial index ``requests_open``,
whose condition must say exactly what "open" means in the lifecycle."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auxil.harness import EXAMPLE_ORG

from bot.clock import FakeClock
from bot.lifecycle import OPEN, Status
from bot.models import Tier
from bot.services.orgimport import OrgImporter
from storage.db import Database, Tx, open_database
from storage.migrate import migrate
from storage.repos.requests import OPEN_SQL, SIMILAR_SQL

MIGRATIONS = Path(__file__).resolve().parents[2] / "storage" / "migrations"

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    database = open_database(store_url)
    async with database:
        await migrate(database)
        await OrgImporter(database, FakeClock(NOW)).import_file(EXAMPLE_ORG)
        yield database


async def ids(tx: Tx, *codes: str) -> list[int]:
    found = []
    for code in codes:
        unit = await tx.org.get_by_code(code)
        assert unit is not None
        found.append(unit.id)
    return found


def test_the_index_condition_is_the_lifecycle_meaning_of_open() -> None:
    not_open = {s.value for s in Status if s not in OPEN}
    assert set(re.findall(r"'(\w+)'", OPEN_SQL)) == not_open
    migration = MIGRATIONS / "0009_open_requests_index.sql"
    assert OPEN_SQL in migration.read_text(encoding="utf-8")  # the index says the same


async def test_open_similar_finds_only_recent_open_ones_of_others(db: Database) -> None:
    async with db.transaction() as tx:
        xhhy, lmj = await ids(tx, "XHHY", "LMJ")
        categories = {c.code: c.id for c in await tx.requests.categories()}
        me = await tx.people.create(
            telegram_id=1, display_name="me", username=None, language="zh_CN", now=NOW
        )
        other = await tx.people.create(
            telegram_id=2, display_name="other", username=None, language="zh_CN", now=NOW
        )

        async def filed(
            n: int, *, by: int, compound: int, category: str, age: timedelta, status: Status
        ) -> int:
            request = await tx.requests.create(
                number=f"T-{n}",
                source_key=None,
                resident_id=by,
                contact_name=None,
                contact_phone=None,
                anonymous=False,
                compound_id=compound,
                category_id=categories[category],
                tier=Tier.IMPORTANT,
                description=f"request {n}",
                address=None,
                latitude=None,
                longitude=None,
                now=NOW - age,
            )
            await tx.execute(
                "UPDATE requests SET status = ? WHERE id = ?", (status.value, request.id)
            )
            return request.id

        hour = timedelta(hours=1)
        older = await filed(
            1, by=other.id, compound=xhhy, category="other", age=5 * hour, status=Status.DISPATCHED
        )
        newer = await filed(
            2, by=other.id, compound=xhhy, category="other", age=hour, status=Status.ACCEPTED
        )
        supported = await filed(
            3, by=other.id, compound=xhhy, category="other", age=hour, status=Status.DISPATCHED
        )
        await tx.requests.add_supporter(supported, me.id, NOW)
        await filed(
            4, by=me.id, compound=xhhy, category="other", age=hour, status=Status.DISPATCHED
        )  # my own
        await filed(
            5, by=other.id, compound=xhhy, category="other", age=hour, status=Status.RESOLVED
        )  # settled
        await filed(
            6,
            by=other.id,
            compound=xhhy,
            category="other",
            age=80 * hour,
            status=Status.DISPATCHED,
        )  # too old
        await filed(
            7, by=other.id, compound=lmj, category="other", age=hour, status=Status.DISPATCHED
        )  # another compound
        kinds = [code for code in categories if code != "other"]
        await filed(
            8, by=other.id, compound=xhhy, category=kinds[0], age=hour, status=Status.DISPATCHED
        )  # another category
    async with db.read() as tx:
        found = await tx.requests.open_similar(
            compound_id=xhhy,
            category_id=categories["other"],
            since=NOW - 72 * hour,
            exclude_person=me.id,
            limit=5,
        )
        assert [r.id for r in found] == [newer, older]  # newest first
        limited = await tx.requests.open_similar(
            compound_id=xhhy,
            category_id=categories["other"],
            since=NOW - 72 * hour,
            exclude_person=me.id,
            limit=1,
        )
        assert [r.id for r in limited] == [newer]


async def test_open_similar_reads_through_the_open_index(db: Database) -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.read() as tx:
        plan = await tx.explain(SIMILAR_SQL, (1, 1, since, 1, 1, 5), avoid_scans=True)
    assert "requests_open" in plan
    if db.engine == "sqlite":  # the index gives newest first: no sort
        assert "SEARCH r USING INDEX requests_open" in plan
        assert "TEMP B-TREE" not in plan
