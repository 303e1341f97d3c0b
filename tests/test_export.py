"""The Excel export read back with openpyxl, and ``gridbot export`` on the command line."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from auxil import stores
from auxil.harness import EXAMPLE_ORG
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.__main__ import run
from bot.clock import FakeClock
from bot.config import load_config
from bot.export import COLUMNS, workbook_bytes
from bot.i18n import I18n
from bot.lifecycle import Status
from bot.models import Member, MemberType, Rating, Role, Tier
from bot.services.orgimport import OrgImporter
from bot.services.people import Actor
from bot.services.stats import StatsService, custom_period
from storage.db import Database, open_database
from storage.migrate import migrate

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = custom_period(date(2026, 11, 1), date(2026, 11, 30))
S = Status


def local(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


async def add(
    db: Database,
    clock: FakeClock,
    number: str,
    compound: str,
    category: str,
    tier: Tier,
    created: datetime,
    steps: list[tuple[Status, datetime, dict[str, Any]]],
    **due: datetime,
) -> None:
    """A request filed at ``created`` that goes through ``steps`` on the fake clock."""
    clock.set(created)
    async with db.transaction() as tx:
        unit = await tx.org.get_by_code(compound)
        categories = {c.code: c.id for c in await tx.requests.categories()}
        resident = await tx.people.by_telegram(1)
        assert unit is not None and resident is not None
        request = await tx.requests.create(
            number=number,
            source_key=None,
            resident_id=resident.id,
            contact_name=None,
            contact_phone=None,
            anonymous=False,
            compound_id=unit.id,
            category_id=categories[category],
            tier=tier,
            description=number,
            address=None,
            latitude=None,
            longitude=None,
            now=clock.now(),
        )
        if due:
            await tx.requests.set_fields(request.id, clock.now(), **due)
        current = S.SUBMITTED
        for target, when, fields in steps:
            clock.set(when)
            assert await tx.requests.change_status(
                request.id, current, target, clock.now(), **fields
            )
            current = target


async def fill(db: Database, clock: FakeClock) -> int:
    """The org, a resident, a member (Ann Real) and five requests; returns Ann's id."""
    await OrgImporter(db, clock).import_file(EXAMPLE_ORG)
    async with db.transaction() as tx:
        await tx.people.create(
            telegram_id=1, display_name="Res", username=None, language=None, now=clock.now()
        )
        ann = await tx.people.create(
            telegram_id=2, display_name="ann", username=None, language=None, now=clock.now()
        )
        unit = await tx.org.get_by_code("XHHY")
        assert unit is not None
        await tx.members.save(
            Member(
                person_id=ann.id,
                real_name="Ann Real",
                compound_id=unit.id,
                phone="+8613700000000",
                member_type=MemberType.VOLUNTEER,
                created_at=clock.now(),
                updated_at=clock.now(),
            ),
            clock.now(),
        )
    h = timedelta(hours=1)
    t = local(11, 3, 10)
    await add(
        db, clock, "E1", "XHHY", "property", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}),
         (S.ACCEPTED, t + h, {"assignee_id": ann.id}), (S.RESOLVED, t + 24 * h, {}),
         (S.CLOSED, t + 26 * h, {"rating": Rating.SATISFIED, "rated_at": t + 26 * h})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 7 * 24 * h,
    )  # fmt: skip
    t = local(11, 20, 9)
    await add(db, clock, "E2", "LMJ", "environment", Tier.URGENT, t, [(S.TRIAGED, t, {})])
    t = local(11, 21, 9)
    await add(db, clock, "E3", "XHHY", "opinion", Tier.IMPORTANT, t, [(S.CANCELLED, t + h, {})])
    await add(db, clock, "E4", "CTXC", "property", Tier.IMPORTANT, local(11, 5, 9), [])  # 出头社区
    await add(db, clock, "E5", "XHHY", "property", Tier.IMPORTANT, local(10, 30, 9), [])  # October
    return ann.id


