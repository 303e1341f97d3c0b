-- 要事商议办's clocks are timer rows of the one sweep, each naming what it is about by a
-- foreign key like the others (0031: sub_order_id, 0045: activity_id): a consultation's
-- reminders, close and objection window (consultation_id), a proposal's close (proposal_id),
-- an action item's reminders and deadline (action_item_id), an owners' vote's reminders and
-- close (owners_vote_id), a property-service rating round's close (rating_id). A row is about
-- exactly one of a request (and perhaps its sub-order), an activity, or one of these.
--
-- Numbered after 0051, not among issue 14's 0020-0029: it changes deadline_items as 0031 and
-- 0045 left it, and a migration of the 0020s runs before them on a new store (0045 rebuilds
-- the table with the columns it knows). SQLite changes a CHECK only by rebuilding the table;
-- PostgreSQL alters it in place: 0052_consultation_clocks.postgresql.sql.

CREATE TABLE deadline_items_rebuilt (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,     -- remind_accept, activity_remind, action_due, ...
    step            INTEGER NOT NULL DEFAULT 0,   -- which reminder or escalation level
    person_id       INTEGER REFERENCES people (id) ON DELETE CASCADE,  -- a held reminder's
    due_at          TIMESTAMPTZ NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'held', 'done', 'cancelled')),
    done_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    sub_order_id    INTEGER REFERENCES sub_orders (id) ON DELETE CASCADE,
    activity_id     INTEGER REFERENCES activities (id) ON DELETE CASCADE,
    consultation_id INTEGER REFERENCES consultations (id) ON DELETE CASCADE,
    proposal_id     INTEGER REFERENCES proposals (id) ON DELETE CASCADE,
    action_item_id  INTEGER REFERENCES action_items (id) ON DELETE CASCADE,
    owners_vote_id  INTEGER REFERENCES owners_votes (id) ON DELETE CASCADE,
    rating_id       INTEGER REFERENCES property_ratings (id) ON DELETE CASCADE,
    CONSTRAINT deadline_items_subject CHECK (
        (request_id IS NOT NULL) + (activity_id IS NOT NULL) + (consultation_id IS NOT NULL)
        + (proposal_id IS NOT NULL) + (action_item_id IS NOT NULL)
        + (owners_vote_id IS NOT NULL) + (rating_id IS NOT NULL) = 1
    )
);
INSERT INTO deadline_items_rebuilt (id, request_id, kind, step, person_id, due_at, state,
                                    done_at, created_at, sub_order_id, activity_id)
SELECT id, request_id, kind, step, person_id, due_at, state, done_at, created_at, sub_order_id,
       activity_id
FROM deadline_items;
DROP TABLE deadline_items;
ALTER TABLE deadline_items_rebuilt RENAME TO deadline_items;

CREATE INDEX deadline_items_due ON deadline_items (due_at) WHERE state = 'pending';
CREATE INDEX deadline_items_request ON deadline_items (request_id, state);
CREATE INDEX deadline_items_sub_order ON deadline_items (sub_order_id, state)
    WHERE sub_order_id IS NOT NULL;
CREATE INDEX deadline_items_activity ON deadline_items (activity_id, state)
    WHERE activity_id IS NOT NULL;
CREATE INDEX deadline_items_consultation ON deadline_items (consultation_id, state)
    WHERE consultation_id IS NOT NULL;
CREATE INDEX deadline_items_proposal ON deadline_items (proposal_id, state)
    WHERE proposal_id IS NOT NULL;
CREATE INDEX deadline_items_action_item ON deadline_items (action_item_id, state)
    WHERE action_item_id IS NOT NULL;
CREATE INDEX deadline_items_owners_vote ON deadline_items (owners_vote_id, state)
    WHERE owners_vote_id IS NOT NULL;
CREATE INDEX deadline_items_rating ON deadline_items (rating_id, state)
    WHERE rating_id IS NOT NULL;
