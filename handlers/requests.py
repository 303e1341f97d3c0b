"""Raising a request (群众点单): the guided intake conversation.

Steps: category (then "me too" if neighbours reported the same), description, photos, place,
urgency, phone, summary with Confirm / Edit / Cancel. The draft lives in the person's user data
(persisted in SQLite), so a restart loses nothing; an idle draft is set aside by the sweep.
"""

from __future__ import annotations

import logging

from telegram import Location

from bot.errors import DomainError
from bot.messages import OutMessage
from bot.models import Request
from bot.models.intake import Draft, Step
from bot.services.intake import DRAFT_KEY
from bot.views import requests as views
from bot.views.common import RAISE_REQUEST
from bot.views.forms import YES_NO
from handlers.buttons import StaleButton
from handlers.common import Caller, alongside
from handlers.onboarding import has_home
from handlers.wizard import DONE, Done, Turn, Wizard

__all__ = ["DRAFT_KEY", "INTAKE"]

LOG = logging.getLogger(__name__)

INTAKE: Wizard[Draft] = Wizard(
    DRAFT_KEY,
    Draft,
    prefix=views.INTAKE,
    commands=("request",),
    labels=(RAISE_REQUEST,),
    cancelled=views.intake_cancelled,
    set_aside=views.intake_expired,
)


@INTAKE.start
async def begin(turn: Turn[Draft], stored: Draft | None) -> Draft | None:
    """Begin a request, or continue the unfinished one."""
    if not await has_home(turn):
        return None
    if stored is None:
        return turn.form
    await turn.reply(views.intake_continues(turn.t))
    return stored


# -- what each step asks -------------------------------------------------------------------
@INTAKE.prompt(Step.CATEGORY)
async def ask_category(turn: Turn[Draft]) -> OutMessage:
    """Ask what the matter is about: the categories."""
    categories = await turn.services.requests.categories()
    return views.category_prompt(turn.t, turn.language, categories)


@INTAKE.prompt(Step.ME_TOO)
async def ask_me_too(turn: Turn[Draft]) -> OutMessage | Step:
    """Neighbours' requests of the same category, if any (else on to the description)."""
    assert turn.form.category_id is not None
    similar = await turn.services.requests.similar(turn.actor, turn.form.category_id)
    if not similar:
        return Step.DESCRIPTION
    return views.me_too_prompt(turn.t, turn.language, similar, turn.services.clock.now())


@INTAKE.prompt(Step.DESCRIPTION, reprompt=views.description_reprompt)
async def ask_description(turn: Turn[Draft]) -> OutMessage:
    """Ask for the description, naming the category chosen."""
    chosen = None
    if turn.form.category_id is not None:
        category = await turn.services.requests.category(turn.form.category_id)
        chosen = category.label(turn.language)
    return views.description_prompt(turn.t, chosen)


@INTAKE.prompt(Step.PHOTOS)
def ask_photos(turn: Turn[Draft]) -> OutMessage:
    """Ask for photos, with how many are in."""
    return views.photos_prompt(turn.t, len(turn.form.photos))


INTAKE.ask(Step.PLACE, views.place_prompt, reprompt=views.place_reprompt)
INTAKE.ask(Step.URGENCY, views.urgency_prompt)


INTAKE.ask(Step.CONTACT, views.contact_prompt, reprompt=views.contact_reprompt)


@INTAKE.prompt(Step.SUMMARY)
async def summary(turn: Turn[Draft]) -> OutMessage:
    """Show the request to check before it is filed."""
    svc, draft = turn.services, turn.form
    assert draft.category_id is not None and turn.actor.person.home_unit_id is not None
    category = await svc.requests.category(draft.category_id, fresh=True)
    home = await svc.org.unit(turn.actor.person.home_unit_id)
    path = await svc.org.path(home) if home else []
    name = turn.actor.person.display_name
    return views.summary(turn.t, turn.language, draft, category, path, name)


INTAKE.review(Step.SUMMARY, Step.EDIT, views.STEP_NAMES)


