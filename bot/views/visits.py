"""Messages of the visit log (/visit)."""

from __future__ import annotations

from bot import cbdata
from bot.i18n import Translator
from bot.messages import Button, OutMessage, ReplyButton, rows
from bot.models import OrgUnit, Role, Visit
from bot.models.visits import VisitForm
from bot.views.common import esc, main_keyboard
from bot.views.forms import SKIP, cancel_row

__all__ = ["VISIT", "compound_prompt", "summary"]

VISIT = "vs"


def compound_prompt(t: Translator, language: str, compounds: list[OrgUnit]) -> OutMessage:
    buttons = [Button(u.label(language), cbdata.encode(VISIT, "c", u.id)) for u in compounds]
    return OutMessage(
        t("<b>Log a household visit</b>\nWhich compound did you visit?"),
        buttons=(*rows(*buttons), cancel_row(t, VISIT)),
    )


def households_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("How many households did you visit? (a number)"), buttons=(cancel_row(t, VISIT),)
    )


def people_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("How many residents did you talk to? (a number)"), buttons=(cancel_row(t, VISIT),)
    )


def note_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("A short note about the visit (what you found, what was done), or Skip."),
        keyboard=((ReplyButton(t(SKIP)),),),
        one_time=True,
    )


def opinion_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Did residents give an opinion or suggestion? Type it and it goes to the community as "
            "an opinion; or Skip."
        ),
        keyboard=((ReplyButton(t(SKIP)),),),
        one_time=True,
    )


def summary(
    t: Translator, language: str, form: VisitForm, compound: OrgUnit, roles: set[Role]
) -> OutMessage:
    none = t("(none)")
    lines = [
        t("<b>Please check the visit</b>"),
        t("Compound: {place}").format(place=esc(compound.label(language))),
        t("Households: {n}").format(n=form.households),
        t("Residents contacted: {n}").format(n=form.people),
        t("Note: {note}").format(note=esc(form.note) if form.note else none),
        t("Opinion collected: {text}").format(text=esc(form.opinion) if form.opinion else none),
    ]
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (Button(t("✅ Confirm"), cbdata.encode(VISIT, "ok", form.nonce)),),
            cancel_row(t, VISIT),
        ),
    )


def logged(t: Translator, visit: Visit, roles: set[Role]) -> OutMessage:
    text = t("✅ Visit logged: {households} households, {people} residents. Thank you!").format(
        households=visit.households, people=visit.people
    )
    if visit.opinion_request_id is not None:
        text += "\n" + t("The opinion was passed to the community.")
    return OutMessage(text, keyboard=main_keyboard(roles, t))


def cancelled(t: Translator, roles: set[Role]) -> OutMessage:
    return OutMessage(t("Cancelled. Nothing was logged."), keyboard=main_keyboard(roles, t))
