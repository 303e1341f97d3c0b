"""Categories of requests come from the org file: imported like units (validated, errors
naming the line, idempotent), shown by ``gridbot org show``, and they set new requests' tier
and route."""

from __future__ import annotations

from pathlib import Path

import pytest
from auxil.admins import admin_world
from auxil.flows import file_request, onboard
from auxil.harness import EXAMPLE_ORG, Harness
from auxil.members import make_member

from bot.__main__ import run
from bot.clock import FakeClock
from bot.lifecycle import Status
from bot.models import HandledBy, Tier
from bot.services.orgimport import ImportReport, OrgImporter, OrgImportError, load_org_file
from storage.db import Database

TEAMS = """
[[teams]]
code = "MEDIATION"
name = "人民调解"
project = "以和为贵"
"""


@pytest.fixture
def importer(db: Database) -> OrgImporter:
    return OrgImporter(db, FakeClock())


def write(tmp_path: Path, text: str, name: str = "org.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def category(code: str, name: str, **keys: object) -> str:
    lines = ["[[categories]]", f'code = "{code}"', f'name = "{name}"']
    for key, value in keys.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else repr(value)}")
    return "\n".join(lines).replace("'", '"') + "\n"


# -- the demo file -----------------------------------------------------------------------------


def test_the_demo_categories_cover_every_team_with_sensible_tiers() -> None:
    org = load_org_file(EXAMPLE_ORG)
    by_code = {c.code: c for c in org.categories}

    assert {t.code for t in org.teams} <= {c.team for c in org.categories}
    assert by_code["science"].name == "科普宣传" and by_code["science"].team == "SCIENCE"
    assert {c.code for c in org.categories if c.tier is Tier.URGENT} == {"outage", "safety"}
    assert {c.code for c in org.categories if c.tier is Tier.DIFFICULT} == {
        "illegal_building",
        "renovation",
    }
    assert by_code["elevator"].tier is Tier.IMPORTANT
    assert by_code["owners_property"].tier is Tier.IMPORTANT
    assert by_code["owners_property"].handled_by is HandledBy.ADMINS
    assert by_code["property"].handled_by is HandledBy.PROPERTY_COMPANY
    assert by_code["opinion"].opinion and by_code["opinion"].handled_by is HandledBy.ADMINS
    assert by_code["dispute"].handled_by is HandledBy.MEMBERS


def test_org_show_lists_the_categories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, f'[storage]\ndatabase = "{tmp_path / "cli.db"}"\n', "config.toml")
    assert run(["--config", str(config), "org", "import", str(EXAMPLE_ORG)]) == 0
    assert "categories: 6 created, 12 updated" in capsys.readouterr().out

    assert run(["--config", str(config), "org", "show"]) == 0
    out = capsys.readouterr().out
    listing = out.split("Categories of requests", 1)[1].splitlines()
    assert "  停水停电停气 (outage) — urgent, property company, no team" in listing
    assert "  违章搭建 (illegal_building) — difficult, admins, no team" in listing
    assert "  科普宣传 (science) — important, members, SCIENCE" in listing
    assert "  意见建议 (opinion) — important, admins, no team, opinion" in listing


# -- importing ---------------------------------------------------------------------------------


async def test_categories_import_idempotently_and_retire_the_unlisted(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        TEAMS
        + category("outage", "停水停电", tier="urgent", handled_by="property_company", sort=1)
        + category("dispute", "邻里纠纷", team="MEDIATION", sort=2),
    )

    first = await importer.import_file(path)
    second = await importer.import_file(path)

    # "dispute" is one of the store's defaults; the eleven other defaults leave the menu.
    assert (first.categories_created, first.categories_updated) == (1, 1)
    assert first.categories_retired == 11
    assert second == ImportReport(teams_updated=1, categories_updated=2)
    async with db.read() as tx:
        menu = await tx.requests.categories()
        everything = await tx.requests.categories(active_only=False)
    assert [(c.code, c.name, c.default_tier, c.team_code, c.handled_by) for c in menu] == [
        ("outage", "停水停电", Tier.URGENT, None, HandledBy.PROPERTY_COMPANY),
        ("dispute", "邻里纠纷", Tier.IMPORTANT, "MEDIATION", HandledBy.MEMBERS),
    ]
    assert menu[0].name_en == "停水停电"  # no English name: the Chinese one
    assert len(everything) == 13  # nothing deleted: old requests keep their category