def values(sheet: Worksheet) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def statistics(sheet: Worksheet) -> dict[str, list[Any]]:
    """The statistics sheet by its first column (the first row of each label)."""
    out: dict[str, list[Any]] = {}
    for row in values(sheet):
        if row and row[0] is not None and row[0] not in out:
            out[str(row[0])] = row[1:]
    return out


async def test_export_round_trip(db: Database) -> None:
    clock = FakeClock(local(11, 26, 11).astimezone(UTC))
    await fill(db, clock)
    clock.set(local(11, 26, 11).astimezone(UTC))
    service = StatsService(db, clock, load_config(None, storage={"url": db.url}))
    async with db.transaction() as tx:
        admin = await tx.people.create(
            telegram_id=3, display_name="Admin", username=None, language="en", now=clock.now()
        )
        by = await tx.org.get_by_code("BY")
        assert by is not None
        await tx.people.grant(admin.id, Role.ADMIN, by.id, by=None, now=clock.now())
        actor = Actor(admin, tuple(await tx.people.grants(admin.id)))
    export = await service.export(actor, by.id, NOVEMBER)
    data = workbook_bytes(export, I18n().get("en"), "zh_CN", TZ)

    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Requests", "Statistics", "Service teams", "Consultations"]
    assert values(book["Service teams"])[0] == [
        "Project",
        "Team",
        "Orders",
        "Done",
        "Satisfaction rate",
        "Ratings",
    ]
    rows = values(book["Requests"])
    assert rows[0] == list(COLUMNS)
    assert [r[0] for r in rows[1:]] == ["E1", "E2", "E3"]  # in BY, in November, oldest first
    e1 = dict(zip(COLUMNS, rows[1], strict=True))
    assert e1 == {
        "Request number": "E1",
        "Status": "closed",
        "Tier": "important",
        "Category": "物业维修",
        "Compound": "星荷豪苑",
        "Community": "伴月社区",
        "Assignee": "Ann Real",
        "Rating": "Satisfied",
        "Filed at": datetime(2026, 11, 3, 10, 0),  # local time
        "Triaged at": datetime(2026, 11, 3, 10, 0),
        "Dispatched at": datetime(2026, 11, 3, 10, 0),
        "Accepted at": datetime(2026, 11, 3, 11, 0),
        "Resolved at": datetime(2026, 11, 4, 10, 0),
        "Closed at": datetime(2026, 11, 4, 12, 0),
        "Description": "E1",
        "Place": None,
        "Rating comment": None,
    }
    e2 = dict(zip(COLUMNS, rows[2], strict=True))
    assert (e2["Compound"], e2["Tier"], e2["Assignee"], e2["Rating"]) == (
        "龙马街小区",
        "urgent",
        None,
        None,
    )
    assert e2["Dispatched at"] is None and e2["Triaged at"] == datetime(2026, 11, 20, 9, 0)
    assert dict(zip(COLUMNS, rows[3], strict=True))["Status"] == "cancelled"

    figures = statistics(book["Statistics"])
    assert figures["Unit"][0] == "端州区 › 城西街道 › 伴月社区"
    assert figures["Requests received"][0] == len(rows) - 1 == 3
    assert figures["Cancelled requests"][0] == 1
    assert figures["Response rate"][:2] == [1.0, "1/1"]
    assert figures["Resolution rate"][:2] == [0.5, "1/2"]
    assert figures["Satisfaction rate"][:2] == [1.0, "1/1"]
    assert figures["Median time to accept (hours)"][0] == 1.0
    assert figures["Median time to resolve (hours)"][0] == 24.0
    assert figures["Opinions collected"][0] == 1
    assert figures["Micro-matters solved"][0] == 1
    assert (figures["urgent"][0], figures["important"][0], figures["difficult"][0]) == (1, 2, 0)
    assert figures["物业维修"][0] == 1 and figures["环境卫生"][0] == 1
    # The ranking: a header, then the compounds with their rates.
    assert figures["星荷豪苑"][:4] == [2, 1.0, 1.0, 1.0]
    assert figures["龙马街小区"][:4] == [1, None, 0.0, None]
    assert book["Statistics"]["B7"].number_format == "0.0%"


