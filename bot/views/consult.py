"""Messages of 议事协商: the invitation, the discussion as each participant sees it, proposals
and seat votes, the decision and its publication (公示), objections, action items (落实)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import cbdata
from bot.art278 import Choice
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage
from bot.models import Topic, TopicKind
from bot.models.consult import (
    ActionItem,
    ActionState,
    Consultation,
    ConsultationState,
    ConsultationView,
    Joined,
    ParticipantKind,
    ProposalView,
    Speaker,
)
from bot.models.parties import SeatHolding
from bot.views.common import esc, fmt_time, unit_path
from bot.views.consult_forms import convene_button, item_button, proposal_button, vote_button
from bot.views.parties import COMMUNITY_NAME, seat_label
from bot.views.votes import VOTES, vote_summary

__all__ = [
    "CHOICE_CODES",
    "CHOICE_NAMES",
    "CONSULT",
    "STATE_NAMES",
    "consultation_card",
    "invitation",
    "speaker_label",
]

CONSULT = "cs"
TEXT_LIMIT = 4000

STATE_NAMES: dict[ConsultationState, str] = {
    ConsultationState.OPEN: N_("discussing"),
    ConsultationState.DECIDED: N_("decided, not published yet"),
    ConsultationState.PUBLISHED: N_("published, open to objections"),
    ConsultationState.CARRYING_OUT: N_("being carried out"),
    ConsultationState.DONE: N_("done"),
    ConsultationState.CANCELLED: N_("cancelled"),
}
CHOICE_NAMES: dict[Choice, str] = {
    Choice.AGREE: N_("Agree"),
    Choice.DISAGREE: N_("Disagree"),
    Choice.ABSTAIN: N_("Abstain"),
}
CHOICE_ICONS = {Choice.AGREE: "✅", Choice.DISAGREE: "❌", Choice.ABSTAIN: "⚪"}
CHOICE_CODES = {Choice.AGREE: "a", Choice.DISAGREE: "d", Choice.ABSTAIN: "x"}
KIND_NAMES: dict[ParticipantKind, str] = {
    ParticipantKind.REPRESENTATIVE: N_("Resident representative"),
    ParticipantKind.MEMBER: N_("Party member"),
}


def choice_of(code: str) -> Choice | None:
    return next((c for c, k in CHOICE_CODES.items() if k == code), None)


def _b(t: Translator, label: str, action: str, *args: object) -> Button:
    return Button(t(label), cbdata.encode(CONSULT, action, *args))


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def speaker_label(t: Translator, language: str, speaker: Speaker) -> str:
    """小区党支部 · 书记 / 业主委员会 · 主任 (every seat the person was invited for)."""
    parts = [seat_label(t, h.party.kind, h.seat.role) for h in speaker.seats]
    if ParticipantKind.COMMUNITY in speaker.kinds:
        unit = f"（{speaker.unit.label(language)}）" if speaker.unit is not None else ""
        parts.append(t(COMMUNITY_NAME) + unit)
    for kind, name in KIND_NAMES.items():
        if kind in speaker.kinds:
            parts.append(t(name))
    return " / ".join(parts)


def _who(t: Translator, language: str, speaker: Speaker) -> str:
    return f"{esc(speaker_label(t, language, speaker))} {esc(speaker.name)}"


def _vacant(t: Translator, holdings: list[SeatHolding]) -> str:
    """The seats invited whose holders are not in the bot yet, on one line."""
    names = [
        f"{seat_label(t, h.party.kind, h.seat.role)}{' ' + h.name if h.name else ''}"
        for h in holdings[:6]
    ]
    more = len(holdings) - len(names)
    text = "、".join(names)
    if more > 0:
        text = t("{seats} and {n} more").format(seats=text, n=more)
    return t("Not in the bot yet ({n} seats, not told): {seats}").format(
        n=len(holdings), seats=text
    )


def _head(t: Translator, consultation: Consultation) -> str:
    return t("🏛 <b>Consultation: {title}</b>").format(title=esc(consultation.title))


def _participants(t: Translator, language: str, view: ConsultationView) -> list[str]:
    lines = [t("Taking part:")]
    lines += [f"• {_who(t, language, s)}" for s in view.speakers]
    if view.vacant:
        lines.append(esc(_vacant(t, view.vacant)))
    return lines


def invitation(t: Translator, language: str, view: ConsultationView, tz: tzinfo) -> OutMessage:
    """To every participant when the consultation is convened."""
    c = view.consultation
    lines = [
        t("🏛 <b>You are invited to a consultation</b>"),
        f"<b>{esc(c.title)}</b>",
        t("Compound: {place}").format(place=unit_path(view.path[-2:], language)),
        t("Convened and chaired by {name}").format(name=esc(view.chair or "?")),
    ]
    if view.request is not None:
        lines.append(t("From request {number}").format(number=esc(view.request.number)))
    lines += [
        "",
        t("Background:"),
        esc(_clip(c.background, 1500)),
        "",
        *_participants(t, language, view),
        "",
        t("Discussion and votes close {when}.").format(when=fmt_time(c.closes_at, tz)),
        t("What you say here reaches every participant, with your party and seat."),
    ]
    return OutMessage(
        _clip("\n".join(lines)),
        buttons=((_b(t, N_("💬 Speak"), "say", c.id), _b(t, N_("📋 Details"), "o", c.id)),),
        photos=tuple(view.photos[:10]),
    )


def joined(t: Translator, language: str, joined: Joined) -> OutMessage:
    """Someone opened a consultation's link: its invitation, as the others got it."""
    return invitation(t, language, joined.view, joined.tz)


