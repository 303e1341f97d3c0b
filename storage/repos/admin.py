"""Invitation links that make someone an administrator of a unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.repos.invites import Invite, InviteLinks

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["AdminRepo", "Invite"]


class AdminRepo(InviteLinks):
    def __init__(self, tx: Tx) -> None:
        super().__init__(tx, "admin_invites", "unit_id")
