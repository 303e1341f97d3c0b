"""The Chinese reads like the community's own: one word for each thing, the words of the
source article, and none of the words they replaced (issue 13, item 7)."""

from __future__ import annotations

import re

import pytest
from auxil.catalogs import ROOT, catalog
from babel.messages.extract import extract

from bot.i18n import EXTRACT_KEYWORDS, NC_, I18n
from bot.lifecycle import STATUS_NAMES, Status
from bot.models import Tier
from bot.models.admin import QueueFilter
from bot.views.admin import FILTER_NAMES
from bot.views.requests import TIER_NAMES


@pytest.fixture(scope="module")
def zh() -> dict[str, str]:
    return catalog("zh_CN")


@pytest.fixture(scope="module")
def t():  # type: ignore[no-untyped-def]
    return I18n().get("zh_CN")


def everything(zh: dict[str, str]) -> str:
    return "\n".join(zh.values())


def test_open_is_view_on_a_button_and_not_done_in_the_queue(t) -> None:  # type: ignore[no-untyped-def]
    assert t("Open") == "查看"
    assert t(FILTER_NAMES[QueueFilter.OPEN]) == "未办结"
    assert t(NC_("queue filter", "Open")) == "未办结"
    assert t("<b>Request queue</b>: {filter}").format(
        filter=t(FILTER_NAMES[QueueFilter.OPEN])
    ) == ("<b>诉求队列</b>：未办结")


def test_resolved_and_closed_and_the_done_button(t) -> None:  # type: ignore[no-untyped-def]
    assert t(STATUS_NAMES[Status.RESOLVED]) == "办理完成（待评价）"
    assert t(STATUS_NAMES[Status.CLOSED]) == "已办结"
    assert t("✅ Done") == "✅ 办理完成"


def test_the_person_doing_the_work_is_the_chengbanren(zh: dict[str, str]) -> None:
    text = everything(zh)
    assert "承办人" in text
    for replaced in ("接单人", "处理人员"):
        assert replaced not in text, replaced


def test_tiers_are_the_articles_words_without_a_second_colon(t, zh: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert [t(TIER_NAMES[tier]) for tier in Tier] == ["急事立刻办", "要事商议办", "难事合力办"]
    assert (
        t("{number} is now: {tier}. Its deadlines were recomputed.").format(
            number="DZ-2026-000001", tier=t(TIER_NAMES[Tier.DIFFICULT])
        )
        == "DZ-2026-000001 已调整为“难事合力办”，办理期限已重新计算。"
    )
    text = everything(zh)
    assert "事项分类" in text and "按分级" not in text
    assert not re.search(r"(急事|要事|难事)：(立刻|商议|合力)办", text)


def test_the_log_is_called_caozuo_jilu_and_approval_is_tongguo(zh: dict[str, str]) -> None:
    text = everything(zh)
    assert "操作记录" in text and "审计" not in text
    assert zh["Approve"] == "通过" and zh["Reject"] == "不通过" and zh["Refuse"] == "不通过"
    assert "同意" not in text and "批准" not in text and "驳回" not in text


def api_texts() -> set[str]:
    """The Open311 API's texts: their ``{name}`` is a field's name, not a person's."""
    paths = [ROOT / "bot" / "services" / "open311.py", *(ROOT / "bot" / "open311").glob("*.py")]
    found: set[str] = set()
    for path in paths:
        with path.open("rb") as fh:
            for _line, message, _comments, _context in extract(
                "python", fh, keywords=EXTRACT_KEYWORDS
            ):
                found.add(message if isinstance(message, str) else message[0])
    return found


def test_no_space_between_a_name_and_chinese() -> None:
    zh = catalog("zh_CN")
    named = r"\{(?:unit|name|place|level|audience)\}"
    cjk = r"[\u4e00-\u9fff]"
    exempt = api_texts()
    offenders = [
        text
        for msgid, text in zh.items()
        if msgid not in exempt and re.search(rf"{named} {cjk}|{cjk} {named}", text)
    ]
    assert offenders == [], offenders
    assert zh["📊 <b>Statistics of {unit}</b>"] == "📊 <b>{unit}统计</b>"
