"""The administrator's screens: /admin menu, request queue, admin card, admins, audit."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.lifecycle import OPEN
from bot.messages import Button, OutMessage, rows
from bot.models import (
    EXTENSION_DAYS,
    AuditEntry,
    Category,
    Member,
    OrgUnit,
    Person,
    RequestView,
    Tier,
)
from bot.models.admin import Queue, QueueFilter
from bot.views.common import esc, fmt_age, fmt_time
from bot.views.deadlines import ESCALATE
from bot.views.requests import TIER_ICON, TIER_NAMES, TIER_SHORT, member_card, status_name
from bot.views.tasks import assign_button

__all__ = ["ADMIN", "admin_card", "admin_menu", "queue_message"]

ADMIN = "ad"

FILTER_NAMES = {
    QueueFilter.OPEN: N_("Open"),
    QueueFilter.OVERDUE: N_("Overdue"),
    QueueFilter.UNASSIGNED: N_("Not taken"),
    QueueFilter.RETURNED: N_("Handed back"),
    QueueFilter.RATING: N_("Awaiting rating"),
    QueueFilter.ALL: N_("All"),
}


def admin_menu(t: Translator, *, can_audit: bool) -> OutMessage:
    buttons = [
        Button(t("📋 Request queue"), cbdata.encode(ADMIN, "q", "open", "-", 0, 0)),
        Button(t("👥 Administrators"), cbdata.encode(ADMIN, "admins")),
        Button(t("✅ Member approvals"), cbdata.encode(ADMIN, "pending")),
    ]
    if can_audit:
        buttons.append(Button(t("📒 Audit log"), cbdata.encode(ADMIN, "audit")))
    return OutMessage(
        t("<b>Administration</b>\nWhat would you like to do?"), buttons=rows(*buttons, width=1)
    )


def _q(which: str, tier: str, category: int, page: int) -> str:
    return cbdata.encode(ADMIN, "q", which, tier, category, page)


def queue_message(
    t: Translator,
    language: str,
    queue: Queue,
    which: QueueFilter,
    tier: Tier | None,
    category: Category | None,
    now: datetime,
) -> OutMessage:
    tier_code = tier.value if tier else "-"
    cat_id = category.id if category else 0
    title = t("<b>Request queue</b>: {filter}").format(filter=t(FILTER_NAMES[which]))
    if tier:
        title += f" · {t(TIER_SHORT[tier])}"
    if category:
        title += f" · {esc(category.label(language))}"
    lines = [
        title,
        t("{total} requests, page {page} of {pages}").format(
            total=queue.total, page=queue.page + 1, pages=queue.pages
        ),
        "",
    ]
    buttons: list[tuple[Button, ...]] = []
    for view in queue.items:
        r = view.request
        lines.append(
            f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b> · {esc(view.category.label(language))}"
            f" · {status_name(t, r.status)} · {fmt_age(t, now - r.created_at)}"
        )
        buttons.append(
            (Button(t("Open {number}").format(number=r.number), cbdata.encode(ADMIN, "o", r.id)),)
        )
    nav = []
    if queue.page > 0:
        nav.append(Button(t("« Newer"), _q(which.value, tier_code, cat_id, queue.page - 1)))
    if queue.page + 1 < queue.pages:
        nav.append(Button(t("Older »"), _q(which.value, tier_code, cat_id, queue.page + 1)))
    if nav:
        buttons.append(tuple(nav))
    buttons.append(
        tuple(
            Button(("• " if f is which else "") + t(name), _q(f.value, tier_code, cat_id, 0))
            for f, name in list(FILTER_NAMES.items())[:3]
        )
    )
    buttons.append(
        tuple(
            Button(("• " if f is which else "") + t(name), _q(f.value, tier_code, cat_id, 0))
            for f, name in list(FILTER_NAMES.items())[3:]
        )
    )
    buttons.append(
        (
            Button(
                ("• " if tier is None else "") + t("All tiers"), _q(which.value, "-", cat_id, 0)
            ),
            *(
                Button(
                    ("• " if tier is x else "") + t(TIER_SHORT[x]),
                    _q(which.value, x.value, cat_id, 0),
                )
                for x in Tier
            ),
        )
    )
    buttons.append(
        (Button(t("Category ▾"), cbdata.encode(ADMIN, "cats", which.value, tier_code)),)
    )
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def category_menu(
    t: Translator, language: str, categories: list[Category], which: str, tier: str
) -> OutMessage:
    buttons = [Button(t("All categories"), _q(which, tier, 0, 0))]
    buttons += [Button(c.label(language), _q(which, tier, c.id, 0)) for c in categories]
    return OutMessage(t("Filter by category:"), buttons=rows(*buttons, width=2))


def admin_card(
    t: Translator,
    language: str,
    view: RequestView,
    now: datetime,
    tz: tzinfo,
    *,
    head: str | None = None,
) -> OutMessage:
    """A request as an administrator sees it, with what they can do now."""
    r = view.request
    card = member_card(t, language, view, now, tz=tz, admin=True)
    lines = [head] if head else []
    lines += [card.text, t("Status: {status}").format(status=status_name(t, r.status))]
    if view.assignee_name:
        lines.append(t("Taken by: {name}").format(name=esc(view.assignee_name)))
    buttons: list[tuple[Button, ...]] = []
    if r.status in OPEN:
        buttons.append((assign_button(t, r),))
        buttons.append(
            tuple(
                Button(t(TIER_NAMES[tier]), cbdata.encode(ESCALATE, "tier", r.id, tier.value))
                for tier in Tier
                if tier is not r.tier
            )
        )
        buttons.append(
            tuple(
                Button(
                    t("+{days} d").format(days=days), cbdata.encode(ESCALATE, "ext", r.id, days)
                )
                for days in EXTENSION_DAYS
            )
        )
        if r.assignee_id is not None:
            buttons.append(
                (Button(t("💬 Message the member"), cbdata.encode(ESCALATE, "msg", r.id)),)
            )
        else:
            buttons.append(
                (Button(t("📣 Send to the members again"), cbdata.encode(ADMIN, "pool", r.id)),)
            )
    return OutMessage(
        "\n".join(lines), buttons=tuple(buttons), photos=card.photos, location=card.location
    )


def sent_to_pool(t: Translator, count: int) -> OutMessage:
    return OutMessage(t("Sent to {count} members.").format(count=count))


def admins_message(
    t: Translator, language: str, admins: list[tuple[Person, OrgUnit]]
) -> OutMessage:
    lines = [t("<b>Administrators below you</b>")]
    buttons: list[tuple[Button, ...]] = []
    if not admins:
        lines.append(t("(none)"))
    for person, unit in admins:
        name = esc(person.display_name) or t("(none)")
        lines.append(f"• {name} — {esc(unit.label(language))}")
        buttons.append(
            (
                Button(
                    t("Revoke {name} ({unit})").format(
                        name=person.display_name or "?", unit=unit.label(language)
                    ),
                    cbdata.encode(ADMIN, "rv", person.id, unit.id),
                ),
            )
        )
    buttons.append((Button(t("➕ Invite an administrator"), cbdata.encode(ADMIN, "inv")),))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def invite_units(t: Translator, language: str, units: list[OrgUnit]) -> OutMessage:
    if not units:
        return OutMessage(t("There is no unit below yours."))
    buttons = [Button(u.label(language), cbdata.encode(ADMIN, "iu", u.id)) for u in units]
    return OutMessage(
        t("Invite an administrator for which unit?"), buttons=rows(*buttons, width=2)
    )


def invite_link(t: Translator, language: str, unit: OrgUnit, link: str) -> OutMessage:
    return OutMessage(
        t(
            "Send this link to the new administrator of {unit}. It works once, for 7 days:\n{link}"
        ).format(unit=esc(unit.label(language)), link=esc(link))
    )


def invite_accepted(t: Translator, language: str, unit: OrgUnit) -> OutMessage:
    return OutMessage(
        t("✅ You are now an administrator of {unit}. Send /admin to begin.").format(
            unit=esc(unit.label(language))
        )
    )


def revoked(t: Translator) -> OutMessage:
    return OutMessage(t("Revoked."))


def audit_message(t: Translator, entries: list[AuditEntry], tz: tzinfo) -> OutMessage:
    if not entries:
        return OutMessage(t("The audit log is empty."))
    lines = [t("<b>Audit log</b> (latest {count})").format(count=len(entries))]
    for entry in entries:
        lines.append(
            f"{fmt_time(entry.at, tz)} · {esc(entry.actor_label)} · {esc(entry.action)} · "
            f"{esc(entry.subject)}"
        )
    return OutMessage("\n".join(lines))


MEMBER_ADMIN = "ma"


def pending_message(
    t: Translator, language: str, pending: list[tuple[Member, OrgUnit]]
) -> OutMessage:
    """Registrations waiting for approval, each with Approve / Reject."""
    if not pending:
        return OutMessage(t("Nobody is waiting for approval."))
    lines = [t("<b>Waiting for approval</b> ({count})").format(count=len(pending))]
    buttons: list[tuple[Button, ...]] = []
    for member, unit in pending:
        lines.append(f"• {esc(member.real_name)} — {esc(unit.label(language))}")
        buttons.append(
            (
                Button(
                    t("Approve {name}").format(name=member.real_name),
                    cbdata.encode(MEMBER_ADMIN, "ok", member.person_id),
                ),
                Button(t("Reject"), cbdata.encode(MEMBER_ADMIN, "no", member.person_id)),
            )
        )
    return OutMessage("\n".join(lines), buttons=tuple(buttons))
