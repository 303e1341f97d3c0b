-- Deadlines (催办、督办): due times on requests and the timer rows the sweep claims.

ALTER TABLE requests ADD COLUMN accept_due_at TIMESTAMPTZ;
ALTER TABLE requests ADD COLUMN resolve_due_at TIMESTAMPTZ;
ALTER TABLE requests ADD COLUMN waiting_since TIMESTAMPTZ;      -- waiting for the resident: clock paused
ALTER TABLE requests ADD COLUMN escalation_level TEXT
    CHECK (escalation_level IN ('community', 'street', 'district'));

-- One row per thing that must happen at a time: a reminder, an escalation, an auto-close, or a
-- reminder held back for one person until quiet hours end. The sweep claims due rows in a
-- transaction (pending -> done), so two sweeps never act on the same row.
CREATE TABLE deadline_items (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,     -- remind_accept, escalate_accept, remind_resolve, ...
    step        INTEGER NOT NULL DEFAULT 0,   -- which reminder or escalation level
    person_id   INTEGER REFERENCES people (id) ON DELETE CASCADE,  -- a held reminder's recipient
    due_at      TIMESTAMPTZ NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'held', 'done', 'cancelled')),
    done_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
-- The sweep's query: pending rows by due time. Its cost grows with the due rows only.
CREATE INDEX deadline_items_due ON deadline_items (due_at) WHERE state = 'pending';
CREATE INDEX deadline_items_request ON deadline_items (request_id, state);

-- A member's request for more time, decided by an admin.
CREATE TABLE extension_requests (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    days         INTEGER NOT NULL CHECK (days > 0),
    reason       TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'approved', 'refused')),
    decided_by   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    decided_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX extension_requests_request ON extension_requests (request_id, state);
