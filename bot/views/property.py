"""Messages of property matters: the monthly property-service rating (物业服务评议) and the
owners' committee's view of the compound's property requests (监督)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from bot import cbdata
from bot.i18n import Translator
from bot.messages import Button, OutMessage
from bot.models import OrgUnit, Rating, RequestView
from bot.models.consult import RatingResult, RatingRound
from bot.views.common import esc, fmt_time
from bot.views.requests import RATING_CODES, RATING_NAMES, TIER_ICON, status_name

__all__ = [
    "PROPERTY",
    "Render",
    "compounds_menu",
    "rating_question",
    "rating_report",
    "supervised_message",
]

PROPERTY = "pr"
RATINGS = (Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED)
_CODES = {code: rating for rating, code in RATING_CODES.items()}

Render = Callable[[Translator, str], OutMessage]


def rating_of(code: str) -> Rating | None:
    return _CODES.get(code)


def _answer_buttons(t: Translator, round_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        tuple(
            Button(t(RATING_NAMES[r]), cbdata.encode(PROPERTY, "a", round_id, RATING_CODES[r]))
            for r in RATINGS
        ),
    )


def rating_question(
    t: Translator, language: str, round_: RatingRound, compound: OrgUnit, company: str | None
) -> OutMessage:
    """To each resident: how is the property company doing this month?"""
    return OutMessage(
        t(
            "📝 <b>Property-service rating, {month}</b>\n"
            "How satisfied are you with the service of {company} in {compound} this month?"
            " Your answer is not shown to anyone by name; the party branch and the owners'"
            " committee see the totals and the comments."
        ).format(
            month=esc(round_.month),
            company=esc(company or t("the property company")),
            compound=esc(compound.label(language)),
        ),
        buttons=_answer_buttons(t, round_.id),
    )


def rating_thanks(t: Translator, round_: RatingRound, answer: Rating) -> OutMessage:
    return OutMessage(
        t("Thank you: {answer}. You can change it until the rating closes.").format(
            answer=t(RATING_NAMES[answer])
        ),
        buttons=(
            *_answer_buttons(t, round_.id),
            (Button(t("💬 Add a comment"), cbdata.encode(PROPERTY, "cm", round_.id)),),
        ),
    )


def comment_prompt(t: Translator) -> OutMessage:
    return OutMessage(t("Please type your comment on the property service."))


def comment_saved(t: Translator) -> OutMessage:
    return OutMessage(t("Your comment is saved. Thank you."))


def _share(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def result_lines(t: Translator, language: str, result: RatingResult) -> list[str]:
    satisfied = result.satisfied + result.basic
    company = esc(result.party.name) if result.party else t("the property company")
    lines = [
        t("<b>{compound} · {month}</b> · {company}").format(
            compound=esc(result.compound.label(language)),
            month=esc(result.round.month),
            company=company,
        ),
        t(
            "Satisfied {s} · basically satisfied {b} · unsatisfied {u}"
            " ({answered} of {asked} residents answered)"
        ).format(
            s=result.satisfied,
            b=result.basic,
            u=result.unsatisfied,
            answered=result.answered,
            asked=result.round.asked,
        ),
        t("Satisfaction rate: {rate}").format(rate=_share(satisfied, result.answered)),
    ]
    if result.round.state == "open":
        lines.append(t("(still open)"))
    return lines


def rating_report(t: Translator, language: str, result: RatingResult) -> OutMessage:
    """To the branch, the committee and the community when a round closes."""
    lines = [t("📊 <b>Property-service rating closed</b>"), *result_lines(t, language, result)]
    if result.comments:
        lines.append(t("Comments:"))
        lines += [f"• {esc(c[:300])}" for c in result.comments[:20]]
        if len(result.comments) > 20:
            lines.append(t("… and {n} more").format(n=len(result.comments) - 20))
    return OutMessage("\n".join(lines)[:4000])


def compounds_menu(t: Translator, language: str, compounds: list[OrgUnit]) -> OutMessage:
    return OutMessage(
        t("Property matters: choose a compound."),
        buttons=tuple(
            (Button(c.label(language), cbdata.encode(PROPERTY, "c", c.id, 0)),)
            for c in compounds[:40]
        ),
    )


def supervised_message(
    t: Translator,
    language: str,
    compound: OrgUnit,
    requests: list[RequestView],
    total: int,
    page: int,
    page_size: int,
    results: list[RatingResult],
    tz: tzinfo,
) -> OutMessage:
    """The owners' committee's view (监督): property requests and how they were rated."""
    lines = [
        t("🛠 <b>Property matters of {compound}</b> ({total})").format(
            compound=esc(compound.label(language)), total=total
        )
    ]
    if not requests:
        lines.append(t("No property requests."))
    for view in requests:
        r = view.request
        rating = t(RATING_NAMES[r.rating]) if r.rating else "—"
        who = esc(view.assignee_name) if view.assignee_name else "—"
        lines.append(
            f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b> · {esc(view.category.label(language))}"
            f" · {status_name(t, r.status)}"
        )
        lines.append(
            "    "
            + t("{when} · handled by {who} · rating: {rating}").format(
                when=fmt_time(r.created_at, tz), who=who, rating=rating
            )
        )
        lines.append(f"    {esc(r.description[:80])}")
    if results:
        lines += ["", t("<b>Property-service ratings</b>")]
        for result in results:
            lines += result_lines(t, language, result)
    buttons: list[Button] = []
    if page > 0:
        buttons.append(Button(t("⬅ Newer"), cbdata.encode(PROPERTY, "c", compound.id, page - 1)))
    if (page + 1) * page_size < total:
        buttons.append(Button(t("Older ➡"), cbdata.encode(PROPERTY, "c", compound.id, page + 1)))
    return OutMessage("\n".join(lines)[:4000], buttons=(tuple(buttons),) if buttons else ())