def said(
    t: Translator,
    language: str,
    consultation: Consultation,
    speaker: Speaker,
    text: str | None,
    photo: str | None,
) -> OutMessage:
    """One participant's words, as every other participant gets them."""
    lines = [
        f"💬 <b>{esc(speaker_label(t, language, speaker))}</b> {esc(speaker.name)}",
        t("in “{title}”").format(title=esc(consultation.title)),
    ]
    if text:
        lines += ["", esc(text)]
    return OutMessage(
        _clip("\n".join(lines), 1000 if photo else TEXT_LIMIT),
        buttons=((_b(t, N_("💬 Reply"), "say", consultation.id),),),
        photos=(photo,) if photo else (),
    )


def say_prompt(t: Translator, consultation: Consultation) -> OutMessage:
    return OutMessage(
        t(
            "Type what you want to say in “{title}” (or send a photo). It goes to every"
            " participant. /cancel to stop."
        ).format(title=esc(consultation.title))
    )


def said_ack(t: Translator, consultation: Consultation, reached: int) -> OutMessage:
    return OutMessage(
        t.ngettext("Sent to {n} participant.", "Sent to {n} participants.", reached).format(
            n=reached
        ),
        buttons=((_b(t, N_("💬 Say more"), "say", consultation.id),),),
    )


def history(
    t: Translator,
    consultation: Consultation,
    rows: list[tuple[str, str | None, bool, datetime]],
    tz: tzinfo,
) -> OutMessage:
    lines = [_head(t, consultation), t("<b>The discussion so far</b>")]
    if not rows:
        lines.append(t("Nobody has spoken yet."))
    for label, text, photo, at in rows:
        body = esc(text) if text else ""
        if photo:
            body = (body + " " if body else "") + t("[photo]")
        lines.append(f"{fmt_time(at, tz)} <b>{esc(label)}</b>: {body}")
    return OutMessage(_clip("\n".join(lines)))


# -- proposals and seat votes ------------------------------------------------------------
def _counts(t: Translator, view: ProposalView) -> list[str]:
    lines = []
    several = len(view.counts) > 1
    for n, count in enumerate(view.counts):
        mark = ""
        if view.proposal.state == "closed":
            mark = " " + (
                t("✅ carried") if count.carried and view.quorate else t("❌ not carried")
            )
        prefix = f"{n + 1}. {esc(count.option)}: " if several else ""
        lines.append(
            prefix
            + t("agree {a} · disagree {d} · abstain {x}").format(
                a=count.agree, d=count.disagree, x=count.abstain
            )
            + mark
        )
    quorum = view.voters // 2 + 1
    lines.append(
        t("Voted: {voted} of {voters} (quorum {quorum})").format(
            voted=view.voted, voters=view.voters, quorum=quorum
        )
        + (" ✅" if view.quorate else "")
    )
    return lines


