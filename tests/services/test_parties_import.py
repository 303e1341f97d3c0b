"""The org file's parties and registries: validated (errors name the line), idempotent, seats
filled from the file; the registry CSV; the one-time codes and binding by code."""

from __future__ import annotations

from pathlib import Path

import pytest
from auxil.flows import onboard
from auxil.harness import EXAMPLE_ORG, Harness
from auxil.parties import households, issue_codes

from bot.clock import FakeClock
from bot.models import Role
from bot.registry import RegistryError, parse_registry
from bot.services.households import code_hash
from bot.services.orgimport import OrgImporter, OrgImportError
from storage.db import Database

BASE = """
[[units]]
code = "DZ"
name = "端州区"
level = "district"

[[units]]
code = "CX"
name = "城西街道"
level = "street"
parent = "DZ"

[[units]]
code = "BY"
name = "伴月社区"
level = "community"
parent = "CX"

[[units]]
code = "XHHY"
name = "星荷豪苑"
level = "compound"
parent = "BY"

[[units]]
code = "XNXQ"
name = "西南小区"
level = "compound"
parent = "BY"
has_property_company = false
"""


def org(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "org.toml"
    path.write_text(BASE + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            '[[parties]]\ncompound = "XHHY"\nkind = "mafia"\nname = "x"\n',
            'unknown kind "mafia"',
        ),
        (
            '[[parties]]\ncompound = "XHHY"\nkind = "branch"\nname = "支部"\n'
            'seats = [{ code = "S1", role = "manager", name = "张" }]\n',
            'a branch has no "manager"',
        ),
        (
            '[[parties]]\ncompound = "XNXQ"\nkind = "property_company"\nname = "物业"\n',
            "XNXQ has has_property_company = false",
        ),
        (
            '[[parties]]\ncompound = "XHHY"\nkind = "self_management_group"\nname = "组"\n',
            "a self-management group runs a compound with no property company",
        ),
        (
            '[[parties]]\ncompound = "BY"\nkind = "branch"\nname = "支部"\n',
            '"BY" is a community, not a compound',
        ),
        (
            '[[parties]]\ncompound = "XHHY"\nkind = "branch"\nname = "a"\n'
            'seats = [{ code = "S1", role = "secretary" }, { code = "S1", role = "secretary" }]\n',
            'duplicate seat code "S1"',
        ),
        (
            '[[parties]]\ncompound = "XHHY"\nkind = "branch"\nname = "a"\n'
            'seats = [{ code = "S1", role = "secretary", telegram_id = 5 }]\n',
            'needs the holder\'s "name"',
        ),
        ('[[registries]]\ncompound = "XHHY"\nfile = "missing.csv"\n', "cannot read the file"),
    ],
)
async def test_bad_parties_name_the_line_and_import_nothing(
    db: Database, tmp_path: Path, section: str, message: str
) -> None:
    path = org(tmp_path, section)
    with pytest.raises(OrgImportError) as raised:
        await OrgImporter(db, FakeClock()).import_file(path)
    assert message in str(raised.value)
    assert "org.toml line" in str(raised.value) or "org.toml:" in str(raised.value)
    async with db.read() as tx:
        assert await tx.org.count_units() == 0  # all or nothing


async def test_a_seat_with_a_telegram_id_is_filled_and_a_new_name_unlinks_it(
    db: Database, tmp_path: Path
) -> None:
    section = (
        '[[parties]]\ncompound = "XHHY"\nkind = "branch"\nname = "支部"\n'
        'seats = [{ code = "S1", role = "secretary", name = "张红梅", telegram_id = 4242 }]\n'
    )
    importer = OrgImporter(db, FakeClock())
    await importer.import_file(org(tmp_path, section))
    async with db.read() as tx:
        seat = await tx.parties.by_code("S1")
        person = await tx.people.by_telegram(4242)
        assert seat is not None and person is not None and seat.person_id == person.id
        assert [g.role for g in await tx.people.grants(person.id)] == [Role.SEAT]
    # The same file again: nothing changes; a new holder's name vacates the seat in the bot.
    await importer.import_file(org(tmp_path, section))
    renamed = section.replace('name = "张红梅", telegram_id = 4242', 'name = "李明"')
    await importer.import_file(org(tmp_path, renamed))
    async with db.read() as tx:
        seat = await tx.parties.by_code("S1")
        assert seat is not None and seat.person_id is None and seat.holder_name == "李明"
        assert await tx.people.grants(person.id) == []
        assert await tx.parties.count_seats() == 1


