"""/forget across the whole database: every text column of every table is searched for a
person's traces, and what is found is rewritten (``bot/privacy.py`` says how).

The columns come from the schema itself, so a table added later is covered without a change
here. Rows are found with plain substring searches (one scan per column, all needles at once:
``LIKE``, which both stores have) and rewritten in Python, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.dialect import contains_pattern

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["PrivacyRepo"]

# Not searched: python-telegram-bot's rows (tx.flows.forget deletes the person's whole), the
# tables of who people are (the person's rows are deleted; another person's name, even the
# same name, is theirs), the org's own names, and the schema's bookkeeping.
_SKIPPED = frozenset(
    {
        "ptb_user_data",
        "ptb_chat_data",
        "ptb_conversations",
        "people",
        "members",
        "org_units",
        "stations",
        "service_teams",
        "categories",
        "departments",
        "pairings",
        "api_keys",
        "schema_version",
    }
)


class PrivacyRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def text_columns(self) -> list[tuple[str, str]]:
        """(table, column) for every text column of every table."""
        return [(t, c) for t, c in await self.tx.text_columns() if t not in _SKIPPED]

    async def scrub(self, needles: list[str], rewrite: Callable[[str], str]) -> int:
        """Rewrite every text value that contains one of ``needles``; return how many
        values changed."""
        if not needles:
            return 0
        changed = 0
        patterns = [contains_pattern(n, fold_case=False) for n in needles]
        row_id = self.tx.row_id
        for table, column in await self.text_columns():
            where = " OR ".join(f"\"{column}\" LIKE ? ESCAPE '\\'" for _ in needles)
            rows = await self.tx.fetchall(
                f'SELECT {row_id}, "{column}" FROM "{table}" WHERE {where}', patterns
            )
            for key, value in rows:
                new = rewrite(str(value))
                if new != value:
                    await self.tx.execute(
                        f'UPDATE "{table}" SET "{column}" = ? WHERE {row_id} = ?', (new, key)
                    )
                    changed += 1
        return changed

    async def mask_own_requests(self, person_id: int, mask: Callable[[str], str]) -> int:
        """The requests a person filed, and what they wrote on them: every phone number in
        them masked (the requests stay: they are the community's record)."""
        changed = 0
        rows = await self.tx.fetchall(
            "SELECT id, description, address, rating_comment FROM requests WHERE resident_id = ?",
            (person_id,),
        )
        for request_id, *texts in rows:
            masked = [None if t is None else mask(str(t)) for t in texts]
            if masked != list(texts):
                await self.tx.execute(
                    "UPDATE requests SET description = ?, address = ?, rating_comment = ?"
                    " WHERE id = ?",
                    (*masked, request_id),
                )
                changed += 1
        for event_id, note in await self.tx.fetchall(
            "SELECT id, note FROM request_events WHERE actor_id = ? AND note IS NOT NULL",
            (person_id,),
        ):
            if mask(str(note)) != note:
                await self.tx.execute(
                    "UPDATE request_events SET note = ? WHERE id = ?", (mask(str(note)), event_id)
                )
                changed += 1
        return changed
