"""Messages of 业主表决: an owner's ballot, the chair's live tally, the result — each of the four
ratios of Civil Code art. 278 against its threshold — and binding a household."""

from __future__ import annotations

from datetime import tzinfo
from fractions import Fraction

from bot import cbdata
from bot.art278 import Choice, Ratio, Rule, Tally, area_text
from bot.i18n import N_, NC_, Translator
from bot.messages import Button, OutMessage
from bot.models import OrgUnit
from bot.models.consult import Household, OwnersVote, OwnersVoteView, VoteMatter, VoteState
from bot.views.common import esc, fmt_time

__all__ = [
    "MATTER_NAMES",
    "VOTES",
    "ballot",
    "ratio_lines",
    "result",
    "tally_message",
    "vote_cancelled",
    "vote_summary",
]

VOTES = "ov"
PAPER = "pa"  # the flow of paper ballots

MATTER_NAMES: dict[VoteMatter, str] = {
    VoteMatter.ORDINARY: N_("An ordinary matter"),
    VoteMatter.REPAIR_FUND: N_("Raising or using the repair fund"),
    VoteMatter.RENOVATION: N_(
        "Rebuilding or renovating buildings and facilities (e.g. an elevator)"
    ),
    VoteMatter.CHANGE_OF_USE: N_("Changing the use of common parts"),
}
RULE_NAMES: dict[Rule, str] = {
    Rule.ORDINARY: N_("more than half of the participating area and owners must agree"),
    Rule.MAJOR: N_("at least three quarters of the participating area and owners must agree"),
}
CHOICE_NAMES: dict[Choice, str] = {
    Choice.AGREE: N_("Agree"),
    Choice.DISAGREE: N_("Disagree"),
    Choice.ABSTAIN: N_("Abstain"),
}
CHOICE_CODES = {Choice.AGREE: "a", Choice.DISAGREE: "d", Choice.ABSTAIN: "x"}


def choice_of(code: str) -> Choice | None:
    return next((c for c, k in CHOICE_CODES.items() if k == code), None)


def percent(value: Fraction) -> str:
    """A fraction as a percentage with two decimals, rounded half up (exact arithmetic)."""
    hundredths = (value * 10000 + Fraction(1, 2)).__floor__()
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _threshold(ratio: Ratio) -> str:
    sign = ">" if ratio.strict else "≥"
    return f"{sign} {ratio.threshold.numerator}/{ratio.threshold.denominator}"


def _line(t: Translator, label: str, ratio: Ratio, *, area: bool) -> str:
    part, whole = (
        (area_text(ratio.part), area_text(ratio.whole) + " m²")
        if area
        else (str(ratio.part), str(ratio.whole))
    )
    value = percent(ratio.value) if ratio.value is not None else "—"
    mark = "✅" if ratio.reached else "❌"
    return t("{label}: {part}/{whole} = {value} (needs {threshold}) {mark}").format(
        label=t(label), part=part, whole=whole, value=value, threshold=_threshold(ratio), mark=mark
    )


def ratio_lines(t: Translator, tally: Tally) -> list[str]:
    """The four ratios of art. 278, each against its threshold."""
    return [
        _line(t, N_("Area taking part"), tally.participation_area, area=True),
        _line(t, N_("Owners taking part"), tally.participation_owners, area=False),
        _line(t, N_("Area agreeing, of the area taking part"), tally.consent_area, area=True),
        _line(t, N_("Owners agreeing, of those taking part"), tally.consent_owners, area=False),
    ]


def _counts(t: Translator, tally: Tally) -> str:
    return t("Households: {voted} of {total} voted — agree {a}, disagree {d}, abstain {x}").format(
        voted=tally.voted,
        total=tally.households,
        a=tally.agree,
        d=tally.disagree,
        x=tally.abstain,
    )


def _rule(t: Translator, view: OwnersVoteView) -> str:
    text = t("{matter}: {rule}").format(
        matter=t(MATTER_NAMES[view.vote.matter]), rule=t(RULE_NAMES[view.vote.rule])
    )
    if view.vote.building is not None:
        text += "\n" + t("Voting: the owners of building {building}").format(
            building=esc(view.vote.building)
        )
    return text


def _outcome(t: Translator, tally: Tally) -> str:
    if tally.passed:
        return t("✅ <b>Passed</b>")
    if not tally.quorate:
        return t("❌ <b>Not passed</b>: too few owners took part")
    return t("❌ <b>Not passed</b>: too few owners agreed")


