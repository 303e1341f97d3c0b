"""The chair's cards: convening a consultation, putting a proposal, opening an owners' vote,
adding an action item. Each is one message with the draft and a button per field."""

from __future__ import annotations

from bot import cbdata
from bot.art278 import area_text
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage
from bot.models import OrgUnit, Request
from bot.models.consult import ConveneForm, ItemForm, ProposalForm, VoteForm, VoteMatter
from bot.models.parties import CompoundParties
from bot.views.common import esc
from bot.views.parties import PARTY_ICONS, ROLE_NAMES, party_name, seat_label
from bot.views.votes import MATTER_NAMES, RULE_NAMES

__all__ = [
    "CLOSE_DAYS",
    "FORMS",
    "convene_card",
    "item_card",
    "proposal_card",
    "vote_card",
]

FORMS = "cf"
CLOSE_DAYS = (3, 7, 14)
VOTE_DAYS = (7, 14, 30)
ITEM_DAYS = (7, 14, 30, 60)
PROPOSAL_DAYS = (1, 3)  # or with the consultation
NOT_SET = N_("(not set)")


def _b(label: str, action: str, *args: object) -> Button:
    return Button(label, cbdata.encode(FORMS, action, *args))


def _days(
    t: Translator, action: str, tag: str, options: tuple[int, ...], chosen: int | None
) -> tuple[Button, ...]:
    return tuple(
        _b(("✔ " if n == chosen else "") + t("{n} days").format(n=n), action, n, tag)
        for n in options
    )


def _foot(t: Translator, action: str, tag: str, ready: bool) -> tuple[tuple[Button, ...], ...]:
    row = [_b(t("✖ Cancel"), action + "x", tag)]
    if ready:
        row.insert(0, _b(t("✅ Confirm"), action + "k", tag))
    return (tuple(row),)


def _value(t: Translator, text: str | None, limit: int = 300) -> str:
    if not text:
        return t(NOT_SET)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


# -- convening ---------------------------------------------------------------------------
def convene_compounds(
    t: Translator, language: str, compounds: list[OrgUnit], tag: str
) -> OutMessage:
    return OutMessage(
        t("🏛 <b>Convene a consultation</b>\nIn which compound?"),
        buttons=(
            *((_b(unit.label(language), "cvc", unit.id, tag),) for unit in compounds[:40]),
            (_b(t("✖ Cancel"), "cvx", tag),),
        ),
    )


def convene_card(
    t: Translator,
    language: str,
    form: ConveneForm,
    compound: OrgUnit,
    parties: CompoundParties,
    request: Request | None,
) -> OutMessage:
    tag = form.nonce[:6]
    chosen = set(form.seat_ids)
    lines = [
        t("🏛 <b>Convene a consultation</b> — {compound}").format(
            compound=esc(compound.label(language))
        ),
    ]
    if request is not None:
        lines.append(t("From request {number}").format(number=esc(request.number)))
    lines += [
        t("Topic: {text}").format(text=_value(t, form.title, 60)),
        t("Background: {text}").format(text=_value(t, form.background)),
        t("Photos and files: {n}").format(n=len(form.files)),
        t("Closes in {n} days.").format(n=form.days),
        "",
        t("Invited (press a seat to leave it out or take it back):"),
        t("The community's administrators take part for the community party organisation."),
    ]
    buttons: list[tuple[Button, ...]] = [
        (_b(t("✏ Topic"), "cvt", tag), _b(t("✏ Background, photos, files"), "cvb", tag)),
    ]
    for party, holdings in parties.parties:
        for h in holdings:
            mark = "✅" if h.seat.id in chosen else "⬜"
            who = h.name or t("(vacant)")
            label = f"{mark} {PARTY_ICONS[party.kind]} {t(ROLE_NAMES[h.seat.role])} {who}"
            buttons.append((_b(label, "cvs", h.seat.id, tag),))
    if not parties.parties:
        lines.append(t("This compound has no parties recorded: the community consults alone."))
    buttons.append(_days(t, "cvd", tag, CLOSE_DAYS, form.days))
    buttons += _foot(t, "cv", tag, form.complete)
    if not form.complete:
        lines += ["", t("Give the topic and the background to convene.")]
    return OutMessage("\n".join(lines), buttons=tuple(buttons[:90]))


def background_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Type the background of the matter (what happened, what residents ask for). You may"
            " also send photos and files now, one by one; /cancel to stop."
        )
    )


def topic_prompt(t: Translator) -> OutMessage:
    return OutMessage(t("Type the topic of the consultation in a few words (at most 60)."))


def file_added(t: Translator, count: int) -> OutMessage:
    return OutMessage(
        t("📎 Added ({n} in all). Send more, or type the background text.").format(n=count)
    )


