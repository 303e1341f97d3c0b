-- deadline_items serve more than requests: a row is about a request (request_id) or about
-- another subject named by its kind (subject_id: an action item, an owners' vote, a
-- consultation ...). The sweep claims both kinds through the same index and hands each row to
-- the handler registered for its kind (bot/services/sweep.py).
--
-- SQLite changes a constraint only by rebuilding the table (PostgreSQL: the .postgresql.sql).

CREATE TABLE deadline_items_rebuilt (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    subject_id  INTEGER,              -- what a kind not about a request is about
    kind        TEXT    NOT NULL,
    step        INTEGER NOT NULL DEFAULT 0,
    person_id   INTEGER REFERENCES people (id) ON DELETE CASCADE,
    due_at      TIMESTAMPTZ NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'held', 'done', 'cancelled')),
    done_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    CHECK (request_id IS NOT NULL OR subject_id IS NOT NULL)
);
INSERT INTO deadline_items_rebuilt (id, request_id, kind, step, person_id, due_at, state,
                                    done_at, created_at)
SELECT id, request_id, kind, step, person_id, due_at, state, done_at, created_at
FROM deadline_items;
DROP TABLE deadline_items;
ALTER TABLE deadline_items_rebuilt RENAME TO deadline_items;
CREATE INDEX deadline_items_due ON deadline_items (due_at) WHERE state = 'pending';
CREATE INDEX deadline_items_request ON deadline_items (request_id, state);
CREATE INDEX deadline_items_subject ON deadline_items (kind, subject_id, state)
    WHERE subject_id IS NOT NULL;
