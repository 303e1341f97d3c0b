"""Broadcast screens: choosing the audience, composing, the preview, the live progress message
and its final report, and the list of recent notices (/broadcasts)."""

from __future__ import annotations

import html
import re
from datetime import tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import Level, Role, ServiceTeam
from bot.models.broadcast import (
    AreaChoice,
    AudienceKind,
    AudienceView,
    BroadcastState,
    BroadcastSummary,
    Progress,
    Reach,
)
from bot.views.common import esc, fmt_time, main_keyboard
from bot.views.forms import cancel_button, cancel_row
from bot.views.registration import TYPE_NAMES

__all__ = [
    "BROADCAST",
    "KIND_NAMES",
    "area_prompt",
    "audience_text",
    "cancelled",
    "chosen",
    "compose_prompt",
    "compose_reprompt",
    "edit_content_prompt",
    "edit_menu",
    "filter_prompt",
    "kind_prompt",
    "list_message",
    "preview_control",
    "progress_message",
    "text_needed",
]

BROADCAST = "bc"

KIND_NAMES = {
    AudienceKind.RESIDENTS: N_("Residents"),
    AudienceKind.MEMBERS: N_("Party members and volunteers"),
    AudienceKind.BOTH: N_("Residents, party members and volunteers"),
}
STATE_NAMES = {
    BroadcastState.SENDING: N_("sending"),
    BroadcastState.CANCELLED: N_("stopped"),
    BroadcastState.DONE: N_("finished"),
}
BACK = N_("« Back")


def _cancel_row(t: Translator) -> tuple[Button, ...]:
    return cancel_row(t, BROADCAST)


def audience_text(t: Translator, language: str, view: AudienceView) -> str:
    """'Residents · 伴月社区', 'Party members and volunteers · 星荷豪苑 · 人民调解'."""
    parts = [t(KIND_NAMES[view.kind]), esc(view.unit.label(language))]
    if view.team is not None:
        parts.append(t("Team: {name}").format(name=esc(view.team.label(language))))
    if view.member_type is not None:
        parts.append(t(TYPE_NAMES[view.member_type]))
    return " · ".join(parts)


# -- choosing the audience --------------------------------------------------------------------
def kind_prompt(t: Translator) -> OutMessage:
    buttons = [
        Button(t(name), cbdata.encode(BROADCAST, "k", kind.value))
        for kind, name in KIND_NAMES.items()
    ]
    return OutMessage(
        t("<b>New notice</b>\nWho should receive it?"),
        buttons=(*rows(*buttons, width=1), _cancel_row(t)),
    )


def area_prompt(t: Translator, language: str, choice: AreaChoice) -> OutMessage:
    buttons: list[tuple[Button, ...]] = []
    if choice.unit is None:
        text = t("<b>Where?</b> Choose one of your areas.")
    else:
        text = t("<b>Where?</b> All of {name}, or a smaller area inside it.").format(
            name=esc(choice.unit.label(language))
        )
        buttons.append(
            (
                Button(
                    t("✅ All of {name}").format(name=choice.unit.label(language)),
                    cbdata.encode(BROADCAST, "pick", choice.unit.id),
                ),
            )
        )
    options = []
    for unit in choice.options:
        if unit.level is Level.COMPOUND:
            options.append(Button(unit.label(language), cbdata.encode(BROADCAST, "pick", unit.id)))
        else:
            options.append(
                Button(f"{unit.label(language)} ›", cbdata.encode(BROADCAST, "u", unit.id))
            )
    buttons += rows(*options)
    last = [cancel_button(t, BROADCAST)]
    if choice.back is not None:
        last.insert(0, Button(t(BACK), cbdata.encode(BROADCAST, "u", choice.back)))
    buttons.append(tuple(last))
    return OutMessage(text, buttons=tuple(buttons))