# -- a proposal ------------------------------------------------------------------------
def proposal_card(t: Translator, form: ProposalForm, title: str) -> OutMessage:
    tag = form.nonce[:6]
    lines = [
        t("🗳 <b>Put a proposal</b> — {title}").format(title=esc(title)),
        t("Proposal: {text}").format(text=_value(t, form.text)),
    ]
    if form.options:
        lines.append(t("Options (each voted on):"))
        lines += [f"{n + 1}. {esc(option)}" for n, option in enumerate(form.options)]
    else:
        lines.append(t("Options: none (the seats agree or not with the proposal)"))
    lines.append(
        t("Voting closes with the consultation.")
        if form.days is None
        else t("Voting closes in {n} days.").format(n=form.days)
    )
    buttons: list[tuple[Button, ...]] = [
        (_b(t("✏ Proposal"), "ppt", tag), _b(t("✏ Options"), "ppo", tag)),
        (
            _b(("✔ " if form.days is None else "") + t("With the consultation"), "ppd", 0, tag),
            *_days(t, "ppd", tag, PROPOSAL_DAYS, form.days),
        ),
    ]
    if form.options:
        buttons.append((_b(t("No options"), "ppz", tag),))
    buttons += _foot(t, "pp", tag, bool(form.text))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def options_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Type the options, one per line (2 to 4), e.g. “install on the north side”.")
    )


def text_prompt(t: Translator) -> OutMessage:
    return OutMessage(t("Please type it."))


# -- an owners' vote ---------------------------------------------------------------------
def vote_card(
    t: Translator,
    form: VoteForm,
    title: str,
    buildings: list[str],
    households: int,
    area: int,
) -> OutMessage:
    tag = form.nonce[:6]
    rule = t(RULE_NAMES[form.matter.rule])
    scope = (
        t("the whole compound")
        if form.building is None
        else t("building {building}").format(building=esc(form.building))
    )
    lines = [
        t("🏠 <b>Open an owners' vote</b> — {title}").format(title=esc(title)),
        t("Question: {text}").format(text=_value(t, form.question)),
        t("Matter: {matter} ({rule})").format(matter=t(MATTER_NAMES[form.matter]), rule=rule),
        t("Who votes: {scope} — {n} households, {area} m²").format(
            scope=scope, n=households, area=area_text(area)
        ),
        t("Closes in {n} days. Every bound owner gets a ballot; the others vote on paper.").format(
            n=form.days
        ),
    ]
    buttons: list[tuple[Button, ...]] = [(_b(t("✏ Question"), "vtq", tag),)]
    buttons += [
        (_b(("✔ " if form.matter is m else "") + t(MATTER_NAMES[m]), "vtm", m.value, tag),)
        for m in VoteMatter
    ]
    scopes = [_b(("✔ " if form.building is None else "") + t("Whole compound"), "vtb", "-", tag)]
    scopes += [
        _b(
            ("✔ " if form.building == b else "") + t("Building {building}").format(building=b),
            "vtb",
            b,
            tag,
        )
        for b in buildings[:12]
    ]
    buttons += [tuple(scopes[i : i + 3]) for i in range(0, len(scopes), 3)]
    buttons.append(_days(t, "vtd", tag, VOTE_DAYS, form.days))
    buttons += _foot(t, "vt", tag, bool(form.question) and households > 0)
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


# -- an action item ----------------------------------------------------------------------
def item_card(t: Translator, form: ItemForm, title: str, parties: CompoundParties) -> OutMessage:
    tag = form.nonce[:6]
    who = t(NOT_SET)
    buttons: list[tuple[Button, ...]] = [(_b(t("✏ What is to be done"), "itt", tag),)]
    for party, holdings in parties.parties:
        mark = "✔ " if form.party_id == party.id else ""
        if mark:
            who = esc(party.name)
        buttons.append(
            (
                _b(
                    f"{mark}{PARTY_ICONS[party.kind]} {party_name(t, party.kind)}",
                    "ita",
                    party.id,
                    tag,
                ),
            )
        )
        people = []
        for h in holdings:
            if h.seat.person_id is None:
                continue
            mark = "✔ " if form.person_id == h.seat.person_id else ""
            if mark:
                who = esc(f"{seat_label(t, party.kind, h.seat.role)} {h.name or ''}")
            people.append(_b(f"{mark}{h.name or '?'}", "itp", h.seat.person_id, tag))
        buttons += [tuple(people[i : i + 3]) for i in range(0, len(people), 3)]
    lines = [
        t("📌 <b>Add an action item</b> — {title}").format(title=esc(title)),
        t("To do: {text}").format(text=_value(t, form.text)),
        t("Carried out by: {who}").format(who=who),
        t("Deadline: in {n} days.").format(n=form.days),
    ]
    buttons.append(_days(t, "itd", tag, ITEM_DAYS, form.days))
    buttons += _foot(
        t, "it", tag, bool(form.text) and (form.party_id or form.person_id) is not None
    )
    return OutMessage("\n".join(lines), buttons=tuple(buttons[:90]))


def form_cancelled(t: Translator) -> OutMessage:
    return OutMessage(t("Cancelled; nothing was sent."))