def proposal_card(
    t: Translator,
    language: str,
    consultation: Consultation,
    view: ProposalView,
    can_vote: bool,
    tz: tzinfo,
) -> OutMessage:
    """The proposal with a vote row per option for those who vote, and the counts."""
    p = view.proposal
    lines = [
        _head(t, consultation),
        t("🗳 <b>Proposal</b>: {text}").format(text=esc(p.text)),
    ]
    if p.options:
        lines.append(t("Vote on each option:"))
        lines += [f"{n + 1}. {esc(option)}" for n, option in enumerate(p.options)]
    lines += ["", *_counts(t, view)]
    if p.state == "open":
        lines.append(
            t("Votes can be changed until {when}.").format(when=fmt_time(p.closes_at, tz))
        )
    buttons: list[tuple[Button, ...]] = []
    if can_vote and p.state == "open":
        for n in range(len(p.choices)):
            row = []
            for choice in Choice:
                mark = "✔" if view.mine.get(n) is choice else CHOICE_ICONS[choice]
                label = f"{mark} {t(CHOICE_NAMES[choice])}"
                if p.options:
                    label = f"{n + 1}. {label}"
                row.append(
                    Button(label, cbdata.encode(CONSULT, "pv", p.id, n, CHOICE_CODES[choice]))
                )
            buttons.append(tuple(row))
    elif not can_vote:
        lines.append(t("(The seat holders and the community vote; you can follow and speak.)"))
    return OutMessage(_clip("\n".join(lines)), buttons=tuple(buttons))


def proposal_result(
    t: Translator, language: str, consultation: Consultation, view: ProposalView
) -> OutMessage:
    lines = [
        _head(t, consultation),
        t("🗳 <b>Voting closed</b>: {text}").format(text=esc(view.proposal.text)),
        *_counts(t, view),
    ]
    if not view.quorate:
        lines.append(t("Not enough seats voted: the proposal is not carried."))
    return OutMessage(_clip("\n".join(lines)))


# -- the consultation card -------------------------------------------------------------
def consultation_card(
    t: Translator, language: str, view: ConsultationView, tz: tzinfo, *, is_chair: bool
) -> OutMessage:
    """Where the consultation stands, with what the viewer can do."""
    c = view.consultation
    lines = [
        _head(t, c),
        t("Compound: {place}").format(place=unit_path(view.path[-2:], language)),
        t("Status: {state}").format(state=t(STATE_NAMES[c.state])),
        t("Chair: {name}").format(name=esc(view.chair or "?")),
    ]
    if view.request is not None:
        lines.append(t("From request {number}").format(number=esc(view.request.number)))
    if c.state is ConsultationState.OPEN:
        lines.append(t("Discussion closes {when}.").format(when=fmt_time(c.closes_at, tz)))
    lines += ["", t("Background:"), esc(_clip(c.background, 800)), ""]
    lines += _participants(t, language, view)
    lines.append(t("Messages: {n} · files: {f}").format(n=view.messages, f=view.files))
    for proposal in view.proposals:
        lines += [
            "",
            t("🗳 {text}").format(text=esc(proposal.proposal.text)),
            *_counts(t, proposal),
        ]
    for vote in view.votes:
        lines += ["", *vote_summary(t, language, vote, tz)]
    if c.decision:
        lines += ["", t("📝 <b>Decision</b>: {text}").format(text=esc(c.decision))]
    if c.objection_until is not None:
        lines.append(
            t("Objections until {when}: {n}").format(
                when=fmt_time(c.objection_until, tz), n=len(view.objections)
            )
        )
    if view.items:
        lines += ["", t("<b>Action items</b>")]
        lines += [_item_line(t, item, who, tz) for item, who in view.items]
    return OutMessage(_clip("\n".join(lines)), buttons=_card_buttons(t, view, is_chair=is_chair))


