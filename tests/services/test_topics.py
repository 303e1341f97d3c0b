"""热点发现、每月一题、未诉先办: three months of requests with a planted cluster and noise; the
job proposes the cluster (with the right counts) and not the noise, and last year's seasonal
problem a month ahead; admins set topics aside with a reason or make them a task."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from auxil.flows import onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.charts import ChartError, find_cjk_font
from bot.lifecycle import Status
from bot.models import Tier, TopicKind, TopicState
from bot.services.people import TelegramIdentity
from bot.services.stats import custom_period

ADMINS = [
    {"telegram_id": 9801, "unit": "BY"},  # 伴月社区
    {"telegram_id": 9802, "unit": "XH"},  # 星湖社区, another street
    {"telegram_id": 9803, "unit": "CX"},  # 城西街道
]
DECEMBER = date(2026, 12, 1)
# 14 requests about the lifts of 星荷豪苑 in November, none described the same way.
LIFT = [
    "3栋电梯又坏了，老人下不了楼",
    "电梯故障停运两天了",
    "升降梯门关不上，夹到小孩",
    "电梯卡住了，有人被困半小时",
    "5栋电梯按钮失灵",
    "电梯异响很吓人，晚上不敢坐",
    "电梯停在8楼不动",
    "1栋电梯坏了一个星期没人修",
    "电梯里的灯不亮，按键也坏了",
    "电梯门开开关关，像是故障",
    "直梯运行时抖得厉害",
    "电梯显示屏乱跳，楼层不准",
    "电梯又停运，买菜只能爬楼",
    "早上电梯故障，上班迟到",
]
# One-off matters across the area, at most two alike, spread over three months.
NOISE = [
    ("XHHY", "environment", "楼下垃圾清运不及时，有味道"),
    ("XHHY", "dispute", "楼上装修太吵，周末也不停"),
    ("XHHY", "property", "楼道灯不亮"),
    ("XHHY", "safety", "消防通道被车堵住"),
    ("XHHY", "health", "想预约社区医生上门量血压"),
    ("LMJ", "property", "水表箱门坏了"),
    ("LMJ", "environment", "绿化带杂草太多"),
    ("LMJ", "elderly", "独居老人需要帮忙买药"),
    ("LMJ", "dispute", "邻居家狗半夜一直叫"),
    ("LMJ", "property", "下水道堵了，厨房返味"),
    ("XHHY", "activities", "希望组织一次书法活动"),
    ("XHHY", "legal", "租房合同纠纷想咨询律师"),
    ("LMJ", "safety", "楼顶护栏松动"),
    ("XHHY", "property", "单元门禁刷卡没反应"),
    ("LMJ", "other", "快递柜经常满了"),
    ("XHHY", "environment", "小区池塘有死鱼"),
    ("LMJ", "youth", "暑期托管班什么时候报名"),
    ("XHHY", "property", "健身器材生锈"),
]
# Last January (for next month, 2027-01): burst pipes in 龙马街小区, a seasonal problem.
PIPES = [
    "水管冻裂了，家里漏水",
    "楼道水管爆裂，一地的水",
    "天太冷，水管冻住了，没水用",
    "外墙水管裂开，喷水",
    "水管冻裂，楼下天花板渗水",
    "水表旁的水管冻坏了",
]


class Seeder:
    """Requests written straight into the store, at the times given."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.ids = itertools.count(50_000)

    async def person(self) -> int:
        async with self.h.services.db.transaction() as tx:
            person = await tx.people.create(
                telegram_id=next(self.ids),
                display_name="居民",
                username=None,
                language="zh_CN",
                now=self.h.clock.now(),
            )
        return person.id

    async def request(
        self, compound: str, category: str, description: str, when: datetime, supporters: int = 0
    ) -> int:
        resident = await self.person()
        async with self.h.services.db.transaction() as tx:
            unit = await tx.org.get_by_code(compound)
            found = [c for c in await tx.requests.categories() if c.code == category]
            assert unit is not None and found
            request = await tx.requests.create(
                number=await tx.requests.next_number("DZ", when.year),
                source_key=None,
                resident_id=resident,
                contact_name="居民",
                contact_phone=None,
                anonymous=False,
                compound_id=unit.id,
                category_id=found[0].id,
                tier=Tier.IMPORTANT,
                description=description,
                address=None,
                latitude=None,
                longitude=None,
                now=when,
            )
            await tx.execute("UPDATE requests SET status = 'closed' WHERE id = ?", (request.id,))
        for n in range(supporters):
            neighbour = await self.person()
            async with self.h.services.db.transaction() as tx:
                await tx.requests.add_supporter(
                    request.id, neighbour, when + timedelta(hours=n + 1)
                )
        return request.id


