-- Two generalisations the four parties (and the other features of the three tiers) need.
--
-- 1. role_grants loses its CHECK on role: the roles are the application's enum (bot.models.Role:
--    resident, member, admin, and now seat (a seat in one of the parties of a compound) and
--    owner (bound to a household of a compound)); a feature that adds a role no longer rebuilds
--    the table.
-- 2. deadline_items serve more than requests: a row is about a request (request_id) or about
--    another subject named by its kind (subject_id: an action item, an owners' vote, a
--    consultation ...). The sweep claims both kinds through the same index and hands each row
--    to the handler registered for its kind (bot/services/sweep.py).
--
-- SQLite changes a constraint only by rebuilding the table (PostgreSQL: the .postgresql.sql).

CREATE TABLE role_grants_rebuilt (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES org_units (id) ON DELETE RESTRICT,
    granted_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  INTEGER REFERENCES people (id) ON DELETE SET NULL
);
INSERT INTO role_grants_rebuilt (id, person_id, role, unit_id, granted_by, granted_at,
                                 revoked_at, revoked_by)
SELECT id, person_id, role, unit_id, granted_by, granted_at, revoked_at, revoked_by
FROM role_grants;
DROP TABLE role_grants;
ALTER TABLE role_grants_rebuilt RENAME TO role_grants;
CREATE UNIQUE INDEX role_grants_live ON role_grants (person_id, role, unit_id)
    WHERE revoked_at IS NULL;
CREATE INDEX role_grants_unit ON role_grants (unit_id, role) WHERE revoked_at IS NULL;

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
