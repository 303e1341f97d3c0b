"""/stats and /export: the text and the chart, the period buttons, drilling down, the XLSX,
several scopes, and refusals (audited). Admins here read English, so the assertions hold
whatever the Chinese catalog says."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.members import make_member
from openpyxl import load_workbook

from bot.charts import ChartError, find_cjk_font
from bot.emulator.core import StoredMessage

EVENING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday 20:00 in Zhaoqing
ADMINS = [
    {"telegram_id": 9801, "unit": "BY"},  # 伴月社区
    {"telegram_id": 9802, "unit": "XH"},  # 星湖社区 (the other street)
    {"telegram_id": 9803, "unit": "BY"},  # both
    {"telegram_id": 9803, "unit": "XH"},
]


async def start_admin(h: Harness, name: str, telegram_id: int) -> Player:
    admin = h.player(name, user_id=telegram_id, language_code="en")
    await admin.command("/start")
    await admin.press("English")
    await admin.press("Skip: I only administer")
    return admin


@pytest.fixture
async def area(tmp_path: Path) -> AsyncIterator[Harness]:
    try:
        find_cjk_font()
    except ChartError:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    h = Harness(tmp_path, admins=ADMINS)
    await h.start()
    await h.import_org()
    await h.restart()
    h.clock.set(EVENING)
    for name, telegram_id in (("banyue", 9801), ("xinghu", 9802), ("both", 9803)):
        await start_admin(h, name, telegram_id)
    res, other, ann = h.player("res"), h.player("other"), h.player("ann")
    await make_member(h, ann)  # 星荷豪苑
    await onboard(res, "XHHY")  # 伴月社区
    await onboard(other, "HJXQ")  # 星湖社区
    await file_request(h, res, description="楼道灯坏了")
    await file_request(h, res, category="环境卫生", urgent=True, description="水管爆了")
    await file_request(h, other, description="星湖的事")
    h.clock.advance(minutes=10)
    await ann.press("✋ 接单")  # the urgent one, in time
    try:
        yield h
    finally:
        await h.stop()


def file_of(h: Harness, message: StoredMessage) -> tuple[bytes, str]:
    if message.photo:
        file_id = message.photo[-1]["file_id"]
    else:
        assert message.document is not None
        file_id = message.document["file_id"]
    return h.emulator.files[file_id]


def stats_text(player: Player) -> StoredMessage:
    """The latest statistics message (the chart comes after it)."""
    return next(m for m in reversed(player.bot_messages()) if "📊" in (m.text or ""))


async def audit(h: Harness, action: str) -> list[tuple[int | None, str, str | None]]:
    """(actor, subject, unit code) of the audit rows of ``action``, newest first."""
    async with h.services.db.read() as tx:
        entries = await tx.audit.latest(action=action)
        codes = {u.id: u.code for u in await tx.org.all_units()}
    return [(e.actor_id, e.subject, codes[e.unit_id] if e.unit_id else None) for e in entries]


async def test_admin_sees_text_and_chart_and_switches_period(area: Harness) -> None:
    h = area
    admin = h.players["banyue"]
    assert {"stats", "export"} <= set(admin.commands())
    assert "stats" not in h.players["res"].commands()
    await admin.command("/stats")
    text, chart = admin.bot_messages()[-2:]
    assert text.text is not None
    for line in (
        "📊 Statistics of Banyue Community",
        "This month: 2026-11-01 – 2026-11-26",
        "Requests received: 2 (cancelled: 0)",
        "By tier: urgent 1 · important 1 · difficult 0",
        "By category: Property and repairs 1 · Environment and sanitation 1",
        "Open now: 2 · overdue now: 0",
        # The other request is still inside its day to accept: not counted yet.
        "Response rate: 100% (1 of 1 dispatched were accepted in time; one still inside its"
        " time to accept is not counted yet)",
        "Resolution rate: 0% (0 of 2 received were resolved)",
        "Satisfaction rate: – (0 of 0 ratings were satisfied)",
        "Median time to accept: 10 minutes · to resolve: no data",
        "Residents visited and contacted: 0",
        "Opinions collected: 0",
        "Micro-matters solved: 0",
        "Volunteer activities: 0",
        "1. Xinghe Haoyuan — 100% · 0% · –",
        "2. Longma Street Compound — – · – · –",
    ):
        assert line in text.text.splitlines(), line
    assert "<b>2</b>" in (text.html or "")
    assert admin.buttons(text) == [
        "This week",
        "✔ This month",
        "Last month",
        "Since the start",
        "📅 Other dates",
        "📥 Excel",
        "🔍 Xinghe Haoyuan",
        "🔍 Longma Street Compound",
    ]
    assert chart.photo and chart.text == "📈 Banyue Community · 2026-11-01 – 2026-11-26"
    png, _name = file_of(h, chart)
    assert png.startswith(b"\x89PNG")

    await admin.press("Last month")
    text, chart = admin.bot_messages()[-2:]
    assert text.text is not None and chart.photo
    assert "Last month: 2026-10-01 – 2026-10-31" in text.text
    assert "Requests received: 0 (cancelled: 0)" in text.text
    assert "✔ Last month" in admin.buttons(text)

    await admin.press("🔍 Xinghe Haoyuan")
    text = stats_text(admin)
    assert text.text is not None
    assert "📊 Statistics of Xinghe Haoyuan" in text.text
    assert "Last month: 2026-10-01" in text.text  # the period stays
    assert "⬆ Banyue Community" in admin.buttons(text)
    assert "Ranking" not in text.text

    await admin.command("/stats 2026-11-01 2026-11-30")
    assert "Chosen dates: 2026-11-01 – 2026-11-30" in (stats_text(admin).text or "")
    await admin.command("/stats last tuesday")
    assert admin.last_text() == (
        "Please give the period as two dates, for example: 2026-11-01 2026-11-30"
    )
    await admin.press("📅 Other dates")
    assert "/stats 2026-11-01 2026-11-30" in admin.last_text()

    views = await audit(h, "stats.view")
    admin_id = views[0][0]
    assert views == [
        (admin_id, "unit:BY", "BY"),
        (admin_id, "unit:XHHY", "XHHY"),
        (admin_id, "unit:BY", "BY"),
        (admin_id, "unit:BY", "BY"),
    ]


async def test_export_sends_the_workbook(area: Harness) -> None:
    h = area
    admin = h.players["banyue"]
    await admin.command("/stats")
    await admin.press("📥 Excel")
    document = admin.last()
    assert document.document is not None
    assert document.document["file_name"] == "gridbot-BY-20261101-20261126.xlsx"
    assert document.text == "📥 2 requests of Banyue Community, 2026-11-01 – 2026-11-26"
    content, _name = file_of(h, document)
    book = load_workbook(io.BytesIO(content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Request number", "Status", "Tier") and len(rows) == 3
    assert {r[4] for r in rows[1:]} == {"Xinghe Haoyuan"}
    await admin.command("/export 2026-10-01 2026-10-31")
    assert admin.last().document is not None and admin.last().text is not None
    assert admin.last().text.startswith("📥 0 requests")  # type: ignore[union-attr]
    exports = await audit(h, "export")
    assert [(subject, unit) for _a, subject, unit in exports] == [("unit:BY", "BY")] * 2


async def test_several_scopes_offer_a_choice(area: Harness) -> None:
    h = area
    both = h.players["both"]
    await both.command("/stats")
    assert "Which area?" in both.last_text()
    assert both.buttons() == ["Xinghu Community", "Banyue Community"]
    await both.press("Xinghu Community")
    text = stats_text(both).text or ""
    assert "Statistics of Xinghu Community" in text and "Requests received: 1 " in text
    assert both.last().photo
    await both.command("/export")
    await both.press("Banyue Community")
    assert (both.last().document or {}).get("file_name", "").startswith("gridbot-BY-")


async def test_refusals_are_polite_and_audited(area: Harness) -> None:
    h = area
    resident = h.player("eve", language_code="en")
    await onboard(resident, "XHHY", language="English")
    await resident.command("/stats")
    assert resident.last_text() == "Only administrators can see statistics."
    await resident.command("/export")
    assert resident.last_text() == "Only administrators can see statistics."
    assert not any(m.photo or m.document for m in resident.bot_messages())

    xinghu = h.players["xinghu"]
    await xinghu.command("/stats")
    assert "Requests received: 1 " in (stats_text(xinghu).text or "")
    async with h.services.db.read() as tx:
        banyue = await tx.org.get_by_code("BY")
    assert banyue is not None
    sent = len(xinghu.bot_messages())
    await xinghu.press_data(f"st1:v:{banyue.id}:m")
    answer = xinghu.last_answer()
    assert answer is not None
    assert answer["text"] == "You can only see the statistics of your own area."
    await xinghu.press_data(f"st1:x:{banyue.id}:lm")
    assert len(xinghu.bot_messages()) == sent  # neither figures nor a file
    await xinghu.press_data("st1:v:nope")
    assert (xinghu.last_answer() or {})["text"] == (
        "This menu has expired. Please use the latest message."
    )

    refused = await audit(h, "stats.view.refused")
    assert [(subject, unit) for _a, subject, unit in refused] == [
        ("unit:BY", "BY"),
        ("stats", None),
    ]
    assert refused[1][0] != refused[0][0]  # the resident, then the other community's admin
    assert [(s, u) for _a, s, u in await audit(h, "export.refused")] == [
        ("unit:BY", "BY"),
        ("stats", None),
    ]
    assert [u for _a, _s, u in await audit(h, "stats.view")] == ["XH"]
