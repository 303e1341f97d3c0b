"""Reading a household registry (房屋登记) from CSV: one household per line with its building,
unit, room and floor area in m² (at most two decimals, kept exactly as hundredths).

The header names the columns in English or in Chinese (``bot/words.toml``), in any order::

    building,unit,room,area

``unit`` may be left empty (or out) where buildings have no units. UTF-8, with or without
Excel's byte-order mark. Errors name the file and the line; a file with any error is refused
whole.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from bot.art278 import parse_area
from bot.freetext import clean

__all__ = ["HouseholdRow", "RegistryError", "headers", "parse_registry", "read_registry"]

_WORDS = resources.files("bot") / "words.toml"


@lru_cache(maxsize=1)
def headers() -> dict[str, str]:
    """The column names a registry may use (English or Chinese, from bot/words.toml)."""
    with _WORDS.open("rb") as fh:
        names = tomllib.load(fh)["registry_headers"]
    return {name.lower(): column for column, names_ in names.items() for name in names_}


_REQUIRED = ("building", "room", "area")
_MAX_PART = 16


class RegistryError(Exception):
    """The registry cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class HouseholdRow:
    line: int
    building: str
    unit: str
    room: str
    area_centi: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.building, self.unit, self.room)


def read_registry(path: Path) -> list[HouseholdRow]:
    """Read ``path``; raise :class:`RegistryError` naming the line of the first problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: the file is not UTF-8 (byte {exc.start})") from None
    return parse_registry(str(path), text)


def parse_registry(source: str, text: str) -> list[HouseholdRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegistryError(f"{source}: the file is empty") from None
    except csv.Error as exc:
        raise RegistryError(f"{source} line 1: {exc}") from None
    columns = [headers().get(clean(c).lower()) for c in header]
    missing = [c for c in _REQUIRED if c not in columns]
    if missing or None in columns or len(set(columns)) != len(columns):
        raise RegistryError(
            f"{source} line 1: the header must be building,unit,room,area"
            " (or their Chinese names; unit may be left out)"
        )
    rows: list[HouseholdRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise RegistryError(
                    f"{source} line {line}: expected {len(columns)} columns, found {len(cells)}"
                )
            record = {str(k): clean(v) for k, v in zip(columns, cells, strict=True)}
            row = _row(source, line, record)
            if row.key in seen:
                raise RegistryError(
                    f"{source} line {line}: household {'-'.join(p for p in row.key if p)}"
                    f" is listed twice (first on line {seen[row.key]})"
                )
            seen[row.key] = line
            rows.append(row)
    except csv.Error as exc:
        raise RegistryError(f"{source} line {reader.line_num}: {exc}") from None
    if not rows:
        raise RegistryError(f"{source}: no households in the file")
    return rows


def _row(source: str, line: int, record: dict[str, str]) -> HouseholdRow:
    where = f"{source} line {line}"
    parts = {}
    for key in ("building", "unit", "room"):
        value = record.get(key, "")
        if key != "unit" and not value:
            raise RegistryError(f"{where}: {key} is empty")
        if len(value) > _MAX_PART or "-" in value or ":" in value:
            raise RegistryError(
                f'{where}: {key} "{value}" must be at most {_MAX_PART} characters,'
                ' without "-" or ":"'
            )
        parts[key] = value
    try:
        area = parse_area(record["area"])
    except ValueError:
        raise RegistryError(
            f'{where}: area "{record["area"]}" must be a positive number of m² with at most two'
            " decimals (e.g. 89.37)"
        ) from None
    if area > 100_000_00:
        raise RegistryError(f'{where}: area "{record["area"]}" is not a household\'s floor area')
    return HouseholdRow(line, parts["building"], parts["unit"], parts["room"], area)
