"""The org import: TOML and CSV files, validation, idempotence, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.models import Level
from bot.services.orgimport import ImportReport, OrgImporter, OrgImportError, render_tree
from storage.db import Database

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "duanzhou.toml"

# The demo org: 1 district, 2 streets, 4 communities, 9 compounds.
UNITS, STATIONS, TEAMS = 16, 7, 8
# The service menu: a project for each team, and the points shops' items.
PROJECTS, SHOP_ITEMS = 8, 5
# Its categories of requests; SEEDED of them are also the store's defaults (migration 0002).
CATEGORIES, SEEDED = 18, 12
# The four parties of the demo org: 11 parties, and the 40 households of 星荷豪苑's registry.
PARTIES, HOUSEHOLDS = 11, 40
DEPARTMENTS, PAIRINGS = 12, 4  # 吹哨报到: 8 district departments and 4 local branches


@pytest.fixture
def importer(db: Database) -> OrgImporter:
    return OrgImporter(db, FakeClock())


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.read() as tx:
        return (
            await tx.org.count_units(),
            await tx.org.count_stations(),
            await tx.org.count_teams(),
        )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


TOP = """
[[units]]
code = "DZ"
name = "端州区"
level = "district"

[[units]]
code = "CX"
name = "城西街道"
level = "street"
parent = "DZ"
"""


# -- the example file ----------------------------------------------------------------------


async def test_example_imports_the_demo_org(importer: OrgImporter, db: Database) -> None:
    report = await importer.import_file(EXAMPLE)

    assert report == ImportReport(
        units_created=UNITS,
        stations_created=STATIONS,
        teams_created=TEAMS,
        categories_created=CATEGORIES - SEEDED,
        categories_updated=SEEDED,
        departments_created=DEPARTMENTS,
        pairings_created=PAIRINGS,
        sections={
            "projects": (PROJECTS, 0),
            "shop_items": (SHOP_ITEMS, 0),
            "parties": (PARTIES, 0),
            "registries": (HOUSEHOLDS, 0),
        },
    )
    assert await counts(db) == (UNITS, STATIONS, TEAMS)
    async with db.read() as tx:
        district = await tx.org.get_by_code("DZ")
        assert district is not None
        per_level = [len(await tx.org.subtree(district, level)) for level in Level]
        xhhy = await tx.org.get_by_code("XHHY")
        banyue = await tx.org.get_by_code("BY")
        xinan = await tx.org.get_by_code("XNXQ")
        hongji = await tx.org.get_by_code("HJXQ")
        stations = {s.code: s for s in await tx.org.stations()}
        teams = await tx.org.teams()
        audit = await tx.audit.latest(action="org.import")
    assert district.parent_id is None and district.path == "/DZ/"
    assert xhhy is not None and banyue is not None and xinan is not None and hongji is not None
    assert xhhy.name == "星荷豪苑"
    assert xhhy.level is Level.COMPOUND
    assert xhhy.path == "/DZ/CX/BY/XHHY/"
    assert xhhy.parent_id == banyue.id
    assert banyue.level is Level.COMMUNITY and banyue.name == "伴月社区"
    assert xhhy.has_property_company is True
    assert xinan.name == "西南小区" and xinan.path == "/DZ/CD/ZB/XNXQ/"
    assert xinan.has_property_company is False
    assert hongji.path.startswith("/DZ/CD/")
    assert per_level == [1, 2, 4, 9]

    station = stations["S-XHHY"]
    assert station.unit_id == xhhy.id
    assert station.function_areas == ["党员活动区", "图书借阅", "诉求反映"]
    assert station.opening_hours == "周六下午可预约"
    assert not station.open_on_holidays and stations["S-BY"].open_on_holidays
    assert [(s.days, f"{s.open:%H:%M}-{s.close:%H:%M}") for s in station.hours] == [
        ((0, 1, 2, 3, 4), "09:00-12:00"),
        ((0, 1, 2, 3, 4), "14:30-17:30"),
        ((5,), "09:00-12:00"),
    ]
    for s in stations.values():
        assert s.latitude is not None and 23.0 < s.latitude < 23.1
        assert s.longitude is not None and 112.4 < s.longitude < 112.5
        assert s.hours and s.function_areas

    assert [(t.name, t.project) for t in teams] == [
        ("人民调解", "以和为贵"),
        ("弘扬文化", "文化之旅"),
        ("法律服务", "法进社区"),
        ("医疗保健", "社区医生"),
        ("关爱未成年人", "第二课堂"),
        ("关爱老人", "情暖夕阳"),
        ("阳光心理", "快乐养心"),
        ("科普宣传", "科普在社区"),
    ]
    assert all(t.name_en and t.project_en for t in teams)
    # Each project says what it offers, when and where, in both languages, and the category
    # its orders are filed in (the team's own).
    assert all(
        t.offers and t.offers_en and t.schedule and t.schedule_en and t.venue and t.venue_en
        for t in teams
    )
    legal = next(t for t in teams if t.code == "LEGAL")
    assert legal.order_category == "legal" and "法律咨询" in legal.offers
    assert next(t for t in teams if t.code == "CULTURE").order_category == "activities"

    assert len(audit) == 1
    assert audit[0].actor_label == "cli"
    assert audit[0].subject == "duanzhou.toml"
    assert audit[0].after == report.as_dict()


async def test_reimport_updates_and_never_duplicates(importer: OrgImporter, db: Database) -> None:
    await importer.import_file(EXAMPLE)
    async with db.read() as tx:
        before = await tx.org.all_units()

    report = await importer.import_file(EXAMPLE)

    assert report == ImportReport(
        units_updated=UNITS,
        stations_updated=STATIONS,
        teams_updated=TEAMS,
        categories_updated=CATEGORIES,
        departments_updated=DEPARTMENTS,
        sections={
            "projects": (0, PROJECTS),
            "shop_items": (0, SHOP_ITEMS),
            "parties": (0, PARTIES),
            "registries": (0, HOUSEHOLDS),
        },
    )
    assert report.summary() == (
        f"units: 0 created, {UNITS} updated; stations: 0 created, {STATIONS} updated; "
        f"teams: 0 created, {TEAMS} updated; categories: 0 created, {CATEGORIES} updated; "
        f"departments: 0 created, {DEPARTMENTS} updated; "
        f"projects: 0 created, {PROJECTS} updated; shop items: 0 created, {SHOP_ITEMS} updated;"
        f" parties: 0 created, {PARTIES} updated; registries: 0 created, {HOUSEHOLDS} updated"
    )
    assert await counts(db) == (UNITS, STATIONS, TEAMS)
    async with db.read() as tx:
        assert await tx.org.all_units() == before
        assert len(await tx.audit.latest(action="org.import")) == 2


async def test_edited_name_is_updated_on_reimport(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    await importer.import_file(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count('name = "星荷豪苑"') == 1
    text = text.replace('name = "星荷豪苑"', 'name = "星荷豪苑小区"')
    edited = write(tmp_path, "edited.toml", text)
    registry = EXAMPLE.parent / "xinghe_households.csv"  # beside the file that names it
    (tmp_path / registry.name).write_bytes(registry.read_bytes())

    report = await importer.import_file(edited)

    assert report.units_created == 0
    assert await counts(db) == (UNITS, STATIONS, TEAMS)
    async with db.read() as tx:
        xhhy = await tx.org.get_by_code("XHHY")
    assert xhhy is not None and xhhy.name == "星荷豪苑小区"
    assert xhhy.path == "/DZ/CX/BY/XHHY/"


async def test_moving_a_unit_moves_its_path(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    await importer.import_file(EXAMPLE)
    moved = write(
        tmp_path,
        "move.toml",
        """
