"""What every guided flow shows the same way: its Skip and Cancel, the notice that an idle
form was set aside, and the answer to a final button pressed again."""

from __future__ import annotations

from collections.abc import Mapping

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import Role
from bot.views.common import main_keyboard

__all__ = [
    "ALREADY_DONE",
    "CANCEL",
    "SKIP",
    "YES_NO",
    "cancel_button",
    "cancel_row",
    "cancelled",
    "edit_menu",
    "set_aside",
]

# Labels a flow recognises in every language: Skip on a reply keyboard, Cancel on both kinds.
SKIP = N_("Skip")
CANCEL = N_("✖ Cancel")
ALREADY_DONE = N_("This was done already; nothing was sent again.")
# What the arguments of a Yes / No pair of buttons stand for ("y" and "n").
YES_NO = {"y": True, "n": False}


def cancel_button(t: Translator, feature: str) -> Button:
    """The inline Cancel of a flow whose callback data starts with ``feature``."""
    return Button(t(CANCEL), cbdata.encode(feature, "cancel"))


def cancel_row(t: Translator, feature: str) -> tuple[Button, ...]:
    return (cancel_button(t, feature),)


def cancelled(t: Translator, roles: set[Role]) -> OutMessage:
    """A flow dropped at the person's wish; the main menu comes back."""
    return OutMessage(t("Cancelled. Nothing was saved."), keyboard=main_keyboard(roles, t))


def set_aside(t: Translator, command: str, minutes: int) -> OutMessage:
    """An idle form was set aside (nothing it would have done was done)."""
    return OutMessage(
        t(
            "You did not go on with {command} for {minutes} minutes, so it was set aside and"
            " nothing was saved. Send {command} to start again."
        ).format(command=command, minutes=minutes)
    )


def edit_menu(t: Translator, feature: str, parts: Mapping[str, str]) -> OutMessage:
    """Which part of the form to change, from its summary (``parts``: step -> its name)."""
    buttons = [
        Button(t(name), cbdata.encode(feature, "goto", step)) for step, name in parts.items()
    ]
    return OutMessage(
        t("Which part do you want to change?"),
        buttons=(
            *rows(*buttons, width=3),
            (Button(t("« Back to the summary"), cbdata.encode(feature, "sum")),),
        ),
    )