def vote_summary(t: Translator, language: str, view: OwnersVoteView, tz: tzinfo) -> list[str]:
    """A few lines on a consultation's card and in the publication."""
    vote = view.vote
    lines = [
        t("🏠 <b>Owners' vote</b>: {question}").format(question=esc(vote.question)),
        _rule(t, view),
    ]
    if vote.state is VoteState.OPEN:
        lines.append(
            t("Open until {when}; {voted} of {total} households have voted.").format(
                when=fmt_time(vote.closes_at, tz), voted=view.tally.voted, total=vote.households
            )
        )
    elif vote.state is VoteState.CLOSED:
        lines += [_outcome(t, view.tally), _counts(t, view.tally), *ratio_lines(t, view.tally)]
    else:
        lines.append(t("Cancelled."))
    return lines


def _household(t: Translator, household: Household) -> str:
    return t("{label} ({area} m²)").format(
        label=esc(household.label), area=area_text(household.area_centi)
    )


def ballot(
    t: Translator, language: str, view: OwnersVoteView, tz: tzinfo, *, reminder: bool = False
) -> OutMessage:
    """To an owner: the question, the rule, their households and choices, and the buttons."""
    vote = view.vote
    head = (
        t("⏰ <b>Reminder: owners' vote of {compound}</b>")
        if reminder
        else t("🏠 <b>Owners' vote of {compound}</b>")
    ).format(compound=esc(view.compound.label(language)))
    lines = [
        head,
        t("Consultation: {title}").format(title=esc(view.title)),
        "",
        f"<b>{esc(vote.question)}</b>",
        "",
        _rule(t, view),
        t("Votes close {when}; until then you can change yours.").format(
            when=fmt_time(vote.closes_at, tz)
        ),
        t("Your choice is secret: nobody else sees how your household voted."),
        "",
    ]
    buttons: list[tuple[Button, ...]] = []
    open_ = vote.state is VoteState.OPEN
    for household, choice in view.mine:
        mine = t(CHOICE_NAMES[choice]) if choice else t("not voted yet")
        lines.append(
            t("Your household {household}: {choice}").format(
                household=_household(t, household), choice=mine
            )
        )
        if open_:
            row = []
            for option in Choice:
                mark = "✔ " if option is choice else ""
                label = f"{mark}{t(CHOICE_NAMES[option])}"
                if len(view.mine) > 1:
                    label = f"{household.label} {label}"
                row.append(
                    Button(
                        label,
                        cbdata.encode(VOTES, "c", vote.id, household.id, CHOICE_CODES[option]),
                    )
                )
            buttons.append(tuple(row))
    if not view.mine:
        lines.append(t("You have no household on this vote's roll."))
    if not open_:
        lines.append(t("This vote has closed."))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def vote_cancelled(t: Translator, language: str, vote: OwnersVote, reason: str) -> OutMessage:
    """To the owners: the vote is cancelled with its consultation."""
    return OutMessage(
        t("🏠 The owners' vote “{question}” is cancelled with its consultation: {reason}").format(
            question=esc(vote.question), reason=esc(reason)
        )
    )


def cast_ack(t: Translator, household: Household, choice: Choice, changed: bool) -> str:
    text = (
        t("Changed: {household} now votes “{choice}”.")
        if changed
        else t("Recorded: {household} votes “{choice}”.")
    )
    return text.format(household=household.label, choice=t(CHOICE_NAMES[choice]))


def opened(
    t: Translator, language: str, view: OwnersVoteView, tz: tzinfo, can_tally: bool
) -> OutMessage:
    """To the consultation's participants (a tally button for those who may see it)."""
    vote = view.vote
    return OutMessage(
        "\n".join(
            [
                t("🏠 <b>An owners' vote is open</b> in {compound}").format(
                    compound=esc(view.compound.label(language))
                ),
                esc(vote.question),
                _rule(t, view),
                t("On the roll: {n} households, {area} m² in all. Closes {when}.").format(
                    n=vote.households,
                    area=area_text(vote.area_centi),
                    when=fmt_time(vote.closes_at, tz),
                ),
            ]
        ),
        buttons=((Button(t("📊 Tally"), cbdata.encode(VOTES, "t", vote.id)),),)
        if can_tally
        else (),
    )


