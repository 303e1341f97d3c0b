"""The sheet of owners' binding codes: A4 pages of slips to cut apart, one per household.

Each slip names the compound and the household (building-unit-room, floor area), carries the QR
code of ``t.me/<bot>?start=h_<CODE>`` (scan it and the household is bound) and the code in
large print (for ``/bind CODE``), with a short instruction and "keep it private, it works once".
The committee hands the slips out or posts them in the letterboxes. Pages are 150 dpi A4
(1240 x 1754 px), 2 x 4 slips, written as one PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from bot.art278 import area_text
from bot.i18n import Translator
from bot.models import OrgUnit
from bot.poster import PosterError, find_cjk_font, font_face, qr_image
from bot.services.households import BIND_PREFIX, IssuedCode

__all__ = ["PAGE_SIZE", "SLIPS_PER_PAGE", "bind_link", "code_sheet_pages", "write_code_sheet"]

PAGE_SIZE = (1240, 1754)
_DPI = 150
_COLUMNS, _ROWS = 2, 4
SLIPS_PER_PAGE = _COLUMNS * _ROWS
_MARGIN = 40
_INK = (30, 30, 30)
_GREY = (110, 110, 110)
_RED = (200, 16, 46)
_CUT = (170, 170, 170)


def bind_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={BIND_PREFIX}{code}"


def write_code_sheet(
    codes: Sequence[IssuedCode],
    *,
    compound: OrgUnit,
    bot_username: str,
    out: Path,
    t: Translator,
    font: Path | None = None,
) -> Path:
    """Write the slips of ``codes`` as a PDF at ``out``; return the path."""
    pages = code_sheet_pages(codes, compound=compound, bot_username=bot_username, t=t, font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=_DPI)
    return out


def code_sheet_pages(
    codes: Sequence[IssuedCode],
    *,
    compound: OrgUnit,
    bot_username: str,
    t: Translator,
    font: Path | None = None,
) -> list[Image.Image]:
    """The A4 pages of slips, as images."""
    if not codes:
        raise PosterError("There are no codes to print.")
    if not bot_username.lstrip("@"):
        raise PosterError("The bot username is empty: set it in the configuration.")
    font_path = font or find_cjk_font()
    if font_path is None:
        raise PosterError(
            "No Chinese font found: install one (e.g. apt-get install fonts-wqy-microhei)."
        )
    pages = []
    for start in range(0, len(codes), SLIPS_PER_PAGE):
        page = Image.new("RGB", PAGE_SIZE, (255, 255, 255))
        draw = ImageDraw.Draw(page)
        width = (PAGE_SIZE[0] - 2 * _MARGIN) // _COLUMNS
        height = (PAGE_SIZE[1] - 2 * _MARGIN) // _ROWS
        for n, issued in enumerate(codes[start : start + SLIPS_PER_PAGE]):
            left = _MARGIN + (n % _COLUMNS) * width
            top = _MARGIN + (n // _COLUMNS) * height
            _slip(
                page, draw, issued, compound, bot_username, t, font_path, left, top, width, height
            )
        pages.append(page)
    return pages


def _slip(
    page: Image.Image,
    draw: ImageDraw.ImageDraw,
    issued: IssuedCode,
    compound: OrgUnit,
    bot_username: str,
    t: Translator,
    font_path: Path,
    left: int,
    top: int,
    width: int,
    height: int,
) -> None:
    pad = 24
    draw.rectangle((left, top, left + width - 1, top + height - 1), outline=_CUT, width=2)
    household = issued.household
    qr = segno.make(bind_link(bot_username, issued.code), error="m", micro=False)
    side = height - 2 * pad - 150
    image = qr_image(qr, 2, max(2, side // int(qr.symbol_size(scale=1, border=2)[0])))
    page.paste(image, (left + width - pad - image.width, top + pad + 30))
    x, y = left + pad, top + pad
    draw.text((x, y), t("Owners' vote · binding code"), font=font_face(font_path, 22), fill=_RED)
    y += 36
    column = width - 3 * pad - image.width
    draw.text((x, y), compound.name, font=_fitted(font_path, compound.name, 34, column), fill=_INK)
    y += 48
    draw.text(
        (x, y), household.label, font=_fitted(font_path, household.label, 44, column), fill=_INK
    )
    y += 58
    area = t("{area} m²").format(area=area_text(household.area_centi))
    draw.text((x, y), area, font=font_face(font_path, 28), fill=_GREY)
    y += 48
    draw.text(
        (x, y), issued.printed, font=_fitted(font_path, issued.printed, 44, column), fill=_INK
    )
    small = font_face(font_path, 22)
    lines = [
        t("Scan the code, or send /bind and the code to the bot."),
        t("It works once: keep it private."),
    ]
    y = top + height - pad - 30 * len(lines)
    for line in lines:
        draw.text((x, y), line, font=small, fill=_GREY)
        y += 30


def _fitted(path: Path, text: str, largest: int, width: int) -> ImageFont.FreeTypeFont:
    """The largest size up to ``largest`` at which ``text`` fits in ``width``."""
    size = largest
    while size > 16 and font_face(path, size).getlength(text) > width:
        size -= 2
    return font_face(path, size)