def _card_buttons(
    t: Translator, view: ConsultationView, *, is_chair: bool
) -> tuple[tuple[Button, ...], ...]:
    c = view.consultation
    rows: list[tuple[Button, ...]] = []
    if c.state is ConsultationState.OPEN and view.viewer is not None:
        rows.append((_b(t, N_("💬 Speak"), "say", c.id), _b(t, N_("📜 Discussion"), "hist", c.id)))
    for proposal in view.proposals:
        if proposal.proposal.state == "open":
            label = t("🗳 Vote: {text}").format(text=proposal.proposal.text[:30])
            rows.append((Button(label, cbdata.encode(CONSULT, "pp", proposal.proposal.id)),))
    for vote in view.votes:
        rows.append((Button(t("🏠 Owners' vote"), cbdata.encode(VOTES, "b", vote.vote.id)),))
        if is_chair or (view.viewer is not None and view.viewer.sees_tally):
            rows.append((Button(t("📊 Tally"), cbdata.encode(VOTES, "t", vote.vote.id)),))
    if not is_chair:
        return tuple(rows)
    if c.state is ConsultationState.OPEN:
        rows.append(
            (
                proposal_button(t, c.id),
                vote_button(t, c.id),
            )
        )
        rows.append((_b(t, N_("📝 Record the decision"), "dec", c.id),))
        rows.append(
            (
                _b(t, N_("🔗 Invite a resident representative"), "invr", c.id),
                _b(t, N_("🔗 Invite a party member"), "invm", c.id),
            )
        )
    if c.state is ConsultationState.DECIDED:
        rows.append((_b(t, N_("📢 Publish the decision"), "pub", c.id),))
    if c.state in (
        ConsultationState.DECIDED,
        ConsultationState.PUBLISHED,
        ConsultationState.CARRYING_OUT,
    ):
        rows.append((item_button(t, c.id),))
    if c.state is ConsultationState.CARRYING_OUT and not any(
        i.state is ActionState.OPEN for i, _w in view.items
    ):
        rows.append((_b(t, N_("✅ Close: all carried out"), "fin", c.id),))
    if c.state in (ConsultationState.OPEN, ConsultationState.DECIDED):
        rows.append((_b(t, N_("✖ Cancel the consultation"), "cx", c.id),))
    return tuple(rows)


def consultations_list(
    t: Translator, language: str, items: list[Consultation], can_convene: bool
) -> OutMessage:
    lines = [t("🏛 <b>Consultations</b>")]
    if not items:
        lines.append(t("None yet."))
    buttons: list[tuple[Button, ...]] = []
    for c in items:
        lines.append(f"• {esc(c.title)} — {t(STATE_NAMES[c.state])}")
        buttons.append((Button(f"🏛 {c.title[:40]}", cbdata.encode(CONSULT, "o", c.id)),))
    if can_convene:
        buttons.append((convene_button(t),))
    return OutMessage("\n".join(lines), buttons=tuple(buttons[:30]))


# -- decision, publication, objections ----------------------------------------------------
def publication(t: Translator, language: str, view: ConsultationView, tz: tzinfo) -> OutMessage:
    """公示: to the compound's residents and owners."""
    c = view.consultation
    lines = [
        t("📢 <b>Notice of a decision</b>"),
        t("{compound}: {title}").format(
            compound=esc(view.compound.label(language)), title=esc(c.title)
        ),
        "",
        t("<b>Decision</b>: {text}").format(text=esc(c.decision or "")),
        "",
        t("Decided by the consultation of the parties of the compound:"),
        *[f"• {esc(speaker_label(t, language, s))}" for s in view.speakers if s.votes],
    ]
    for proposal in view.proposals:
        lines += [t("🗳 {text}").format(text=esc(proposal.proposal.text)), *_counts(t, proposal)]
    for vote in view.votes:
        lines += ["", *vote_summary(t, language, vote, tz)]
    if c.objection_until is not None:
        lines += [
            "",
            t(
                "If you object, press the button below and give your reason by {when}. The"
                " party branch and the community read every objection."
            ).format(when=fmt_time(c.objection_until, tz)),
        ]
    return OutMessage(_clip("\n".join(lines)), buttons=((_b(t, N_("✋ Object"), "obj", c.id),),))


def published_note(t: Translator, language: str, view: ConsultationView, tz: tzinfo) -> OutMessage:
    c = view.consultation
    return OutMessage(
        t("📢 The decision of “{title}” is published; objections until {when}.").format(
            title=esc(c.title), when=fmt_time(c.objection_until or c.created_at, tz)
        ),
        buttons=((_b(t, N_("📋 Details"), "o", c.id),),),
    )


def decision_prompt(t: Translator, consultation: Consultation) -> OutMessage:
    return OutMessage(
        t(
            "Type the decision of “{title}”. The proposals' and owners' votes are attached to"
            " it; open proposals close. /cancel to stop."
        ).format(title=esc(consultation.title))
    )


