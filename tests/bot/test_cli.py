"""The gridbot command line: migrate, import, show, admin, outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from auxil import stores

from bot.__main__ import run
from storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "examples" / "duanzhou.toml"


@pytest.fixture
async def store(tmp_path: Path) -> str:
    """A new store for the command line (not migrated: `db migrate` does that)."""
    return await stores.fresh_store(tmp_path, "cli", migrated=False)


@pytest.fixture
def config(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "{store}"\n')
    return path


def counts(url: str) -> tuple[int, int, int]:
    async def read() -> tuple[int, int, int]:
        async with open_database(url) as db, db.read() as tx:
            return tuple(  # type: ignore[return-value]
                [
                    int(await tx.fetchval(f"SELECT count(*) FROM {table}"))
                    for table in ("org_units", "stations", "service_teams")
                ]
            )

    return asyncio.run(read())


def test_migrate_import_twice_and_show(
    config: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["--config", str(config)]
    assert run([*c, "db", "migrate"]) == 0
    assert "migrations applied" in capsys.readouterr().out
    assert run([*c, "db", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out

    assert run([*c, "org", "import", str(ORG)]) == 0
    first = counts(store)
    assert run([*c, "org", "import", str(ORG)]) == 0
    assert counts(store) == first
    assert first[0] >= 1 + 2 + 4 + 6 and first[1] >= 3 and first[2] == 8
    capsys.readouterr()

    assert run([*c, "org", "show"]) == 0
    out = capsys.readouterr().out
    for name in ("端州区", "城东街道", "城西街道", "伴月社区", "星荷豪苑", "西南小区", "以和为贵"):
        assert name in out
    # The tree is indented by level: a compound is deeper than its community.
    community = next(line for line in out.splitlines() if "伴月社区" in line)
    compound = next(line for line in out.splitlines() if "星荷豪苑" in line)
    indent = len(compound) - len(compound.lstrip())
    assert indent > len(community) - len(community.lstrip())


def test_import_error_is_one_line_and_imports_nothing(
    config: Path, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[units]]\ncode = "DZ"\nname = "d"\nlevel = "district"\n\n'
        '[[units]]\ncode = "S1"\nname = "s"\nlevel = "street"\nparent = "NOPE"\n'
    )
    assert run(["--config", str(config), "org", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NOPE" in err and "bad.toml" in err
    assert counts(store) == (0, 0, 0)


def test_admin_grant_revoke_and_outbox(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    assert run([*c, "org", "import", str(ORG)]) == 0
    assert run([*c, "admin", "grant", "777", "--unit", "BY"]) == 0
    assert run([*c, "admin", "grant", "777", "--unit", "BY"]) == 0
    assert run([*c, "admin", "grant", "777", "--unit", "NOPE"]) == 2
    assert run([*c, "admin", "revoke", "777", "--unit", "BY"]) == 0
    out, err = capsys.readouterr()
    assert "granted" in out and "already an admin there" in out and "revoked" in out
    assert "NOPE" in err
    assert run([*c, "outbox"]) == 0
    assert "pending:" in capsys.readouterr().out


def test_qr_poster_for_a_compound(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.poster import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    c = ["--config", str(config)]
    assert run([*c, "org", "import", str(ORG)]) == 0
    out = tmp_path / "poster.png"
    assert run([*c, "org", "qr", "XHHY", "--out", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 10_000
    assert run([*c, "org", "qr", "BY", "--out", str(out)]) == 2  # a community, not a compound
    assert "BY" in capsys.readouterr().err
    # A station's code: the poster of its page.
    station = tmp_path / "station.png"
    assert run([*c, "org", "qr", "S-XHHY", "--out", str(station)]) == 0
    assert station.exists() and station.stat().st_size > 10_000


def test_team_leaders_are_appointed_and_dismissed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["--config", str(config)]
    assert run([*c, "org", "import", str(ORG)]) == 0
    assert run([*c, "team", "lead", "777", "--team", "LEGAL", "--unit", "DZ"]) == 2
    assert "started the bot" in capsys.readouterr().err  # nobody with that id yet
    assert run([*c, "admin", "grant", "777", "--unit", "BY"]) == 0  # now they exist
    assert run([*c, "team", "lead", "777", "--team", "LEGAL", "--unit", "DZ"]) == 0
    assert run([*c, "team", "lead", "777", "--team", "LEGAL", "--unit", "DZ"]) == 0
    assert run([*c, "team", "lead", "777", "--team", "NOPE", "--unit", "DZ"]) == 2
    assert run([*c, "team", "unlead", "777", "--team", "LEGAL", "--unit", "DZ"]) == 0
    out, err = capsys.readouterr()
    assert "appointed" in out and "already leads the team there" in out and "dismissed" in out
    assert "NOPE" in err


def test_a_household_registry_and_its_binding_codes(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gridbot households import` replaces a compound's registry; `households codes` writes
    the slips of the households not bound yet, as a PDF."""
    c = ["--config", str(config)]
    assert run([*c, "db", "migrate"]) == 0
    assert run([*c, "org", "import", str(ORG)]) == 0
    registry = tmp_path / "hjxq.csv"
    registry.write_text("楼栋,单元,房号,面积\n1,1,101,88.50\n1,1,102,91.25\n", encoding="utf-8")
    capsys.readouterr()
    assert run([*c, "households", "import", str(registry), "--compound", "HJXQ"]) == 0
    assert "households: 2 created, 0 updated, 0 retired" in capsys.readouterr().out
    slips = tmp_path / "codes.pdf"
    assert run([*c, "households", "codes", "--compound", "HJXQ", "--out", str(slips)]) == 0
    assert "2 codes written to" in capsys.readouterr().out
    assert slips.read_bytes().startswith(b"%PDF")
    # org show lists a compound's parties and its registry under it.
    assert run([*c, "org", "show"]) == 0
    out = capsys.readouterr().out
    assert "[branch] 鸿基小区党支部" in out and "[owners_committee] 鸿基小区业主委员会" in out