def local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


@pytest.fixture
async def area(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admins=ADMINS)
    await h.start()
    await h.import_org()
    await h.restart()
    seed = Seeder(h)
    for n, text in enumerate(LIFT):
        # 5 "me too" in all, on the first three.
        await seed.request(
            "XHHY",
            "property",
            text,
            local(f"2026-11-{n + 2:02d}T10:00:00"),
            supporters=(2, 2, 1)[n] if n < 3 else 0,
        )
    for n, (compound, category, text) in enumerate(NOISE):
        month = 9 + n % 3
        await seed.request(
            compound, category, text, local(f"2026-{month:02d}-{n + 3:02d}T09:00:00")
        )
    for n, text in enumerate(PIPES):
        await seed.request("LMJ", "property", text, local(f"2026-01-{n * 4 + 2:02d}T08:00:00"))
    h.clock.set(local("2026-12-01T09:30:00"))
    try:
        yield h
    finally:
        await h.stop()


async def admin(h: Harness, name: str, telegram_id: int) -> Player:
    player = h.player(name, user_id=telegram_id)
    await player.command("/start")
    await player.press("中文")
    await player.press("跳过：我只做管理工作")
    return player


async def test_planted_cluster_is_the_top_topic_and_noise_is_not_proposed(area: Harness) -> None:
    h = area
    async with h.services.db.read() as tx:
        banyue = await tx.org.get_by_code("BY")
        xhhy = await tx.org.get_by_code("XHHY")
        lmj = await tx.org.get_by_code("LMJ")
    assert banyue is not None and xhhy is not None and lmj is not None
    proposals = await h.services.topics.analyse(banyue, DECEMBER)

    assert len(proposals.monthly) == 1  # the noise makes no topic
    top = proposals.monthly[0]
    assert top.cluster.signature == "t:电梯+故障"
    assert top.scope_id == xhhy.id
    assert len(top.cluster.request_ids) == 14
    assert top.evidence["recent"] == 14
    assert top.evidence["recent_support"] == 5
    assert top.evidence["quarter"] == 14
    assert top.evidence["before_per_month"] == 0
    assert top.evidence["trend"] == "rising"
    assert top.score == 19
    assert len(top.evidence["examples"]) == 3  # type: ignore[arg-type]

    # Last January's burst pipes, proposed for January a month ahead.
    assert len(proposals.preemptive) == 1
    seasonal = proposals.preemptive[0]
    assert seasonal.cluster.signature == "t:水管"
    assert seasonal.scope_id == lmj.id
    assert seasonal.evidence["last_year"] == 6
    assert seasonal.evidence["last_year_month"] == "2026-01"


