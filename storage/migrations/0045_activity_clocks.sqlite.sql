-- One table of timer rows for the sweep: an activity's reminders and its close move from
-- due_items (0041) into deadline_items, which names what a row is about by a foreign key —
-- request_id, plus sub_order_id for a department's sub-order (0031), or activity_id for an
-- activity (then no request). SQLite changes NOT NULL and adds a CHECK only by rebuilding the
-- table; PostgreSQL alters it in place: 0045_activity_clocks.postgresql.sql.

CREATE TABLE deadline_items_rebuilt (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,     -- remind_accept, escalate_accept, activity_remind, ...
    step          INTEGER NOT NULL DEFAULT 0,   -- which reminder or escalation level
    person_id     INTEGER REFERENCES people (id) ON DELETE CASCADE,  -- a held reminder's recipient
    due_at        TIMESTAMPTZ NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'held', 'done', 'cancelled')),
    done_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    sub_order_id  INTEGER REFERENCES sub_orders (id) ON DELETE CASCADE,
    activity_id   INTEGER REFERENCES activities (id) ON DELETE CASCADE,
    CONSTRAINT deadline_items_subject CHECK ((request_id IS NULL) <> (activity_id IS NULL))
);
INSERT INTO deadline_items_rebuilt (id, request_id, kind, step, person_id, due_at, state,
                                    done_at, created_at, sub_order_id)
SELECT id, request_id, kind, step, person_id, due_at, state, done_at, created_at, sub_order_id
FROM deadline_items;
INSERT INTO deadline_items_rebuilt (activity_id, kind, step, due_at, state, done_at,
                                    created_at)
SELECT subject_id, kind, step, due_at, state, done_at, created_at
FROM due_items WHERE subject_id IN (SELECT id FROM activities);
DROP TABLE deadline_items;
ALTER TABLE deadline_items_rebuilt RENAME TO deadline_items;
DROP TABLE due_items;

-- The sweep's query: pending rows by due time, whatever they are about.
CREATE INDEX deadline_items_due ON deadline_items (due_at) WHERE state = 'pending';
CREATE INDEX deadline_items_request ON deadline_items (request_id, state);
CREATE INDEX deadline_items_sub_order ON deadline_items (sub_order_id, state)
    WHERE sub_order_id IS NOT NULL;
CREATE INDEX deadline_items_activity ON deadline_items (activity_id, state)
    WHERE activity_id IS NOT NULL;
