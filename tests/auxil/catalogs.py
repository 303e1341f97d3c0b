"""The translation catalogs as tests read them: msgid (with its context) to msgstr."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

__all__ = ["catalog", "key"]

ROOT = Path(__file__).resolve().parents[2]


def key(context: str | None, msgid: str) -> str:
    """A catalog key: gettext's ``context + "\x04" + msgid`` when there is a context."""
    return f"{context}\x04{msgid}" if context else msgid


def catalog(language: str) -> dict[str, str]:
    path = ROOT / "bot" / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        cat = read_po(fh, locale=language)
    out: dict[str, str] = {}
    for m in cat:
        if not m.id:
            continue
        msgid = m.id[0] if isinstance(m.id, tuple) else m.id
        out[key(m.context, msgid)] = (
            m.string[0] if isinstance(m.string, tuple) else (m.string or "")
        )
    return out