async def test_the_job_proposes_once_and_admins_decide(area: Harness) -> None:
    h = area
    banyue = await admin(h, "banyue", 9801)
    xinghu = await admin(h, "xinghu", 9802)
    h.services.config.dispatch.min_pool = 1
    ann = h.player("ann")
    await make_member(h, ann, compound="LMJ")
    h.clock.set(local("2026-12-01T09:30:00"))

    # Before the day and hour: nothing.
    h.clock.set(local("2026-12-01T08:30:00"))
    assert await h.services.topics.run_due() == 0
    h.clock.set(local("2026-12-01T09:30:00"))
    assert await h.services.topics.run_due() == 2  # the lift topic and the pipes
    assert await h.services.topics.run_due() == 0  # once a month
    await h.settle()

    cards = [m for m in banyue.bot_messages() if "每月一题" in (m.text or "")]
    assert len(cards) == 1
    card = cards[0].text or ""
    for part in (
        "伴月社区 · 2026-12（1/1）",
        "电梯 · 故障 — 星荷豪苑",
        "近30天：14 件诉求，5 人附议（↑ 上升）",
        "近90天：14 件诉求，5 人附议；此前每月约 0 件",
        "DZ-2026-000001",
    ):
        assert part in card, part
    assert banyue.buttons(cards[0]) == ["📋 派为任务", "🔔 吹哨", "✖ 不采纳"]
    seasonal = next(m for m in banyue.bot_messages() if "未诉先办" in (m.text or ""))
    assert "去年2026-01：6 件诉求" in (seasonal.text or "")
    assert "龙马街小区" in (seasonal.text or "")
    # The other community's admin got nothing (星湖社区 has no hot spot).
    assert not [m for m in xinghu.bot_messages() if "每月一题" in (m.text or "")]

    by = await unit_id(h, "BY")
    async with h.services.db.read() as tx:
        lift, pipes = await tx.topics.of_units([by], ["2026-12"])
    assert (lift.kind, pipes.kind) == (TopicKind.MONTHLY, TopicKind.PREEMPTIVE)

    # Set the lift topic aside, with a typed reason.
    await banyue.press_data(f"tp1:dm:{lift.id}", cards[0].message_id)
    assert banyue.buttons() == ["已在处理中", "不是共性问题", "偶发情况，不会反复", "✏ 其他原因"]
    await banyue.press("✏ 其他原因")
    await banyue.send("电梯公司已排期更换主板")
    assert "✖ Banyue 不采纳：电梯公司已排期更换主板" in banyue.last_text()
    edited = next(m for m in banyue.bot_messages() if m.message_id == cards[0].message_id)
    assert "不采纳：电梯公司已排期更换主板" in (edited.text or "")
    assert edited.inline_buttons == []

    # Make the pipes a task with one press: a request of the community, sent to the members.
    await banyue.press_data(f"tp1:cv:{pipes.id}:task", seasonal.message_id)
    async with h.services.db.read() as tx:
        topics = await tx.topics.of_units([by], ["2026-12"])
        made = await tx.requests.by_source(f"topic:{topics[1].id}")
        audit = [
            r[0]
            for r in await tx.fetchall(
                "SELECT action FROM audit_log WHERE action LIKE 'topic%' ORDER BY id"
            )
        ]
    assert [t.state for t in topics] == [TopicState.DISMISSED, TopicState.CONVERTED]
    assert topics[0].kind is TopicKind.MONTHLY and topics[0].reason == "电梯公司已排期更换主板"
    assert made is not None and made.channel == "community" and made.resident_id is None
    assert made.status is Status.DISPATCHED
    assert topics[1].converted_ref == f"request:{made.id}"
    assert "未诉先办" in made.description and "水管" in made.description
    pipes_card = next(m for m in banyue.bot_messages() if m.message_id == seasonal.message_id)
    assert f"已派为任务：{made.number}（Banyue）" in (pipes_card.text or "")
    assert pipes_card.inline_buttons == []
    assert "社区主动发起（未诉先办）" in ann.last_text()
    assert audit == ["topics.propose", "topic.dismiss", "topic.convert"] or audit[-2:] == [
        "topic.dismiss",
        "topic.convert",
    ]

    # A second press, or the other community's admin with a forged button: nothing changes.
    await banyue.press_data(f"tp1:cv:{topics[1].id}:task")
    assert "已经处理过" in (banyue.last_answer() or {})["text"]
    await xinghu.press_data(f"tp1:dm:{topics[0].id}")
    assert "只有本社区的管理员" in (xinghu.last_answer() or {})["text"]
    async with h.services.db.read() as tx:
        refused = await tx.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'topic.view.refused'"
        )
        tasks = await tx.fetchval("SELECT count(*) FROM requests WHERE channel = 'community'")
    assert refused == 1 and tasks == 1

    # /topics lists both, with their state.
    await banyue.command("/topics")
    listing = banyue.last_text()
    assert "电梯 · 故障" in listing and "已不采纳" in listing and "已处理" in listing


