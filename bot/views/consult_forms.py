"""The chair's cards, each a guided flow (``handlers/consult_forms.py``): convening a
consultation, putting a proposal, opening an owners' vote, adding an action item. A card shows
the draft with a button per field (typed next, then a fresh card), the choices made by
buttons, the days, ✅ Confirm once it is complete and ✖ Cancel. Every button but Cancel
carries the form's nonce: a card of an older form is expired."""

from __future__ import annotations

from collections.abc import Sequence

from bot import cbdata
from bot.art278 import area_text
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import OrgUnit, Request
from bot.models.consult import ConveneForm, ItemForm, ProposalForm, VoteForm, VoteMatter
from bot.models.parties import CompoundParties
from bot.views.common import esc
from bot.views.forms import cancel_button
from bot.views.parties import PARTY_ICONS, ROLE_NAMES, party_name, seat_label
from bot.views.votes import MATTER_NAMES, RULE_NAMES

__all__ = [
    "CLOSE_DAYS",
    "CONVENE",
    "ITEM",
    "ITEM_DAYS",
    "PROPOSAL_DAYS",
    "PROPOSE",
    "VOTE",
    "VOTE_DAYS",
    "convene_button",
    "convene_card",
    "convene_compounds",
    "field_prompt",
    "file_added",
    "item_button",
    "item_card",
    "proposal_button",
    "proposal_card",
    "set_aside",
    "vote_button",
    "vote_card",
]

# The callback prefixes of the four flows.
CONVENE = "cv"
PROPOSE = "pp"
VOTE = "vo"
ITEM = "ai"

CLOSE_DAYS = (3, 7, 14)
VOTE_DAYS = (7, 14, 30)
ITEM_DAYS = (7, 14, 30, 60)
PROPOSAL_DAYS = (1, 3)  # or with the consultation (0)
NOT_SET = N_("(not set)")

# What each field's step asks (typed next).
TOPIC_QUESTION = N_("Type the topic of the consultation in a few words (at most 60).")
BACKGROUND_QUESTION = N_(
    "Type the background of the matter (what happened, what residents ask for). You may also"
    " send photos and files now, one by one."
)
PROPOSAL_QUESTION = N_("Type the proposal.")
OPTIONS_QUESTION = N_("Type the options, one per line (2 to 4), e.g. “install on the north side”.")
VOTE_QUESTION = N_("Type the question the owners vote on.")
ITEM_QUESTION = N_("Type what is to be done.")

# What each card is, in the message of a card the sweep set aside.
CONVENE_NAME = N_("convening a consultation")
PROPOSAL_NAME = N_("putting a proposal")
VOTE_NAME = N_("opening an owners' vote")
ITEM_NAME = N_("adding an action item")


# -- the buttons that start them --------------------------------------------------------
def convene_button(t: Translator, request_id: int | None = None) -> Button:
    """Convene a consultation: on a request (its admin card or flag), or as a new topic."""
    if request_id is None:
        return Button(t("➕ Convene a consultation"), cbdata.encode(CONVENE, "new"))
    return Button(t("🏛 Consult the parties"), cbdata.encode(CONVENE, "req", request_id))


def proposal_button(t: Translator, consultation_id: int) -> Button:
    return Button(t("🗳 Put a proposal"), cbdata.encode(PROPOSE, "new", consultation_id))


def vote_button(t: Translator, consultation_id: int) -> Button:
    return Button(t("🏠 Open an owners' vote"), cbdata.encode(VOTE, "new", consultation_id))


def item_button(t: Translator, consultation_id: int) -> Button:
    return Button(t("➕ Add an action item"), cbdata.encode(ITEM, "new", consultation_id))


# -- what the cards share ------------------------------------------------------------------
def _b(label: str, prefix: str, action: str, nonce: str, *args: object) -> Button:
    return Button(label, cbdata.encode(prefix, action, nonce, *args))


def _days(
    t: Translator, prefix: str, nonce: str, options: Sequence[int], chosen: int | None
) -> tuple[Button, ...]:
    return tuple(
        _b(("✔ " if n == chosen else "") + t("{n} days").format(n=n), prefix, "days", nonce, n)
        for n in options
    )


def _foot(t: Translator, prefix: str, nonce: str, ready: bool) -> tuple[Button, ...]:
    row = [cancel_button(t, prefix)]
    if ready:
        row.insert(0, _b(t("✅ Confirm"), prefix, "ok", nonce))
    return tuple(row)


def _value(t: Translator, text: str | None, limit: int = 300) -> str:
    if not text:
        return t(NOT_SET)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


def field_prompt(t: Translator, prefix: str, nonce: str, question: str) -> OutMessage:
    """A field of a card, typed next (``question``: one of the questions above), with a way
    back to the card."""
    back = _b(t("« Back to the card"), prefix, "back", nonce)
    return OutMessage(t(question), buttons=((back,),))


def set_aside(t: Translator, what: str, minutes: int) -> OutMessage:
    """A card left idle was set aside by the sweep."""
    return OutMessage(
        t(
            "You did not go on {what} for {minutes} minutes, so the card was set aside and"
            " nothing was sent. Start it again from the consultation's card when you are ready."
        ).format(what=t(what), minutes=minutes)
    )