@pytest.fixture
async def store(tmp_path: Path) -> str:
    return await stores.fresh_store(tmp_path, "cli", migrated=False)


@pytest.fixture
def config(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "{store}"\n')
    return path


def test_cli_export(
    config: Path, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        async with open_database(store) as db:
            await migrate(db)
            await fill(db, FakeClock())

    asyncio.run(prepare())
    out = tmp_path / "out" / "by.xlsx"
    c = ["--config", str(config), "export", "--unit", "BY", "--from", "2026-11-01"]
    assert run([*c, "--to", "2026-11-30", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed == f"3 requests of 伴月社区 (2026-11-01 to 2026-11-30) written to {out}\n"
    book = load_workbook(out)
    assert [r[0] for r in values(book.worksheets[0])[1:]] == ["E1", "E2", "E3"]
    assert statistics(book.worksheets[1])  # the statistics sheet is there
    # A street takes in its communities; October alone has E5.
    assert (
        run([*c[:4], "CX", "--from", "2026-10-01", "--to", "2026-11-30", "--out", str(out)]) == 0
    )
    assert capsys.readouterr().out.startswith("5 requests of 城西街道 ")

    async def audit() -> list[tuple[str | None, str, str]]:
        async with open_database(store) as db, db.read() as tx:
            rows = await tx.audit.latest(action="export")
        return [(e.actor_label, e.subject, str((e.after or {}).get("rows"))) for e in rows]

    assert asyncio.run(audit()) == [("cli", "unit:CX", "5"), ("cli", "unit:BY", "3")]

    assert (
        run([*c[:4], "NOPE", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)]) == 2
    )
    assert "no unit with code 'NOPE'" in capsys.readouterr().err
    assert run([*c, "--to", "2026-10-01", "--out", str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit):
        run([*c, "--to", "November", "--out", str(out)])
    assert "not a date" in capsys.readouterr().err


async def test_text_from_people_never_becomes_a_formula(db: Database) -> None:
    """A member registered as =HYPERLINK(...), and descriptions, places and comments that start
    like formulas: every one is a string cell, shown with a leading apostrophe."""
    clock = FakeClock(local(11, 26, 11).astimezone(UTC))
    ann_id = await fill(db, clock)
    hostile = {
        "Assignee": '=HYPERLINK("//e.vil","点我")',
        "Description": "=1+1",
        "Place": "@SUM(A1:A9)",
        "Rating comment": "-2+3",
    }
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE members SET real_name = ? WHERE person_id = ?", (hostile["Assignee"], ann_id)
        )
        await tx.execute(
            "UPDATE requests SET description = ?, address = ?, rating_comment = ?"
            " WHERE number = 'E1'",
            (hostile["Description"], hostile["Place"], hostile["Rating comment"]),
        )
        await tx.execute(
            "UPDATE requests SET description = ? WHERE number = 'E2'", ("\t+cmd|' /C calc'!A0",)
        )
        await tx.execute("UPDATE org_units SET name = '+星荷豪苑' WHERE code = 'XHHY'")
    service = StatsService(db, clock, load_config(None, storage={"url": db.url}))
    export = await service.export_unit("BY", NOVEMBER)
    book = load_workbook(io.BytesIO(workbook_bytes(export, I18n().get("en"), "zh_CN", TZ)))

    formulas = [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    e1 = dict(zip(COLUMNS, values(book["Requests"])[1], strict=True))
    for column, text in hostile.items():
        assert e1[column] == "'" + text
    assert e1["Compound"] == "'+星荷豪苑"
    e2 = dict(zip(COLUMNS, values(book["Requests"])[2], strict=True))
    assert e2["Description"] == "'\t+cmd|' /C calc'!A0"
    # Numbers and times stay values.
    assert isinstance(e1["Filed at"], datetime)
