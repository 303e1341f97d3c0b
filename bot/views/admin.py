"""The administrator's screens: /admin menu, request queue, admin card, admins, audit."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import cbdata
from bot.i18n import N_, NC_, Translator
from bot.lifecycle import OPEN, UNACCEPTED
from bot.messages import Button, OutMessage, rows
from bot.models import (
    EXTENSION_DAYS,
    Category,
    Member,
    OrgUnit,
    Person,
    RequestView,
    Tier,
)
from bot.models.admin import AuditLine, Queue, QueueFilter
from bot.views.common import esc, fmt_age, fmt_time
from bot.views.consult import CONSULT
from bot.views.consult_forms import convene_button
from bot.views.deadlines import ESCALATE
from bot.views.departments import DEPARTMENTS
from bot.views.leaders import LEADERS
from bot.views.parties import PARTIES
from bot.views.registration import MEMBER_ADMIN
from bot.views.registration import STATUS_NAMES as MEMBER_STATUS_NAMES
from bot.views.requests import TIER_ICON, TIER_NAMES, TIER_SHORT, member_card, status_name
from bot.views.tasks import assign_button
from bot.views.whistle import FLOW as WHISTLE_FLOW

__all__ = ["ADMIN", "admin_card", "admin_menu", "queue_message"]

ADMIN = "ad"

FILTER_NAMES = {
    QueueFilter.OPEN: NC_("queue filter", "Open"),
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
        Button(t("🏛 Seats of the four parties"), cbdata.encode(PARTIES, "m")),
        Button(t("🏛 Consultations"), cbdata.encode(CONSULT, "list")),
    ]
    if can_audit:  # a street's or the district's: the departments serve their area
        buttons.append(Button(t("🏛 Departments"), cbdata.encode(DEPARTMENTS, "m")))
    buttons.append(Button(t("🤝 First secretaries"), cbdata.encode(DEPARTMENTS, "fm")))
    buttons.append(Button(t("🎖 Team leaders"), cbdata.encode(LEADERS, "m")))
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
        if view.held_by is None:  # departments or the parties have it: not a member's
            buttons.append((assign_button(t, r),))
        buttons.append(
            (
                Button(
                    t("🔔 Blow the whistle to departments"),
                    cbdata.encode(WHISTLE_FLOW, "go", r.id),
                ),
            )
        )
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
        if r.tier is Tier.IMPORTANT and r.assignee_id is None:
            buttons.append((convene_button(t, r.id),))
        if r.assignee_id is not None:
            buttons.append(
                (Button(t("💬 Message the member"), cbdata.encode(ESCALATE, "msg", r.id)),)
            )
        elif r.status in UNACCEPTED:
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


# What each audited action is called in the log (by its code; a ".refused" one was refused).
ACTION_NAMES = {
    "activity.cancel": N_("call an activity off"),
    "activity.cancel_signup": N_("cancel a sign-up"),
    "activity.checkin": N_("check in to an activity"),
    "activity.code": N_("show a check-in code"),
    "activity.finish": N_("end an activity"),
    "activity.moved_up": N_("move up from the waiting list"),
    "activity.publish": N_("publish an activity"),
    "activity.roll": N_("take the roll"),
    "activity.signed": N_("sign up for an activity"),
    "activity.signup": N_("sign up for an activity"),
    "activity.uncheck": N_("take back a check-in"),
    "activity.waiting": N_("join a waiting list"),
    "admin.grant": N_("grant administration"),
    "admin.invite": N_("invite an administrator"),
    "admin.queue": N_("view the request queue"),
    "admin.revoke": N_("revoke an administrator"),
    "api.key.create": N_("create an API key"),
    "api.key.revoke": N_("revoke an API key"),
    "audit.view": N_("view the log"),
    "broadcast": N_("send a notice"),
    "department.invite": N_("invite a department's liaison or head"),
    "department.staff": N_("view a department's people"),
    "meeting.answer": N_("answer a joint meeting"),
    "meeting.propose": N_("propose a joint meeting"),
    "pairing.invite": N_("invite a first secretary"),
    "pairing.view": N_("view the first secretaries"),
    "suborder.complete": N_("complete a sub-order"),
    "suborder.list": N_("list the sub-orders"),
    "suborder.note": N_("add a note to a sub-order"),
    "suborder.on_site": N_("report on site"),
    "suborder.photo": N_("add a photo to a sub-order"),
    "suborder.return": N_("return a sub-order"),
    "suborder.sign": N_("sign for a sub-order"),
    "suborder.view": N_("view a sub-order"),
    "whistle.blow": N_("blow the whistle"),
    "whistle.dispute": N_("send a dispute to the district"),
    "whistle.join": N_("join a joint action"),
    "whistle.list": N_("list the whistles"),
    "whistle.reroute": N_("re-route a sub-order"),
    "whistle.rule": N_("rule on a dispute"),
    "whistle.share_contact": N_("share the resident's contact with departments"),
    "whistle.view": N_("view a whistle"),
    "whistle.withdraw": N_("call a department off"),
    "export": N_("export to Excel"),
    "member.approve": N_("approve a registration"),
    "member.edit": N_("edit a registration"),
    "member.pause": N_("go on leave"),
    "member.pending": N_("view the approvals"),
    "member.register": N_("register"),
    "member.reject": N_("not approve a registration"),
    "member.resume": N_("back from leave"),
    "org.import": N_("import the org file"),
    "person.forget": N_("delete their data"),
    "person.home": N_("set the home compound"),
    "person.language": N_("set the language"),
    "points.correct": N_("correct points"),
    "points.hours": N_("points for volunteer hours"),
    "points.redeem": N_("redeem points"),
    "points.task": N_("points for a task done"),
    "request.accept": N_("accept a request"),
    "request.admin": N_("act on a request"),
    "request.api_submit": N_("file a request through the API"),
    "request.assign": N_("assign a member"),
    "request.cancel": N_("cancel a request"),
    "request.comment": N_("comment on a rating"),
    "request.extend": N_("extend the deadline"),
    "request.extension": N_("decide on more time"),
    "request.info": N_("add information"),
    "request.message": N_("write to the member"),
    "request.rate": N_("rate a request"),
    "request.relay": N_("write through the relay"),
    "request.resolve": N_("resolve a request"),
    "request.retier": N_("change the tier"),
    "request.view": N_("view a request"),
    "role.grant": N_("grant a role"),
    "role.revoke": N_("revoke a role"),
    "stats.view": N_("view the statistics"),
    "task.decline": N_("decline a task"),
    "team.assign": N_("assign a service order"),
    "team.lead": N_("appoint a team leader"),
    "team.orders": N_("view a team's orders"),
    "team.unlead": N_("dismiss a team leader"),
    "topic.convert": N_("act on a topic of the month"),
    "topic.dismiss": N_("set a topic aside"),
    "topic.view": N_("view a topic of the month"),
    "topics.propose": N_("propose the topics of the month"),
    "task.done": N_("complete a task"),
    "task.extension": N_("ask for more time"),
    "task.note": N_("add a progress note"),
    "task.return": N_("hand a task back"),
    "task.start": N_("set off"),
    "task.view": N_("view a task"),
    "task.waiting": N_("wait for the resident"),
    "visit.log": N_("log a visit"),
    # 要事商议办
    "action.add": N_("add an action item"),
    "action.done": N_("finish an action item"),
    "consultation.cancel": N_("cancel a consultation"),
    "consultation.chair": N_("chair a consultation"),
    "consultation.convene": N_("convene a consultation"),
    "consultation.decide": N_("record a decision"),
    "consultation.finish": N_("close a consultation"),
    "consultation.invite": N_("invite to a consultation"),
    "consultation.object": N_("object to a decision"),
    "consultation.publish": N_("publish a decision"),
    "consultation.say": N_("speak in a consultation"),
    "consultation.view": N_("view a consultation"),
    "household.bind": N_("bind a household"),
    "households.codes": N_("print households' codes"),
    "households.import": N_("import the households"),
    "parties.view": N_("view the parties"),
    "property.view": N_("view the property matters"),
    "proposal.add": N_("put a proposal"),
    "proposal.close": N_("close a proposal's vote"),
    "proposal.view": N_("view a proposal"),
    "proposal.vote": N_("vote on a proposal"),
    "rating.answer": N_("rate the property service"),
    "rating.close": N_("close a property rating"),
    "rating.open": N_("open a property rating"),
    "seat.fill": N_("take a seat"),
    "seat.invite": N_("invite a seat holder"),
    "seat.vacate": N_("vacate a seat"),
    "vote.cancel": N_("cancel an owners' vote"),
    "vote.cast": N_("vote as an owner"),
    "vote.close": N_("close an owners' vote"),
    "vote.open": N_("open an owners' vote"),
    "vote.paper": N_("record paper ballots"),
    "vote.tally": N_("view an owners' vote's tally"),
    "vote.view": N_("view an owners' vote"),
}
# Who did it, when it was not a person the bot still knows.
ACTOR_NAMES = {
    "system": N_("the system"),
    "cli": N_("the command line"),
    "config": N_("the config file"),
    "forgotten": N_("a deleted user"),
}
SUBJECT_NAMES = {
    "consultation": N_("consultation #{id}"),
    "proposal": N_("proposal #{id}"),
    "vote": N_("owners' vote #{id}"),
    "action": N_("action item #{id}"),
    "seat": N_("seat {id}"),
    "household": N_("household #{id}"),
    "rating": N_("property rating #{id}"),
    "sub_order": N_("sub-order #{id}"),
    "meeting": N_("joint meeting #{id}"),
    "activity": N_("activity #{id}"),
    "redemption": N_("redemption #{id}"),
}
REFUSED = ".refused"


def _action_name(t: Translator, action: str) -> str:
    base = action.removesuffix(REFUSED)
    name = t(ACTION_NAMES[base]) if base in ACTION_NAMES else esc(base)
    return t("{action} (refused)").format(action=name) if action.endswith(REFUSED) else name


def _subject_name(t: Translator, line: AuditLine) -> str:
    if line.subject_named:
        return esc(line.subject)
    kind, _, key = line.subject.partition(":")
    if kind in ("person", "member"):
        return t("a deleted user")
    if kind == "visit":
        return t("visit #{id}").format(id=esc(key))
    if kind == "topic":
        return t("topic #{id}").format(id=esc(key))
    if kind == "broadcast":
        return t("notice #{id}").format(id=esc(key))
    if kind in SUBJECT_NAMES:
        return t(SUBJECT_NAMES[kind]).format(id=esc(key))
    return esc(line.subject)


def audit_message(t: Translator, lines: list[AuditLine], tz: tzinfo) -> OutMessage:
    """操作记录: when · who · what · to what, in words."""
    if not lines:
        return OutMessage(t("The audit log is empty."))
    out = [t("<b>Audit log</b> (latest {count})").format(count=len(lines))]
    for line in lines:
        actor = line.actor if line.actor_named else t(ACTOR_NAMES.get(line.actor, line.actor))
        out.append(
            f"{fmt_time(line.at, tz)} · {esc(actor)} · {_action_name(t, line.action)} · "
            f"{_subject_name(t, line)}"
        )
    return OutMessage("\n".join(out))


# The buttons of the approvals list carry this mark: deciding one edits only its own row.
FROM_LIST = "l"


def pending_message(
    t: Translator,
    language: str,
    pending: list[tuple[Member, OrgUnit]],
    decided: Member | None = None,
) -> OutMessage:
    """Registrations waiting for approval, each with Approve / Reject; ``decided``, the one
    just approved or rejected from this list, is said above the others."""
    lines = []
    if decided is not None:
        lines.append(
            t("{name}: {status}.").format(
                name=esc(decided.real_name), status=t(MEMBER_STATUS_NAMES[decided.status])
            )
        )
    if not pending:
        lines.append(t("Nobody is waiting for approval."))
        return OutMessage("\n".join(lines))
    lines.append(t("<b>Waiting for approval</b> ({count})").format(count=len(pending)))
    buttons: list[tuple[Button, ...]] = []
    for member, unit in pending:
        lines.append(f"• {esc(member.real_name)} — {esc(unit.label(language))}")
        buttons.append(
            (
                Button(
                    t("Approve {name}").format(name=member.real_name),
                    cbdata.encode(MEMBER_ADMIN, "ok", member.person_id, FROM_LIST),
                ),
                Button(
                    t("Reject"), cbdata.encode(MEMBER_ADMIN, "no", member.person_id, FROM_LIST)
                ),
            )
        )
    return OutMessage("\n".join(lines), buttons=tuple(buttons))