def test_registry_csv_in_english_or_chinese_with_exact_areas() -> None:
    rows = parse_registry("r.csv", "楼栋,单元,房号,面积\n3,1,101,89.37\n5,,202,120\n")
    assert [(r.building, r.unit, r.room, r.area_centi) for r in rows] == [
        ("3", "1", "101", 8937),
        ("5", "", "202", 12000),
    ]
    rows = parse_registry("r.csv", "room,area,building\n101,56.5,A\n")
    assert rows[0].key == ("A", "", "101") and rows[0].area_centi == 5650


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("楼栋,房号\n3,101\n", "the header must be"),
        ("building,unit,room,area\n3,1,101,89.375\n", 'line 2: area "89.375"'),
        ("building,unit,room,area\n3,1,101,-5\n", "line 2: area"),
        ("building,unit,room,area\n3,1,101,80\n3,1,101,81\n", "listed twice (first on line 2)"),
        ("building,unit,room,area\n3-2,1,101,80\n", 'without "-" or ":"'),
        ("building,unit,room,area\n", "no households"),
    ],
)
def test_bad_registries_name_the_line(text: str, message: str) -> None:
    with pytest.raises(RegistryError) as raised:
        parse_registry("r.csv", text)
    assert message in str(raised.value)


async def test_codes_are_one_time_hashed_and_limited(org: Harness) -> None:
    h = org
    codes = await issue_codes(h)
    registry = await households(h)
    assert len(codes) == 40
    async with h.services.db.read() as tx:
        stored = [str(r[0]) for r in await tx.fetchall("SELECT code_hash FROM households")]
    assert code_hash(codes["3-1-101"]) in stored and codes["3-1-101"] not in stored
    owner = h.player("owner")
    await onboard(owner)
    # Typed as it is printed, with a dash and in lower case.
    printed = codes["3-1-101"][:5].lower() + "-" + codes["3-1-101"][5:]
    await owner.command(f"/bind {printed}")
    assert "您已绑定星荷豪苑 3-1-101（89.37 平方米）" in owner.last_text()
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(owner.id)
        assert person is not None
        assert Role.OWNER in {g.role for g in await tx.people.grants(person.id)}
    await owner.command("/me")
    assert "星荷豪苑 3-1-101（89.37 平方米）" in owner.last_text()
    # Reprinting gives new codes and the old ones stop working; wrong codes are limited.
    fresh = await issue_codes(h)  # only the households not bound yet
    assert "3-1-101" not in fresh and len(fresh) == 39
    guesser = h.player("guesser")
    await onboard(guesser)
    for n in range(5):
        await guesser.command(f"/bind WRONG{n}CODEX")
        assert "绑定码无效" in guesser.last_text()
    await guesser.command(f"/bind {fresh[registry[1].label]}")
    assert "输错次数太多" in guesser.last_text()
    await guesser.command(f"/bind {codes[registry[1].label]}")  # the old code of 3-1-102
    assert "输错次数太多" in guesser.last_text()


async def test_the_example_registry_imports(db: Database) -> None:
    await OrgImporter(db, FakeClock()).import_file(EXAMPLE_ORG)
    async with db.read() as tx:
        xhhy = await tx.org.get_by_code("XHHY")
        assert xhhy is not None
        registry = await tx.households.of_compound(xhhy.id)
    assert len(registry) == 40
    assert sum(h.area_centi for h in registry) == 397828
