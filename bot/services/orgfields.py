"""Reading the records of an org file: typed fields whose every complaint names the record.

Shared by the org file's own tables (:mod:`bot.services.orgfile`) and the sections other
features add (:mod:`bot.services.orgmenu`).
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["Fields", "OrgImportError", "Section", "Spec"]

E = TypeVar("E", bound=Enum)

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
_CATEGORY_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class OrgImportError(Exception):
    """The file cannot be imported; the message names the file, the place in it and why."""


class Fields:
    """Typed access to one record's keys; every complaint names the record."""

    def __init__(self, data: Mapping[str, Any], where: str, allowed: frozenset[str]) -> None:
        self.data = data
        self.where = where
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.error(f'unknown key "{unknown[0]}" (allowed: {", ".join(sorted(allowed))})')

    def error(self, message: str) -> OrgImportError:
        return OrgImportError(f"{self.where}: {message}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(f'missing required key "{key}"')
            return None
        if not isinstance(value, str):
            raise self.error(f'"{key}" must be a string, not {_type_name(value)}')
        value = value.strip()
        if not value:
            if required:
                raise self.error(f'"{key}" must not be empty')
            return None
        return value

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        return value

    def code(self, key: str = "code", *, required: bool = True, lower: bool = False) -> str | None:
        value = self.text(key, required=required)
        pattern, case = (_CATEGORY_CODE, "lower") if lower else (_CODE, "upper")
        if value is not None and not pattern.match(value):
            raise self.error(
                f'{key} "{value}" must be 1-32 {case}-case letters, digits, "-" or "_"'
            )
        return value

    def choice(self, key: str, kind: type[E], default: E, allowed: str) -> E:
        value = self.text(key)
        if value is None:
            return default
        try:
            return kind(value)
        except ValueError:
            raise self.error(f'unknown {key} "{value}" (use {allowed})') from None

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f'"{key}" must be an integer, not {_type_name(value)}')
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f'"{key}" must be true or false, not {_type_name(value)}')
        return value

    def number(self, key: str, low: float, high: float) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f'"{key}" must be a number, not {_type_name(value)}')
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            raise self.error(f"{key} {value} is out of range ({low:g} to {high:g})")
        return number

    def text_list(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f'"{key}" must be a list of strings')
        return [v.strip() for v in value if v.strip()]


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class Spec(Protocol):
    """One record of a section, checked on its own: where it is in the file, its key."""

    @property
    def where(self) -> str: ...

    @property
    def code(self) -> str: ...


class Section(ABC):
    """A table of the org file that a feature adds (``[[projects]]``, ``[[shop_items]]``):
    how one record is read, and how the records are checked against the store and written.

    Sections are imported after the core tables (units, stations, teams, categories) in the
    same transaction, so they may refer to anything those hold; an error names the record and
    nothing is imported.
    """

    table: str  # its name in the file: [[table]]
    noun: str  # what a record is, for messages ("project", "shop item")

    @abstractmethod
    def parse(self, data: Mapping[str, Any], where: str) -> Spec:
        """Read one record (raise :class:`OrgImportError` naming ``where``)."""

    def parse_in(self, folder: Path, data: Mapping[str, Any], where: str) -> Spec:
        """Read one record of a file in ``folder`` (a section whose records name files beside
        the org file reads them here; by default :meth:`parse`)."""
        return self.parse(data, where)

    @abstractmethod
    async def write(self, tx: Tx, specs: Sequence[Any], now: datetime) -> tuple[int, int]:
        """Check the records against the store and write them; (created, updated)."""
