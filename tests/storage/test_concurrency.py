"""Several processes on one store: gapless numbering, claims that skip each other's rows, and
the leadership lock that makes exactly one process active."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from auxil.harness import EXAMPLE_ORG

from bot.clock import FakeClock
from bot.models import Tier
from bot.services.orgimport import OrgImporter
from storage.db import Database, open_database

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class Rollback(Exception):
    """Raised to roll a transaction back on purpose."""


async def _file(db: Database, n: int, fail: bool) -> str | None:
    """One intake's commit: a number and its request, or (``fail``) neither."""
    try:
        async with db.transaction() as tx:
            number = await tx.requests.next_number("DZ", 2026)
            people = await tx.people.create(
                telegram_id=1000 + n, display_name="r", username=None, language=None, now=NOW
            )
            compound = await tx.org.get_by_code("XHHY")
            categories = await tx.requests.categories()
            assert compound is not None
            await tx.requests.create(
                number=number,
                source_key=f"k{n}",
                resident_id=people.id,
                contact_name=None,
                contact_phone=None,
                anonymous=False,
                compound_id=compound.id,
                category_id=categories[0].id,
                tier=Tier.IMPORTANT,
                description=f"r{n}",
                address=None,
                latitude=None,
                longitude=None,
                now=NOW,
            )
            await asyncio.sleep(random.uniform(0, 0.005))  # hold the counter a moment
            if fail:
                raise Rollback
            return number
    except Rollback:
        return None


async def test_numbers_stay_gapless_with_four_processes_filing_at_once(db: Database) -> None:
    await OrgImporter(db, FakeClock(NOW)).import_file(EXAMPLE_ORG)
    others = [open_database(db.url) for _ in range(3)]  # four writers, as four processes
    for other in others:
        await other.connect()
    try:
        rng = random.Random(5)
        writers = [db, *others]
        jobs = [_file(writers[n % 4], n, rng.random() < 0.2) for n in range(60)]
        filed = [number for number in await asyncio.gather(*jobs) if number is not None]
    finally:
        for other in others:
            await other.close()
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in filed)
    assert sequence == list(range(1, len(filed) + 1))  # no gap, no number twice
    async with db.read() as tx:
        stored = [r[0] for r in await tx.fetchall("SELECT number FROM requests ORDER BY number")]
    assert stored == sorted(filed)


@pytest.mark.postgres_only(reason="row locks and SKIP LOCKED: SQLite has one writer at a time")
async def test_two_sweeps_claim_different_rows_without_waiting(db: Database) -> None:
    await OrgImporter(db, FakeClock(NOW)).import_file(EXAMPLE_ORG)
    number = await _file(db, 1, fail=False)
    async with db.transaction() as tx:
        request = await tx.requests.by_number(number or "")
        assert request is not None
        await tx.deadlines.add_many(
            request.id,
            [("remind_accept", step, NOW - timedelta(minutes=step)) for step in range(6)],
            NOW,
        )
    other = open_database(db.url)
    await other.connect()
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first_sweep() -> list[int]:
        async with db.transaction() as tx:
            items = await tx.deadlines.claim_due(NOW, 3)
            holding.set()
            await release.wait()  # still uncommitted while the other sweep runs
            return [item.id for item in items]

    task = asyncio.create_task(first_sweep())
    try:
        await holding.wait()
        async with asyncio.timeout(2):  # it does not wait for the first one's locks
            async with other.transaction() as tx:
                second = [item.id for item in await tx.deadlines.claim_due(NOW, 10)]
    finally:
        release.set()
        first = await task
        await other.close()
    assert len(first) == 3 and len(second) == 3
    assert not set(first) & set(second)


async def test_only_one_process_leads_and_the_next_takes_over(store_url: str) -> None:
    first = open_database(store_url).leadership(takeover_seconds=5)
    second = open_database(store_url).leadership(takeover_seconds=5)
    await first.acquire(poll_seconds=0.05)
    waiting = asyncio.create_task(second.acquire(poll_seconds=0.05))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # a standby
    assert await first.check(within=1)
    await first.release()  # as when the active process ends
    async with asyncio.timeout(2):
        await waiting
    assert await second.check(within=1)
    await second.release()


@pytest.mark.postgres_only(reason="the advisory lock lives in a PostgreSQL session")
async def test_the_active_process_notices_when_its_lock_session_is_gone(store_url: str) -> None:
    leadership = open_database(store_url).leadership(takeover_seconds=5)
    await leadership.acquire(poll_seconds=0.05)
    assert await leadership.check(within=1)
    admin = await asyncpg.connect(store_url)
    try:  # the server ends the session (a restart, a network cut seen from its side)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'gridbot leadership' AND datname = current_database()"
        )
    finally:
        await admin.close()
    assert not await leadership.check(within=1)
    await leadership.release()
