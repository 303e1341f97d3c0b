"""Telegram's HTML parse mode: validate like the Bot API does and turn it into plain text."""

from __future__ import annotations

import html
from html.parser import HTMLParser

__all__ = ["HtmlEntityError", "to_plain"]

_ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}


class HtmlEntityError(ValueError):
    """The text is not valid Telegram HTML (the Bot API answers 400 can't parse entities)."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED:
            raise HtmlEntityError(f'Unsupported start tag "{tag}"')
        if tag == "a" and not any(k == "href" for k, _ in attrs):
            raise HtmlEntityError("Can't find href in a tag")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise HtmlEntityError(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise HtmlEntityError(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise HtmlEntityError("Unexpected < in text")
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            raise HtmlEntityError(f'Unsupported entity "&{name};"')
        self.out.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.out.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise HtmlEntityError("Unexpected comment")

    def handle_decl(self, decl: str) -> None:
        raise HtmlEntityError("Unexpected declaration")

    def unknown_decl(self, data: str) -> None:
        raise HtmlEntityError("Unexpected declaration")


def to_plain(text: str) -> str:
    """Check ``text`` as Telegram HTML and return what the reader sees.

    Raises :class:`HtmlEntityError` for unknown or unbalanced tags and for a bare ``&`` or
    ``<`` that should have been escaped.
    """
    # A bare '&' that does not start an entity is an error in Telegram's parser.
    i = text.find("&")
    while i != -1:
        end = text.find(";", i)
        if end == -1 or end - i > 10 or not text[i + 1 : end].replace("#", "").isalnum():
            raise HtmlEntityError("Can't parse entities: unescaped &")
        i = text.find("&", end)
    parser = _Parser()
    parser.feed(text)
    parser.close()
    if parser.rawdata:
        raise HtmlEntityError("Can't parse entities: unclosed tag")
    if parser.stack:
        raise HtmlEntityError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
        )
    return "".join(parser.out)
