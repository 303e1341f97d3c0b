"""Bulk seeding for ``gridbot bench``: many people and requests, fast (executemany)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Database

__all__ = ["seed_cards", "seed_dispatched", "seed_members", "seed_people", "seed_requests"]

CHUNK = 20_000


async def seed_people(
    db: Database, *, first_telegram_id: int, count: int, compound_id: int, now: datetime
) -> None:
    """``count`` onboarded residents of one compound (people rows and resident grants)."""
    stamp = ts(now)
    for start in range(0, count, CHUNK):
        ids = range(first_telegram_id + start, first_telegram_id + min(count, start + CHUNK))
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO people (telegram_id, display_name, language, home_unit_id,"
                " created_at, updated_at) VALUES (?, ?, 'zh_CN', ?, ?, ?)",
                [(i, f"R{i}", compound_id, stamp, stamp) for i in ids],
            )
            await tx.execute(
                "INSERT INTO role_grants (person_id, role, unit_id, granted_at)"
                " SELECT id, 'resident', home_unit_id, ? FROM people"
                " WHERE telegram_id BETWEEN ? AND ?",
                (stamp, ids.start, ids.stop - 1),
            )


async def seed_requests(
    db: Database,
    *,
    count: int,
    open_every: int,
    compound_id: int,
    category_id: int,
    now: datetime,
) -> int:
    """``count`` requests; every ``open_every``-th is open with an overdue escalation due now,
    the rest are closed long ago. Returns how many are open and due."""
    due = 0
    year = now.year
    for start in range(0, count, CHUNK):
        rows = []
        items = []
        for i in range(start, min(count, start + CHUNK)):
            created = now - timedelta(days=1 + i % 300)
            is_open = i % open_every == 0
            rows.append(
                (
                    f"BN-{year}-{i:08d}",
                    compound_id,
                    category_id,
                    "important",
                    "dispatched" if is_open else "closed",
                    f"bench request {i}",
                    ts(created),
                    ts(created),
                    ts(created),
                    ts(created + timedelta(hours=24)),
                    None if is_open else ts(created + timedelta(days=1)),
                    None if is_open else "satisfied",
                )
            )
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO requests (number, compound_id, category_id, tier, status,"
                " description, created_at, updated_at, triaged_at, accept_due_at, closed_at,"
                " rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            first = await tx.fetchval("SELECT id FROM requests WHERE number = ?", (rows[0][0],))
            for offset, row in enumerate(rows):
                request_id = int(first) + offset
                if row[4] == "dispatched":  # overdue now, and a later step still ahead
                    items.append(
                        (
                            request_id,
                            "escalate_accept",
                            1,
                            ts(now - timedelta(minutes=1)),
                            "pending",
                            ts(now),
                        )
                    )
                    items.append(
                        (
                            request_id,
                            "escalate_accept",
                            2,
                            ts(now + timedelta(days=1)),
                            "pending",
                            ts(now),
                        )
                    )
                else:  # history: a reminder that fired long ago
                    items.append((request_id, "remind_accept", 1, row[6], "done", ts(now)))
            await tx.executemany(
                "INSERT INTO deadline_items (request_id, kind, step, due_at, state, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                items,
            )
        due += sum(1 for row in rows if row[4] == "dispatched")
    return due


async def seed_members(
    db: Database, *, first_telegram_id: int, count: int, compound_id: int, now: datetime
) -> list[int]:
    """``count`` approved members of one compound, available at all times; their person ids."""
    stamp = ts(now)
    await seed_people(
        db, first_telegram_id=first_telegram_id, count=count, compound_id=compound_id, now=now
    )
    last = first_telegram_id + count - 1
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "SELECT id FROM people WHERE telegram_id BETWEEN ? AND ? ORDER BY telegram_id",
            (first_telegram_id, last),
        )
        person_ids = [int(r[0]) for r in rows]
        await tx.executemany(
            "INSERT INTO members (person_id, real_name, compound_id, phone, member_type,"
            " availability, status, created_at, updated_at) VALUES (?, ?, ?, ?,"
            ' \'unemployed_or_retired\', \'["weekday_day", "weekday_evening", "weekend"]\','
            " 'approved', ?, ?)",
            [(pid, f"M{pid}", compound_id, "+8613000000000", stamp, stamp) for pid in person_ids],
        )
        await tx.executemany(
            "INSERT INTO role_grants (person_id, role, unit_id, granted_at)"
            " VALUES (?, 'member', ?, ?)",
            [(pid, compound_id, stamp) for pid in person_ids],
        )
    return person_ids


async def seed_dispatched(
    db: Database,
    *,
    count: int,
    compound_id: int,
    category_id: int,
    now: datetime,
) -> list[int]:
    """``count`` requests sent to members and waiting for someone to accept; their ids."""
    stamp = ts(now)
    due = ts(now + timedelta(minutes=30))
    async with db.transaction() as tx:
        ids = []
        for i in range(count):
            ids.append(
                await tx.insert(
                    "INSERT INTO requests (number, compound_id, category_id, tier, status,"
                    " description, created_at, updated_at, triaged_at, dispatched_at,"
                    " accept_due_at) VALUES (?, ?, ?, 'urgent', 'dispatched', ?, ?, ?, ?, ?, ?)",
                    (
                        f"AS-{now.year}-{i:06d}",
                        compound_id,
                        category_id,
                        f"storm {i}",
                        stamp,
                        stamp,
                        stamp,
                        stamp,
                        due,
                    ),
                )
            )
    return ids


async def seed_cards(
    db: Database, *, cards: list[tuple[int, int, int, int]], now: datetime
) -> None:
    """Task cards already delivered: (request id, person id, chat id, message id) each."""
    stamp = ts(now)
    for start in range(0, len(cards), CHUNK):
        async with db.transaction() as tx:
            for request_id, person_id, chat_id, message_id in cards[start : start + CHUNK]:
                outbox_id = await tx.insert(
                    "INSERT INTO outbox (chat_id, method, payload, status, message_id,"
                    " created_at, sent_at, updated_at) VALUES (?, 'sendMessage', '{}', 'sent',"
                    " ?, ?, ?, ?)",
                    (chat_id, message_id, stamp, stamp, stamp),
                )
                await tx.execute(
                    "INSERT INTO task_cards (request_id, person_id, kind, outbox_id, state,"
                    " created_at) VALUES (?, ?, 'pool', ?, 'open', ?)",
                    (request_id, person_id, outbox_id, stamp),
                )
