-- The outbox learns "outcome unknown": a call that timed out, or was in flight when the
-- process died, may have reached Telegram. Such a row is sent again at most
-- [outbox] unknown_retries times, then marked 'unknown' (never silently lost, never sent a
-- third time). SQLite changes a CHECK constraint only by rebuilding the table; the column
-- `recovered` (re-queued once after a crash) becomes `uncertain` (attempts whose outcome is
-- unknown, a crash or a timeout). PostgreSQL alters the table in place: 0011_outbox_unknown.postgresql.sql.

CREATE TABLE outbox_rebuilt (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    method      TEXT    NOT NULL,      -- Bot API method: sendMessage, editMessageText, ...
    payload     TEXT    NOT NULL,      -- JSON parameters
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'inflight', 'sent', 'failed', 'undeliverable',
                                  'cancelled', 'unknown')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    uncertain   INTEGER NOT NULL DEFAULT 0,  -- attempts whose outcome is unknown
    dedup_key   TEXT    UNIQUE,        -- the same effect is never queued twice
    ref_id      INTEGER REFERENCES outbox (id),  -- an edit's original message
    batch       TEXT,                  -- e.g. 'broadcast:12'
    message_id  INTEGER,               -- Telegram's message id once sent
    error       TEXT,
    created_at  TIMESTAMPTZ    NOT NULL,
    sent_at     TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ    NOT NULL
);
INSERT INTO outbox_rebuilt (id, chat_id, method, payload, status, attempts, uncertain,
                            dedup_key, ref_id, batch, message_id, error, created_at, sent_at,
                            updated_at)
SELECT id, chat_id, method, payload, status, attempts, recovered, dedup_key, ref_id, batch,
       message_id, error, created_at, sent_at, updated_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_open ON outbox (status, id) WHERE status IN ('pending', 'inflight');
CREATE INDEX outbox_batch ON outbox (batch, status) WHERE batch IS NOT NULL;
CREATE INDEX outbox_ref ON outbox (ref_id) WHERE ref_id IS NOT NULL;