async def unit_id(h: Harness, code: str) -> int:
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code(code)
    assert unit is not None
    return unit.id


async def test_cli_prints_the_same_proposals(
    area: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import run

    await area.stop()
    config = area.tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{area.store_url}"\n', encoding="utf-8")
    code = await _in_thread(
        run, ["--config", str(config), "hotspots", "--unit", "CX", "--month", "2026-12"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "伴月社区 · 2026-12" in out
    assert "1. 电梯 · 故障 — 星荷豪苑" in out
    assert "近30天：14 件诉求，5 人附议" in out
    assert "1. 水管 — 龙马街小区" in out
    assert "出头社区 · 2026-12" in out  # the street's other community, with nothing to propose
    await area.start()


async def _in_thread(fn, args):  # type: ignore[no-untyped-def]
    import asyncio

    return await asyncio.to_thread(fn, args)


async def test_no_resident_is_assumed_for_a_community_task(area: Harness) -> None:
    """The task's member sees no "message the resident" and is told why if they try."""
    h = area
    banyue = await admin(h, "banyue", 9801)
    h.services.config.dispatch.min_pool = 1
    ann = h.player("ann")
    await make_member(h, ann, compound="LMJ")
    await onboard(h.player("someone"))
    h.clock.set(local("2026-12-01T19:30:00"))
    await h.services.topics.run_due()
    await h.settle()
    await banyue.press("📋 派为任务")
    await ann.press("✋ 接单")
    assert "💬 联系居民" not in ann.buttons()
    made = next(m for m in ann.bot_messages() if "社区主动发起" in (m.text or ""))
    number = (made.text or "").split("🟠 ", 1)[1].split(" ", 1)[0]
    async with h.services.db.read() as tx:
        request = await tx.requests.by_number(number)
    assert request is not None
    await ann.press_data(f"tk1:msg:{request.id}")
    assert "无人可联系" in str((ann.last_answer() or {}).get("text"))


async def test_heat_map_in_street_stats(area: Harness) -> None:
    """/stats of a street: compounds in communities, coloured per 100 households, the month's
    topics marked."""
    try:
        find_cjk_font()
    except ChartError:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    h = area
    street = await admin(h, "street", 9803)
    await h.services.topics.run_due()
    await street.command("/stats 2026-11-01 2026-11-30")
    photos = [m for m in street.bot_messages() if m.photo]
    assert len(photos) == 3  # the chart, the heat map, then the departments' chart
    assert "🗺 城西街道：每百户诉求数 · ★ 2026-12 每月一题" in (photos[1].text or "")
    data, _name = h.emulator.files[photos[1].photo[-1]["file_id"]]
    assert data.startswith(b"\x89PNG")
    (h.tmp_path / "heat.png").write_bytes(data)

    actor = await h.services.people.identify(TelegramIdentity(9803, "Street"))
    period = custom_period(date(2026, 11, 1), date(2026, 11, 30))
    heat = await h.services.stats.heat_map(actor, await unit_id(h, "CX"), period)
    assert heat is not None and heat.month == "2026-12"
    cells = {c.unit.code: c for b in heat.blocks for c in b.cells}
    assert [b.unit.code for b in heat.blocks] == ["BY", "CT"]
    xhhy = cells["XHHY"]
    # 14 lift requests and 7 of the noise fell in November in 星荷豪苑... counted exactly:
    assert xhhy.received == 14 + sum(
        1 for n, (code, _c, _t) in enumerate(NOISE) if code == "XHHY" and 9 + n % 3 == 11
    )
    assert xhhy.per_hundred == pytest.approx(xhhy.received * 100 / 1200)
    assert xhhy.topic and not cells["CTXC"].topic
    assert cells["LMJ"].topic  # the pipes (未诉先办) are about 龙马街小区
    # A community's admin gets no heat map (one community is not a map).
    banyue_actor = await h.services.people.identify(TelegramIdentity(9801, "Banyue"))
    assert await h.services.stats.heat_map(banyue_actor, await unit_id(h, "BY"), period) is None
