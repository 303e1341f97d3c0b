"""Extract msgids from bot/ and handlers/ and merge them into both catalogs.

Usage: python scripts/update_catalogs.py [--check]

Existing translations are kept; new msgids are added with an empty msgstr (for ``en`` that
means "use the msgid"); msgids no longer used are dropped. ``--check`` changes nothing and
exits 1 when a catalog is out of date or a zh_CN msgstr is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import EXTRACT_KEYWORDS

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "bot" / "locales"
METHOD_MAP = [("bot/**.py", "python"), ("handlers/**.py", "python")]


def extract() -> Catalog:
    template = Catalog(project="gridbot")
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=EXTRACT_KEYWORDS
    ):
        if message:
            template.add(message, context=context)
    return template


def main() -> int:
    check = "--check" in sys.argv
    template = extract()
    problems = 0
    for language in ("zh_CN", "en"):
        path = LOCALES / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        before = {(m.context, m.id) for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True)
        after = {(m.context, m.id) for m in catalog if m.id}
        missing = sorted(
            f"{m.context} | {m.id}" if m.context else str(m.id)
            for m in catalog
            if m.id
            and language == "zh_CN"
            and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
        )
        if before != after:
            problems += 1
            print(f"{language}: {len(after - before)} new, {len(before - after)} dropped")
        if missing:
            problems += 1
            print(f"{language}: {len(missing)} untranslated:")
            for msgid in missing:
                print(f"  {msgid!r}")
        if not check:
            catalog.obsolete.clear()
            with path.open("wb") as fh:
                write_po(
                    fh, catalog, omit_header=False, sort_output=True, no_location=True, width=99
                )
    return 1 if check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
