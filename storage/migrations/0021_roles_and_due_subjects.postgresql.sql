-- deadline_items serve more than requests (see the .sqlite.sql); PostgreSQL changes the
-- constraint in place.

ALTER TABLE deadline_items ALTER COLUMN request_id DROP NOT NULL;
ALTER TABLE deadline_items ADD COLUMN subject_id BIGINT;
ALTER TABLE deadline_items ADD CONSTRAINT deadline_items_subject_check
    CHECK (request_id IS NOT NULL OR subject_id IS NOT NULL);
CREATE INDEX deadline_items_subject ON deadline_items (kind, subject_id, state)
    WHERE subject_id IS NOT NULL;
