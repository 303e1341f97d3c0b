"""Domain models shared by services and repositories (plain pydantic, no Telegram types)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AuditEntry",
    "Level",
    "OrgUnit",
    "OutboxRow",
    "Person",
    "Role",
    "RoleGrant",
    "ServiceTeam",
    "Station",
]


class Level(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    COMPOUND = "compound"

    @property
    def depth(self) -> int:
        return list(Level).index(self)

    def child(self) -> Level | None:
        order = list(Level)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Role(StrEnum):
    RESIDENT = "resident"
    MEMBER = "member"
    ADMIN = "admin"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class OrgUnit(_Model):
    id: int
    code: str
    name: str
    name_en: str | None = None
    level: Level
    parent_id: int | None = None
    path: str
    has_property_company: bool = True
    sort: int = 0

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def contains(self, other: OrgUnit) -> bool:
        """True when ``other`` is this unit or lies below it."""
        return other.path.startswith(self.path)


class Station(_Model):
    id: int
    code: str
    name: str
    unit_id: int
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    function_areas: list[str] = []
    opening_hours: str = ""


class ServiceTeam(_Model):
    id: int
    code: str
    name: str
    name_en: str | None = None
    project: str
    project_en: str | None = None
    sort: int = 0

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def project_label(self, language: str) -> str:
        return self.project_en if language == "en" and self.project_en else self.project


class Person(_Model):
    id: int
    telegram_id: int
    display_name: str = ""
    username: str | None = None
    language: str | None = None
    home_unit_id: int | None = None
    phone: str | None = None
    unreachable: bool = False
    created_at: datetime
    updated_at: datetime


class RoleGrant(_Model):
    id: int
    person_id: int
    role: Role
    unit_id: int
    granted_by: int | None = None
    granted_at: datetime
    revoked_at: datetime | None = None


class AuditEntry(_Model):
    id: int
    actor_id: int | None
    actor_label: str
    action: str
    subject: str
    unit_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class OutboxRow(_Model):
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    status: str
    attempts: int = 0
    dedup_key: str | None = None
    ref_id: int | None = None
    batch: str | None = None
    message_id: int | None = None
    error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