# -- what each step takes ------------------------------------------------------------------
@INTAKE.button(Step.CATEGORY, "cat")
async def choose_category(turn: Turn[Draft]) -> Step:
    """Store the category; "me too" comes next when neighbours reported the same.

    The next prompt repeats the choice; the old menu keeps its buttons (a later press on it
    is answered as expired), which saves a round trip on every step."""
    try:
        category = await turn.services.requests.category(turn.int(0))
    except (LookupError, DomainError):
        raise StaleButton(turn.cb) from None
    turn.form.category_id = category.id
    return turn.form.next_step()


@INTAKE.button(Step.ME_TOO, "mtno")
@INTAKE.button(Step.PHOTOS, "photos")
async def go_on(turn: Turn[Draft]) -> Step:
    """None of the neighbours' requests is this one; or no (more) photos."""
    return turn.form.next_step()


@INTAKE.button(Step.ME_TOO, "mt")
async def me_too(turn: Turn[Draft]) -> Done:
    """Follow a neighbour's request instead of filing a duplicate (the intake ends with it)."""
    request = await turn.services.requests.support(turn.actor, turn.int(0), turn.end())
    message = views.supported(turn.t, request, turn.actor.roles)
    await alongside(turn.close(), turn.reply(message))
    return DONE


@INTAKE.text(Step.DESCRIPTION)
async def description(turn: Turn[Draft], text: str) -> Step:
    """Store the description (1 to 2,000 characters; longer ones are sent back)."""
    turn.form.set_description(text)
    return turn.form.next_step()


@INTAKE.photo(Step.PHOTOS)
async def photo(turn: Turn[Draft], file_id: str) -> Step:
    """Add a photo (up to 5); the step again, with the count."""
    turn.form.add_photo(file_id)
    return Step.PHOTOS


@INTAKE.location(Step.PLACE)
async def location(turn: Turn[Draft], shared: Location) -> Step:
    """Store a shared location."""
    turn.form.set_location(shared.latitude, shared.longitude)
    return turn.form.next_step()


@INTAKE.skip(Step.PLACE, Step.CONTACT)
async def skip(turn: Turn[Draft]) -> Step:
    """No place, or no phone."""
    if turn.form.step is Step.CONTACT:
        turn.form.phone = None
    return turn.form.next_step()


@INTAKE.text(Step.PLACE)
async def address(turn: Turn[Draft], text: str) -> Step:
    """A typed address (building, unit)."""
    turn.form.set_address(text)
    return turn.form.next_step()


@INTAKE.button(Step.URGENCY, "urg")
async def urgency(turn: Turn[Draft]) -> Step:
    """Yes makes the request urgent; no keeps the category's tier."""
    turn.form.urgent = turn.pick(YES_NO)
    return turn.form.next_step()


@INTAKE.contact(Step.CONTACT)
async def contact(turn: Turn[Draft], phone: str) -> Step:
    """Store the resident's own phone number."""
    turn.form.phone = phone
    return turn.form.next_step()


@INTAKE.button(Step.SUMMARY, "anon", fresh=True)
async def toggle_anonymous(turn: Turn[Draft]) -> None:
    """Switch hiding the name and phone from members."""
    turn.form.anonymous = not turn.form.anonymous
    await turn.close(await summary(turn))


@INTAKE.finish(Step.SUMMARY, "ok")
async def confirm(turn: Turn[Draft]) -> None:
    """File the request; its number is told only after the commit (with the intake's end)."""
    request, _new = await turn.services.requests.submit(turn.actor, turn.form, turn.end())
    await turn.reply(await _filed(turn, request))


@INTAKE.again
async def filed_again(caller: Caller, nonce: str) -> OutMessage | None:
    """Confirm pressed after the intake ended: the number of what it filed."""
    request = await caller.services.requests.filed(caller.actor, nonce)
    return None if request is None else await _filed(caller, request)


async def _filed(caller: Caller, request: Request) -> OutMessage:
    category = await caller.services.requests.category(request.category_id)
    return views.filed(caller.t, request, category, caller.actor.roles)
