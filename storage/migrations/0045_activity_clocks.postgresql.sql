-- One table of timer rows for the sweep: an activity's reminders and its close move from
-- due_items (0041) into deadline_items, which names what a row is about by a foreign key —
-- request_id, plus sub_order_id for a department's sub-order (0031), or activity_id for an
-- activity (then no request). See 0045_activity_clocks.sqlite.sql, which rebuilds the table.

ALTER TABLE deadline_items ALTER COLUMN request_id DROP NOT NULL;
ALTER TABLE deadline_items ADD COLUMN activity_id INTEGER REFERENCES activities (id)
    ON DELETE CASCADE;
ALTER TABLE deadline_items ADD CONSTRAINT deadline_items_subject
    CHECK ((request_id IS NULL) <> (activity_id IS NULL));
INSERT INTO deadline_items (activity_id, kind, step, due_at, state, done_at, created_at)
SELECT subject_id, kind, step, due_at, state, done_at, created_at
FROM due_items WHERE subject_id IN (SELECT id FROM activities);
DROP TABLE due_items;
CREATE INDEX deadline_items_activity ON deadline_items (activity_id, state)
    WHERE activity_id IS NOT NULL;
