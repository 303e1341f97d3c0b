-- The outbox learns "outcome unknown" (see 0011_outbox_unknown.sqlite.sql, which has to rebuild
-- the table): a new status, and `recovered` (re-queued once after a crash) becomes
-- `uncertain` (attempts whose outcome is unknown, a crash or a timeout).

ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'inflight', 'sent', 'failed', 'undeliverable', 'cancelled',
                      'unknown'));
ALTER TABLE outbox RENAME COLUMN recovered TO uncertain;
ALTER TABLE outbox ALTER COLUMN uncertain DROP DEFAULT;
ALTER TABLE outbox ALTER COLUMN uncertain TYPE INTEGER
    USING CASE WHEN uncertain THEN 1 ELSE 0 END;
ALTER TABLE outbox ALTER COLUMN uncertain SET DEFAULT 0;