# -- convening ---------------------------------------------------------------------------
def convene_compounds(t: Translator, language: str, compounds: list[OrgUnit]) -> OutMessage:
    return OutMessage(
        t("🏛 <b>Convene a consultation</b>\nIn which compound?"),
        buttons=(
            *(
                (Button(u.label(language), cbdata.encode(CONVENE, "in", u.id)),)
                for u in compounds[:40]
            ),
            (cancel_button(t, CONVENE),),
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
    nonce = form.nonce
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
        (
            _b(t("✏ Topic"), CONVENE, "title", nonce),
            _b(t("✏ Background, photos, files"), CONVENE, "bg", nonce),
        ),
    ]
    for party, holdings in parties.parties:
        for h in holdings:
            mark = "✅" if h.seat.id in chosen else "⬜"
            who = h.name or t("(vacant)")
            label = f"{mark} {PARTY_ICONS[party.kind]} {t(ROLE_NAMES[h.seat.role])} {who}"
            buttons.append((_b(label, CONVENE, "seat", nonce, h.seat.id),))
    if not parties.parties:
        lines.append(t("This compound has no parties recorded: the community consults alone."))
    buttons.append(_days(t, CONVENE, nonce, CLOSE_DAYS, form.days))
    buttons.append(_foot(t, CONVENE, nonce, form.complete))
    if not form.complete:
        lines += ["", t("Give the topic and the background to convene.")]
    return OutMessage("\n".join(lines), buttons=tuple(buttons[:90]))


def file_added(t: Translator, nonce: str, count: int) -> OutMessage:
    return OutMessage(
        t("📎 Added ({n} in all). Send more, or type the background text.").format(n=count),
        buttons=((_b(t("« Back to the card"), CONVENE, "back", nonce),),),
    )


# -- a proposal ------------------------------------------------------------------------
def proposal_card(t: Translator, form: ProposalForm, title: str) -> OutMessage:
    nonce = form.nonce
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
    with_it = ("✔ " if form.days is None else "") + t("With the consultation")
    buttons: list[tuple[Button, ...]] = [
        (_b(t("✏ Proposal"), PROPOSE, "text", nonce), _b(t("✏ Options"), PROPOSE, "opts", nonce)),
        (
            _b(with_it, PROPOSE, "days", nonce, 0),
            *_days(t, PROPOSE, nonce, PROPOSAL_DAYS, form.days),
        ),
    ]
    if form.options:
        buttons.append((_b(t("No options"), PROPOSE, "plain", nonce),))
    buttons.append(_foot(t, PROPOSE, nonce, bool(form.text)))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


# -- an owners' vote ---------------------------------------------------------------------
def vote_card(
    t: Translator,
    form: VoteForm,
    title: str,
    buildings: list[str],
    households: int,
    area: int,
) -> OutMessage:
    nonce = form.nonce
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
    buttons: list[tuple[Button, ...]] = [(_b(t("✏ Question"), VOTE, "q", nonce),)]
    buttons += [
        (_b(("✔ " if form.matter is m else "") + t(MATTER_NAMES[m]), VOTE, "matter", nonce, m),)
        for m in VoteMatter
    ]
    whole = ("✔ " if form.building is None else "") + t("Whole compound")
    scopes = [_b(whole, VOTE, "bldg", nonce, "-")]
    scopes += [
        _b(
            ("✔ " if form.building == b else "") + t("Building {building}").format(building=b),
            VOTE,
            "bldg",
            nonce,
            b,
        )
        for b in buildings[:12]
    ]
    buttons += rows(*scopes, width=3)
    buttons.append(_days(t, VOTE, nonce, VOTE_DAYS, form.days))
    buttons.append(_foot(t, VOTE, nonce, bool(form.question) and households > 0))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


# -- an action item ----------------------------------------------------------------------
def item_card(t: Translator, form: ItemForm, title: str, parties: CompoundParties) -> OutMessage:
    nonce = form.nonce
    who = t(NOT_SET)
    buttons: list[tuple[Button, ...]] = [(_b(t("✏ What is to be done"), ITEM, "text", nonce),)]
    for party, holdings in parties.parties:
        mark = "✔ " if form.party_id == party.id else ""
        if mark:
            who = esc(party.name)
        label = f"{mark}{PARTY_ICONS[party.kind]} {party_name(t, party.kind)}"
        buttons.append((_b(label, ITEM, "party", nonce, party.id),))
        people = []
        for h in holdings:
            if h.seat.person_id is None:
                continue
            mark = "✔ " if form.person_id == h.seat.person_id else ""
            if mark:
                who = esc(f"{seat_label(t, party.kind, h.seat.role)} {h.name or ''}")
            people.append(_b(f"{mark}{h.name or '?'}", ITEM, "person", nonce, h.seat.person_id))
        buttons += rows(*people, width=3)
    lines = [
        t("📌 <b>Add an action item</b> — {title}").format(title=esc(title)),
        t("To do: {text}").format(text=_value(t, form.text)),
        t("Carried out by: {who}").format(who=who),
        t("Deadline: in {n} days.").format(n=form.days),
    ]
    buttons.append(_days(t, ITEM, nonce, ITEM_DAYS, form.days))
    buttons.append(_foot(t, ITEM, nonce, form.complete))
    return OutMessage("\n".join(lines), buttons=tuple(buttons[:90]))
