"""Free text people type, cleaned one way for every field.

:func:`clean` normalises to NFC, removes control characters, bidirectional overrides and
invisible format characters (zero-width spaces, word joiners, byte-order marks, soft hyphens,
lone surrogates and non-characters) and tidies whitespace: one line for names and addresses,
paragraphs for descriptions and notes. A text with nothing visible left (only spaces, invisible
characters or blank letters such as the Hangul filler) is refused by :meth:`TextField.accept`
with the field's own reply; nothing empty is ever stored.

Each field is one :class:`TextField` below (its limit, its lines, its reply when empty), so
every service refuses the same way and a test can walk them all (``FIELDS``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from bot.errors import InvalidInput
from bot.i18n import N_

__all__ = [
    "ADDRESS",
    "ASK",
    "BACKGROUND",
    "BROADCAST",
    "COMMENT",
    "DECISION",
    "DESCRIPTION",
    "DETAILS",
    "FIELDS",
    "ITEM",
    "NAME",
    "NEED",
    "NOTE",
    "OPTION",
    "PLACE",
    "PROPOSAL",
    "QUESTION",
    "REASON",
    "RELAY",
    "SKILL",
    "TITLE",
    "TOPIC",
    "WORK_UNIT",
    "TextField",
    "clean",
    "visible",
]

# Bidirectional embeddings, overrides and isolates, and the directional marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible format characters that carry nothing a reader sees. The zero-width joiner and
# non-joiner stay: emoji sequences and several scripts need them (they count as invisible).
_INVISIBLE = frozenset(
    "\u00ad\u034f\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\ufff9\ufffa\ufffb"
)
# Letters and symbols that render as nothing: taken as spaces.
_BLANK = frozenset("\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")
_SPACES = re.compile(r"[^\S\n]+")  # runs of whitespace other than a line break
_BLANK_LINES = re.compile(r"\n{3,}")


def _kept(char: str) -> bool:
    if char in _BIDI or char in _INVISIBLE:
        return False
    category = unicodedata.category(char)
    if category == "Cc":
        return char == "\n" or char == "\t"
    # Lone surrogates, unassigned code points and non-characters go too.
    return category not in ("Cs", "Cn")


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` as it is stored: NFC, without controls and invisible format characters,
    whitespace tidied (one line unless ``multiline``). May be empty."""
    text = "".join(
        "\n" if c in _LINE_BREAKS else " " if c in _BLANK else c
        for c in text.replace("\r\n", "\n")
    )
    text = "".join(c for c in text if _kept(c))
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if _kept(c))  # NFC never adds them; belt and braces
    if not multiline:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def visible(text: str) -> bool:
    """Whether a reader sees anything: a letter, digit, punctuation mark or symbol."""
    return any(unicodedata.category(c)[0] in "LNPS" and c not in _BLANK for c in text)


_TOO_LONG = N_(
    "That is {length} characters; please shorten it to at most {limit}. "
    "Nothing was cut: send the shorter text again."
)
_KEEP_UNDER = N_("Please keep it under {limit} characters.")
_NOTHING = N_("There is nothing readable in that text. Please type it in words.")
_SOME_TEXT = N_("Please send some text.")
_REASON = N_("Please give a short reason (at most {limit} characters).")


@dataclass(frozen=True)
class TextField:
    """One kind of free text: how long it may be, whether it keeps line breaks, and what the
    person is told when nothing readable is left or it is too long (msgids that may use
    ``{limit}`` and ``{length}``)."""

    name: str
    limit: int
    multiline: bool
    empty: str
    too_long: str = _TOO_LONG
    minimum: int = 1

    def accept(self, text: str) -> str:
        """The cleaned text, or :class:`InvalidInput` with a reply saying why not."""
        value = clean(text, multiline=self.multiline)
        if not visible(value):
            raise InvalidInput(self.empty, limit=self.limit, length=len(value))
        if len(value) > self.limit:
            raise InvalidInput(self.too_long, limit=self.limit, length=len(value))
        if len(value) < self.minimum:
            raise InvalidInput(self.empty, limit=self.limit, length=len(value))
        return value

    def with_limit(self, limit: int) -> TextField:
        return replace(self, limit=limit)


DESCRIPTION = TextField(
    "description", 2000, multiline=True, empty=N_("Please describe the problem in words.")
)
ADDRESS = TextField(
    "address",
    200,
    multiline=False,
    empty=N_("Please type the building and unit, or share a location."),
    too_long=N_("Please keep the address under {limit} characters."),
)
_NAME = N_("Please give your real name (2 to {limit} characters).")
NAME = TextField("name", 30, multiline=False, empty=_NAME, too_long=_NAME, minimum=2)
WORK_UNIT = TextField("work unit", 60, multiline=False, empty=_NOTHING, too_long=_KEEP_UNDER)
SKILL = TextField("skill", 20, multiline=False, empty=_NOTHING, too_long=_KEEP_UNDER)
NOTE = TextField("note", 2000, multiline=True, empty=_SOME_TEXT, too_long=_KEEP_UNDER)
RELAY = TextField("relay", 2000, multiline=True, empty=_SOME_TEXT, too_long=_KEEP_UNDER)
COMMENT = TextField("comment", 2000, multiline=True, empty=_SOME_TEXT, too_long=_KEEP_UNDER)
REASON = TextField("reason", 500, multiline=True, empty=_REASON, too_long=_REASON)
BROADCAST = TextField(
    "broadcast",
    4096,
    multiline=True,
    empty=N_("The notice needs some text."),
    too_long=N_("The text is too long: at most {limit} characters."),
)

# 议事协商 and 业主表决: what the chair types on the cards, and the decision.
TOPIC = TextField("topic", 60, multiline=False, empty=N_("Please give the matter a short title."))
BACKGROUND = DESCRIPTION.with_limit(2000)
PROPOSAL = TextField("proposal", 500, multiline=True, empty=N_("Please type the proposal."))
OPTION = TextField("option", 100, multiline=False, empty=N_("Please type the option."))
DECISION = TextField("decision", 2000, multiline=True, empty=N_("Please type the decision."))
ITEM = TextField(
    "action item", 300, multiline=True, empty=N_("Please describe what is to be done.")
)
QUESTION = TextField(
    "question", 500, multiline=True, empty=N_("Please type the question the owners vote on.")
)
NEED = TextField(
    "need", 1000, multiline=True, empty=N_("Please say in words what you would like help with.")
)
TITLE = TextField(
    "title",
    60,
    multiline=False,
    empty=N_("Please give the activity a title in words."),
    too_long=N_("Please keep the title under {limit} characters."),
)
DETAILS = TextField("details", 1000, multiline=True, empty=_SOME_TEXT, too_long=_KEEP_UNDER)
# 吹哨报到: what is asked of a department, and where a joint on-site meeting is held.
ASK = TextField(
    "ask",
    500,
    multiline=True,
    empty=N_("Please write what this department should do."),
    too_long=_KEEP_UNDER,
)
PLACE = TextField(
    "place",
    100,
    multiline=False,
    empty=N_("Please write where to meet, e.g. the gate of building 3."),
    too_long=_KEEP_UNDER,
)

FIELDS = (
    DESCRIPTION,
    ADDRESS,
    NAME,
    WORK_UNIT,
    SKILL,
    NOTE,
    RELAY,
    COMMENT,
    REASON,
    BROADCAST,
    TOPIC,
    PROPOSAL,
    OPTION,
    DECISION,
    ITEM,
    QUESTION,
    NEED,
    TITLE,
    DETAILS,
    ASK,
    PLACE,
)