def tally_message(t: Translator, language: str, view: OwnersVoteView, tz: tzinfo) -> OutMessage:
    """The chair's live tally: the four ratios, and the households still to vote."""
    vote = view.vote
    lines = [
        t("📊 <b>Tally of the owners' vote</b> ({state})").format(
            state=t(NC_("owners' vote", "open"))
            if vote.state is VoteState.OPEN
            else t(NC_("owners' vote", "closed"))
        ),
        esc(vote.question),
        _rule(t, view),
        _counts(t, view.tally),
        *ratio_lines(t, view.tally),
        _outcome(t, view.tally)
        if vote.state is VoteState.CLOSED
        else t("If it closed now: {outcome}").format(outcome=_outcome(t, view.tally)),
    ]
    if vote.state is VoteState.OPEN and view.not_voted:
        labels = ", ".join(h.label for h in view.not_voted[:60])
        more = len(view.not_voted) - 60
        lines += [
            "",
            t("Not voted yet ({n}): {labels}").format(n=len(view.not_voted), labels=esc(labels)),
        ]
        if more > 0:
            lines.append(t("… and {n} more").format(n=more))
    buttons: list[tuple[Button, ...]] = []
    if vote.state is VoteState.OPEN:
        buttons.append(
            (
                Button(t("🔄 Refresh"), cbdata.encode(VOTES, "tr", vote.id)),
                Button(t("📝 Record paper ballots"), cbdata.encode(PAPER, "go", vote.id)),
            )
        )
    return OutMessage("\n".join(lines)[:4000], buttons=tuple(buttons))


def result(t: Translator, language: str, view: OwnersVoteView, tz: tzinfo) -> OutMessage:
    """When the vote closes: to the owners and the consultation's participants."""
    vote = view.vote
    lines = [
        t("🏠 <b>Result of the owners' vote of {compound}</b>").format(
            compound=esc(view.compound.label(language))
        ),
        esc(vote.question),
        _rule(t, view),
        "",
        _outcome(t, view.tally),
        _counts(t, view.tally),
        *ratio_lines(t, view.tally),
    ]
    for household, choice in view.mine:
        if choice is not None:
            lines.append(
                t("Your household {household} voted “{choice}”.").format(
                    household=esc(household.label), choice=t(CHOICE_NAMES[choice])
                )
            )
    return OutMessage("\n".join(lines))


def _done(t: Translator) -> tuple[tuple[Button, ...], ...]:
    return ((Button(t("✅ That is all"), cbdata.encode(PAPER, "done")),),)


def paper_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Type the household and its choice from the paper ballot, e.g. “3-1-502 agree”"
            " (agree, disagree or abstain). It replaces any earlier ballot of that household."
        ),
        buttons=_done(t),
    )


def paper_recorded(
    t: Translator, household: Household, choice: Choice, replaced: bool
) -> OutMessage:
    text = t("📝 Paper ballot recorded: {household} “{choice}”.").format(
        household=esc(household.label), choice=t(CHOICE_NAMES[choice])
    )
    if replaced:
        text += " " + t("(It replaces that household's earlier ballot.)")
    text += "\n" + t("Type the next one, or press “That is all”.")
    return OutMessage(text, buttons=_done(t))


def paper_done(t: Translator, recorded: int) -> OutMessage:
    return OutMessage(
        t("Done: {n} paper ballots recorded. The tally counts them already.").format(n=recorded)
    )


def paper_set_aside(t: Translator, minutes: int) -> OutMessage:
    """The sweep ended an idle round of paper ballots (those typed are recorded)."""
    return OutMessage(
        t(
            "You typed no paper ballot for {minutes} minutes, so the bot stopped waiting for"
            " them. Those you typed are recorded; press “Record paper ballots” on the tally to"
            " go on."
        ).format(minutes=minutes)
    )


# -- binding a household -----------------------------------------------------------------
def bind_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Type the code on the slip the owners' committee gave you (e.g. K7Q9M-2XPAB), or"
            " scan its QR code."
        )
    )


def bound(t: Translator, language: str, household: Household, compound: OrgUnit) -> OutMessage:
    return OutMessage(
        t(
            "🏠 You are now the owner of {household} in {compound} in the bot. You will get"
            " the ballots of owners' votes there."
        ).format(household=_household(t, household), compound=esc(compound.label(language)))
    )


def households_lines(
    t: Translator, language: str, households: list[tuple[Household, OrgUnit]]
) -> list[str]:
    """/me: the households the person owns in the bot."""
    if not households:
        return []
    return [t("Households you own:")] + [
        f"• {esc(compound.label(language))} {_household(t, h)}" for h, compound in households
    ]


def votes_list(
    t: Translator, language: str, views: list[OwnersVoteView], tz: tzinfo
) -> OutMessage:
    lines = [t("🏠 <b>Owners' votes</b>")]
    if not views:
        lines.append(t("No owners' vote is open for your households."))
    buttons = []
    for view in views:
        lines += ["", *vote_summary(t, language, view, tz)]
        buttons.append(
            (
                Button(
                    t("🗳 {question}").format(question=view.vote.question[:40]),
                    cbdata.encode(VOTES, "b", view.vote.id),
                ),
            )
        )
    return OutMessage("\n".join(lines)[:4000], buttons=tuple(buttons[:20]))