async def test_a_file_without_categories_leaves_the_menu_alone(
    importer: OrgImporter, db: Database, tmp_path: Path
) -> None:
    async with db.read() as tx:
        before = await tx.requests.categories()
    report = await importer.import_file(write(tmp_path, TEAMS))
    async with db.read() as tx:
        assert await tx.requests.categories() == before
    assert report == ImportReport(teams_created=1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            category("outage", "停水", tier="urgnet"),
            'line 7: categories[0] (code "outage"): unknown tier "urgnet"'
            ' (use "urgent", "important", "difficult")',
        ),
        (
            category("outage", "停水", handled_by="city"),
            'line 7: categories[0] (code "outage"): unknown handled_by "city"'
            ' (use "members", "property_company", "admins")',
        ),
        (
            category("outage", "停水", team="PLUMBERS"),
            'line 7: categories[0] (code "outage"): unknown team code "PLUMBERS"',
        ),
        (
            category("Outage", "停水"),
            'line 7: categories[0] (code "Outage"): code "Outage" must be 1-32 lower-case'
            ' letters, digits, "-" or "_"',
        ),
        (
            category("outage", "停水", colour="red"),
            'line 7: categories[0] (code "outage"): unknown key "colour"',
        ),
        (
            category("outage", "停水") + "\n" + category("outage", "停电"),
            'line 11: categories[1] (code "outage"): duplicate category code "outage"'
            " (first at categories[0], line 7)",
        ),
        (
            '[[categories]]\ncode = "outage"\n',
            'line 7: categories[0] (code "outage"): missing required key "name"',
        ),
    ],
)
async def test_a_bad_category_names_its_line_and_imports_nothing(
    importer: OrgImporter, db: Database, tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, TEAMS + "\n" + text)
    async with db.read() as tx:
        before = await tx.requests.categories(active_only=False)

    with pytest.raises(OrgImportError) as raised:
        await importer.import_file(path)

    assert message in str(raised.value)
    assert str(raised.value).startswith(str(path))
    async with db.read() as tx:
        assert await tx.requests.categories(active_only=False) == before
        assert await tx.org.count_teams() == 0


# -- what the categories do ----------------------------------------------------------------------


async def test_a_changed_tier_in_the_file_changes_new_requests(
    org: Harness, tmp_path: Path
) -> None:
    h = org
    alice = h.player("alice")
    await onboard(alice)
    first = await file_request(h, alice, category="物业维修")

    edited = EXAMPLE_ORG.read_text(encoding="utf-8").replace(
        'code = "property"\nname = "物业维修"\nname_en = "Property and repairs"\n'
        'tier = "important"',
        'code = "property"\nname = "物业维修"\nname_en = "Property and repairs"\n'
        'tier = "difficult"',
    )
    assert edited != EXAMPLE_ORG.read_text(encoding="utf-8")
    await h.import_org(write(tmp_path, edited, "duanzhou.toml"))
    second = await file_request(h, alice, category="物业维修", description="水管漏水了")

    async with h.services.db.read() as tx:
        old, new = await tx.requests.by_number(first), await tx.requests.by_number(second)
    assert old is not None and new is not None
    assert (old.tier, new.tier) == (Tier.IMPORTANT, Tier.DIFFICULT)
    summary = alice.texts()[-2]  # the summary before Confirm shows the tier it will get
    assert "难事" in summary and "要事" not in summary


async def test_a_category_for_the_admins_goes_to_them_not_to_the_pool(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        admin, member, alice = h.players["admin"], h.player("member"), h.player("alice")
        await make_member(h, member)
        await onboard(alice)
        seen = len(member.bot_messages())

        number = await file_request(h, alice, category="违章搭建", description="楼顶加建铁皮房")
        assert h.services.sweeper is not None
        await h.services.sweeper.sweep()  # the sweep does not offer it to the members either
        await h.settle()

        assert len(member.bot_messages()) == seen
        assert "社区处理的诉求" in admin.last_text() and number in admin.last_text()
        assert "👤 指派党员" in admin.buttons()
        async with h.services.db.read() as tx:
            request = await tx.requests.by_number(number)
        assert request is not None
        assert request.status is Status.TRIAGED and request.tier is Tier.DIFFICULT