def filter_prompt(t: Translator, language: str, teams: list[ServiceTeam]) -> OutMessage:
    buttons = [Button(t("All of them"), cbdata.encode(BROADCAST, "f", "all"))]
    buttons += [
        Button(t(name), cbdata.encode(BROADCAST, "f", "m", kind.value))
        for kind, name in TYPE_NAMES.items()
    ]
    team_buttons = [
        Button(team.label(language), cbdata.encode(BROADCAST, "f", "t", team.id)) for team in teams
    ]
    return OutMessage(
        t("<b>Which members?</b> All of them, one type, or one service team."),
        buttons=(*rows(*buttons, width=1), *rows(*team_buttons), _cancel_row(t)),
    )


def chosen(text: str) -> OutMessage:
    """What a pressed choice leaves behind on its message."""
    return OutMessage("✔ " + text)


# -- composing --------------------------------------------------------------------------------
def compose_prompt(t: Translator, language: str, reach: Reach) -> OutMessage:
    return OutMessage(
        t(
            "It will go to <b>{count}</b> people: {audience}.\n\n"
            "Now send the text of the notice. It is sent exactly as you write it; you can make "
            "its first line a bold title on the preview. You may add one photo: send it with the "
            "text as its caption, or on its own."
        ).format(count=reach.count, audience=audience_text(t, language, reach.audience)),
        buttons=(_cancel_row(t),),
    )


def text_needed(t: Translator) -> OutMessage:
    return OutMessage(
        t("Photo added. Now send the text of the notice."), buttons=(_cancel_row(t),)
    )


def compose_reprompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Please send the text of the notice (or one photo)."), buttons=(_cancel_row(t),)
    )


def edit_content_prompt(t: Translator, has_photo: bool) -> OutMessage:
    buttons: list[tuple[Button, ...]] = []
    if has_photo:
        buttons.append((Button(t("🗑 Remove the photo"), cbdata.encode(BROADCAST, "nophoto")),))
    buttons.append(
        (
            Button(t("« Back to the preview"), cbdata.encode(BROADCAST, "back")),
            cancel_button(t, BROADCAST),
        )
    )
    return OutMessage(
        t("Send the new text, or a photo (it replaces the one there is)."), buttons=tuple(buttons)
    )


def preview_control(
    t: Translator, language: str, reach: Reach, *, bold_title: bool, nonce: str
) -> OutMessage:
    """The buttons under the exact copy of the notice."""
    bold = t("🅱 Bold title: on") if bold_title else t("🅱 Bold title: off")
    return OutMessage(
        t(
            "👆 This is exactly how the notice will look.\n"
            "It will go to <b>{count}</b> people: {audience}."
        ).format(count=reach.count, audience=audience_text(t, language, reach.audience)),
        buttons=(
            (
                Button(
                    t("📤 Send to {count} people").format(count=reach.count),
                    cbdata.encode(BROADCAST, "send", nonce),
                ),
            ),
            (Button(bold, cbdata.encode(BROADCAST, "bold", nonce)),),
            (
                Button(t("✏️ Edit"), cbdata.encode(BROADCAST, "edit", nonce)),
                cancel_button(t, BROADCAST),
            ),
        ),
    )


def edit_menu(t: Translator) -> OutMessage:
    return OutMessage(
        t("What would you like to change?"),
        buttons=(
            (Button(t("👥 The audience"), cbdata.encode(BROADCAST, "ea")),),
            (Button(t("📝 The text or the photo"), cbdata.encode(BROADCAST, "et")),),
            (
                Button(t("« Back to the preview"), cbdata.encode(BROADCAST, "back")),
                cancel_button(t, BROADCAST),
            ),
        ),
    )


def cancelled(t: Translator, roles: set[Role]) -> OutMessage:
    return OutMessage(t("Cancelled. Nothing was sent."), keyboard=main_keyboard(roles, t))