[[units]]
code = "XHHY"
name = "星荷豪苑"
level = "compound"
parent = "CT"
""",
    )

    assert await importer.import_file(moved) == ImportReport(units_updated=1)

    async with db.read() as tx:
        xhhy = await tx.org.get_by_code("XHHY")
        chutou = await tx.org.get_by_code("CT")
    assert xhhy is not None and chutou is not None
    assert (xhhy.parent_id, xhhy.path) == (chutou.id, "/DZ/CX/CT/XHHY/")


async def test_parents_may_come_later_in_the_file(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "reversed.toml",
        """
[[units]]
code = "XHHY"
name = "星荷豪苑"
level = "compound"
parent = "BY"

[[units]]
code = "BY"
name = "伴月社区"
level = "community"
parent = "CX"
"""
        + TOP,
    )

    assert await importer.import_file(path) == ImportReport(units_created=4)

    async with db.read() as tx:
        xhhy = await tx.org.get_by_code("XHHY")
    assert xhhy is not None and xhhy.path == "/DZ/CX/BY/XHHY/"


async def test_parent_may_already_be_in_the_database(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    await importer.import_file(EXAMPLE)
    path = write(
        tmp_path,
        "more.toml",
        """
[[units]]
code = "NEW1"
name = "新小区"
level = "compound"
parent = "CT"
has_property_company = false
""",
    )

    assert await importer.import_file(path) == ImportReport(units_created=1)

    async with db.read() as tx:
        unit = await tx.org.get_by_code("NEW1")
    assert unit is not None
    assert unit.path == "/DZ/CX/CT/NEW1/"
    assert unit.has_property_company is False


# -- errors: the message says where, and nothing is imported -------------------------------


async def test_unknown_parent_fails_naming_the_unit_and_imports_nothing(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "bad.toml",
        TOP
        + """