def decided(t: Translator, consultation: Consultation) -> OutMessage:
    return OutMessage(
        t("📝 The decision is recorded. Publish it to the compound's residents when ready."),
        buttons=(
            (_b(t, N_("📢 Publish the decision"), "pub", consultation.id),),
            (_b(t, N_("📋 Details"), "o", consultation.id),),
        ),
    )


def published(t: Translator, consultation: Consultation, told: int, tz: tzinfo) -> OutMessage:
    return OutMessage(
        t.ngettext(
            "📢 Published to {n} resident and owner; objections until {when}.",
            "📢 Published to {n} residents and owners; objections until {when}.",
            told,
        ).format(
            n=told, when=fmt_time(consultation.objection_until or consultation.created_at, tz)
        ),
        buttons=((item_button(t, consultation.id),),),
    )


def objection_prompt(t: Translator, consultation: Consultation) -> OutMessage:
    return OutMessage(
        t("Why do you object to the decision of “{title}”? Please type your reason.").format(
            title=esc(consultation.title)
        )
    )


def proposal_sent(t: Translator) -> OutMessage:
    return OutMessage(t("🗳 The proposal went to every participant; the seats vote on it now."))


def invite_link(t: Translator, consultation: Consultation, link: str, member: bool) -> OutMessage:
    who = t("a party member") if member else t("a resident representative")
    return OutMessage(
        t(
            "Send this link to {who} of the compound: opening it brings them into “{title}” (they"
            " speak; the seats and the community vote). It works once.\n{link}"
        ).format(who=who, title=esc(consultation.title), link=esc(link))
    )


def cancel_prompt(t: Translator, consultation: Consultation) -> OutMessage:
    return OutMessage(
        t("Why is “{title}” cancelled? Every participant is told. /cancel to keep it.").format(
            title=esc(consultation.title)
        )
    )


def cancelled_ack(t: Translator) -> OutMessage:
    return OutMessage(t("The consultation is cancelled; its participants were told."))


def objection_received(t: Translator) -> OutMessage:
    return OutMessage(
        t("Your objection is recorded and passed to the party branch and the community.")
    )


def objection_note(
    t: Translator, language: str, consultation: Consultation, reason: str
) -> OutMessage:
    """To the branch, the community and the chair (the objector is not named)."""
    return OutMessage(
        t("✋ <b>An objection to the decision of “{title}”</b>\n{reason}").format(
            title=esc(consultation.title), reason=esc(reason)
        ),
        buttons=((_b(t, N_("📋 Details"), "o", consultation.id),),),
    )


def window_ended(
    t: Translator, language: str, consultation: Consultation, objections: int, items: int
) -> OutMessage:
    text = t.ngettext(
        "The objection window of “{title}” has ended with {n} objection.",
        "The objection window of “{title}” has ended with {n} objections.",
        objections,
    ).format(title=esc(consultation.title), n=objections)
    if not items:
        text += "\n" + t("Add the action items that carry it out, or close it if none are needed.")
    return OutMessage(
        text,
        buttons=(
            (item_button(t, consultation.id),),
            (_b(t, N_("📋 Details"), "o", consultation.id),),
        ),
    )


# -- action items --------------------------------------------------------------------------
ITEM_STATE_ICONS = {ActionState.OPEN: "⏳", ActionState.DONE: "✅", ActionState.CANCELLED: "✖"}


def _item_line(t: Translator, item: ActionItem, who: str, tz: tzinfo) -> str:
    line = f"{ITEM_STATE_ICONS[item.state]} {esc(item.text)} — {esc(who)}, " + t(
        "by {when}"
    ).format(when=fmt_time(item.due_at, tz))
    if item.state is ActionState.DONE and item.done_at is not None:
        line += " · " + (t("done on time") if item.done_at <= item.due_at else t("done late"))
    return line


def item_card(
    t: Translator,
    language: str,
    consultation: Consultation,
    item: ActionItem,
    who: str,
    tz: tzinfo,
) -> OutMessage:
    return OutMessage(
        "\n".join(
            [
                t("📌 <b>Action item</b> of “{title}”").format(title=esc(consultation.title)),
                esc(item.text),
                t("For: {who} · by {when}").format(who=esc(who), when=fmt_time(item.due_at, tz)),
                t("Decision: {text}").format(text=esc(_clip(consultation.decision or "", 800))),
            ]
        ),
        buttons=((_b(t, N_("✅ Done"), "idone", item.id),),),
    )