# -- progress and report ----------------------------------------------------------------------
def _duration(t: Translator, seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 60:
        return t("{n} s").format(n=seconds)
    minutes = round(seconds / 60)
    if minutes < 60:
        return t("{n} min").format(n=minutes)
    return t("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)


def progress_message(t: Translator, language: str, progress: Progress) -> OutMessage:
    """The live progress while sending; the final report once it is over."""
    b = progress.broadcast
    lines = [
        t("📢 <b>Notice #{id}</b> · {audience}").format(
            id=b.id, audience=audience_text(t, language, progress.audience)
        )
    ]
    if not progress.finished:
        if b.state is BroadcastState.CANCELLED:
            lines.append(
                t("Stopping… {n} messages were already on their way.").format(n=progress.remaining)
            )
        else:
            lines.append(
                t("Sending… {handled} of {total}").format(
                    handled=progress.handled, total=progress.total
                )
            )
    elif b.state is BroadcastState.CANCELLED:
        lines.append(
            t(
                "<b>Stopped.</b> {sent} were sent before it was stopped; {cancelled} were not."
            ).format(sent=progress.sent, cancelled=progress.cancelled)
        )
    else:
        lines.append(t("<b>Finished.</b> {total} recipients.").format(total=progress.total))
    lines.append(t("✅ Delivered: {n}").format(n=progress.sent))
    lines.append(t("⛔ Blocked the bot: {n}").format(n=progress.blocked))
    lines.append(t("⚠️ Failed: {n}").format(n=progress.failed))
    for reason, count in progress.reasons:
        lines.append(f"    • {esc(reason)} — {count}")
    if progress.finished:
        return OutMessage("\n".join(lines))
    lines.append(t("⏳ Remaining: {n}").format(n=progress.remaining))
    if b.state is BroadcastState.SENDING:
        if progress.rate is not None:
            lines.append(
                t("Speed: {rate}/s · about {eta} left").format(
                    rate=f"{progress.rate:.1f}", eta=_duration(t, progress.eta_seconds or 0)
                )
            )
        else:
            lines.append(t("About {eta} left").format(eta=_duration(t, progress.eta_seconds or 0)))
        buttons = ((Button(t("⏹ Stop sending"), cbdata.encode(BROADCAST, "stop", b.id)),),)
        return OutMessage("\n".join(lines), buttons=buttons)
    return OutMessage("\n".join(lines))


# -- /broadcasts ------------------------------------------------------------------------------
_TAG = re.compile(r"</?b>")


def _snippet(text_html: str, limit: int = 40) -> str:
    """The first line of a sent notice, shortened, as escaped HTML."""
    plain = html.unescape(_TAG.sub("", text_html)).split("\n", 1)[0]
    if len(plain) > limit:
        plain = plain[: limit - 1] + "…"
    return esc(plain)


def list_message(
    t: Translator, language: str, summaries: list[BroadcastSummary], tz: tzinfo
) -> OutMessage:
    if not summaries:
        return OutMessage(t("No notices have been sent in your area yet."))
    lines = [t("<b>Recent notices in your area</b>"), ""]
    for s in summaries:
        b, c = s.broadcast, s.counts
        state = b.state
        if state is BroadcastState.SENDING and c.pending + c.inflight == 0:
            state = BroadcastState.DONE  # its progress job has not looked yet
        lines.append(f"<b>#{b.id}</b> · {fmt_time(b.created_at, tz)} · {t(STATE_NAMES[state])}")
        lines.append(f"    {audience_text(t, language, s.audience)}")
        lines.append(f"    «{_snippet(b.text)}»")
        lines.append(
            "    "
            + t(
                "✅ {sent} · ⛔ {blocked} · ⚠️ {failed} · ⏳ {remaining} · ✖ {cancelled} of {total}"
            ).format(
                sent=c.sent,
                blocked=c.undeliverable,
                failed=c.failed,
                remaining=c.pending + c.inflight,
                cancelled=c.cancelled,
                total=b.recipients,
            )
        )
    return OutMessage("\n".join(lines))