[[units]]
code = "BY"
name = "伴月社区"
level = "community"
parent = "XX"
""",
    )

    with pytest.raises(OrgImportError) as info:
        await importer.import_file(path)

    assert str(info.value) == f'{path} line 13: units[2] (code "BY"): unknown parent code "XX"'
    assert await counts(db) == (0, 0, 0)
    async with db.read() as tx:
        assert await tx.audit.latest() == []


async def test_a_late_error_rolls_back_everything_written_before_it(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    """XH holds compounds, so it cannot become a compound: found after the writes began."""
    await importer.import_file(EXAMPLE)
    path = write(
        tmp_path,
        "late.toml",
        """
[[units]]
code = "NEW1"
name = "新小区"
level = "compound"
parent = "BY"

[[units]]
code = "XNXQ"
name = "西南小区（改名）"
level = "compound"
parent = "ZB"

[[units]]
code = "XH"
name = "星湖社区"
level = "compound"
parent = "BY"

[[teams]]
code = "NEWTEAM"
name = "新服务队"
project = "新项目"
""",
    )

    with pytest.raises(
        OrgImportError,
        match=r'units\[2\] \(code "XH"\): a compound cannot hold'
        r' the existing compound "HJXQ"',
    ):
        await importer.import_file(path)

    assert await counts(db) == (UNITS, STATIONS, TEAMS)
    async with db.read() as tx:
        assert await tx.org.get_by_code("NEW1") is None
        xinan = await tx.org.get_by_code("XNXQ")
        xinghu = await tx.org.get_by_code("XH")
        assert len(await tx.audit.latest(action="org.import")) == 1
    assert xinan is not None and xinan.name == "西南小区"
    assert xinghu is not None and xinghu.level is Level.COMMUNITY


async def test_duplicate_code_fails_naming_it(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "dup.toml",
        TOP
        + """
[[units]]
code = "CX"
name = "城西街道二"
level = "street"
parent = "DZ"
""",
    )

    with pytest.raises(OrgImportError) as info:
        await importer.import_file(path)

    assert str(info.value) == (
        f'{path} line 13: units[2] (code "CX"): duplicate code "CX" (first at units[1], line 7)'
    )
    assert await counts(db) == (0, 0, 0)


async def test_bad_level_fails(importer: OrgImporter, db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "level.toml",
        TOP
        + """
