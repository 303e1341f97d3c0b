"""Translations: gettext catalogs (``bot/locales/<lang>/LC_MESSAGES/messages.po``) via Babel.

Message ids are English. ``zh_CN`` is the default language; ``en`` falls back to the msgid
where its msgstr is empty. The ``.po`` files are read directly at start-up, so there is no
compile step. Mark text for extraction with ``_()`` (translated now) or ``N_()`` (translated
later, for module-level constants); ``NC_(context, text)`` marks a text whose translation
depends on where it stands (the "Open" of a button is not the "Open" of a queue filter). Its
key is gettext's ``context + "\x04" + msgid``, so ``t(NC_(...))`` translates it like any other.
"""

from __future__ import annotations

import logging
from importlib import resources

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

__all__ = ["LANGUAGES", "NC_", "N_", "I18n", "Translator"]

LOG = logging.getLogger(__name__)

LANGUAGES = ("zh_CN", "en")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet."""
    return message


CONTEXT_SEPARATOR = "\x04"
# How Babel finds the texts to translate (scripts/update_catalogs.py, the catalog tests).
EXTRACT_KEYWORDS: dict[str, object] = {
    "_": None,
    "t": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "NC_": ((1, "c"), 2),
    "pgettext": ((1, "c"), 2),
}


def NC_(context: str, message: str) -> str:
    """Mark ``message`` in ``context`` for extraction; translate the result with ``t()``."""
    return f"{context}{CONTEXT_SEPARATOR}{message}"


class Translator:
    """The translations of one language."""

    def __init__(
        self,
        language: str,
        singular: dict[str, str],
        plural: dict[str, tuple[str, ...]],
        num_plurals: int,
    ) -> None:
        self.language = language
        self._singular = singular
        self._plural = plural
        self._num_plurals = num_plurals

    def gettext(self, message: str) -> str:
        """The translation; untranslated, the message itself (without its context)."""
        return self._singular.get(message) or message.rpartition(CONTEXT_SEPARATOR)[2]

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(NC_(context, message))

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plural.get(singular)
        if forms:
            # Both languages follow the simple rules: Chinese has one form, English two.
            index = 0 if self._num_plurals == 1 else int(n != 1)
            if 0 <= index < len(forms) and forms[index]:
                return forms[index]
        return singular if n == 1 else plural


def load_catalog(language: str) -> Catalog:
    """Read the ``.po`` catalog of ``language`` shipped with the package."""
    path = resources.files("bot") / "locales" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


class I18n:
    """All languages, loaded once."""

    def __init__(self, default: str = "zh_CN") -> None:
        if default not in LANGUAGES:
            raise ValueError(f"unsupported language {default!r}")
        self.default = default
        self._translators: dict[str, Translator] = {}
        for language in LANGUAGES:
            catalog = load_catalog(language)
            singular: dict[str, str] = {}
            plural: dict[str, tuple[str, ...]] = {}
            for message in catalog:
                if not message.id or message.fuzzy:
                    continue
                if isinstance(message.id, tuple):
                    strings = message.string if isinstance(message.string, tuple) else ()
                    plural[message.id[0]] = tuple(strings)
                elif message.string:
                    key = str(message.id)
                    if message.context:
                        key = NC_(message.context, key)
                    singular[key] = str(message.string)
            self._translators[language] = Translator(
                language, singular, plural, catalog.num_plurals
            )

    def get(self, language: str | None) -> Translator:
        """The translator for ``language``, or the default one."""
        return self._translators.get(language or self.default) or self._translators[self.default]

    def all_translations(self, message: str) -> set[str]:
        """``message`` in every language (to recognise a tapped reply-keyboard button)."""
        return {t.gettext(message) for t in self._translators.values()}
