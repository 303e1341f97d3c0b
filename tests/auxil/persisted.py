"""A person's conversation state as it is on disk, and what an older crash could leave there."""

from __future__ import annotations

import json

from storage.db import open_database

__all__ = ["leave_behind", "stored_state"]


def _key(user_id: int) -> str:
    """The stored key of a private chat's conversation: (chat id, user id)."""
    return f"[{user_id},{user_id}]"


async def stored_state(url: str, user_id: int) -> tuple[dict[str, object], list[str]]:
    """The person's stored user_data and the names of their stored conversation states."""
    db = open_database(url)
    async with db, db.read() as tx:
        data = await tx.fetchval("SELECT data FROM ptb_user_data WHERE user_id = ?", (user_id,))
        rows = await tx.fetchall(
            "SELECT name FROM ptb_conversations WHERE key = ?", (_key(user_id),)
        )
    return (json.loads(data) if data else {}), [str(r[0]) for r in rows]


async def leave_behind(
    url: str, user_id: int, flow: str, form: dict[str, object], state: object
) -> None:
    """Write a form of ``flow`` and its conversation ``state`` back (the bot is stopped): what
    an older version killed right after the flow's end could leave on disk."""
    db = open_database(url)
    async with db, db.transaction() as tx:
        await tx.execute(
            "INSERT INTO ptb_user_data (user_id, data, updated_at)"
            " VALUES (?, ?, '2026-11-26T09:00:00.000000Z')"
            " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
            (user_id, json.dumps({flow: form})),
        )
        await tx.execute(
            "INSERT INTO ptb_conversations (name, key, state, updated_at)"
            " VALUES (?, ?, ?, '2026-11-26T09:00:00.000000Z')",
            (flow, _key(user_id), json.dumps(state)),
        )