[[units]]
code = "BY"
name = "伴月社区"
level = "town"
parent = "CX"
""",
    )

    with pytest.raises(OrgImportError) as info:
        await importer.import_file(path)

    assert str(info.value) == (
        f'{path} line 13: units[2] (code "BY"): unknown level "town"'
        " (use district, street, community, compound)"
    )
    assert await counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(
            '[[units]]\ncode = "XHHY"\nname = "星荷豪苑"\nlevel = "compound"\nparent = "CX"\n',
            'units[2] (code "XHHY"): a compound must sit under a community,'
            ' but parent "CX" is a street',
            id="level-skipped",
        ),
        pytest.param(
            '[[units]]\ncode = "DZ2"\nname = "另一个区"\nlevel = "district"\nparent = "DZ"\n',
            'units[2] (code "DZ2"): a district has no parent, but parent "DZ" is given',
            id="district-with-parent",
        ),
        pytest.param(
            '[[units]]\ncode = "BY"\nname = "伴月社区"\nlevel = "community"\n',
            'units[2] (code "BY"): a community needs a parent (the code of its street)',
            id="no-parent",
        ),
        pytest.param(
            '[[units]]\ncode = "BY"\nlevel = "community"\nparent = "CX"\n',
            'units[2] (code "BY"): missing required key "name"',
            id="missing-name",
        ),
        pytest.param(
            '[[units]]\ncode = "BY"\nname = "伴月"\nlevel = "community"\nparnet = "CX"\n',
            'units[2] (code "BY"): unknown key "parnet"',
            id="misspelt-key",
        ),
        pytest.param(
            '[[units]]\ncode = "by"\nname = "伴月"\nlevel = "community"\nparent = "CX"\n',
            'units[2] (code "by"): code "by" must be 1-32 upper-case letters',
            id="lower-case-code",
        ),
        pytest.param(
            '[[units]]\ncode = "BY"\nname = "伴月"\nlevel = "community"\nparent = "CX"\n'
            'sort = "first"\n',
            'units[2] (code "BY"): "sort" must be an integer, not a string',
            id="sort-not-int",
        ),
        pytest.param(
            '[[stations]]\ncode = "S1"\nname = "驿站"\nunit = "CX"\n'
            "latitude = 123.0\nlongitude = 112.47\n",
            'stations[0] (code "S1"): latitude 123.0 is out of range (-90 to 90)',
            id="latitude-range",
        ),
        pytest.param(
            '[[stations]]\ncode = "S1"\nname = "驿站"\nunit = "CX"\n'
            "latitude = 23.05\nlongitude = 212.47\n",
            'stations[0] (code "S1"): longitude 212.47 is out of range (-180 to 180)',
            id="longitude-range",
        ),
        pytest.param(
            '[[stations]]\ncode = "S1"\nname = "驿站"\nunit = "CX"\nlatitude = 23.05\n',
            'stations[0] (code "S1"): give both latitude and longitude, or neither',
            id="latitude-alone",
        ),
        pytest.param(
            '[[stations]]\ncode = "S1"\nname = "驿站"\nunit = "NOPE"\n',
            'stations[0] (code "S1"): unknown unit code "NOPE"',
            id="station-unit-unknown",
        ),
        pytest.param(
            '[[stations]]\ncode = "S1"\nname = "驿站"\nunit = "CX"\nfunction_areas = "书"\n',
            'stations[0] (code "S1"): "function_areas" must be a list of strings',
            id="function-areas-not-list",
        ),
        pytest.param(
            '[[teams]]\ncode = "MEDIATION"\nname = "人民调解"\n',
            'teams[0] (code "MEDIATION"): missing required key "project"',
            id="team-without-project",
        ),
        pytest.param(
            '[[unit]]\ncode = "BY"\n',
            'unknown table "unit"',
            id="unknown-table",
        ),
    ],
)
async def test_invalid_rows_fail_naming_the_row(
    importer: OrgImporter, db: Database, tmp_path: Path, extra: str, message: str
) -> None:
    path = write(tmp_path, "bad.toml", TOP + "\n" + extra)

    with pytest.raises(OrgImportError) as info:
        await importer.import_file(path)

    assert str(info.value).startswith(str(path))
    assert message in str(info.value)
    assert await counts(db) == (0, 0, 0)


async def test_broken_toml_names_the_file(importer: OrgImporter, tmp_path: Path) -> None:
    path = write(tmp_path, "broken.toml", '[[units]]\ncode = "DZ\n')

    with pytest.raises(OrgImportError, match=r"broken\.toml: not valid TOML: .*line 2"):
        await importer.import_file(path)


async def test_unsupported_and_missing_files(importer: OrgImporter, tmp_path: Path) -> None:
    with pytest.raises(OrgImportError, match=r'unsupported file type "\.json"'):
        await importer.import_file(write(tmp_path, "org.json", "{}"))
    with pytest.raises(OrgImportError, match=r"missing\.toml: cannot read the file"):
        await importer.import_file(tmp_path / "missing.toml")
    with pytest.raises(OrgImportError, match="nothing to import"):
        await importer.import_file(write(tmp_path, "empty.toml", "# nothing\n"))


# -- CSV -----------------------------------------------------------------------------------

CSV_HEADER = "code,name,name_en,level,parent,has_property_company,sort\n"


async def test_csv_import(importer: OrgImporter, db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "org.csv",
        "\ufeff"
        + CSV_HEADER
        + (
            "DZ,端州区,Duanzhou District,district,,,\n"
            "CD,城东街道,Chengdong,street,DZ,,10\n"
            "\n"
            "ZB,站北社区,Zhanbei,community,CD,,\n"
            'XNXQ,西南小区,"Xinan, the compound",compound,ZB,false,10\n'
            "HJXQ,鸿基小区,,compound,ZB,yes,20\n"
        ),
    )

    report = await importer.import_file(path)

    assert report == ImportReport(units_created=5)
    async with db.read() as tx:
        xinan = await tx.org.get_by_code("XNXQ")
        hongji = await tx.org.get_by_code("HJXQ")
        street = await tx.org.get_by_code("CD")
    assert xinan is not None and hongji is not None and street is not None
    assert xinan.path == "/DZ/CD/ZB/XNXQ/"
    assert xinan.name_en == "Xinan, the compound"
    assert xinan.has_property_company is False and xinan.sort == 10
    assert hongji.has_property_company is True and hongji.name_en is None
    assert street.sort == 10

    assert await importer.import_file(path) == ImportReport(units_updated=5)
    assert await counts(db) == (5, 0, 0)


async def test_csv_may_add_compounds_below_imported_units(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    await importer.import_file(EXAMPLE)
    path = write(tmp_path, "more.csv", "code,name,level,parent\nNEW1,新小区,compound,XH\n")

    assert await importer.import_file(path) == ImportReport(units_created=1)

    async with db.read() as tx:
        unit = await tx.org.get_by_code("NEW1")
    assert unit is not None and unit.path == "/DZ/CD/XH/NEW1/"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param(
            "DZ,端州区,,district,,,\nCD,城东街道,,street,DZ,,\nXHHY,星荷豪苑,,compound,CD,,\n",
            'line 4: a compound must sit under a community, but parent "CD" is a street',
            id="level",
        ),
        pytest.param(
            "DZ,端州区,,district,,,\nCD,城东街道,,street,DZ,,\nCD,城东,,street,DZ,,\n",
            'line 4: duplicate code "CD" (first at line 3)',
            id="duplicate",
        ),
        pytest.param(
            "DZ,端州区,,district,,,\nCD,城东街道,,street,XX,,\n",
            'line 3: unknown parent code "XX"',
            id="unknown-parent",
        ),
        pytest.param(
            "DZ,端州区,,district,,maybe,\n",
            'line 2: has_property_company "maybe" must be true or false',
            id="bool",
        ),
        pytest.param(
            "DZ,端州区,,district,,,1st\n",
            'line 2: sort "1st" is not an integer',
            id="int",
        ),
        pytest.param(
            "DZ,端州区,,district,\n",
            "line 2: expected 7 columns, found 5",
            id="short-row",
        ),
    ],
)
async def test_csv_errors_name_the_line(
    importer: OrgImporter, db: Database, tmp_path: Path, rows: str, message: str
) -> None:
    path = write(tmp_path, "org.csv", CSV_HEADER + rows)

    with pytest.raises(OrgImportError) as info:
        await importer.import_file(path)

    assert str(info.value) == f"{path} {message}"
    assert await counts(db) == (0, 0, 0)


async def test_csv_header_is_checked(importer: OrgImporter, tmp_path: Path) -> None:
    path = write(tmp_path, "org.csv", "code,name,type,parent\nDZ,端州区,district,\n")

    with pytest.raises(OrgImportError, match=r"org\.csv line 1: the header must be code,name"):
        await importer.import_file(path)


# -- the tree ------------------------------------------------------------------------------


async def test_render_tree(importer: OrgImporter, db: Database) -> None:
    await importer.import_file(EXAMPLE)
    async with db.read() as tx:
        text = render_tree(await tx.org.all_units(), await tx.org.stations(), await tx.org.teams())
    lines = text.splitlines()

    assert lines[0] == "端州区 (DZ, district)"
    assert lines[1] == "  城东街道 (CD, street)"
    assert lines[2] == "    站北社区 (ZB, community)"
    assert lines[3] == (
        "      [station] 站北社区先锋服务驿站 (S-ZB) — daily 09:00-12:00, 14:30-20:00"
    )
    assert lines[4] == "      西南小区 (XNXQ, compound, no property company, 96 households)"
    assert "  城西街道 (CX, street)" in lines
    assert "    伴月社区 (BY, community)" in lines
    i = lines.index("      星荷豪苑 (XHHY, compound, 1200 households)")
    assert lines[i + 1] == (
        "        [station] 星荷豪苑先锋服务驿站 (S-XHHY) — mon-fri 09:00-12:00, 14:30-17:30;"
        " sat 09:00-12:00; 周六下午可预约"
    )
    assert (
        "      [station] 伴月社区党群服务中心驿站 (S-BY) — mon-fri 08:30-12:00, 14:30-18:00;"
        " sat-sun 09:00-17:00; open on holidays"
    ) in lines
    assert lines.index("  城西街道 (CX, street)") < i
    j = lines.index("Service teams:")
    assert lines[j + 1] == "  人民调解 (MEDIATION) — 以和为贵, orders filed as dispute"
    assert lines[-1] == "  科普宣传 (SCIENCE) — 科普在社区, orders filed as science"
    assert len(lines) == UNITS + STATIONS + 2 + TEAMS


def test_render_tree_empty() -> None:
    assert render_tree([], [], []) == "(no org units)"


async def test_compound_households_and_centre(importer: OrgImporter, db: Database) -> None:
    await importer.import_file(EXAMPLE)
    async with db.read() as tx:
        compound = await tx.org.get_by_code("XHHY")
        community = await tx.org.get_by_code("BY")
    assert compound is not None and community is not None
    assert (compound.households, compound.latitude, compound.longitude) == (
        1200,
        23.0531,
        112.4578,
    )
    assert community.households is None and community.latitude is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("households = 0", "households 0 must be at least 1"),
        ('households = "many"', '"households" must be an integer'),
        ("latitude = 23.0", "give both latitude and longitude"),
        ("latitude = 123.0\nlongitude = 112.0", "latitude 123.0 is out of range"),
    ],
)
async def test_compound_facts_are_checked(
    importer: OrgImporter, tmp_path: Path, extra: str, message: str
) -> None:
    path = tmp_path / "org.toml"
    path.write_text(
        '[[units]]\ncode = "D"\nname = "区"\nlevel = "district"\n'
        '[[units]]\ncode = "S"\nname = "街道"\nlevel = "street"\nparent = "D"\n'
        '[[units]]\ncode = "C"\nname = "社区"\nlevel = "community"\nparent = "S"\n'
        f'[[units]]\ncode = "X"\nname = "小区"\nlevel = "compound"\nparent = "C"\n{extra}\n',
        encoding="utf-8",
    )
    with pytest.raises(OrgImportError, match=message):
        await importer.import_file(path)


async def test_households_only_for_compounds(importer: OrgImporter, tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_text(
        '[[units]]\ncode = "D"\nname = "区"\nlevel = "district"\nhouseholds = 10\n',
        encoding="utf-8",
    )
    with pytest.raises(OrgImportError, match='"households" is given for compounds only'):
        await importer.import_file(path)


# -- departments and pairings (吹哨报到, 结对共建) -------------------------------------------

DEPARTMENTS_TOML = (
    TOP
    + """
