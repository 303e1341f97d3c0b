"""点单: ordering a team's project from the service menu, a short guided flow.

Steps: what is needed, the times that suit (one or more), a phone (shared, typed, or none),
the summary with Send. It starts from a project's **🛎 Order this service** button; the order
is a request of the team's project (see :mod:`bot.services.menu`), filed with the end of
this flow.
"""

from __future__ import annotations

from bot.messages import OutMessage
from bot.models import ServiceTeam
from bot.models.service import OrderForm, OrderStep, TimeSlot
from bot.phone import mainland_mobile
from bot.views import service as views
from bot.views.common import main_keyboard
from handlers.common import Caller
from handlers.onboarding import has_home
from handlers.wizard import Turn, Wizard

__all__ = ["ORDER"]

ORDER: Wizard[OrderForm] = Wizard(
    "order",
    OrderForm,
    prefix=views.ORDER,
    starts=("o",),
    set_aside=views.order_set_aside,
)


@ORDER.start
async def begin(turn: Turn[OrderForm], stored: OrderForm | None) -> OrderForm | None:
    """Order the project of the button's team (a resident with a home compound)."""
    if not await has_home(turn):
        return None
    team = await turn.services.menu.team(turn.int(0))
    turn.form.team_id = team.id
    return turn.form


@ORDER.prompt(OrderStep.NEED)
async def ask_need(turn: Turn[OrderForm]) -> OutMessage:
    """Ask what is needed, naming the project."""
    team = await turn.services.menu.team(turn.form.team_id)
    return views.need_prompt(turn.t, turn.language, team)


@ORDER.prompt(OrderStep.SLOTS)
def ask_slots(turn: Turn[OrderForm]) -> OutMessage:
    """Ask which times suit (ticked ones marked)."""
    return views.slots_prompt(turn.t, turn.form)


ORDER.ask(OrderStep.CONTACT, views.contact_prompt)


@ORDER.prompt(OrderStep.SUMMARY)
async def summary(turn: Turn[OrderForm]) -> OutMessage:
    """The order to check before it is sent."""
    team = await turn.services.menu.team(turn.form.team_id)
    return views.summary(turn.t, turn.language, turn.form, team)


@ORDER.text(OrderStep.NEED)
async def need(turn: Turn[OrderForm], text: str) -> OrderStep:
    """What the resident would like help with."""
    turn.form.set_need(text)
    return OrderStep.SLOTS


@ORDER.button(OrderStep.SLOTS, "t")
async def toggle(turn: Turn[OrderForm]) -> None:
    """Tick or untick a time; the same message shows the ticks."""
    turn.form.toggle(turn.choice(TimeSlot))
    await turn.edit(views.slots_prompt(turn.t, turn.form))


@ORDER.button(OrderStep.SLOTS, "td")
async def slots_done(turn: Turn[OrderForm]) -> OrderStep:
    """The times are chosen (at least one)."""
    turn.form.check_slots()
    await turn.close()
    return OrderStep.CONTACT


@ORDER.contact(OrderStep.CONTACT)
async def shared_phone(turn: Turn[OrderForm], phone: str) -> OrderStep:
    """The person's own phone, shared with the button."""
    turn.form.phone = phone
    return OrderStep.SUMMARY


@ORDER.text(OrderStep.CONTACT)
async def typed_phone(turn: Turn[OrderForm], text: str) -> OrderStep:
    """A typed mobile number, or "no phone"."""
    if text in turn.services.i18n.all_translations(views.NO_PHONE):
        turn.form.phone = None
    else:
        turn.form.phone = mainland_mobile(text)
    return OrderStep.SUMMARY


@ORDER.finish(OrderStep.SUMMARY, "ok")
async def send(turn: Turn[OrderForm]) -> None:
    """Send the order (with the end of this flow)."""
    request, _new = await turn.services.menu.order(turn.actor, turn.form, turn.end())
    team = await turn.services.menu.team(turn.form.team_id)
    await turn.close()
    await turn.reply(_filed(turn, request.number, team))


@ORDER.again
async def sent_already(caller: Caller, nonce: str) -> OutMessage | None:
    """Send pressed again: the same order's number."""
    request = await caller.services.menu.ordered(caller.actor, nonce)
    if request is None or request.service_team_id is None:
        return None
    team = await caller.services.menu.team(request.service_team_id)
    return _filed(caller, request.number, team)


def _filed(caller: Caller, number: str, team: ServiceTeam) -> OutMessage:
    """The order's number; the main keyboard comes back."""
    return OutMessage(
        views.filed(caller.t, caller.language, number, team),
        keyboard=main_keyboard(caller.actor.roles, caller.t),
    )
