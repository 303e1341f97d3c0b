"""Free text: every field takes arbitrary Unicode without a traceback, stores nothing empty or
invisible, and refuses with a reply that reads in both languages."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.freetext import FIELDS, TextField, clean, visible
from bot.i18n import LANGUAGES, I18n
from bot.models.intake import Draft
from bot.models.visits import VisitForm
from bot.services.broadcast import BroadcastDraft
from bot.services.registration import MemberForm

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# What an attacker reaches for: bidi overrides, zero-width and invisible characters, blank
# letters, controls, line separators, combining marks, lone surrogates.
NASTY = [
    *ZERO_WIDTH,
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    *"\u00ad\u034f\u180e\u3164\u115f\u1160\uffa0\u2800\u17b4",
    *"\x00\x07\x1b\x7f\x85\r\n\t\x0b\x0c\u2028\u2029\u3000\u00a0",
    *"\u0301\u0336\ud800\udfff\ufffe\U0010ffff",
    "王",
    "A",
    "=",
    " ",
]
TEXT = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=()), st.sampled_from(NASTY)),
    max_size=80,
)
FORBIDDEN = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff\u2060")


def check_stored(value: str, *, multiline: bool) -> None:
    """What may be stored: something visible, no controls or invisible formatting."""
    assert value and visible(value)
    assert value == value.strip() and value == clean(value, multiline=multiline)
    assert not FORBIDDEN & set(value)
    assert all(unicodedata.category(c) not in ("Cc", "Cs", "Cn") or c == "\n" for c in value)
    assert multiline or "\n" not in value
    assert unicodedata.is_normalized("NFC", value)
    value.encode("utf-8")  # storable: no lone surrogates


def check_refusal(err: InvalidInput) -> None:
    """The refusal reads in every language (its parameters fit its text)."""
    for language in LANGUAGES:
        t = I18n().get(language)
        text = t(err.message).format(**{k: t(str(v)) for k, v in err.params.items()})
        assert text and "{" not in text


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_every_field_takes_any_unicode(field: TextField, text: str) -> None:
    try:
        value = field.accept(text)
    except InvalidInput as err:
        check_refusal(err)
        return
    check_stored(value, multiline=field.multiline)
    assert field.minimum <= len(value) <= field.limit


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_nothing_visible_is_refused_with_the_fields_reply(field: TextField) -> None:
    for text in ("", "   ", ZERO_WIDTH * 3, "\u202e\u2066 \u3164\u2800\n\t", "\u0301\u0301"):
        with pytest.raises(InvalidInput) as caught:
            field.accept(text)
        assert caught.value.message == field.empty
        check_refusal(caught.value)


def test_what_is_kept_and_what_goes() -> None:
    assert clean("  楼道\u200b灯\u202e坏了\u00ad  ") == "楼道灯坏了"
    assert clean("e\u0301") == "\u00e9"  # NFC
    assert clean("a\tb\u3000\u00a0 c") == "a b c"
    assert clean("一\r\n二\u2028三\n\n\n\n四 ", multiline=True) == "一\n二\n三\n\n四"
    assert clean("一\n二") == "一 二"
    assert clean("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # a family emoji stays whole
    assert not visible("\u3164\u2800\u200d")


FormSetter = Callable[[str], str | None]


def _setter(make: Callable[[], Any], method: str, attribute: str) -> FormSetter:
    """Call ``method`` of a new form with the text; return what it stored."""

    def setter(text: str) -> str | None:
        form = make()
        getattr(form, method)(text)
        return getattr(form, attribute)  # type: ignore[no-any-return]

    return setter


SETTERS: dict[str, tuple[FormSetter, bool]] = {
    "description": (_setter(Draft, "set_description", "description"), True),
    "address": (_setter(Draft, "set_address", "address"), False),
    "member name": (_setter(MemberForm, "set_name", "real_name"), False),
    "work unit": (_setter(MemberForm, "set_work_unit", "work_unit"), False),
    "visit note": (_setter(VisitForm, "set_note", "note"), True),
    "visit opinion": (_setter(VisitForm, "set_opinion", "opinion"), True),
    "broadcast": (_setter(BroadcastDraft, "set_text", "text"), True),
}


@pytest.mark.parametrize("name", SETTERS)
@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_every_form_field_stores_only_readable_text(name: str, text: str) -> None:
    setter, multiline = SETTERS[name]
    try:
        value = setter(text)
    except InvalidInput as err:
        check_refusal(err)
        return
    assert value is not None
    check_stored(value, multiline=multiline)


@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_skills_keep_only_readable_tags(text: str) -> None:
    form = MemberForm()
    try:
        form.set_skills(text)
    except InvalidInput as err:
        check_refusal(err)
        return
    for tag in form.skills:
        check_stored(tag, multiline=False)
    assert form.skills_given


@settings(max_examples=100, deadline=None)
@given(caption=TEXT)
def test_a_broadcast_caption_without_anything_readable_keeps_the_text(caption: str) -> None:
    draft = BroadcastDraft()
    draft.set_text("本周六义诊")
    try:
        draft.set_photo("photo-1", caption)
    except InvalidInput as err:
        check_refusal(err)
        return
    assert draft.text is not None
    check_stored(draft.text, multiline=True)
