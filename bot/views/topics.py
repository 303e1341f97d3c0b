"""Messages of the hot spots: topic cards (每月一题、未诉先办), the reasons to set one aside, and
the list of this month's topics (/topics)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import Category, OrgUnit, Topic, TopicKind, TopicState
from bot.views.common import esc, fmt_time

if TYPE_CHECKING:
    from bot.services.topics import Proposals

__all__ = [
    "REASONS",
    "TOPICS",
    "TopicCard",
    "reason_prompt",
    "reasons_menu",
    "task_description",
    "topic_card",
    "topic_label",
    "topics_list",
]

TOPICS = "tp"
TAGS = re.compile(r"<[^>]+>")
# Quick reasons to set a topic aside (the admin may also type one).
REASONS = (
    N_("Already being dealt with"),
    N_("Not a shared problem"),
    N_("A one-off, not recurring"),
)
TRENDS = {"rising": N_("↑ rising"), "steady": N_("→ steady"), "falling": N_("↓ falling")}
KIND_TITLES = {
    TopicKind.MONTHLY: N_("📌 <b>Topic of the month</b>"),
    TopicKind.PREEMPTIVE: N_("🌱 <b>Act before they ask</b>"),
}
CONVERTED = {
    "task": N_("✅ Made a task: {ref} ({who})"),
    "consultation": N_("✅ Put to a consultation: {ref} ({who})"),
    "whistle": N_("✅ Made a difficult matter for the departments: {ref} ({who})"),
}


@dataclass(frozen=True)
class TopicCard:
    """A topic with what its card needs."""

    topic: Topic
    units: dict[int, OrgUnit]
    category: Category | None
    decider: str | None
    result: str | None  # what it became, e.g. the task's request number
    # (conversion kind, button msgid, the flow its button starts or None) while proposed
    actions: list[tuple[str, str, str | None]]


def topic_label(t: Translator, language: str, topic: Topic, category: Category | None) -> str:
    """The key terms (「电梯 · 故障」), or the category for a category topic (plain text)."""
    if topic.label:
        return topic.label
    return category.label(language) if category else t("(no category)")


def _number(value: object) -> str:
    """1.0 -> '1', 0.3 -> '0.3'."""
    return f"{float(str(value)):g}"


def _place(units: dict[int, OrgUnit], unit_id: int, language: str) -> str:
    unit = units.get(unit_id)
    return unit.label(language) if unit else "?"


def _evidence(t: Translator, language: str, card: TopicCard) -> list[str]:
    topic, ev = card.topic, card.topic.evidence
    if topic.kind is TopicKind.PREEMPTIVE:
        lines = [
            t("Last year in {month}: {n} requests (other months: about {avg} a month)").format(
                month=ev.get("last_year_month", "?"),
                n=ev.get("last_year", 0),
                avg=_number(ev.get("other_per_month", 0)),
            ),
            t("Check and fix it before residents have to ask again."),
        ]
    else:
        lines = [
            t("Last 30 days: {n} requests, {s} neighbours said “me too” ({trend})").format(
                n=ev.get("recent", 0),
                s=ev.get("recent_support", 0),
                trend=t(TRENDS.get(str(ev.get("trend")), TRENDS["steady"])),
            ),
            t("Last 90 days: {n} requests, {s} “me too”; before that about {b} a month").format(
                n=ev.get("quarter", 0),
                s=ev.get("quarter_support", 0),
                b=_number(ev.get("before_per_month", 0)),
            ),
        ]
    where = ev.get("where") or []
    if len(where) > 1:
        spread = " · ".join(f"{esc(_place(card.units, int(u), language))} {n}" for u, n in where)
        lines.append(t("Where: {spread}").format(spread=spread))
    examples = ev.get("examples") or []
    if examples:
        lines.append(t("For example:"))
        lines += [f"· {esc(str(number))} {esc(str(text))}" for number, text in examples]
    return lines


def topic_card(t: Translator, language: str, card: TopicCard, tz: tzinfo) -> OutMessage:
    """One topic with its evidence, and the buttons while it is open (or what became of it)."""
    topic = card.topic
    title = t(KIND_TITLES[topic.kind])
    community = esc(_place(card.units, topic.unit_id, language))
    head = t("{title} · {community} · {month} ({rank}/{of})").format(
        title=title,
        community=community,
        month=topic.month,
        rank=topic.rank,
        of=topic.evidence.get("of", topic.rank),
    )
    label = esc(topic_label(t, language, topic, card.category))
    lines = [
        head,
        t("<b>{label}</b> — {place}").format(
            label=label, place=esc(_place(card.units, topic.scope_id, language))
        ),
        *_evidence(t, language, card),
    ]
    who = esc(card.decider or t("an administrator"))
    if topic.state is TopicState.DISMISSED:
        lines += [
            "",
            t("✖ Set aside by {who}: {reason}").format(who=who, reason=esc(topic.reason)),
        ]
    elif topic.state is TopicState.CONVERTED:
        template = CONVERTED.get(str(topic.converted_kind), N_("✅ Acted on: {ref} ({who})"))
        ref = card.result or topic.converted_ref or ""
        lines += ["", t(template).format(ref=esc(ref), who=who)]
    if topic.decided_at is not None:
        lines.append(t("Decided {when}").format(when=fmt_time(topic.decided_at, tz)))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if topic.state is TopicState.PROPOSED:
        actions = [
            Button(
                t(label_id),
                cbdata.encode(flow, "topic", topic.id)
                if flow
                else cbdata.encode(TOPICS, "cv", topic.id, kind),
            )
            for kind, label_id, flow in card.actions
        ]
        actions.append(Button(t("✖ Set aside"), cbdata.encode(TOPICS, "dm", topic.id)))
        buttons = rows(*actions)
    return OutMessage("\n".join(lines), buttons=buttons)


def reasons_menu(t: Translator, topic: Topic) -> OutMessage:
    """Why set it aside: quick reasons, or type one."""
    buttons = [
        Button(t(reason), cbdata.encode(TOPICS, "dr", topic.id, n))
        for n, reason in enumerate(REASONS)
    ]
    buttons.append(Button(t("✏ Another reason"), cbdata.encode(TOPICS, "do", topic.id)))
    return OutMessage(
        t("Why set this topic aside? Every administrator of the community will see it."),
        buttons=rows(*buttons, width=1),
    )


def reason_prompt(t: Translator) -> OutMessage:
    return OutMessage(t("Type the reason in one message (at most 200 characters)."))


def topics_list(t: Translator, language: str, cards: list[TopicCard]) -> OutMessage:
    """This month's (and last month's) topics of the admin's communities."""
    if not cards:
        return OutMessage(
            t(
                "No topics yet. Each month the bot proposes the problems that keep coming back"
                " in your communities."
            )
        )
    states = {
        TopicState.PROPOSED: t("open"),
        TopicState.DISMISSED: t("set aside"),
        TopicState.CONVERTED: t("acted on"),
    }
    lines = [t("<b>Topics of your communities</b>")]
    buttons = []
    for n, card in enumerate(cards, 1):
        topic = card.topic
        label = topic_label(t, language, topic, card.category)
        kind = t("topic") if topic.kind is TopicKind.MONTHLY else t("act before they ask")
        lines.append(
            f"{n}. {esc(topic.month)} · {esc(_place(card.units, topic.unit_id, language))}"
            f" · {esc(label)} ({kind}, {states[topic.state]})"
        )
        buttons.append(Button(f"{n}. {label}"[:40], cbdata.encode(TOPICS, "o", topic.id)))
    return OutMessage("\n".join(lines), buttons=rows(*buttons, width=2))


