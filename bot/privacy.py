"""What ``/forget`` takes out of every text the bot keeps: a person's names, phone numbers,
username and Telegram id, in whatever form they were written.

:class:`Traces` knows the forms: a name as Telegram gives it (first name, last name), the
same in Chinese order (last name first, no space), HTML-escaped as the messages carry it; a
phone as +86…, 86… or the bare national number, with or without spaces and dashes;
``@username`` and ``username`` in any case; the id as a whole number. :meth:`Traces.scrub`
replaces them, inside JSON documents too (their string values, so the document stays valid).
:func:`mask_phone_numbers` masks every phone-like number (what a forgotten resident's requests
keep of their descriptions).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = ["MASK", "PHONE_MASK", "Traces", "mask_phone_numbers"]

MASK = "**"
PHONE_MASK = "***"
_PHONE_LIKE = re.compile(r"\+?\d(?:[\s-]?\d){6,}")
_SEPARATOR = r"[\s-]*"
_MIN_NAME = 2  # shorter names would cut ordinary words out of other people's texts
# A letter, digit or underscore of a script written with spaces: what may not touch a Latin
# name or a username for it to be that word. Chinese characters may (已由Ann Real接单: Chinese
# sets no space between a name and the words around it).
_WORD = r"[^\W\u2e80-\u9fff\uf900-\ufaff]"


def mask_phone_numbers(text: str) -> str:
    """Every phone-like run of digits (seven or more, spaces and dashes allowed) masked."""
    return _PHONE_LIKE.sub(PHONE_MASK, text)


def _is_wide(text: str) -> bool:
    return any("\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


def _name_forms(name: str) -> set[str]:
    words = name.split()
    forms = {" ".join(words)}
    if len(words) > 1 and _is_wide(name):  # Chinese order: the last name first, no space
        forms |= {"".join(words), "".join(reversed(words))}
    return {f for f in forms if len(f) >= _MIN_NAME}


def _phone_pattern(phone: str) -> tuple[str, str] | None:
    """The bare national number and a pattern for every way of writing the phone."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return None
    national = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    body = _SEPARATOR.join(re.escape(d) for d in national)
    prefix = rf"(?:\+?{_SEPARATOR}86{_SEPARATOR})?" if national != digits else r"\+?"
    return national, rf"(?<!\d){prefix}{body}(?!\d)"


@dataclass
class Traces:
    """One person's identifiers, to be taken out of texts."""

    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    username: str | None = None
    telegram_id: int | None = None

    def __post_init__(self) -> None:
        patterns: list[str] = []
        self._needles: set[str] = set()
        for name in self.names:
            for form in _name_forms(name):
                self._needles |= {form, escape(form, quote=False), json.dumps(form)[1:-1]}
                if _is_wide(form):
                    patterns.append(re.escape(form))
                else:
                    patterns.append(rf"(?<!{_WORD}){re.escape(form)}(?!{_WORD})")
        for phone in self.phones:
            found = _phone_pattern(phone)
            if found is not None:
                self._needles.add(found[0])
                patterns.append(found[1])
        if self.username:
            self._needles.add(self.username)
            patterns.append(rf"(?<!{_WORD})(?<!@)@?{re.escape(self.username)}(?!{_WORD})")
        if self.telegram_id is not None and self.telegram_id >= 10_000:
            self._needles.add(str(self.telegram_id))
            patterns.append(rf"(?<!\d){self.telegram_id}(?!\d)")
        # Longest first: a phone's full form before its bare number, a name before a part.
        patterns.sort(key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None
        )

    @property
    def needles(self) -> list[str]:
        """Plain substrings, one of which every text that mentions the person contains (to
        find the rows worth reading)."""
        return sorted(self._needles)

    def scrub(self, text: str) -> str:
        """``text`` without the person's identifiers; a JSON document stays one."""
        if self._pattern is None:
            return text
        try:
            document = json.loads(text)
        except ValueError:
            return self._pattern.sub(MASK, text)
        if not isinstance(document, dict | list):
            return self._pattern.sub(MASK, text)
        return json.dumps(self._walk(document), ensure_ascii=False)

    def _walk(self, value: Any) -> Any:
        assert self._pattern is not None
        if isinstance(value, str):
            return self._pattern.sub(MASK, value)
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        if isinstance(value, int) and value == self.telegram_id:  # a chat id
            return 0
        return value
