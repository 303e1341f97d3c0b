"""Every msgid used in the code is in both catalogs, translated, and well-formed."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from auxil.catalogs import catalog, key
from babel.messages.extract import extract_from_dir

from bot.emulator.htmltext import to_plain
from bot.i18n import EXTRACT_KEYWORDS, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


def used_msgids() -> set[str]:
    found: set[str] = set()
    for _f, _l, message, _c, context in extract_from_dir(
        str(ROOT),
        [("bot/**.py", "python"), ("handlers/**.py", "python")],
        keywords=EXTRACT_KEYWORDS,
    ):
        found.add(key(context, message[0] if isinstance(message, tuple) else message))
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_in_the_catalog(language: str) -> None:
    missing = used_msgids() - set(catalog(language))
    assert not missing, f"missing from {language}: {sorted(missing)}"


def test_chinese_is_complete_and_well_formed() -> None:
    zh = catalog("zh_CN")
    used = used_msgids()
    untranslated = [m for m in used if not zh.get(m)]
    assert not untranslated, untranslated
    for keyed in used:
        translation, msgid = zh[keyed], keyed.rpartition("\x04")[2]
        assert fields(translation) == fields(msgid), msgid
        sample = {name: 1 for name in fields(msgid)}
        # Telegram must accept the HTML of both the msgid and the translation.
        to_plain(msgid.format(**sample) if sample else msgid)
        to_plain(translation.format(**sample) if sample else translation)


def test_no_user_facing_chinese_in_python() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    offenders = []
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if cjk.search(code) and '"""' not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, offenders
