-- Telegram updates applied at most once (storage/updates.py): the id of every update the bot
-- applied, committed with the first change the update made. A process that receives the update
-- again (a standby taking over, a restart after a crash) skips it. Rows older than Telegram's
-- 24 hours of redelivery are pruned.

CREATE TABLE applied_updates (
    update_id   INTEGER PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX applied_updates_at ON applied_updates (applied_at);
