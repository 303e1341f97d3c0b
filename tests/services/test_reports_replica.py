"""`[storage] read_url`: statistics and exports read the replica; their audit rows go to the
main store. (Here the "replica" holds a request the main store does not, so the figures show
which one was read.)"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from auxil import stores
from auxil.harness import EXAMPLE_ORG

from bot.clock import FakeClock
from bot.config import load_config
from bot.models import Role, Tier
from bot.services.orgimport import OrgImporter
from bot.services.people import Actor
from bot.services.stats import StatsService, custom_period
from storage.db import Database, open_database
from storage.migrate import migrate

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


async def prepare(db: Database, clock: FakeClock, *, with_request: bool) -> Actor:
    """The demo org and a street admin of 城西街道 (CX); optionally one request in 星荷豪苑."""
    await OrgImporter(db, clock).import_file(EXAMPLE_ORG)
    async with db.transaction() as tx:
        admin = await tx.people.create(
            telegram_id=7, display_name="Admin", username=None, language="en", now=NOW
        )
        street = await tx.org.get_by_code("CX")
        compound = await tx.org.get_by_code("XHHY")
        assert street is not None and compound is not None
        await tx.people.grant(admin.id, Role.ADMIN, street.id, by=None, now=NOW)
        if with_request:
            category = (await tx.requests.categories())[0]
            await tx.requests.create(
                number="DZ-2026-000001",
                source_key=None,
                resident_id=None,
                contact_name=None,
                contact_phone=None,
                anonymous=False,
                compound_id=compound.id,
                category_id=category.id,
                tier=Tier.IMPORTANT,
                description="路灯坏了",
                address=None,
                latitude=None,
                longitude=None,
                now=NOW,
            )
        grants = tuple(await tx.people.grants(admin.id))
    return Actor(admin, grants)


async def test_statistics_read_the_replica_and_audit_the_main_store(
    db: Database, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    actor = await prepare(db, clock, with_request=False)
    replica_url = await stores.fresh_store(tmp_path, "replica")
    async with open_database(replica_url) as writer:  # what replication would have brought
        await migrate(writer)
        await prepare(writer, clock, with_request=True)
    config = load_config(None, storage={"url": db.url, "read_url": replica_url})
    assert config.storage.reports_url == replica_url
    async with open_database(config.storage.reports_url, read_only=True) as replica:
        service = StatsService(db, clock, config, reports=replica)
        async with replica.read() as tx:
            street = await tx.org.get_by_code("CX")
        assert street is not None
        period = custom_period(date(2026, 11, 1), date(2026, 11, 30))
        stats = await service.stats(actor, street.id, period)
        export = await service.export(actor, street.id, period)
        async with replica.read() as tx:
            replica_audit = await tx.audit.latest(action="stats.view")
    assert stats.totals.counts.received == 1  # the replica's request
    assert [row.number for row in export.rows] == ["DZ-2026-000001"]
    async with db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM requests") == 0
        audited = [(e.action, e.subject) for e in await tx.audit.latest()]
    assert ("stats.view", "unit:CX") in audited and ("export", "unit:CX") in audited
    assert replica_audit == []  # nothing was written to the replica


async def test_without_read_url_reports_use_the_main_store(store_url: str) -> None:
    config = load_config(None, storage={"url": store_url})
    assert config.storage.reports_url == store_url