[[units]]
code = "BY"
name = "伴月社区"
level = "community"
parent = "CX"

[[departments]]
code = "CGJ"
name = "肇庆市端州区城市管理和综合执法局"
short_name = "城管执法局"
unit = "DZ"

[[departments]]
code = "CGZD-CX"
name = "城西中队"
unit = "CX"
parent = "CGJ"

[[pairings]]
community = "BY"
partner = "肇庆市财政局"
"""
)


async def test_departments_and_pairings_import_once(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "departments.toml", DEPARTMENTS_TOML)
    first = await importer.import_file(path)
    again = await importer.import_file(path)
    assert (first.departments_created, first.pairings_created) == (2, 1)
    assert (again.departments_created, again.departments_updated, again.pairings_created) == (
        0,
        2,
        0,
    )
    async with db.read() as tx:
        district = await tx.departments.by_code("CGJ")
        branch = await tx.departments.by_code("CGZD-CX")
        street = await tx.org.get_by_code("CX")
        pairings = await tx.departments.pairings()
    assert district is not None and branch is not None and street is not None
    assert (district.short_name, branch.short_name) == ("城管执法局", "城西中队")
    assert branch.parent_id == district.id and branch.unit_id == street.id
    assert [p.partner for p in pairings] == ["肇庆市财政局"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[departments]]\ncode = "X"\nname = "x"\nunit = "BY"\n',
            'serves the district or a street, but "BY" is a community',
        ),
        (
            '[[departments]]\ncode = "X"\nname = "x"\nunit = "DZ"\nparent = "NOPE"\n',
            'unknown parent department "NOPE"',
        ),
        (
            '[[departments]]\ncode = "X"\nname = "x"\nunit = "CX"\nparent = "CGZD-CX"\n',
            '"CGZD-CX" is itself a local branch',
        ),
        (
            '[[departments]]\ncode = "CGJ"\nname = "again"\nunit = "DZ"\n',
            'duplicate department code "CGJ"',
        ),
        (
            '[[departments]]\ncode = "X"\nname = "x"\nunit = "DZ"\nhead = "me"\n',
            'unknown key "head"',
        ),
        ('[[pairings]]\ncommunity = "CX"\npartner = "市局"\n', 'community "CX" is a street'),
        (
            '[[pairings]]\ncommunity = "BY"\npartner = "肇庆市财政局"\n',
            "duplicate pairing of BY",
        ),
    ],
)
async def test_bad_departments_and_pairings_import_nothing(
    importer: OrgImporter, db: Database, tmp_path: Path, extra: str, message: str
) -> None:
    path = write(tmp_path, "bad.toml", DEPARTMENTS_TOML + "\n" + extra)
    with pytest.raises(OrgImportError, match=message) as info:
        await importer.import_file(path)
    assert "bad.toml line" in str(info.value)
    async with db.read() as tx:
        assert await tx.departments.all(active_only=False) == []
        assert await tx.org.count_units() == 0


async def test_org_show_lists_departments_and_pairings(
    importer: OrgImporter, db: Database
) -> None:
    await importer.import_file(EXAMPLE)
    async with db.read() as tx:
        text = render_tree(
            await tx.org.all_units(),
            await tx.org.stations(),
            await tx.org.teams(),
            await tx.requests.categories(active_only=False),
            await tx.departments.all(active_only=False),
            await tx.departments.pairings(),
        )
    assert "  肇庆市端州区城市管理和综合执法局 (CGJ, 城管执法局) — 端州区" in text
    assert "    端州区城市管理和综合执法局城西中队 (CGZD-CX, 城西城管中队) — 城西街道" in text
    assert "  伴月社区 — 肇庆市财政局" in text
