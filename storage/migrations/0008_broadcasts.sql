-- Broadcasts (通知): an administrator's notice to the residents and members of their area.
-- The messages themselves are outbox rows with batch 'broadcast:<id>'; this row is the notice,
-- its audience and where its progress message lives (so a restart can pick it up again).

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    actor_id            INTEGER REFERENCES people (id) ON DELETE SET NULL,
    unit_id             INTEGER NOT NULL REFERENCES org_units (id),  -- the scope unit
    audience            TEXT    NOT NULL,      -- JSON: kind, unit_id, team_id, member_type
    text                TEXT    NOT NULL,      -- the HTML exactly as sent
    photo_file_id       TEXT,
    recipients          INTEGER NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'sending'
                        CHECK (state IN ('sending', 'cancelled', 'done')),
    progress_chat_id    INTEGER NOT NULL,      -- the admin's chat
    progress_message_id INTEGER,               -- the message edited with the progress
    created_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ
);
CREATE INDEX broadcasts_sending ON broadcasts (id) WHERE state = 'sending';
CREATE INDEX broadcasts_unit ON broadcasts (unit_id, id);