def task_description(t: Translator, topic: Topic, label: str, place: str) -> str:
    """The description of the task a topic becomes (stored, in the default language)."""
    ev = topic.evidence
    if topic.kind is TopicKind.PREEMPTIVE:
        return t(
            "Act before they ask: last year in {month}, {place} had {n} requests about"
            " “{label}”. Please check and fix it now, and write what you did in a progress note."
        ).format(
            month=ev.get("last_year_month", "?"), place=place, n=ev.get("last_year"), label=label
        )
    return t(
        "Topic of the month: {place} had {n} requests and {s} “me too” about “{label}” in the"
        " last 30 days. Please find the cause and fix it, and write what you did in a progress"
        " note."
    ).format(place=place, n=ev.get("recent"), s=ev.get("recent_support"), label=label)


def proposals_text(
    t: Translator,
    language: str,
    proposals: Proposals,
    units: dict[int, OrgUnit],
    categories: dict[int, Category],
) -> str:
    """What the job would propose to one community, as plain text (``gridbot hotspots``)."""
    community = proposals.community.label(language)
    month = f"{proposals.month:%Y-%m}"
    lines = [t("{community} · {month}").format(community=community, month=month)]
    drafts = proposals.drafts()
    for kind in (TopicKind.MONTHLY, TopicKind.PREEMPTIVE):
        title = t("Topics of the month") if kind is TopicKind.MONTHLY else t("Act before they ask")
        mine = [d for d in drafts if d.kind is kind]
        lines.append(f"  {title}: {len(mine)}")
        for topic in mine:
            category = categories.get(topic.category_id or 0)
            card = TopicCard(topic, units, category, None, None, [])
            label = topic_label(t, language, topic, category)
            place = _place(units, topic.scope_id, language)
            lines.append(f"  {topic.rank}. {label} — {place} (score {topic.score:g})")
            evidence = _evidence(t, language, card)
            lines += [f"     {html.unescape(TAGS.sub('', line))}" for line in evidence]
    return "\n".join(lines)