def item_reminder(
    t: Translator,
    language: str,
    consultation: Consultation,
    item: ActionItem,
    who: str,
    tz: tzinfo,
    *,
    overdue: bool,
) -> OutMessage:
    head = (
        t("⏰ <b>Overdue action item</b> of “{title}”")
        if overdue
        else t("⏰ Reminder: action item of “{title}”")
    ).format(title=esc(consultation.title))
    return OutMessage(
        "\n".join(
            [
                head,
                esc(item.text),
                t("For: {who} · by {when}").format(who=esc(who), when=fmt_time(item.due_at, tz)),
            ]
        ),
        buttons=((_b(t, N_("✅ Done"), "idone", item.id),),),
    )


def item_done_note(
    t: Translator, language: str, consultation: Consultation, item: ActionItem, who: str
) -> OutMessage:
    return OutMessage(
        t("✅ Action item done ({who}): {text}").format(who=esc(who), text=esc(item.text)),
        buttons=((_b(t, N_("📋 Details"), "o", consultation.id),),),
    )


def item_done_ack(t: Translator, item: ActionItem) -> OutMessage:
    return OutMessage(t("✅ Marked done: {text}").format(text=esc(item.text)))


def items_list(
    t: Translator, items: list[tuple[ActionItem, Consultation, str]], tz: tzinfo
) -> OutMessage:
    lines = [t("📌 <b>Your action items</b>")]
    buttons = []
    for item, consultation, who in items:
        lines.append(f"• {esc(consultation.title)}: {_item_line(t, item, who, tz)}")
        buttons.append(
            (
                Button(
                    t("✅ Done: {text}").format(text=item.text[:30]),
                    cbdata.encode(CONSULT, "idone", item.id),
                ),
            )
        )
    return OutMessage("\n".join(lines), buttons=tuple(buttons[:20]))


def done_note(t: Translator, language: str, view: ConsultationView) -> OutMessage:
    text = t("✅ “{title}” is done: the decision has been carried out.").format(
        title=esc(view.consultation.title)
    )
    if view.request is not None:
        text += "\n" + t(
            "Its request {number} is resolved; its resident is asked to rate it."
        ).format(number=esc(view.request.number))
    return OutMessage(text)


def cancelled_note(
    t: Translator, language: str, view: ConsultationView, reason: str
) -> OutMessage:
    return OutMessage(
        t("✖ The consultation “{title}” was cancelled: {reason}").format(
            title=esc(view.consultation.title), reason=esc(reason)
        )
    )


def reminder(t: Translator, language: str, consultation: Consultation, tz: tzinfo) -> OutMessage:
    return OutMessage(
        t(
            "⏰ The consultation “{title}” waits for your view: speak, or vote on its proposals,"
            " before {when}."
        ).format(title=esc(consultation.title), when=fmt_time(consultation.closes_at, tz)),
        buttons=(
            (
                _b(t, N_("💬 Speak"), "say", consultation.id),
                _b(t, N_("📋 Details"), "o", consultation.id),
            ),
        ),
    )


def closed_for_chair(t: Translator, language: str, consultation: Consultation) -> OutMessage:
    return OutMessage(
        t("⏰ The discussion of “{title}” has closed. Please record the decision.").format(
            title=esc(consultation.title)
        ),
        buttons=((_b(t, N_("📝 Record the decision"), "dec", consultation.id),),),
    )


# -- a topic of the month put to the parties -----------------------------------------------
def topic_title(t: Translator, label: str) -> str:
    return t("Topic of the month: {label}").format(label=label)


def topic_background(t: Translator, topic: Topic, label: str, place: str) -> str:
    """The background of a consultation on a topic (stored, in the default language)."""
    ev = topic.evidence
    if topic.kind is TopicKind.PREEMPTIVE:
        return t(
            "Last year in {month}, {place} had {n} requests about “{label}”. What should the"
            " parties do before it comes back?"
        ).format(
            month=ev.get("last_year_month", "?"), place=place, n=ev.get("last_year"), label=label
        )
    return t(
        "Topic of the month: {place} had {n} requests and {s} “me too” about “{label}” in the"
        " last 30 days ({n90} in 90 days). It keeps coming back: what is the cause, and what"
        " will the parties do about it?"
    ).format(
        place=place,
        n=ev.get("recent"),
        s=ev.get("recent_support"),
        n90=ev.get("quarter", ev.get("recent")),
        label=label,
    )
