"""Retention: what the bot keeps only for a while.

The outbox is the bot's way of talking, not an archive of everything it said: once a row has
been settled for ``[retention] outbox_days`` (default 30), its payload is blanked (the row, its
status and its Telegram message id stay, so counts add up and later edits still find their
message). Finished conversation forms (``finished_flows``) are pruned after the same time.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from storage.db import Database

__all__ = ["BATCH", "RetentionService"]

LOG = logging.getLogger(__name__)

BATCH = 500  # rows per sweep: a short transaction; a backlog is worked off sweep by sweep


class RetentionService:
    def __init__(self, db: Database, clock: Clock, config: Config) -> None:
        self.db = db
        self.clock = clock
        self.config = config

    async def sweep(self) -> int:
        """One batch of outbox payloads past retention blanked; returns how many."""
        before = self.clock.now() - timedelta(days=self.config.retention.outbox_days)
        async with self.db.transaction() as tx:
            blanked = await tx.outbox.blank_before(before, BATCH)
            await tx.flows.prune(before)
        if blanked:
            LOG.info("retention: %d outbox payloads blanked", blanked)
        return blanked
